/* storage/store_writer.c: group commit on one writer thread (see store_writer.h).
 *
 * Loop: wait for jobs; take every queued job (up to STORE_BATCH_MAX); take the process write
 * lock; BEGIN IMMEDIATE; for each job SAVEPOINT / run / RELEASE (or ROLLBACK TO + RELEASE when
 * the job failed); COMMIT; release the lock; hand the batch to the syncer. If SQLite rolls the
 * whole transaction back under a job (disk full, I/O error), the jobs whose changes were in it
 * are told so and a new transaction starts for the rest of the batch. If BEGIN fails (locked by
 * another process for the whole busy timeout), the jobs of the batch fail with that code and
 * no job runs.
 *
 * Pipelined sync (synchronous=FULL, the default): the writer's own connection commits with
 * synchronous=NORMAL (SQLite writes the WAL frames but does not fsync them at COMMIT; it still
 * syncs the WAL before every checkpoint and its header at every restart), and a second thread,
 * the syncer, fdatasync()s the WAL file itself, then runs the done callbacks of every batch that
 * fsync covered. So a reply still leaves only once its changes are on disk, but the writer runs
 * the next batch while the previous one is being synced, and one fsync can cover several
 * batches. With SPROUT_SYNC=normal there is no syncer wait: done callbacks run at once.
 * Background checkpoints: a third thread, the checkpointer, copies the WAL into the database
 * file (a PASSIVE checkpoint on its own connection: it never blocks the writer) each time the
 * writer's commits have added checkpoint_frames [10000] frames, so the writer no longer stops
 * for the copy and its two fsyncs (about 10 ms every 1000 frames when the writer did it
 * itself: 20-40 % of its time under answer_post load, and the p99 of the write scenarios). A
 * page written again and again (index ends, the table's last page) is copied once per
 * checkpoint, so 2000 frames copy ~20 % fewer pages than 1000 did, and 10000 fewer still (less
 * for the disk to write beside the WAL: +13 % answers/s against 2000). SQLite restarts the WAL
 * from its beginning only at a write transaction that starts when every frame has been
 * copied, which a copy racing the writer seldom sees under load; so at restart_frames [20000]
 * the checkpointer makes one more copy (and more, each shorter, until at most 128 frames are
 * left), and when it is done the writer, before its next batch (the one it committed is
 * already with the syncer), copies the few frames written meanwhile itself and the next batch
 * restarts the WAL. Each copy of the checkpointer's starts the write-back of the pages it
 * copied, so the fsync of the writer's copy has little to flush. Past twice that, or half the
 * WAL bound, or without a checkpointer, the writer checkpoints itself at once, as it always did.
 * Thread model: the queues are guarded by q_lock and s_lock; the batch runs on the writer
 * thread; the WAL fd and the done callbacks belong to the syncer thread; c_lock guards the
 * checkpointer's flags.
 */
#include "storage/store_writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h> /* the group-commit writer is SQLite's: WAL hook, checkpoints */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/pg.h"
#include "storage/store_jobq.h"
#include "storage/store_pgwriter.h"
#include "storage/store_sql.h"

static bool running;
static pthread_t writer;
static const char *writer_db_path;
static _Thread_local bool in_batch;
static atomic_ullong n_batches, n_busy, n_syncs;

/* The syncer: batches committed but not yet fsynced, in commit order. */
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_cond = PTHREAD_COND_INITIALIZER;  /* a batch was committed */
static pthread_cond_t s_taken = PTHREAD_COND_INITIALIZER; /* the syncer took the batches */
static struct store_job *s_head, *s_tail;
static bool s_stopping, s_running;
static pthread_t syncer;
static bool pipelined;  /* set at start: FULL durability through the syncer */
static int wal_fd = -1; /* syncer thread only */
static dev_t wal_dev;
static ino_t wal_ino;

/* The checkpointer (see above). */
static pthread_mutex_t c_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_kick = PTHREAD_COND_INITIALIZER; /* a checkpoint is wanted */
static pthread_cond_t c_idle = PTHREAD_COND_INITIALIZER; /* a checkpoint has finished */
static bool c_wanted, c_busy, c_stopping, c_running;
static unsigned long long c_rounds; /* checkpoints the checkpointer has finished */
static pthread_t checkpointer;
static atomic_ullong n_bg_checkpoints, n_writer_checkpoints;

