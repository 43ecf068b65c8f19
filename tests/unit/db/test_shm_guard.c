/* tests/unit/db/test_shm_guard.c: the SIGBUS guard of db/shm_guard.h.
 * - the /proc/self/maps lookup: an address in a mapped file named *-shm (also once deleted, and
 *   in a folder whose name has spaces) is one; in a file named otherwise, the stack, the heap
 *   and just past the mapping it is not;
 * - in a child process (each case forks, so a fault cannot take the test down): a worker
 *   thread whose SQLite query touches a truncated -shm is parked, the main thread gets the
 *   notify signal, and db_thread() then refuses with SP_EUNAVAILABLE; a fault in the main thread
 *   runs the main_fault callback (serve: the re-exec), or without one ends the process with 1;
 *   after shm_guard_exit_on_fault(7) a worker's fault ends it with 7; a SIGBUS on a
 *   truncated mapping of another file, or one sent with raise(), still kills the process (the
 *   previous handler, AddressSanitizer's here, takes it).
 */
#include "db/conn.h"
#include "db/shm_guard.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/check.h"

#define MAP_LEN 65536
#define NOTIFY SIGUSR2
enum { EXIT_NOTIFIED = 42, EXIT_NO_SIGNAL = 44, EXIT_SETUP = 45, EXIT_NOT_REFUSED = 46 };

static char dir[] = "/tmp/sprout-shm-guard-XXXXXX";

/* A MAP_SHARED mapping of a new MAP_LEN-byte file dir/name; *fd_out keeps it open. */
static char *map_file(const char *name, int *fd_out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, MAP_LEN) != 0)
        return NULL;
    void *p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return NULL;
    }
    *fd_out = fd;
    return p;
}

static void unmap(char *p, int fd)
{
    munmap(p, MAP_LEN);
    close(fd);
}

static void test_lookup_finds_shm_mappings_only(void)
{
    int fd_shm, fd_db, fd_other;
    char *shm = map_file("x.db-shm", &fd_shm);
    char *db = map_file("x.db", &fd_db);
    char *other = map_file("x-shmx", &fd_other);
    CHECK(shm && db && other);
    if (!shm || !db || !other)
        return;
    CHECK(shm_guard_addr_in_shm(shm));
    CHECK(shm_guard_addr_in_shm(shm + MAP_LEN / 2));
    CHECK(shm_guard_addr_in_shm(shm + MAP_LEN - 1));
    CHECK(!shm_guard_addr_in_shm(db));
    CHECK(!shm_guard_addr_in_shm(db + MAP_LEN - 1));
    CHECK(!shm_guard_addr_in_shm(other));
    int local = 0;
    CHECK(!shm_guard_addr_in_shm(&local));
    char *heap = malloc(64);
    CHECK(!shm_guard_addr_in_shm(heap));
    free(heap);
    CHECK(!shm_guard_addr_in_shm(NULL));
    unmap(other, fd_other);
    char path[512];
    snprintf(path, sizeof path, "%s/x.db-shm", dir);
    unlink(path); /* "... x.db-shm (deleted)": the mapping is still the -shm's */
    CHECK(shm_guard_addr_in_shm(shm + 100));
    unmap(shm, fd_shm);
    CHECK(!shm_guard_addr_in_shm(shm)); /* unmapped */
    unmap(db, fd_db);

    snprintf(path, sizeof path, "%s/a folder with spaces", dir);
    CHECK(mkdir(path, 0700) == 0);
    int fd_sp;
    char *sp = map_file("a folder with spaces/y-shm", &fd_sp);
    CHECK(sp != NULL);
    if (sp) {
        CHECK(shm_guard_addr_in_shm(sp + 10));
        unmap(sp, fd_sp);
    }
}

/* ---- faults, in child processes ---- */

static void child_quiet(void)
{
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
        dup2(devnull, STDERR_FILENO); /* the guard's line, a sanitizer's report */
        close(devnull);
    }
}

/* The child (run_child's status st) exited, with code. */
#define CHECK_EXITED_WITH(st, code)            \
    do {                                       \
        CHECK(WIFEXITED(st));                  \
        CHECK_EQ_INT(WEXITSTATUS(st), (code)); \
    } while (0)

/* Child: block NOTIFY, install the guard; then body(); then wait up to 5 s for NOTIFY:
 * EXIT_NOTIFIED (after after_notify(), which may exit otherwise) or EXIT_NO_SIGNAL. */
static void (*main_fault)(void); /* what run_child installs for a main thread's fault */

static int run_child(void (*body)(void), void (*after_notify)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        child_quiet();
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, NOTIFY);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        if (shm_guard_install(NOTIFY, main_fault, NULL) != SP_OK)
            _exit(EXIT_SETUP);
        body();
        struct timespec ts = { 5, 0 };
        if (sigtimedwait(&set, NULL, &ts) != NOTIFY)
            _exit(EXIT_NO_SIGNAL);
        if (after_notify)
            after_notify();
        _exit(EXIT_NOTIFIED);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return status;
}

static void touch(char *p)
{
    volatile char c = *(volatile char *)p;
    (void)c;
}

