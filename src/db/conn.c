/* db/conn.c: SQLite connections, pragmas, statement cache, error mapping (see conn.h). */
#include "db/conn.h"
#include "db/dbi_pg.h"
#include "db/dbi_sqlite.h"
#include "db/pgpool.h"
#include "db/shm_guard.h"
#include "db/walvfs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#define STMT_CACHE_SIZE 256 /* power of two */

static void thread_exit_arm(void); /* per-thread connections: closed when the thread exits */
/* Per-thread connections close one at a time: SQLite checkpoints and removes the WAL only when
 * the connection closing is the last one, and two closing at once each see the other. */
static pthread_mutex_t close_lock = PTHREAD_MUTEX_INITIALIZER;

struct db {
    sqlite3 *handle;
    char *path;
    struct {
        const char *sql;
        sqlite3_stmt *st;
        struct dbi_stmt dst;
    } cache[STMT_CACHE_SIZE];
    struct db *next_thread; /* registry of db_thread() connections */
    struct dbi_pgconn *pgc; /* a PostgreSQL connection (db_open_pg): handle is NULL */
    /* A write failed with SQLITE_READONLY although the database file is writable: the
     * connection opened its -wal (or -shm) read-only (the file could not be written when the
     * connection was opened); db_thread() reopens it once the file is writable again. */
    bool side_readonly;
};

struct dbi_pgconn *db_pgconn(const struct db *db)
{
    return db->pgc;
}

int db_open_pg(const char *url, struct db **out, struct sp_error *err)
{
    *out = NULL;
    struct db *db = calloc(1, sizeof *db);
    char shown[512];
    pg_hide_password(url, shown, sizeof shown);
    if (!db || !(db->path = strdup(shown))) {
        free(db);
        return sp_error_set(err, SP_ENOMEM, "out of memory opening %s", shown);
    }
    int rc = dbi_pg_conn_open(url, &db->pgc, err);
    if (rc != SP_OK) {
        free(db->path);
        free(db);
        return rc;
    }
    *out = db;
    return SP_OK;
}

int db_error(struct db *db, int sqlite_rc, struct sp_error *err, const char *what)
{
    const char *msg = db && db->handle ? sqlite3_errmsg(db->handle) : sqlite3_errstr(sqlite_rc);
    int primary = sqlite_rc & 0xff, sys;
    if (primary == SQLITE_READONLY && db && db->handle &&
        sqlite3_db_readonly(db->handle, "main") == 0)
        db->side_readonly = true;
    int code;
    switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return sp_error_set(
            err, SP_EBUSY,
            "%s: SQLITE_BUSY: database is locked (%s). Another process holds a lock on %s. "
            "Close any SQLite browser tools, make sure only one sprout server (or backend) is "
            "running on this database, check for abandoned connections, then try again.",
            what, msg, db && db->path ? db->path : "the database");
    case SQLITE_CONSTRAINT:
        code = (sqlite_rc == SQLITE_CONSTRAINT_NOTNULL || sqlite_rc == SQLITE_CONSTRAINT_CHECK)
                   ? SP_EINVAL
                   : SP_ECONFLICT;
        break;
    case SQLITE_NOMEM: code = SP_ENOMEM; break;
    case SQLITE_IOERR:
        /* an I/O error from a full disk that SQLite does not report as SQLITE_FULL, e.g. the
         * WAL index (-shm) that cannot be created or grown: SQLITE_IOERR_SHMSIZE */
        sys = db && db->handle ? sqlite3_system_errno(db->handle) : 0;
        if (sys == ENOSPC || sys == EDQUOT)
            return sp_error_set(err, SP_ENOSPACE, "%s: %s (%s)", what, msg, strerror(sys));
        code = SP_EIO;
        break;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM: code = SP_EIO; break;
    case SQLITE_FULL: code = SP_ENOSPACE; break;
    case SQLITE_TOOBIG: code = SP_ETOOBIG; break;
    default: code = SP_EDB;
    }
    return sp_error_set(err, code, "%s: %s", what, msg);
}

/* synchronous=FULL unless the process chose NORMAL (cli: SPROUT_SYNC=normal) before opening
 * any connection. */
static bool sync_normal;

void db_set_sync_normal(bool normal)
{
    sync_normal = normal;
}

bool db_sync_is_normal(void)
{
    return sync_normal;
}

