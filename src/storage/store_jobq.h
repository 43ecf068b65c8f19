/* storage/store_jobq.h: what the two group-commit writers share (storage/store_writer.c for
 * SQLite, storage/store_pgwriter.c for PostgreSQL): the one queue of submitted jobs, taking a
 * batch from it, and completing a batch's jobs. Internal to storage/.
 * Thread model: push from any thread; take from the one writer thread; complete on whichever
 * thread answers a batch (the writer, SQLite's syncer, PostgreSQL's committer).
 */
#ifndef SP_STORAGE_STORE_JOBQ_H
#define SP_STORAGE_STORE_JOBQ_H

#include <stddef.h>

#include "storage/store_writer.h"

/* Before a writer starts: take() blocks again until stop(). Jobs already queued stay. */
void store_jobq_open(void);
/* Queue a job (its rc reset to SP_OK). */
void store_jobq_push(struct store_job *job);
/* Wait for jobs and take up to max of them, oldest first, as a NULL-terminated list; NULL once
 * store_jobq_stop() was called and the queue is empty. */
struct store_job *store_jobq_take(size_t max);
/* The jobs sorted by their order field, ascending and stable (jobs of equal order stay in list
 * order); the new head. */
struct store_job *store_jobq_order(struct store_job *jobs);
/* Wake the taker: from now on take() returns NULL as soon as the queue is empty. */
void store_jobq_stop(void);
/* Every job from first to end (exclusive) still SP_OK gets code (its changes are gone). */
void store_jobq_lose(struct store_job *first, struct store_job *end, int code);
/* Run the done callbacks in list order, each with its job's rc (a callback may free its job). */
void store_jobq_complete(struct store_job *jobs);
/* Jobs completed since the process started. */
unsigned long long store_jobq_completed(void);

#endif
