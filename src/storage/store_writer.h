/* storage/store_writer.h: group commit. One writer thread runs the write requests of many
 * clients inside one SQLite transaction and commits them together: with synchronous=FULL that
 * is one WAL fsync per batch instead of one per request (docs/SERVER.md "Durable writes").
 *
 * A job is submitted by any thread and runs later on the writer thread, with the writer's own
 * connection (db_thread of that thread: api_db()/store_db_thread() return it there), inside a
 * savepoint of its own: a job that returns an error has its changes rolled back and nothing
 * else. When the batch is committed and, with synchronous=FULL, the WAL fsynced (by the
 * syncer thread, while the writer already runs the next batch), every job's done callback runs
 * (on the syncer thread; on the writer with SPROUT_SYNC=normal) with the job's final code: the job's own error, SP_OK when its changes are on disk, or the
 * commit's error (SP_EBUSY: the database stayed locked by another process for the whole busy
 * timeout; SP_ENOSPACE; SP_EIO ...), in which case none of its changes were kept.
 * Inside a job, store_txn_begin/end become a nested savepoint and store_write_lock() is a
 * no-op: the writer holds the process-wide write lock for the whole batch, so writes that do
 * not go through the writer (uploads) still queue behind it as before.
 * On PostgreSQL (a postgres:// path) store_writer_start() starts storage/store_pgwriter.c
 * instead: the same jobs, savepoints and done-after-commit, with its own batch bound and
 * retries; the WAL and checkpoint functions below are SQLite's only. A job's run() may be
 * called again there (the whole batch re-run after a deadlock, a lost connection, or a job's
 * failure in the batch's first run, which has no savepoints): it must start its reply afresh
 * each time.
 * Ownership: a job struct is the caller's until its done callback has run.
 * Thread model: submit from any thread; run on the writer thread, done on the syncer (or the
 * writer); start/stop from the main thread.
 */
#ifndef SP_STORAGE_STORE_WRITER_H
#define SP_STORAGE_STORE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define STORE_BATCH_MAX 512

struct store_job {
    int (*run)(void *arg); /* on the writer thread, inside a savepoint (PostgreSQL: none in a
                            * batch's first run, which a failure runs again with them) */
    void (*done)(void *arg, int rc); /* after the batch's commit (or failure) */
    void *arg;
    /* PostgreSQL runs a batch's jobs in ascending order (stable: jobs of equal order, 0 among
     * them, in the order they came). A job that locks one known row sets it to a hash of that
     * row's key (never 0), the same in every process, so that the batches of two instances take
     * those rows in one order and cannot deadlock on them; 0 when unknown (storage/store_jobq.h
     * store_jobq_order). SQLite's single writer ignores it. */
    uint64_t order;
    /* internal */
    int rc;
    struct store_job *next;
};

/* Start the writer thread for the database at db_path (borrowed for the writer's lifetime). */
int store_writer_start(const char *db_path, struct sp_error *err);
/* Run every job still queued, then stop and join the thread. NULL-safe to call when not
 * started. The writer's connection is closed by db_thread_close_all() as every other. */
void store_writer_stop(void);
/* Whether the writer is running (jobs may be submitted). */
bool store_writer_running(void);
/* Queue a job (thread-safe). The writer must be running. */
void store_writer_submit(struct store_job *job);
/* Whether the calling thread is the writer thread inside a batch. */
bool store_writer_in_batch(void);
/* Whether it is inside a batch run whose failures are provisional: PostgreSQL's first run of a
 * batch, without savepoints, which any job's failure rolls back and runs again with them
 * (storage/store_pgwriter.c). A reply made there may be made again. */
bool store_writer_provisional(void);

/* The WAL bound (default 1 GiB): past it, while checkpoints cannot finish, batches fail with
 * SP_EIO. Set before start. */
void store_writer_set_wal_max(long long bytes);
/* Checkpoints (defaults 10000 and 20000 frames): the checkpointer thread copies the WAL into the
 * database every `every` new frames; from `restart` frames on the WAL is made to start again
 * from its beginning (the checkpointer's copy, then the writer's of the rest). Set before start
 * (tests use small values). */
void store_writer_set_checkpoint_frames(int every, int restart);
/* Whether the WAL cannot be checkpointed; the reason into buf (may be NULL). */
bool store_writer_wal_problem(char *buf, size_t size);

/* Counters since start, for /api/health and the benchmarks (approximate, relaxed reads). */
struct store_writer_stats {
    unsigned long long jobs, batches, busy_failures, syncs;
    /* WAL checkpoints by the checkpointer thread, and by the writer itself (WAL restarts) */
    unsigned long long checkpoints_bg, checkpoints_writer;
};
void store_writer_stats(struct store_writer_stats *out);

#endif