/* WAL watch (issue 8): the writer's connection checkpoints itself (its own wal hook instead of
 * wal_autocheckpoint) and notices when a checkpoint cannot finish (the database file cannot
 * be written, a reader holds an old snapshot for ever): the problem is logged and shown by
 * /api/health, and past wal_max_bytes the writer refuses batches (SP_EIO) until a checkpoint
 * gets through, so the WAL stays bounded. */
static int checkpoint_frames = 10000; /* a background copy per this many new WAL frames */
static int restart_frames = 20000;    /* the writer checkpoints (and the WAL restarts) here */
static long long wal_max_bytes = 1024LL * 1024 * 1024;
static pthread_mutex_t wal_lock = PTHREAD_MUTEX_INITIALIZER;
static char wal_problem[256];          /* "" when fine */
static bool wal_refusing;              /* writer thread only */
static int kicked_at;                  /* writer thread only: WAL frames at the last kick */
static bool restart_due;               /* writer thread only: checkpoint before next batch */
static int due_frames;                 /* writer thread only: the WAL's frames then */
static unsigned long long restart_gen; /* writer thread only: restart after this round */
static int restart_rounds;             /* writer thread only: extra copies for this restart */
static _Atomic int bg_backfilled;      /* WAL frames copied by the checkpointer's last copy */
/* The WAL restart waits for the writer's own copy of what the checkpointer's last copy left;
 * while more than RESTART_TAIL_FRAMES are left, the checkpointer copies once more (at most
 * RESTART_ROUNDS_MAX times): each copy is shorter than the one before, since copying outpaces
 * the writer, and the writer's stall shrinks to the last few frames. */
enum { RESTART_TAIL_FRAMES = 128, RESTART_ROUNDS_MAX = 4 };
static _Atomic long long page_size = 4096; /* read by the checkpointer too */

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_SP[] = "SAVEPOINT sprout_request";
static const char SQL_RELEASE[] = "RELEASE sprout_request";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO sprout_request";

bool store_writer_in_batch(void)
{
    return in_batch || store_pgwriter_in_batch();
}

bool store_writer_provisional(void)
{
    return store_pgwriter_optimistic();
}

static int step_static(struct db *db, const char *sql)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    if (!st)
        return sp_error_set(NULL, SP_EDB, "prepare");
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return SP_OK;
    return db_error(db, rc, NULL, sql);
}

static void set_wal_problem(const char *msg)
{
    pthread_mutex_lock(&wal_lock);
    bool changed = strcmp(wal_problem, msg) != 0;
    snprintf(wal_problem, sizeof wal_problem, "%s", msg);
    pthread_mutex_unlock(&wal_lock);
    if (changed && *msg)
        fprintf(stderr, "database: %s\n", msg);
    else if (changed)
        fprintf(stderr, "database: the WAL is checkpointed again\n");
}

/* A PASSIVE checkpoint; true when every frame of the WAL reached the database file. The writer's
 * (by_writer) also decides whether batches are refused; the checkpointer's only reports. */
static bool checkpoint(sqlite3 *h, int frames_hint, bool by_writer)
{
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    /* The checkpointer's copy may meet the writer in the middle of a commit (SQLITE_BUSY while
     * it reads the WAL index): it tries again a few times, then leaves it to the next copy
     * (or the writer's own) without reporting a problem. */
    for (int i = 0; rc == SQLITE_BUSY && !by_writer && i < 5; i++) {
        usleep(1000);
        rc = sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    }
    if (rc == SQLITE_BUSY && !by_writer)
        return false;
    if (!by_writer && rc == SQLITE_OK)
        atomic_store(&bg_backfilled, done);
    if (log < frames_hint)
        log = frames_hint;
    long long bytes = (long long)log * page_size;
    char msg[256];
    if (rc != SQLITE_OK) {
        snprintf(msg, sizeof msg, "the WAL (%lld MiB) cannot be checkpointed: %s", bytes >> 20,
                 sqlite3_errstr(rc));
    } else if (done < log && bytes >= wal_max_bytes / 2) {
        snprintf(msg, sizeof msg,
                 "the WAL (%lld MiB) cannot be checkpointed: %d of %d pages are "
                 "held back by a reader",
                 bytes >> 20, log - done, log);
    } else {
        set_wal_problem("");
        if (by_writer)
            wal_refusing = false;
        return true;
    }
    set_wal_problem(msg);
    if (by_writer)
        wal_refusing = bytes >= wal_max_bytes;
    return false;
}

