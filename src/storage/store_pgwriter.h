/* storage/store_pgwriter.h: group commit on PostgreSQL, behind storage/store_writer.h (its
 * store_writer_start() starts this writer for a postgres:// URL; submit, running and in_batch
 * work the same on both databases). Internal to storage/.
 * Thread model: start/stop from the main thread; the rest as store_writer.h.
 */
#ifndef SP_STORAGE_STORE_PGWRITER_H
#define SP_STORAGE_STORE_PGWRITER_H

#include <stdbool.h>

#include "db/conn.h"
#include "util/err.h"

/* At most this many jobs per transaction: PostgreSQL keeps the ids of up to 64 subtransactions
 * per backend in shared memory (PGPROC_MAX_CACHED_SUBXIDS); a transaction with more
 * "overflows", and every other backend's snapshot then has to look subtransactions up in
 * pg_subtrans while that transaction runs, which slows every reader. A subtransaction that
 * wrote keeps its id until the top transaction ends, released or not, and its parents get one
 * too: a job is one savepoint (the writer's), plus store_txn_begin's for a multi-statement
 * write, plus store_insert's statement savepoint inside a transaction: up to 3 ids per job
 * (answer + completion has all three), so 20 jobs stay within 60. (A batch's first run has no
 * savepoints at all; the bound is for the run again with them, after a job failed.) */
#define STORE_PG_BATCH_MAX 20

int store_pgwriter_start(const char *url, struct sp_error *err);
void store_pgwriter_stop(void); /* runs every queued job first; no-op when not started */
bool store_pgwriter_running(void);
bool store_pgwriter_in_batch(void);
/* Inside a batch's first, optimistic run (store_pgwriter.c): no savepoints, any failure of a
 * job runs the batch again with them; store.c's transactions and statement savepoints inside a
 * batch are then no-ops. */
bool store_pgwriter_optimistic(void);
/* The writer thread's connection while it runs a batch (else NULL): store_db_thread() hands it
 * to the jobs. */
struct db *store_pgwriter_db(void);
unsigned long long store_pgwriter_batches(void);

#endif