/* A mapping of dir/name truncated under it: the next access raises SIGBUS. */
static char *truncated_mapping(const char *name)
{
    int fd;
    char *p = map_file(name, &fd);
    if (!p || ftruncate(fd, 0) != 0)
        _exit(EXIT_SETUP);
    return p;
}

static void *touch_thread(void *arg)
{
    touch(arg);
    return NULL;
}

static void in_thread(char *p)
{
    pthread_t t;
    if (pthread_create(&t, NULL, touch_thread, p) != 0)
        _exit(EXIT_SETUP);
    pthread_detach(t);
}

/* A real SQLite database in WAL mode whose -shm is truncated while a thread has it mapped. */
static char wal_db[512];

static void *query_thread(void *arg)
{
    (void)arg;
    struct db *db = NULL;
    if (db_thread(wal_db, &db, NULL) != SP_OK ||
        db_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1);", NULL) != SP_OK)
        _exit(EXIT_SETUP);
    char shm[600];
    snprintf(shm, sizeof shm, "%s-shm", wal_db);
    if (truncate(shm, 0) != 0)
        _exit(EXIT_SETUP);
    db_exec(db, "INSERT INTO t VALUES (2);", NULL); /* SIGBUS: parked here */
    _exit(0);                                       /* never reached */
    return NULL;
}

static void sqlite_worker_faults(void)
{
    snprintf(wal_db, sizeof wal_db, "%s/wal.db", dir);
    int fd = open(wal_db, O_WRONLY | O_CREAT, 0600); /* db_thread() opens existing files */
    if (fd < 0)
        _exit(EXIT_SETUP);
    close(fd);
    pthread_t t;
    if (pthread_create(&t, NULL, query_thread, NULL) != 0)
        _exit(EXIT_SETUP);
    pthread_detach(t);
}

static void refused_after_the_fault(void)
{
    struct db *db = NULL;
    struct sp_error err = { 0 };
    if (!shm_guard_tripped() || db_thread(wal_db, &db, &err) != SP_EUNAVAILABLE ||
        !strstr(err.msg, "-shm file was truncated"))
        _exit(EXIT_NOT_REFUSED);
}

static void test_sqlite_worker_fault_parks_and_notifies(void)
{
    int st = run_child(sqlite_worker_faults, refused_after_the_fault);
    CHECK_EXITED_WITH(st, EXIT_NOTIFIED);
}

static void worker_faults_on_shm(void)
{
    in_thread(truncated_mapping("w.db-shm"));
}

static void test_worker_fault_on_a_shm_mapping_notifies(void)
{
    int st = run_child(worker_faults_on_shm, NULL);
    CHECK_EXITED_WITH(st, EXIT_NOTIFIED);
}

static void main_faults_on_shm(void)
{
    touch(truncated_mapping("m.db-shm"));
}

static void test_main_thread_fault_exits_1(void)
{
    int st = run_child(main_faults_on_shm, NULL);
    CHECK_EXITED_WITH(st, 1);
}

static void exit_9(void)
{
    _exit(shm_guard_tripped() ? 9 : 10);
}

static void test_main_thread_fault_runs_main_fault(void)
{
    main_fault = exit_9; /* serve: the re-exec */
    int st = run_child(main_faults_on_shm, NULL);
    main_fault = NULL;
    CHECK_EXITED_WITH(st, 9);
}

static void worker_faults_while_stopping(void)
{
    shm_guard_exit_on_fault(7);
    in_thread(truncated_mapping("s.db-shm"));
}

static void test_fault_while_stopping_exits_with_its_code(void)
{
    int st = run_child(worker_faults_while_stopping, NULL);
    CHECK_EXITED_WITH(st, 7);
}

/* The process must die of it: by the signal, or by the sanitizer's report (its exit code). */
static bool died_of_it(int st)
{
    if (WIFSIGNALED(st))
        return true;
    return WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != EXIT_NOTIFIED &&
           WEXITSTATUS(st) != EXIT_NO_SIGNAL && WEXITSTATUS(st) != EXIT_SETUP;
}

static void worker_faults_on_other_file(void)
{
    in_thread(truncated_mapping("w.db"));
}

static void test_fault_on_another_file_still_kills(void)
{
    int st = run_child(worker_faults_on_other_file, NULL);
    CHECK(died_of_it(st));
}

static void *raise_thread(void *arg)
{
    (void)arg;
    raise(SIGBUS);
    return NULL;
}

static void worker_raises_sigbus(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, raise_thread, NULL) != 0)
        _exit(EXIT_SETUP);
    pthread_detach(t);
}

static void test_sent_sigbus_still_kills(void)
{
    int st = run_child(worker_raises_sigbus, NULL);
    CHECK(died_of_it(st));
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(test_lookup_finds_shm_mappings_only);
    RUN(test_sqlite_worker_fault_parks_and_notifies);
    RUN(test_worker_fault_on_a_shm_mapping_notifies);
    RUN(test_main_thread_fault_exits_1);
    RUN(test_main_thread_fault_runs_main_fault);
    RUN(test_fault_while_stopping_exits_with_its_code);
    RUN(test_fault_on_another_file_still_kills);
    RUN(test_sent_sigbus_still_kills);
    if (check_rmtree(dir) != 0)
        return 1;
    return check_report("test_shm_guard");
}