/* Writer thread: ask the checkpointer for a copy; false when it is not running. */
static bool kick_checkpointer(void)
{
    pthread_mutex_lock(&c_lock);
    bool ok = c_running && !c_stopping;
    if (ok && !c_wanted) { /* while it copies, it runs once more afterwards */
        c_wanted = true;
        pthread_cond_signal(&c_kick);
    }
    pthread_mutex_unlock(&c_lock);
    return ok;
}

/* Writer thread: ask the checkpointer for a copy that starts from now; the value c_rounds will
 * have when that copy is done (0: the checkpointer is not running). */
static unsigned long long kick_for_restart(void)
{
    pthread_mutex_lock(&c_lock);
    unsigned long long gen = 0;
    if (c_running && !c_stopping) {
        /* a copy under way started before now: the one after it is ours */
        gen = c_rounds + (c_busy ? 2 : 1);
        c_wanted = true;
        pthread_cond_signal(&c_kick);
    }
    pthread_mutex_unlock(&c_lock);
    return gen;
}

static unsigned long long checkpointer_rounds(void)
{
    pthread_mutex_lock(&c_lock);
    unsigned long long n = c_rounds;
    pthread_mutex_unlock(&c_lock);
    return n;
}

/* Writer thread: wait until the checkpointer is not copying (two checkpoints cannot run at
 * once: the second would give up with SQLITE_BUSY). */
static void wait_checkpointer_idle(void)
{
    pthread_mutex_lock(&c_lock);
    while (c_busy)
        pthread_cond_wait(&c_idle, &c_lock);
    pthread_mutex_unlock(&c_lock);
}

/* Checkpointer thread, after each copy. SQLite fsyncs the database file only at a copy that
 * reaches the end of the WAL, which a copy racing the writer never does: every page copied
 * since the last WAL restart was left for the writer's own copy at the restart to flush, while
 * every write request waited (5-10 ms at 20k writes/s, the p99 of the write scenarios). So the
 * checkpointer starts the write-back of what it copied at once (no wait, no cache flush: the
 * syncer's WAL fsyncs are not queued behind one), and the fsync at the restart finds little
 * left to write. Only a hint: SQLite's own fsync before the WAL is reused is what makes the
 * copies durable, as before. */
