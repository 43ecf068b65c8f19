/* storage/store_pgwriter.c: group commit on PostgreSQL (see store_pgwriter.h, store_writer.h).
 *
 * Why: one transaction per write request costs PostgreSQL a BEGIN, a COMMIT with its WAL
 * flush wait, and the foreign-key checks of many concurrent transactions on the same parent
 * rows (every message and answer takes KEY SHARE on its user's row: with 32 transactions at
 * once that row's lockers become MultiXacts, made again for every new locker). One transaction
 * for many requests makes all of that once per batch.
 *
 * The writer thread takes up to STORE_PG_BATCH_MAX queued jobs (store_jobq.h) and runs them on
 * one of its two connections: BEGIN; per job SAVEPOINT / run / RELEASE, or ROLLBACK TO + RELEASE
 * when the job failed (only its changes go); then it hands the open transaction to the
 * committer thread, which sends COMMIT and, once it returned OK (with synchronous_commit=on:
 * the WAL is flushed), runs the batch's done callbacks. Meanwhile the writer runs the next
 * batch on the other connection: the committing batch takes no more locks, so the two never
 * wait for each other except for a row or advisory lock the committing batch holds, which is
 * released by its COMMIT (dbi_pg queues BEGIN/SAVEPOINT/RELEASE with the next statement, so a
 * job costs the round trips of its own statements only).
 *
 * The jobs of a batch run in their order (store_job.order, store_jobq_order): a progress visit's
 * is a hash of its row's key, so two instances' batches update shared progress rows in one
 * order and do not deadlock on them (they did, in the two-server benchmark: p99 0.6 s); jobs
 * without one run first, as they came. Any order is right: the jobs of a batch are requests
 * not yet answered, each in its own savepoint.
 *
 * Savepoints cost PostgreSQL a subtransaction each (an id, its bookkeeping; an answer had three:
 * the writer's, store_txn_begin's and store_insert's): a batch's first run has none
 * (store_pgwriter_optimistic, store.c skips its own). Any job's error, or a failed statement
 * a job got past, ends that run: the batch is rolled back and run again with a savepoint per
 * job, where a failing job's changes go alone, as they did before (not counted as an attempt;
 * +40 % answer_post and chat_post on one server, docs/POSTGRESQL.md). A batch with an invalid
 * request thus runs twice.
 *
 * A batch that fails as a whole is rolled back and run again, every job from the start (each
 * job's run() starts its reply afresh): a deadlock or serialization failure (another instance's
 * batch, 40P01 / 40001, seen as SP_EBUSY with dbi_error_is_retryable), a lock wait past the
 * first attempt's lock_timeout (55P03, see LOCK_TIMEOUT_MS), or the connection lost
 * (a terminated backend, a restart: the next attempt opens a new connection). After
 * STORE_ATTEMPTS attempts of the whole batch, each job runs alone (STORE_ATTEMPTS attempts
 * each). When no connection can be opened, or the attempts run out, the jobs fail with that
 * error (SP_EUNAVAILABLE: 503). A COMMIT that fails (connection lost while committing: the
 * outcome is unknown) fails its jobs, never retried: a write is acknowledged only when its
 * COMMIT returned OK.
 *
 * Connections: the writer's two are its own (db_open_pg), not taken from the HTTP workers'
 * pool (an instance uses at most SPROUT_PG_POOL + 2 connections), opened at the first batch
 * and named `sprout writer` in pg_stat_activity (the pool's are `sprout`).
 * Thread model: the job queue is store_jobq's; w_lock guards the connections' busy flags and
 * the committer's one slot; a connection is used by the writer, or (busy) by the committer.
 */
#include "storage/store_pgwriter.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/dbi.h"
#include "db/dbi_pg.h"
#include "db/dbi_sqlite.h"
#include "storage/store_jobq.h"
#include "storage/store_sql.h"

#define N_CONNS 2

