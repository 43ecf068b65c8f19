/* db/shm_guard.c: the SIGBUS handler for a truncated -shm and its /proc/self/maps lookup (see
 * shm_guard.h). Everything the handler calls is async-signal-safe: open, read, close, write,
 * sigaction, raise, kill/tgkill, sigsuspend, _exit, and atomics that are lock-free.
 * Thread model: installed once by the main thread before any other thread starts; the lookup's
 * static buffer is guarded by a spin flag (two threads may fault at once).
 */
#include "db/shm_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct sigaction previous; /* the action before ours: a foreign SIGBUS goes there */
static int notify_sig;
static void (*main_fault_fn)(void);
static atomic_bool tripped;
static atomic_int exit_code = -1; /* >= 0: a fault ends the process with it (shutdown) */
static atomic_flag notified = ATOMIC_FLAG_INIT;

/* ---- the maps lookup ---- */

static atomic_flag maps_busy = ATOMIC_FLAG_INIT;
/* Lines of /proc/self/maps: "start-end perms offset dev inode   path"; the path may hold
 * spaces and is the longest part (PATH_MAX), so the buffer holds two of them. */
static char maps_buf[16384];

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* A hex number at *p (advanced past it); false when there is none. */
static bool hex(const char **p, const char *end, uintptr_t *out)
{
    uintptr_t v = 0;
    const char *s = *p;
    for (; s < end; s++) {
        int d = *s >= '0' && *s <= '9'   ? *s - '0'
                : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
                                         : -1;
        if (d < 0)
            break;
        v = v * 16 + (uintptr_t)d;
    }
    if (s == *p)
        return false;
    *p = s;
    *out = v;
    return true;
}

/* One line (without its newline): -1 = addr is not in its range, else 1 when the mapping is of
 * a file named *-shm, 0 otherwise. */
static int maps_line(const char *line, size_t n, uintptr_t addr)
{
    const char *p = line, *end = line + n;
    uintptr_t lo, hi;
    if (!hex(&p, end, &lo) || p >= end || *p++ != '-' || !hex(&p, end, &hi))
        return -1;
    if (addr < lo || addr >= hi)
        return -1;
    const char *path = memchr(p, '/', (size_t)(end - p)); /* the fields before hold no '/' */
    if (!path)
        return 0;
    size_t len = (size_t)(end - path);
    return ends_with(path, len, "-shm") || ends_with(path, len, "-shm (deleted)");
}

bool shm_guard_addr_in_shm(const void *addr)
{
    struct timespec pause_ts = { 0, 1000 * 1000 };
    while (atomic_flag_test_and_set(&maps_busy))
        nanosleep(&pause_ts, NULL);
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    int found = -1; /* maps_line() of the line whose range holds addr */
    if (fd >= 0) {
        size_t have = 0;
        bool skipping = false; /* the rest of a line too long for the buffer */
        for (;;) {
            ssize_t r = read(fd, maps_buf + have, sizeof maps_buf - have);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) { /* the end (or an error): a last line without its newline */
                if (have && !skipping)
                    found = maps_line(maps_buf, have, (uintptr_t)addr);
                break;
            }
            have += (size_t)r;
            size_t start = 0;
            for (size_t i = 0; i < have && found < 0; i++) {
                if (maps_buf[i] != '\n')
                    continue;
                if (!skipping)
                    found = maps_line(maps_buf + start, i - start, (uintptr_t)addr);
                skipping = false;
                start = i + 1;
            }
            if (found >= 0)
                break;
            if (start == 0 && have == sizeof maps_buf) {
                skipping = true;
                have = 0;
            } else {
                memmove(maps_buf, maps_buf + start, have - start);
                have -= start;
            }
        }
        close(fd);
    }
    atomic_flag_clear(&maps_busy);
    return found == 1;
}

/* ---- the handler ---- */

static void say(const char *s)
{
    ssize_t r = write(STDERR_FILENO, s, strlen(s));
    (void)r;
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    bool fault = si && si->si_code > 0; /* raised by the kernel for an access, not sent */
    if (!fault || !shm_guard_addr_in_shm(si->si_addr)) {
        /* not ours: the previous action takes it (a fault repeats into it once we return) */
        sigaction(SIGBUS, &previous, NULL);
        if (!fault)
            raise(sig);
        errno = saved;
        return;
    }
    atomic_store(&tripped, true);
    int code = atomic_load(&exit_code);
    bool main_thread = (pid_t)syscall(SYS_gettid) == getpid();
    if (code >= 0 || (main_thread && !main_fault_fn)) {
        say("database: SIGBUS: the database's -shm file was truncated by another program; "
            "stopping now (every acknowledged write is in the WAL or the database: the next "
            "start rebuilds the -shm from it)\n");
        _exit(code >= 0 ? code : 1);
    }
    if (main_thread) {
        say("database: SIGBUS: the database's -shm file was truncated by another program "
            "while the server was starting; it restarts to rebuild it from the WAL\n");
        main_fault_fn();
        _exit(1);
    }
    if (!atomic_flag_test_and_set(&notified)) {
        say("database: SIGBUS: the database's -shm file was truncated by another program; the "
            "thread that touched it stops here, the server restarts to rebuild it from the "
            "WAL\n");
        syscall(SYS_tgkill, getpid(), getpid(), notify_sig); /* the main thread, in sigwait */
    }
    sigset_t all;
    sigfillset(&all);
    for (;;)
        sigsuspend(&all); /* never returns into SQLite; exec or exit ends the thread */
}

int shm_guard_install(int sig, void (*main_fault)(void), struct sp_error *err)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sp_error_set(err, SP_EIO, "cannot read /proc/self/maps: %s", strerror(errno));
    close(fd);
    notify_sig = sig;
    main_fault_fn = main_fault;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &previous) != 0)
        return sp_error_set(err, SP_EIO, "cannot install the SIGBUS handler: %s", strerror(errno));
    return SP_OK;
}

bool shm_guard_tripped(void)
{
    return atomic_load_explicit(&tripped, memory_order_relaxed);
}

void shm_guard_exit_on_fault(int code)
{
    atomic_store(&exit_code, code < 0 ? 0 : code);
}