static void start_db_writeback(void)
{
    int fd = open(writer_db_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    close(fd);
}

static void *checkpointer_main(void *arg)
{
    (void)arg;
    struct db *db = NULL;
    for (;;) {
        pthread_mutex_lock(&c_lock);
        while (!c_wanted && !c_stopping)
            pthread_cond_wait(&c_kick, &c_lock);
        if (c_stopping) {
            pthread_mutex_unlock(&c_lock);
            break;
        }
        c_wanted = false;
        c_busy = true;
        pthread_mutex_unlock(&c_lock);
        /* not after a -shm fault (store_db_fault): the WAL index is gone */
        if (!store_db_fault() && (db || db_thread(writer_db_path, &db, NULL) == SP_OK)) {
            checkpoint(db_handle(db), 0, false);
            start_db_writeback();
            atomic_fetch_add_explicit(&n_bg_checkpoints, 1, memory_order_relaxed);
        }
        pthread_mutex_lock(&c_lock);
        c_busy = false;
        c_rounds++;
        pthread_cond_broadcast(&c_idle);
        pthread_mutex_unlock(&c_lock);
    }
    return NULL;
}

static int wal_hook(void *cls, sqlite3 *h, const char *name, int frames)
{
    (void)cls;
    (void)name;
    bool big = (long long)frames * page_size >= wal_max_bytes / 2;
    if (frames < checkpoint_frames && !big)
        return SQLITE_OK;
    due_frames = frames;
    if (frames < kicked_at) /* the WAL was restarted */
        kicked_at = 0;
    if (!big && frames < restart_frames) {
        /* one background copy per checkpoint_frames new frames (pages written again
         * meanwhile are copied once) */
        if (frames - kicked_at < checkpoint_frames)
            return SQLITE_OK;
        if (kick_checkpointer()) {
            kicked_at = frames;
            return SQLITE_OK;
        }
    } else if (!big && frames < 2 * restart_frames) {
        /* Time to restart the WAL: first the checkpointer copies all but what is written while
         * it copies, then (writer_checkpoint) the writer copies that little rest itself. */
        if (restart_gen == 0)
            restart_gen = kick_for_restart();
        if (restart_gen != 0)
            return SQLITE_OK;
    }
    (void)h;
    restart_due = true; /* before the next batch: this one is handed to the syncer first */
    return SQLITE_OK;
}

/* Writer thread, between batches: the writer's own checkpoint (restart_due), or another try
 * while refusing batches; false when the next batch must be refused (SP_EIO). */
static bool writer_checkpoint(sqlite3 *h)
{
    if (restart_gen != 0 && checkpointer_rounds() >= restart_gen) {
        unsigned long long again = 0;
        if (due_frames - atomic_load(&bg_backfilled) > RESTART_TAIL_FRAMES &&
            restart_rounds < RESTART_ROUNDS_MAX)
            again = kick_for_restart();
        if (again != 0) {
            restart_gen = again;
            restart_rounds++;
        } else {
            restart_due = true;
        }
    }
    if (!restart_due && !wal_refusing)
        return true;
    wait_checkpointer_idle();
    bool ok = checkpoint(h, restart_due ? due_frames : 0, true);
    restart_due = false;
    restart_gen = 0;
    restart_rounds = 0;
    kicked_at = 0;
    atomic_fetch_add_explicit(&n_writer_checkpoints, 1, memory_order_relaxed);
    return ok || !wal_refusing;
}

void store_writer_set_wal_max(long long bytes)
{
    if (bytes > 0)
        wal_max_bytes = bytes;
}

void store_writer_set_checkpoint_frames(int every, int restart)
{
    if (every > 0 && restart > every) {
        checkpoint_frames = every;
        restart_frames = restart;
    }
}

bool store_writer_wal_problem(char *buf, size_t size)
{
    pthread_mutex_lock(&wal_lock);
    bool bad = wal_problem[0] != '\0';
    if (bad && buf && size)
        snprintf(buf, size, "%s", wal_problem);
    pthread_mutex_unlock(&wal_lock);
    return bad;
}

static void to_syncer(struct store_job *jobs)
{
    struct store_job *last = jobs;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&s_lock);
    if (s_tail)
        s_tail->next = jobs;
    else
        s_head = jobs;
    s_tail = last;
    pthread_cond_signal(&s_cond);
    pthread_mutex_unlock(&s_lock);
}

/* fsync the directory that holds path (a new WAL file's name must survive a power cut too). */
static int sync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/* A descriptor of the WAL file (dev, ino) that this process already has open: SQLite's own
 * (the writer's connection opened it read-write). For a WAL the syncer may not open by path
 * (made root-owned 0400 after SQLite opened it: fdatasync needs no write access, but open()
 * needs read access). Each candidate in /proc/self/fd is dup()ed, then checked with fstat():
 * a number closed and reused by another thread meanwhile is a different file and is skipped,
 * so the result is an independent descriptor of the WAL itself, or -1. (Not SQLite's
 * sqlite3_file of the WAL, SQLITE_FCNTL_JOURNAL_POINTER: its xSync is not safe from another
 * thread while the writer uses the connection (unixSync updates the file object unlocked), and
 * the pointer dies with the connection.) Closing the duplicate later drops no SQLite lock: in
 * WAL mode SQLite locks the database and -shm files, never the -wal. */
static int dup_open_wal(dev_t dev, ino_t ino)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int found = -1, own = dirfd(d);
    struct dirent *e;
    while (found < 0 && (e = readdir(d)) != NULL) {
        char *end;
        long n = strtol(e->d_name, &end, 10);
        if (*end != '\0' || end == e->d_name || n < 0 || n > INT_MAX || (int)n == own)
            continue;
        int fd = fcntl((int)n, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            continue;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == dev && st.st_ino == ino)
            found = fd;
        else
            close(fd);
    }
    closedir(d);
    return found;
}

/* Make everything the writer committed so far durable: fdatasync the WAL file (the one now at
 * the path: reopened when SQLite replaced it; when it cannot be opened by path, a duplicate of
 * SQLite's own descriptor of it). 0 or an errno value. */
