/* db/conn.h: one SQLite connection, configured the way drizzle's better-sqlite3 setup is,
 * with a cache of prepared statements.
 *
 * Every connection the project opens goes through db_open(): foreign_keys=ON,
 * double-quoted string literals off (DQS, as better-sqlite3's bundled SQLite), WAL,
 * synchronous=FULL (an acknowledged commit survives a power cut; db_set_sync_normal() for
 * the SPROUT_SYNC=normal opt-out) and a busy timeout (db_set_busy_timeout_ms(), default
 * 5000 ms; cli/ sets both from SPROUT_SYNC and SPROUT_BUSY_TIMEOUT_MS).
 * SQLite result codes become SP_* codes in exactly one place, db_error(); SQLITE_BUSY becomes
 * SP_EBUSY with a message that names the likely causes and what to do.
 * Ownership: db_stmt() returns a borrowed statement owned by the cache: valid until the next
 * db_stmt() with the same SQL or db_close(); it comes back reset with bindings cleared.
 * Thread model: a struct db is used by one thread at a time. db_thread() hands each thread its
 * own connection, opened on first use and kept until the thread exits or db_thread_close_all()
 * (call that after the threads have stopped; it also closes the main thread's).
 * PostgreSQL (a postgres:// path): db_thread() takes a connection from the process's pool
 * (db/pgpool.h, sized by db_set_pg_pool) and the thread keeps it until db_thread_release()
 * (end of a request, a run job, a sweep) or its exit gives it back.
 */
#ifndef SP_DB_CONN_H
#define SP_DB_CONN_H

#include <sqlite3.h>
#include <stdbool.h>

#include "util/err.h"

struct db;

enum db_open_flags {
    DB_OPEN_CREATE = 1, /* create the file if missing (else SP_ENOTFOUND) */
    DB_OPEN_READONLY = 2,
    DB_OPEN_NO_WAL = 4, /* leave the journal mode alone (read-only inspection, backups) */
};

#define DB_BUSY_TIMEOUT_MS_DEFAULT 5000

/* How long every connection opened afterwards waits for a locked database. Process-wide: call
 * once at start-up, before any thread opens a connection. */
void db_set_busy_timeout_ms(int ms);
int db_open(const char *path, unsigned flags, struct db **out, struct sp_error *err);
/* Process-wide, before any connection is opened: synchronous=NORMAL instead of FULL. */
void db_set_sync_normal(bool normal);
bool db_sync_is_normal(void);
/* A PostgreSQL connection (a postgres:// URL) for the database interface (db/dbi.h) only: the
 * sqlite3 calls below (db_handle, db_stmt, db_exec, ...) are SQLite's. Closed by db_close(). */
int db_open_pg(const char *url, struct db **out, struct sp_error *err);
/* Process-wide, before any connection is opened: open every database with SQLite's "unix-excl"
 * VFS (the WAL index in process memory, no -shm mapping, no other process on the file). */
void db_set_lock_exclusive(bool exclusive);
/* Before a process opens a database to write it (serve's start): a -wal or -shm file left
 * beside it (a crash leaves both) that this process cannot write. SQLite would open it
 * read-only and keep it so for as long as any connection of the process has the database
 * open, so every write would fail (SQLITE_READONLY) until a restart: SP_EIO naming the file,
 * its owner and mode, and what to do. The -shm is not checked under SPROUT_DB_LOCK=exclusive
 * (no -shm is used). SP_OK when both are absent or writable. */
int db_check_wal_files(const char *path, struct sp_error *err);
void db_close(struct db *db);      /* NULL-safe; finalizes cached statements */
sqlite3 *db_handle(struct db *db); /* borrowed */

/* Cached prepared statement for sql, which must have static storage (the pointer is the key).
 * NULL on error: the reason is in db_errmsg(). */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);
/* Uncached: prepare sql (any lifetime); caller finalizes. */
int db_prepare(struct db *db, const char *sql, sqlite3_stmt **out, struct sp_error *err);
const char *db_errmsg(struct db *db);

/* Run statements without results (may hold several; no parameters). */
int db_exec(struct db *db, const char *sql, struct sp_error *err);
int db_begin_immediate(struct db *db, struct sp_error *err); /* writers queue, readers never wait */
int db_commit(struct db *db, struct sp_error *err);
void db_rollback(struct db *db); /* safe when no transaction is open */

/* Map a SQLite result code (and the connection's message) to an SP_* code, filling err
 * with "what: message". The single SQLite -> project error mapping. */
int db_error(struct db *db, int sqlite_rc, struct sp_error *err, const char *what);

/* The calling thread's connection, opened to path on first use (later calls ignore path: one
 * database per process). SP_EUNAVAILABLE (SHM_GUARD_MESSAGE) once a thread faulted on a
 * truncated -shm (db/shm_guard.h), until the server is re-executed. */
int db_thread(const char *path, struct db **out, struct sp_error *err);
/* Close every connection db_thread() opened (call after worker threads stopped). */
void db_thread_close_all(void);
/* Give the calling thread's PostgreSQL connection back to the pool (an open transaction is
 * rolled back); the next db_thread() takes one again. No-op on SQLite (its connection stays
 * with the thread) and when the thread holds none. */
void db_thread_release(void);

/* The PostgreSQL pool: at most size connections per process (0 = DB_PG_POOL_DEFAULT); a thread
 * finding them all in use waits up to wait_ms, then fails with SP_EUNAVAILABLE (503). Process-
 * wide: call once at start-up, before any thread takes a connection. */
#define DB_PG_POOL_DEFAULT 8
#define DB_PG_POOL_WAIT_MS_DEFAULT 5000
void db_set_pg_pool(unsigned size, unsigned wait_ms);
void db_pg_pool_get(unsigned *size, unsigned *wait_ms);

#endif