/* The "unix-excl" VFS instead of "unix" (cli: SPROUT_DB_LOCK=exclusive): SQLite keeps the
 * WAL index in this process's heap instead of mapping the -shm file, so no fault of that file
 * (truncated, unwritable) can raise SIGBUS; the process holds an exclusive lock on the database
 * file while it has it open, so other programs cannot open it meanwhile (docs/SERVER.md). */
static bool lock_exclusive;

void db_set_lock_exclusive(bool exclusive)
{
    lock_exclusive = exclusive;
}

static int busy_timeout_ms = DB_BUSY_TIMEOUT_MS_DEFAULT; /* set before threads start */

void db_set_busy_timeout_ms(int ms)
{
    busy_timeout_ms = ms < 0 ? 0 : ms;
}

int db_open(const char *path, unsigned flags, struct db **out, struct sp_error *err)
{
    *out = NULL;
    struct stat st;
    if (!(flags & DB_OPEN_CREATE) && stat(path, &st) != 0)
        return sp_error_set(err, SP_ENOTFOUND,
                            "database %s does not exist (run `sprout db migrate` to create it)",
                            path);
    if ((flags & DB_OPEN_CREATE) && !(flags & DB_OPEN_READONLY) && strcmp(path, ":memory:") != 0) {
        /* Create a missing database file 0600 ourselves (SQLite would use 0644 minus the umask):
         * it holds the learners' data. SQLite gives the -wal and -shm files the database
         * file's permissions. An empty file is a valid empty database. */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    struct db *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        return sp_error_set(err, SP_ENOMEM, "out of memory opening %s", path);
    }
    int oflags = SQLITE_OPEN_NOMUTEX;
    oflags |= (flags & DB_OPEN_READONLY)
                  ? SQLITE_OPEN_READONLY
                  : SQLITE_OPEN_READWRITE | ((flags & DB_OPEN_CREATE) ? SQLITE_OPEN_CREATE : 0);
    const char *vfs = NULL;
    if (strcmp(path, ":memory:") != 0) {
        vfs = walvfs_name(lock_exclusive);
        if (!vfs && lock_exclusive)
            vfs = "unix-excl";
    }
    int rc = sqlite3_open_v2(path, &db->handle, oflags, vfs);
    if (rc != SQLITE_OK) {
        int code = db_error(db, rc, err, path);
        db_close(db);
        return code;
    }
    sqlite3_extended_result_codes(db->handle, 1);
    sqlite3_db_config(db->handle, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)0);
    sqlite3_db_config(db->handle, SQLITE_DBCONFIG_DQS_DML, 0, (int *)0);
    sqlite3_busy_timeout(db->handle, busy_timeout_ms);
    const char *pragmas =
        (flags & (DB_OPEN_NO_WAL | DB_OPEN_READONLY)) ? "PRAGMA foreign_keys=ON;"
        : sync_normal
            ? "PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            : "PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";
    rc = db_exec(db, pragmas, err);
    if (rc != SP_OK) {
        sp_error_prefix(err, rc, "opening %s", path);
        db_close(db);
        return rc;
    }
    *out = db;
    return SP_OK;
}

int db_check_wal_files(const char *path, struct sp_error *err)
{
    if (!path || strcmp(path, ":memory:") == 0)
        return SP_OK;
    static const struct {
        const char *suffix, *advice;
    } side[] = {
        { "-wal", "it holds committed writes: do not delete it" },
        { "-shm",
          "or delete it while no program has the database open: it is rebuilt from "
          "the WAL" },
    };
    for (size_t i = 0; i < sizeof side / sizeof side[0]; i++) {
        if (i == 1 && lock_exclusive)
            continue;
        char file[4096];
        if (snprintf(file, sizeof file, "%s%s", path, side[i].suffix) >= (int)sizeof file)
            continue;
        struct stat st;
        if (stat(file, &st) != 0 || faccessat(AT_FDCWD, file, W_OK, AT_EACCESS) == 0)
            continue;
        return sp_error_set(err, SP_EIO,
                            "%s (owner uid %u, mode %04o) cannot be written by this process (uid "
                            "%u): make it writable like the database (%s), then start again",
                            file, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
                            (unsigned)geteuid(), side[i].advice);
    }
    return SP_OK;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++)
        sqlite3_finalize(db->cache[i].st);
    sqlite3_close_v2(db->handle);
    dbi_pg_conn_close(db->pgc);
    free(db->path);
    free(db);
}

sqlite3 *db_handle(struct db *db)
{
    return db->handle;
}
const char *db_errmsg(struct db *db)
{
    return sqlite3_errmsg(db->handle);
}

