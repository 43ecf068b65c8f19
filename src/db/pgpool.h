/* db/pgpool.h: internal to db/: the per-process pool of PostgreSQL connections behind
 * db_thread() (db/conn.h; docs/POSTGRESQL.md "The connection pool").
 *
 * A thread that needs the database takes a connection (pgpool_acquire) and gives it back
 * (pgpool_release) when its request, run job or sweep is done; while it holds one, every
 * db_thread() call of that thread returns the same connection, so a transaction never spans two.
 * The pool opens connections on demand up to its size (SPROUT_PG_POOL, set by cli/ through
 * db_set_pg_pool), keeps the idle ones (most recently used first: their prepared statements and
 * caches are warm) and hands them out again with their prepared statements. A connection that
 * is broken (libpq says so) or that received anything while idle (the server sends a FATAL and
 * closes it on pg_terminate_backend, on a shutdown or restart) is closed and a new one opened in
 * its place. When every connection is taken, a thread waits for one up to the configured time,
 * then fails with SP_EUNAVAILABLE (503 for the API) naming the pool; a server that refuses new
 * connections fails at once with SP_EUNAVAILABLE.
 * Thread model: every function is thread-safe; a connection is used by the thread holding it.
 */
#ifndef SP_DB_PGPOOL_H
#define SP_DB_PGPOOL_H

#include "db/conn.h"

/* A connection to url (the first call fixes the URL: one database per process). */
int pgpool_acquire(const char *url, struct db **out, struct sp_error *err);
/* Give db back: an open transaction is rolled back, a broken connection closed. */
void pgpool_release(struct db *db);
/* Close every idle connection (after the threads that held connections have stopped). */
void pgpool_close_idle(void);

#endif