static pthread_mutex_t w_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t w_cond = PTHREAD_COND_INITIALIZER; /* a slot or connection changed */
static struct db *conns[N_CONNS];
static bool conn_busy[N_CONNS];  /* with the committer */
static struct store_job *c_jobs; /* the committer's slot: a batch to commit on c_conn */
static int c_conn = -1;
static bool c_stopping;
static bool running;
static char *pg_url;
static pthread_t writer, committer;
static _Thread_local struct db *batch_db;
static _Thread_local bool batch_optimistic; /* this run of the batch has no savepoints */
static atomic_ullong n_batches;

/* A batch's first attempt gives up a lock wait after LOCK_TIMEOUT_MS: two instances' batches
 * that take two keys in opposite orders (keys that the batch order does not cover) deadlock,
 * and PostgreSQL looks for deadlocks only after deadlock_timeout (1 s by default, settable by a
 * superuser only), a stall of both batches; a wait this long is otherwise only another batch's
 * commit under heavy load, or a long transaction, which the next attempts (no lock_timeout)
 * wait for. */
#define LOCK_TIMEOUT_MS "200"
static const char SQL_SESSION[] =
    "SET application_name = 'sprout writer'; SET lock_timeout = " LOCK_TIMEOUT_MS;
static const char SQL_NO_LOCK_TIMEOUT[] = "SET LOCAL lock_timeout = 0";
static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SP[] = "SAVEPOINT sprout_request";
static const char SQL_RELEASE[] = "RELEASE sprout_request";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO sprout_request";

bool store_pgwriter_in_batch(void)
{
    return batch_db != NULL;
}

bool store_pgwriter_optimistic(void)
{
    return batch_db != NULL && batch_optimistic;
}

struct db *store_pgwriter_db(void)
{
    return batch_db;
}

bool store_pgwriter_running(void)
{
    return running;
}

unsigned long long store_pgwriter_batches(void)
{
    return atomic_load_explicit(&n_batches, memory_order_relaxed);
}

static bool conn_ok(struct db *db)
{
    return db && dbi_pg_conn_ok(db_pgconn(db));
}

/* Writer: a connection the committer is not using (waits for one), its index. */
static int take_conn(void)
{
    static int next;
    pthread_mutex_lock(&w_lock);
    while (conn_busy[0] && conn_busy[1])
        pthread_cond_wait(&w_cond, &w_lock);
    int k = conn_busy[next] ? 1 - next : next;
    next = 1 - k;
    pthread_mutex_unlock(&w_lock);
    return k;
}

static void *committer_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&w_lock);
        while (!c_jobs && !c_stopping)
            pthread_cond_wait(&w_cond, &w_lock);
        struct store_job *jobs = c_jobs;
        int k = c_conn;
        c_jobs = NULL;
        pthread_cond_broadcast(&w_cond); /* the slot is free */
        pthread_mutex_unlock(&w_lock);
        if (!jobs)
            break;
        struct sp_error err = { 0 };
        int rc = store_static(conns[k], SQL_COMMIT, SQL_COMMIT, &err);
        if (rc != SP_OK) {
            fprintf(stderr, "database: a batch of writes was not committed: %s\n",
                    sp_error_text(&err, rc));
            if (!conn_ok(conns[k]))
                rc = SP_EUNAVAILABLE; /* the outcome is unknown: never acknowledged */
            else if (dbi_in_txn(conns[k]))
                store_static(conns[k], SQL_ROLLBACK, SQL_ROLLBACK, NULL);
            store_jobq_lose(jobs, NULL, rc);
        }
        store_jobq_complete(jobs);
        pthread_mutex_lock(&w_lock);
        conn_busy[k] = false;
        pthread_cond_broadcast(&w_cond);
        pthread_mutex_unlock(&w_lock);
    }
    return NULL;
}