/* The cache slot of sql (prepared on a miss), or NULL when the cache is full or preparing
 * failed (*failed set). */
static size_t cache_slot(struct db *db, const char *sql, bool *failed)
{
    *failed = false;
    size_t h = ((uintptr_t)sql >> 4) * 2654435761u;
    for (size_t probe = 0; probe < STMT_CACHE_SIZE; probe++) {
        size_t i = (h + probe) & (STMT_CACHE_SIZE - 1);
        if (db->cache[i].sql == sql) {
            sqlite3_stmt *st = db->cache[i].st;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return i;
        }
        if (!db->cache[i].sql) {
            sqlite3_stmt *st = NULL;
            if (sqlite3_prepare_v3(db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
                SQLITE_OK) {
                *failed = true;
                return STMT_CACHE_SIZE;
            }
            db->cache[i].sql = sql;
            db->cache[i].st = st;
            db->cache[i].dst = (struct dbi_stmt){ .sq = st, .db = db };
            return i;
        }
    }
    return STMT_CACHE_SIZE;
}

/* cache full: fall back to a statement that lives until the next miss */
static _Thread_local sqlite3_stmt *spill;
static _Thread_local struct dbi_stmt spill_dbi;

static sqlite3_stmt *spill_prepare(struct db *db, const char *sql)
{
    sqlite3_finalize(spill);
    spill = NULL;
    sqlite3_prepare_v2(db->handle, sql, -1, &spill, NULL);
    return spill;
}

sqlite3_stmt *db_stmt(struct db *db, const char *sql)
{
    bool failed;
    size_t i = cache_slot(db, sql, &failed);
    if (i < STMT_CACHE_SIZE)
        return db->cache[i].st;
    return failed ? NULL : spill_prepare(db, sql);
}

struct dbi_stmt *db_stmt_dbi(struct db *db, const char *sql)
{
    bool failed;
    size_t i = cache_slot(db, sql, &failed);
    if (i < STMT_CACHE_SIZE)
        return &db->cache[i].dst;
    if (failed || !spill_prepare(db, sql))
        return NULL;
    spill_dbi = (struct dbi_stmt){ .sq = spill, .db = db };
    return &spill_dbi;
}

int db_prepare(struct db *db, const char *sql, sqlite3_stmt **out, struct sp_error *err)
{
    int rc = sqlite3_prepare_v2(db->handle, sql, -1, out, NULL);
    return rc == SQLITE_OK ? SP_OK : db_error(db, rc, err, "preparing a statement");
}

int db_exec(struct db *db, const char *sql, struct sp_error *err)
{
    int rc = sqlite3_exec(db->handle, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SP_OK : db_error(db, rc, err, "executing SQL");
}

int db_begin_immediate(struct db *db, struct sp_error *err)
{
    return db_exec(db, "BEGIN IMMEDIATE", err);
}

int db_commit(struct db *db, struct sp_error *err)
{
    int rc = db_exec(db, "COMMIT", err);
    if (rc != SP_OK)
        db_rollback(db);
    return rc;
}

void db_rollback(struct db *db)
{
    if (!sqlite3_get_autocommit(db->handle))
        sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- per-thread connections ---- */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct db *registry;
static _Thread_local struct db *thread_db;
/* thread_db was taken from the PostgreSQL pool (db/pgpool.h): it goes back there, and nothing
 * else closes it (db_thread_close_all only closes idle pooled connections). */
static _Thread_local bool thread_db_pooled;

static void registry_remove(struct db *db)
{
    pthread_mutex_lock(&reg_lock);
    for (struct db **p = &registry; *p; p = &(*p)->next_thread)
        if (*p == db) {
            *p = db->next_thread;
            break;
        }
    pthread_mutex_unlock(&reg_lock);
}

/* A connection SQLite opened read-only because the file could not be opened for writing at
 * that moment (issue 8: it used to stay read-only until restart) is reopened, at most once a
 * second, until it opens read-write. So is one whose -wal (or -shm) was opened read-only
 * (side_readonly), once those files are writable again. */
static _Thread_local int64_t thread_db_retry_at;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Can this process write the database's -wal and -shm (those that exist)? */
static bool side_files_writable(const char *path)
{
    struct sp_error e = { 0 };
    return db_check_wal_files(path, &e) == SP_OK;
}

int db_thread(const char *path, struct db **out, struct sp_error *err)
{
    /* A thread touched the -shm after another program truncated it (db/shm_guard.h): until
     * the server is re-executed, nothing may use the database (its WAL index is gone). */
    if (shm_guard_tripped())
        return sp_error_set(err, SP_EUNAVAILABLE, "%s", SHM_GUARD_MESSAGE);
    if (thread_db && thread_db->handle &&
        (sqlite3_db_readonly(thread_db->handle, "main") == 1 ||
         (thread_db->side_readonly && side_files_writable(path))) &&
        sqlite3_get_autocommit(thread_db->handle) && mono_ms() >= thread_db_retry_at) {
        struct db *fresh;
        thread_db_retry_at = mono_ms() + 1000;
        if (db_open(path, 0, &fresh, NULL) == SP_OK) {
            if (sqlite3_db_readonly(fresh->handle, "main") == 1) {
                db_close(fresh);
            } else {
                registry_remove(thread_db);
                db_close(thread_db);
                thread_db = NULL;
                pthread_mutex_lock(&reg_lock);
                fresh->next_thread = registry;
                registry = fresh;
                pthread_mutex_unlock(&reg_lock);
                thread_db = fresh;
            }
        }
    }
    if (pg_is_url(path)) {
        if (thread_db && thread_db_pooled && !dbi_pg_conn_ok(thread_db->pgc)) {
            /* the server went away (or restarted): give it back (closed), take another below */
            db_thread_release();
        }
        if (!thread_db) {
            int rc = pgpool_acquire(path, &thread_db, err);
            if (rc != SP_OK)
                return rc;
            thread_db_pooled = true;
            thread_exit_arm();
        }
        *out = thread_db;
        return SP_OK;
    }
    if (!thread_db) {
        struct db *db;
        int rc = pg_is_url(path) ? db_open_pg(path, &db, err) : db_open(path, 0, &db, err);
        if (rc != SP_OK)
            return rc;
        pthread_mutex_lock(&reg_lock);
        db->next_thread = registry;
        registry = db;
        pthread_mutex_unlock(&reg_lock);
        thread_db = db;
        thread_exit_arm();
        thread_db_retry_at = mono_ms() + 1000;
    }
    *out = thread_db;
    return SP_OK;
}

void db_thread_release(void)
{
    if (thread_db && thread_db_pooled) {
        struct db *db = thread_db;
        thread_db = NULL;
        thread_db_pooled = false;
        pgpool_release(db);
    }
}

void db_thread_close_all(void)
{
    db_thread_release(); /* the calling (main) thread's lease */
    pgpool_close_idle();
    pthread_mutex_lock(&reg_lock);
    struct db *db = registry;
    registry = NULL;
    pthread_mutex_unlock(&reg_lock);
    pthread_mutex_lock(&close_lock);
    while (db) {
        struct db *n = db->next_thread;
        db_close(db);
        db = n;
    }
    pthread_mutex_unlock(&close_lock);
    thread_db = NULL;
}

/* A thread that exits closes its db_thread() connection (unless db_thread_close_all() already
 * did): short-lived threads (e.g. a topic run's bootstrap workers) would otherwise leave one
 * open connection (descriptors, page cache) each, for the life of the process. The key's value
 * only marks the thread; the destructor runs while the thread's _Thread_local data is still
 * there, so it closes whatever thread_db is then. (The main thread does not run destructors:
 * db_thread_close_all() closes its connection.) */
static pthread_key_t thread_exit_key;
static pthread_once_t thread_exit_once = PTHREAD_ONCE_INIT;
static bool thread_exit_ok;

static void thread_exit_close(void *unused)
{
    (void)unused;
    if (thread_db_pooled) { /* PostgreSQL: the connection goes back to the pool */
        db_thread_release();
        return;
    }
    struct db *db = thread_db;
    thread_db = NULL;
    if (!db)
        return;
    bool listed = false;
    pthread_mutex_lock(&reg_lock);
    for (struct db **p = &registry; *p; p = &(*p)->next_thread)
        if (*p == db) {
            *p = db->next_thread;
            listed = true;
            break;
        }
    pthread_mutex_unlock(&reg_lock);
    if (listed) {
        pthread_mutex_lock(&close_lock);
        db_close(db);
        pthread_mutex_unlock(&close_lock);
    }
}

static void thread_exit_init(void)
{
    thread_exit_ok = pthread_key_create(&thread_exit_key, thread_exit_close) == 0;
}

static void thread_exit_arm(void)
{
    pthread_once(&thread_exit_once, thread_exit_init);
    if (thread_exit_ok)
        pthread_setspecific(thread_exit_key, (void *)1);
}