static int sync_wal(void)
{
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", writer_db_path);
    struct stat st;
    if (stat(wal, &st) != 0)
        return errno == ENOENT ? 0 : errno; /* no WAL: every commit is checkpointed and synced */
    if (wal_fd < 0 || st.st_dev != wal_dev || st.st_ino != wal_ino) {
        if (wal_fd >= 0)
            close(wal_fd);
        wal_fd = open(wal, O_RDONLY | O_CLOEXEC);
        if (wal_fd < 0) {
            int e = errno;
            if (e == EACCES || e == EPERM)
                wal_fd = dup_open_wal(st.st_dev, st.st_ino);
            if (wal_fd < 0)
                return e;
        }
        if (fstat(wal_fd, &st) != 0 || sync_dir_of(wal) != 0) {
            int e = errno;
            close(wal_fd);
            wal_fd = -1;
            return e ? e : EIO;
        }
        wal_dev = st.st_dev;
        wal_ino = st.st_ino;
    }
    atomic_fetch_add_explicit(&n_syncs, 1, memory_order_relaxed);
    return fdatasync(wal_fd) == 0 ? 0 : errno;
}

static void *syncer_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&s_lock);
        while (!s_head && !s_stopping)
            pthread_cond_wait(&s_cond, &s_lock);
        struct store_job *jobs = s_head;
        s_head = s_tail = NULL;
        pthread_cond_signal(&s_taken);
        pthread_mutex_unlock(&s_lock);
        if (!jobs)
            break;
        bool any = false;
        for (struct store_job *j = jobs; j; j = j->next)
            any |= j->rc == SP_OK;
        int e = any ? sync_wal() : 0;
        if (e != 0) {
            /* Committed, but maybe not on disk: never acknowledge it as saved. */
            fprintf(stderr, "database: cannot sync the WAL: %s\n", strerror(e));
            for (struct store_job *j = jobs; j; j = j->next)
                if (j->rc == SP_OK)
                    j->rc = e == ENOSPC ? SP_ENOSPACE : SP_EIO;
        }
        store_jobq_complete(jobs);
    }
    if (wal_fd >= 0)
        close(wal_fd);
    wal_fd = -1;
    return NULL;
}