/* Writer: hand batch jobs, open on connection k, to the committer. */
static void to_committer(int k, struct store_job *jobs)
{
    pthread_mutex_lock(&w_lock);
    while (c_jobs) /* the committer has not taken the previous one yet */
        pthread_cond_wait(&w_cond, &w_lock);
    c_jobs = jobs;
    c_conn = k;
    conn_busy[k] = true;
    pthread_cond_broadcast(&w_cond);
    pthread_mutex_unlock(&w_lock);
}

enum outcome { RAN, RUN_AGAIN, ISOLATE, FAILED };

/* Writer: connection k, opened again when it is gone; NULL with *rc set when it cannot be. */
static struct db *writer_conn(int k, int *rc, struct sp_error *err)
{
    if (conns[k] && !conn_ok(conns[k])) {
        db_close(conns[k]);
        conns[k] = NULL;
    }
    if (!conns[k] && (*rc = db_open_pg(pg_url, &conns[k], err)) == SP_OK &&
        (*rc = dbi_exec(conns[k], SQL_SESSION, err)) != SP_OK) {
        db_close(conns[k]);
        conns[k] = NULL;
    }
    return conns[k];
}

/* Writer: one attempt of the batch jobs on connection k. RAN: the transaction is open with every
 * job's outcome in its rc, for the committer; RUN_AGAIN: it was rolled back (a deadlock, a
 * serialization failure, a lock wait past the first attempt's lock_timeout, the connection
 * lost); ISOLATE (optimistic only): a job failed, so it was rolled back, to be run again with a
 * savepoint per job; FAILED: no connection (every job's rc set). first: the batch's first
 * attempt (the session's lock_timeout applies; later attempts wait without a limit).
 * optimistic: no savepoints, the writer's nor store.c's (store_pgwriter_optimistic). */
static enum outcome attempt(int k, struct store_job *jobs, bool first, bool optimistic,
                            const char **why)
{
    struct sp_error err = { 0 };
    int rc = SP_OK;
    struct db *db = writer_conn(k, &rc, &err);
    if (!db) {
        fprintf(stderr, "database: the writer cannot connect: %s\n", sp_error_text(&err, rc));
        for (struct store_job *j = jobs; j; j = j->next)
            j->rc = rc;
        return FAILED;
    }
    batch_db = db;
    batch_optimistic = optimistic;
    bool isolate = false;
    rc = store_static(db, SQL_BEGIN, SQL_BEGIN, NULL);
    if (rc == SP_OK && !first)
        rc = store_static(db, SQL_NO_LOCK_TIMEOUT, SQL_NO_LOCK_TIMEOUT, NULL);
    for (struct store_job *j = jobs; j && rc == SP_OK && !isolate; j = j->next) {
        j->rc = optimistic ? SP_OK : store_static(db, SQL_SP, SQL_SP, NULL);
        if (j->rc == SP_OK)
            j->rc = j->run(j->arg);
        if (!conn_ok(db)) {
            rc = SP_EUNAVAILABLE;
            *why = "the connection was lost";
        } else if (j->rc == SP_EBUSY && dbi_error_is_retryable(db)) {
            rc = SP_EBUSY;
            *why = "a deadlock, a serialization failure or a lock wait past " LOCK_TIMEOUT_MS " ms";
        } else if (optimistic) {
            /* a job's error, or a failed statement it got past (PostgreSQL's transaction is
             * then aborted): its changes cannot be undone alone */
            isolate = j->rc != SP_OK || dbi_txn_failed(db);
        } else if (j->rc != SP_OK) {
            rc = store_static(db, SQL_ROLLBACK_TO, SQL_ROLLBACK_TO, NULL);
            if (rc == SP_OK)
                rc = store_static(db, SQL_RELEASE, SQL_RELEASE, NULL);
            if (rc != SP_OK)
                *why = "a savepoint could not be rolled back";
        } else {
            rc = store_static(db, SQL_RELEASE, SQL_RELEASE, NULL);
            if (rc != SP_OK)
                *why = "a savepoint could not be released";
        }
    }
    batch_db = NULL;
    batch_optimistic = false;
    if (rc == SP_OK && !isolate)
        return RAN;
    if (conn_ok(db) && dbi_in_txn(db))
        store_static(db, SQL_ROLLBACK, SQL_ROLLBACK, NULL);
    if (isolate)
        return ISOLATE;
    for (struct store_job *j = jobs; j; j = j->next)
        j->rc = rc; /* the final code unless an attempt succeeds */
    return RUN_AGAIN;
}

/* Writer: run jobs as one transaction (up to STORE_ATTEMPTS attempts); true when handed to the
 * committer, false when they failed (every rc set, not yet completed). */
static bool run_group(struct store_job *jobs, int n)
{
    const char *why = "";
    bool optimistic = true;
    for (int a = 1; a <= STORE_ATTEMPTS; a++) {
        int k = take_conn();
        enum outcome o = attempt(k, jobs, a == 1, optimistic, &why);
        if (o == ISOLATE) { /* the same attempt again, a savepoint per job: not a failure */
            optimistic = false;
            a--;
            continue;
        }
        if (o == RAN) {
            atomic_fetch_add_explicit(&n_batches, 1, memory_order_relaxed);
            to_committer(k, jobs);
            return true;
        }
        if (o == FAILED)
            return false;
        fprintf(stderr, "database: a batch of %d write%s rolled back after %s (attempt %d of %d)\n",
                n, n == 1 ? " was" : "s was", why, a, STORE_ATTEMPTS);
    }
    return false;
}

static void run_batch(struct store_job *jobs)
{
    int n = 0;
    for (struct store_job *j = jobs; j; j = j->next)
        n++;
    if (run_group(jobs, n))
        return;
    if (n == 1) {
        store_jobq_complete(jobs);
        return;
    }
    /* one job per transaction: a job that keeps failing fails alone */
    while (jobs) {
        struct store_job *next = jobs->next;
        jobs->next = NULL;
        if (!run_group(jobs, 1))
            store_jobq_complete(jobs);
        jobs = next;
    }
}

static void *writer_main(void *arg)
{
    (void)arg;
    struct store_job *batch;
    while ((batch = store_jobq_take(STORE_PG_BATCH_MAX)) != NULL)
        run_batch(store_jobq_order(batch));
    return NULL;
}

int store_pgwriter_start(const char *url, struct sp_error *err)
{
    if (running)
        return SP_OK;
    free(pg_url);
    if (!(pg_url = strdup(url)))
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    store_jobq_open();
    c_stopping = false;
    int e = pthread_create(&committer, NULL, committer_main, NULL);
    if (e != 0)
        return sp_error_set(err, SP_ENOMEM, "cannot start the committer thread: %s", strerror(e));
    pthread_setname_np(committer, "sprout-commit"); /* named for top -H, ps -L, gdb */
    e = pthread_create(&writer, NULL, writer_main, NULL);
    if (e != 0) {
        pthread_mutex_lock(&w_lock);
        c_stopping = true;
        pthread_cond_broadcast(&w_cond);
        pthread_mutex_unlock(&w_lock);
        pthread_join(committer, NULL);
        return sp_error_set(err, SP_ENOMEM, "cannot start the writer thread: %s", strerror(e));
    }
    pthread_setname_np(writer, "sprout-writer");
    running = true;
    return SP_OK;
}

void store_pgwriter_stop(void)
{
    if (!running)
        return;
    store_jobq_stop();
    pthread_join(writer, NULL); /* every queued job ran, the last batch is with the committer */
    pthread_mutex_lock(&w_lock);
    c_stopping = true;
    pthread_cond_broadcast(&w_cond);
    pthread_mutex_unlock(&w_lock);
    pthread_join(committer, NULL); /* it commits what it holds before it sees c_stopping */
    for (int k = 0; k < N_CONNS; k++) {
        db_close(conns[k]);
        conns[k] = NULL;
    }
    free(pg_url);
    pg_url = NULL;
    running = false;
}