static void run_batch(struct store_job *jobs)
{
    struct db *db = NULL;
    int rc = db_thread(writer_db_path, &db, NULL);
    if (rc == SP_OK) {
        sqlite3 *wh = db_handle(db);
        static _Thread_local sqlite3 *hooked;
        if (hooked != wh) { /* a new (or reopened) connection */
            sqlite3_wal_hook(wh, wal_hook, NULL);
            sqlite3_stmt *ps = NULL;
            if (sqlite3_prepare_v2(wh, "PRAGMA page_size", -1, &ps, NULL) == SQLITE_OK &&
                sqlite3_step(ps) == SQLITE_ROW)
                page_size = sqlite3_column_int64(ps, 0);
            sqlite3_finalize(ps);
            if (pipelined) /* the syncer fsyncs the WAL before any reply (see above) */
                sqlite3_exec(wh, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
            hooked = wh;
        }
        if (!writer_checkpoint(wh))
            rc = SP_EIO;
    }
    store_write_lock();
    in_batch = true;
    if (rc == SP_OK)
        rc = step_static(db, SQL_BEGIN);
    if (rc != SP_OK) {
        if (rc == SP_EBUSY)
            atomic_fetch_add_explicit(&n_busy, 1, memory_order_relaxed);
        for (struct store_job *j = jobs; j; j = j->next)
            j->rc = rc;
        goto finish;
    }
    sqlite3 *h = db_handle(db);
    struct store_job *open_from = jobs; /* first job whose changes are in the open transaction */
    for (struct store_job *j = jobs; j; j = j->next) {
        if (sqlite3_get_autocommit(h)) { /* the previous job's transaction was rolled back */
            if ((rc = step_static(db, SQL_BEGIN)) != SP_OK) {
                for (struct store_job *k = j; k; k = k->next)
                    k->rc = rc;
                break;
            }
            open_from = j;
        }
        j->rc = step_static(db, SQL_SP);
        if (j->rc != SP_OK)
            continue;
        j->rc = j->run(j->arg);
        if (sqlite3_get_autocommit(h)) {
            store_jobq_lose(open_from, j->next, j->rc != SP_OK ? j->rc : SP_EIO);
            open_from = j->next;
            continue;
        }
        if (j->rc != SP_OK)
            step_static(db, SQL_ROLLBACK_TO);
        step_static(db, SQL_RELEASE);
    }
    if (!sqlite3_get_autocommit(h)) {
        rc = step_static(db, SQL_COMMIT);
        if (rc != SP_OK) {
            db_rollback(db);
            store_jobq_lose(open_from, NULL, rc);
        }
    }
finish:
    in_batch = false;
    store_write_unlock();
    atomic_fetch_add_explicit(&n_batches, 1, memory_order_relaxed);
    if (pipelined) {
        to_syncer(jobs);
        return;
    }
    store_jobq_complete(jobs);
}

/* Pipelined: wait until the syncer has taken every committed batch (it is syncing the last
 * one, or idle) before the next batch starts. One batch executes while one is synced: the
 * requests that arrive meanwhile queue and form the next batch, instead of many small commits
 * that each write the same pages to the WAL again. */
static void wait_syncer_caught_up(void)
{
    pthread_mutex_lock(&s_lock);
    while (s_head)
        pthread_cond_wait(&s_taken, &s_lock);
    pthread_mutex_unlock(&s_lock);
}

static void *writer_main(void *arg)
{
    (void)arg;
    for (;;) {
        if (pipelined)
            wait_syncer_caught_up();
        struct store_job *batch = store_jobq_take(STORE_BATCH_MAX);
        if (!batch)
            break;
        run_batch(batch);
    }
    return NULL;
}

static void stop_checkpointer(void)
{
    if (!c_running)
        return;
    pthread_mutex_lock(&c_lock);
    c_stopping = true;
    pthread_cond_signal(&c_kick);
    pthread_mutex_unlock(&c_lock);
    pthread_join(checkpointer, NULL);
    c_running = false;
}

static void stop_syncer(void)
{
    if (!s_running)
        return;
    pthread_mutex_lock(&s_lock);
    s_stopping = true;
    pthread_cond_signal(&s_cond);
    pthread_mutex_unlock(&s_lock);
    pthread_join(syncer, NULL);
    s_running = false;
}

int store_writer_start(const char *db_path, struct sp_error *err)
{
    if (running || store_pgwriter_running())
        return SP_OK;
    if (pg_is_url(db_path))
        return store_pgwriter_start(db_path, err);
    writer_db_path = db_path;
    store_jobq_open();
    kicked_at = 0;
    restart_due = false;
    restart_gen = 0;
    restart_rounds = 0;
    pipelined = !db_sync_is_normal() && strcmp(db_path, ":memory:") != 0;
    if (pipelined) {
        s_stopping = false;
        int e = pthread_create(&syncer, NULL, syncer_main, NULL);
        if (e != 0)
            return sp_error_set(err, SP_ENOMEM, "cannot start the syncer thread: %s", strerror(e));
        pthread_setname_np(syncer, "sprout-syncer"); /* named for top -H, ps -L, gdb */
        s_running = true;
    }
    if (strcmp(db_path, ":memory:") != 0) {
        c_stopping = c_wanted = c_busy = false;
        int ce = pthread_create(&checkpointer, NULL, checkpointer_main, NULL);
        if (ce == 0)
            pthread_setname_np(checkpointer, "sprout-ckpt");
        c_running = ce == 0; /* without it, the writer checkpoints itself, as before */
    }
    int e = pthread_create(&writer, NULL, writer_main, NULL);
    if (e != 0) {
        stop_checkpointer();
        stop_syncer();
        return sp_error_set(err, SP_ENOMEM, "cannot start the writer thread: %s", strerror(e));
    }
    pthread_setname_np(writer, "sprout-writer");
    running = true;
    return SP_OK;
}

void store_writer_stop(void)
{
    store_pgwriter_stop();
    if (!running)
        return;
    store_jobq_stop();
    pthread_join(writer, NULL);
    stop_syncer(); /* after the writer: it syncs and answers every batch still waiting */
    stop_checkpointer();
    running = false;
}

bool store_writer_running(void)
{
    return running || store_pgwriter_running();
}

void store_writer_submit(struct store_job *job)
{
    store_jobq_push(job);
}

void store_writer_stats(struct store_writer_stats *out)
{
    out->jobs = store_jobq_completed();
    out->batches =
        atomic_load_explicit(&n_batches, memory_order_relaxed) + store_pgwriter_batches();
    out->busy_failures = atomic_load_explicit(&n_busy, memory_order_relaxed);
    out->syncs = atomic_load_explicit(&n_syncs, memory_order_relaxed);
    out->checkpoints_bg = atomic_load_explicit(&n_bg_checkpoints, memory_order_relaxed);
    out->checkpoints_writer = atomic_load_explicit(&n_writer_checkpoints, memory_order_relaxed);
}
