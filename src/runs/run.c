/* runs/run.c: runs (see run.h): the run object with its append-only log and readers, the
 * bounded worker pool with its bounded queue, the registry of active runs by key (joins), and
 * the keep-alive timer.
 *
 * Thread model and locks: one global mutex (g.mu) guards the pool, the queue and the list of
 * active runs; each run has its own mutex (run->mu) for its log, state and readers. Order:
 * g.mu before run->mu, never the reverse. Wake-up callbacks are called with no lock held; a
 * reader's `waking` count lets run_reader_close() wait until a callback in progress returned.
 * A run is reference-counted: one reference for its producer (the job, until run_finish) and
 * one per attached reader; the last unref frees it.
 */
#include "runs/run.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "util/buf.h"
#include "util/timefmt.h"

struct run_reader {
    struct run *run;
    size_t pos; /* bytes of the log already read */
    void (*fn)(void *arg);
    void *arg;
    unsigned waking; /* wake-up calls in progress */
    struct run_reader *next;
};

struct run {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a reader's waking count dropped to 0 */
    unsigned refs;
    unsigned n_readers;
    struct run_reader *readers;
    enum run_state state;
    int status;     /* RUN_JSON */
    struct buf log; /* the JSON body, or the stream from its first byte */
    bool done;      /* the producer finished */
    atomic_bool cancel;
    int64_t last_us; /* monotonic time of the last append */
    run_job_fn job;  /* NULL for run_create() runs */
    void *arg;
    void (*arg_free)(void *);
    char *key;
    /* under g.mu */
    bool listed; /* in g.active */
    struct run *prev_active, *next_active;
    struct run *next_queued;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t work; /* queue not empty, or stopping */
    pthread_cond_t idle; /* a job returned */
    pthread_cond_t tick; /* wakes the timer early (stop) */
    bool up, stopping;
    bool abandoned; /* a shutdown left jobs running: no new pool */
    pthread_t *threads;
    unsigned n_threads;
    pthread_t timer;
    struct run *q_head, *q_tail;
    unsigned queued, queue_max, busy;
    struct run *active; /* runs not finished and not cancelled-by-detach */
    unsigned n_active;
    unsigned keepalive_ms;
} g = { .mu = PTHREAD_MUTEX_INITIALIZER };

static const char JSON_NO_ANSWER[] = "{\"error\":\"the run ended without an answer\"}";
static const char JSON_CANCELLED[] = "{\"error\":\"the run was cancelled before it started\"}";

/* ---- run object ---- */

static struct run *run_alloc(void)
{
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    atomic_init(&r->cancel, false);
    r->last_us = time_mono_us();
    return r;
}

static void run_free(struct run *r)
{
    buf_release(&r->log);
    free(r->key);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void run_unref(struct run *r)
{
    pthread_mutex_lock(&r->mu);
    bool last = --r->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (last)
        run_free(r);
}

/* Caller holds g.mu. */
static void list_add(struct run *r)
{
    r->next_active = g.active;
    r->prev_active = NULL;
    if (g.active)
        g.active->prev_active = r;
    g.active = r;
    r->listed = true;
    g.n_active++;
}

/* Remove r from the active list (no more joins, keep-alives or shutdown cancels); idempotent. */
static void unlist(struct run *r)
{
    pthread_mutex_lock(&g.mu);
    if (r->listed) {
        if (r->prev_active)
            r->prev_active->next_active = r->next_active;
        else
            g.active = r->next_active;
        if (r->next_active)
            r->next_active->prev_active = r->prev_active;
        r->listed = false;
        g.n_active--;
    }
    pthread_mutex_unlock(&g.mu);
}

/* Call every reader's wake-up callback, without holding a lock during the calls. */
static void notify(struct run *r)
{
    pthread_mutex_lock(&r->mu);
    struct run_reader *rd = r->readers;
    while (rd) {
        if (!rd->fn) {
            rd = rd->next;
            continue;
        }
        void (*fn)(void *) = rd->fn;
        void *arg = rd->arg;
        rd->waking++;
        pthread_mutex_unlock(&r->mu);
        fn(arg);
        pthread_mutex_lock(&r->mu);
        struct run_reader *next = rd->next; /* rd cannot be unlinked while waking > 0 */
        if (--rd->waking == 0)
            pthread_cond_broadcast(&r->cv);
        rd = next;
    }
    pthread_mutex_unlock(&r->mu);
}

static struct run_reader *reader_attach(struct run *r, struct run_reader *rd)
{
    rd->run = r;
    rd->next = r->readers;
    r->readers = rd;
    r->n_readers++;
    r->refs++;
    return rd;
}

/* ---- inside the job ---- */

void run_reply_json(struct run *run, int status, const char *json, size_t len)
{
    pthread_mutex_lock(&run->mu);
    bool ok = run->state == RUN_PENDING && !run->done;
    if (ok) {
        buf_reset(&run->log);
        if (buf_append(&run->log, json, len) != SP_OK) {
            buf_release(&run->log);
            status = 500;
            buf_append(&run->log, "{\"error\":\"out of memory\"}", 25);
        }
        run->state = RUN_JSON;
        run->status = status;
        run->last_us = time_mono_us();
    }
    pthread_mutex_unlock(&run->mu);
    if (ok) {
        unlist(run); /* answered: a later request with the same key starts afresh */
        notify(run);
    }
}

void run_event(struct run *run, const char *event, const char *json, size_t len)
{
    if (atomic_load(&run->cancel))
        return;
    pthread_mutex_lock(&run->mu);
    bool ok = !run->done && run->state != RUN_JSON;
    if (ok) {
        size_t mark = run->log.len;
        run->state = RUN_STREAM;
        if (buf_puts(&run->log, "event: ") != SP_OK || buf_puts(&run->log, event) != SP_OK ||
            buf_puts(&run->log, "\ndata: ") != SP_OK || buf_append(&run->log, json, len) != SP_OK ||
            buf_puts(&run->log, "\n\n") != SP_OK) {
            run->log.len = mark; /* out of memory: the event is dropped whole */
            ok = false;
        } else {
            run->last_us = time_mono_us();
        }
    }
    pthread_mutex_unlock(&run->mu);
    if (ok)
        notify(run);
}

bool run_cancelled(const struct run *run)
{
    return atomic_load(&run->cancel);
}

const atomic_bool *run_cancel_flag(const struct run *run)
{
    return &run->cancel;
}

void run_finish(struct run *run)
{
    pthread_mutex_lock(&run->mu);
    if (run->state == RUN_PENDING) {
        buf_reset(&run->log);
        buf_append(&run->log, JSON_NO_ANSWER, sizeof JSON_NO_ANSWER - 1);
        run->state = RUN_JSON;
        run->status = 500;
    }
    run->done = true;
    pthread_mutex_unlock(&run->mu);
    notify(run);
    unlist(run);
    run_unref(run);
}

/* ---- the reader side ---- */

enum run_state run_reader_state(struct run_reader *r, int *status)
{
    pthread_mutex_lock(&r->run->mu);
    enum run_state s = r->run->state;
    if (s == RUN_JSON && status)
        *status = r->run->status;
    pthread_mutex_unlock(&r->run->mu);
    return s;
}

ssize_t run_reader_read(struct run_reader *r, char *buf, size_t max)
{
    struct run *run = r->run;
    ssize_t n = 0;
    pthread_mutex_lock(&run->mu);
    if (run->state != RUN_PENDING) {
        if (r->pos < run->log.len) {
            size_t k = run->log.len - r->pos;
            if (k > max)
                k = max;
            if (k > (size_t)SSIZE_MAX)
                k = (size_t)SSIZE_MAX;
            memcpy(buf, run->log.data + r->pos, k);
            r->pos += k;
            n = (ssize_t)k;
        } else if (run->state == RUN_JSON || run->done) {
            n = -1;
        }
    }
    pthread_mutex_unlock(&run->mu);
    return n;
}

void run_reader_set_wakeup(struct run_reader *r, void (*fn)(void *arg), void *arg)
{
    struct run *run = r->run;
    pthread_mutex_lock(&run->mu);
    r->fn = fn;
    r->arg = arg;
    bool now = fn && run->state != RUN_PENDING;
    if (now)
        r->waking++;
    pthread_mutex_unlock(&run->mu);
    if (!now)
        return;
    fn(arg);
    pthread_mutex_lock(&run->mu);
    if (--r->waking == 0)
        pthread_cond_broadcast(&run->cv);
    pthread_mutex_unlock(&run->mu);
}

bool run_reader_cancelled(struct run_reader *r)
{
    return atomic_load(&r->run->cancel);
}

void run_reader_close(struct run_reader *r)
{
    if (!r)
        return;
    struct run *run = r->run;
    pthread_mutex_lock(&run->mu);
    r->fn = NULL;
    while (r->waking)
        pthread_cond_wait(&run->cv, &run->mu);
    for (struct run_reader **pp = &run->readers; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    run->n_readers--;
    bool cancel_now = run->n_readers == 0 && !run->done && !atomic_load(&run->cancel);
    if (cancel_now)
        atomic_store(&run->cancel, true);
    pthread_mutex_unlock(&run->mu);
    free(r);
    if (cancel_now)
        unlist(run); /* a later start with the same key begins afresh */
    run_unref(run);
}

/* ---- starting runs ---- */

int run_create(struct run **out, struct run_reader **reader, struct sp_error *err)
{
    *out = NULL;
    *reader = NULL;
    struct run *r = run_alloc();
    struct run_reader *rd = calloc(1, sizeof *rd);
    if (!r || !rd) {
        free(rd);
        if (r)
            run_free(r);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    r->refs = 1; /* the producer */
    reader_attach(r, rd);
    pthread_mutex_lock(&g.mu);
    list_add(r);
    pthread_mutex_unlock(&g.mu);
    *out = r;
    *reader = rd;
    return SP_OK;
}

/* Caller holds g.mu. The active run with this key that can still be joined, or NULL. */
static bool try_join(const char *key, struct run_reader *rd)
{
    for (struct run *r = g.active; r; r = r->next_active) {
        if (!r->key || strcmp(r->key, key) != 0)
            continue;
        pthread_mutex_lock(&r->mu);
        bool ok = !r->done && !atomic_load(&r->cancel);
        if (ok)
            reader_attach(r, rd);
        pthread_mutex_unlock(&r->mu);
        if (ok)
            return true;
    }
    return false;
}

int run_start(const char *key, run_job_fn job, void *arg, void (*arg_free)(void *),
              struct run_reader **reader, struct sp_error *err)
{
    *reader = NULL;
    int rc = SP_OK;
    struct run_reader *rd = calloc(1, sizeof *rd);
    struct run *r = NULL;
    if (!rd) {
        rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        goto fail;
    }
    pthread_mutex_lock(&g.mu);
    if (!g.up || g.stopping) {
        pthread_mutex_unlock(&g.mu);
        rc = sp_error_set(err, SP_EUNAVAILABLE, "agent runs are not available (the server is %s)",
                          g.stopping ? "stopping" : "not running them");
        goto fail;
    }
    if (key && try_join(key, rd)) {
        pthread_mutex_unlock(&g.mu);
        if (arg_free)
            arg_free(arg);
        *reader = rd;
        return SP_OK;
    }
    if (g.queued >= g.queue_max) {
        unsigned q = g.queued;
        pthread_mutex_unlock(&g.mu);
        rc = sp_error_set(err, SP_ETOOBIG,
                          "too many agent runs at once (%u waiting); try again later", q);
        goto fail;
    }
    r = run_alloc();
    if (!r || (key && !(r->key = strdup(key)))) {
        pthread_mutex_unlock(&g.mu);
        rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        goto fail;
    }
    r->job = job;
    r->arg = arg;
    r->arg_free = arg_free;
    r->refs = 1;
    reader_attach(r, rd);
    list_add(r);
    if (g.q_tail)
        g.q_tail->next_queued = r;
    else
        g.q_head = r;
    g.q_tail = r;
    g.queued++;
    pthread_cond_signal(&g.work);
    pthread_mutex_unlock(&g.mu);
    *reader = rd;
    return SP_OK;
fail:
    free(rd);
    if (r)
        run_free(r);
    if (arg_free)
        arg_free(arg);
    return rc;
}

/* ---- the pool ---- */

static void *worker_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&g.mu);
    for (;;) {
        while (!g.q_head && !g.stopping)
            pthread_cond_wait(&g.work, &g.mu);
        if (!g.q_head)
            break; /* stopping, and nothing left to finish */
        struct run *r = g.q_head;
        g.q_head = r->next_queued;
        if (!g.q_head)
            g.q_tail = NULL;
        r->next_queued = NULL;
        g.queued--;
        g.busy++;
        pthread_mutex_unlock(&g.mu);

        if (!atomic_load(&r->cancel))
            r->job(r, r->arg);
        else
            run_reply_json(r, 503, JSON_CANCELLED, sizeof JSON_CANCELLED - 1);
        if (r->arg_free)
            r->arg_free(r->arg);
        run_finish(r);

        pthread_mutex_lock(&g.mu);
        g.busy--;
        pthread_cond_broadcast(&g.idle);
    }
    pthread_mutex_unlock(&g.mu);
    return NULL;
}

/* Append a keep-alive comment to every stream quiet for keepalive_ms. */
static void keepalive_pass(void)
{
    pthread_mutex_lock(&g.mu);
    size_t n = 0, cap = g.n_active;
    struct run **list = cap ? malloc(cap * sizeof *list) : NULL;
    int64_t limit = (int64_t)(g.keepalive_ms ? g.keepalive_ms : RUNS_KEEPALIVE_MS) * 1000;
    int64_t now = time_mono_us();
    for (struct run *r = g.active; r && list && n < cap; r = r->next_active) {
        pthread_mutex_lock(&r->mu);
        if (r->state == RUN_STREAM && !r->done && now - r->last_us >= limit) {
            r->refs++;
            list[n++] = r;
        }
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&g.mu);
    for (size_t i = 0; i < n; i++) {
        struct run *r = list[i];
        pthread_mutex_lock(&r->mu);
        bool ok = !r->done && !atomic_load(&r->cancel) && time_mono_us() - r->last_us >= limit &&
                  buf_puts(&r->log, RUN_KEEPALIVE_LINE) == SP_OK;
        if (ok)
            r->last_us = time_mono_us();
        pthread_mutex_unlock(&r->mu);
        if (ok)
            notify(r);
        run_unref(r);
    }
    free(list);
}

static void *timer_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&g.mu);
    while (!g.stopping) {
        unsigned ka = g.keepalive_ms ? g.keepalive_ms : RUNS_KEEPALIVE_MS;
        unsigned period = ka / 4 < 10 ? 10 : ka / 4 > 1000 ? 1000 : ka / 4;
        struct timespec ts;
        time_deadline_after(&ts, period);
        int w = pthread_cond_timedwait(&g.tick, &g.mu, &ts);
        if (g.stopping)
            break;
        if (w == ETIMEDOUT) {
            pthread_mutex_unlock(&g.mu);
            keepalive_pass();
            pthread_mutex_lock(&g.mu);
        }
    }
    pthread_mutex_unlock(&g.mu);
    return NULL;
}

void runs_set_keepalive_ms(unsigned ms)
{
    pthread_mutex_lock(&g.mu);
    g.keepalive_ms = ms;
    if (g.up)
        pthread_cond_signal(&g.tick);
    pthread_mutex_unlock(&g.mu);
}

static void cond_init_mono(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

int runs_init(unsigned workers, unsigned queue_max, struct sp_error *err)
{
    if (workers < 1 || workers > 64)
        return sp_error_set(err, SP_EINVAL, "agent workers must be 1 to 64, not %u", workers);
    if (queue_max < 1 || queue_max > 100000)
        return sp_error_set(err, SP_EINVAL,
                            "the agent run queue must hold 1 to 100000 runs, not %u", queue_max);
    pthread_mutex_lock(&g.mu);
    if (g.up || g.threads || g.abandoned) {
        pthread_mutex_unlock(&g.mu);
        return sp_error_set(err, SP_ECONFLICT, "the run pool is already running");
    }
    g.threads = calloc(workers, sizeof *g.threads);
    if (!g.threads) {
        pthread_mutex_unlock(&g.mu);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    cond_init_mono(&g.work);
    cond_init_mono(&g.idle);
    cond_init_mono(&g.tick);
    g.stopping = false;
    g.queue_max = queue_max;
    g.queued = g.busy = 0;
    g.n_threads = 0;
    int e = 0;
    for (unsigned i = 0; i < workers && !e; i++)
        if ((e = pthread_create(&g.threads[i], NULL, worker_main, NULL)) == 0)
            g.n_threads++;
    if (!e)
        e = pthread_create(&g.timer, NULL, timer_main, NULL);
    if (e) {
        g.stopping = true;
        pthread_cond_broadcast(&g.work);
        pthread_mutex_unlock(&g.mu);
        for (unsigned i = 0; i < g.n_threads; i++)
            pthread_join(g.threads[i], NULL);
        pthread_mutex_lock(&g.mu);
        free(g.threads);
        g.threads = NULL;
        g.n_threads = 0;
        g.stopping = false;
        pthread_mutex_unlock(&g.mu);
        return sp_error_set(err, SP_ENOMEM, "cannot start the agent run threads: %s", strerror(e));
    }
    g.up = true;
    pthread_mutex_unlock(&g.mu);
    return SP_OK;
}

unsigned runs_shutdown(unsigned wait_ms)
{
    pthread_mutex_lock(&g.mu);
    if (!g.up) {
        pthread_mutex_unlock(&g.mu);
        return 0;
    }
    g.stopping = true;
    for (struct run *r = g.active; r; r = r->next_active)
        atomic_store(&r->cancel, true);
    pthread_cond_broadcast(&g.work);
    pthread_cond_broadcast(&g.tick);
    struct timespec ts;
    time_deadline_after(&ts, wait_ms);
    while ((g.busy || g.queued) && pthread_cond_timedwait(&g.idle, &g.mu, &ts) != ETIMEDOUT)
        ;
    unsigned left = g.busy + g.queued;
    pthread_t *threads = g.threads;
    unsigned n = g.n_threads;
    pthread_mutex_unlock(&g.mu);

    pthread_join(g.timer, NULL);
    for (unsigned i = 0; i < n; i++) {
        if (left)
            pthread_detach(threads[i]); /* a job ignores its cancellation: leave it behind */
        else
            pthread_join(threads[i], NULL);
    }
    pthread_mutex_lock(&g.mu);
    free(threads);
    g.threads = NULL;
    g.n_threads = 0;
    g.up = false;
    g.abandoned = left != 0;
    if (!left) {
        pthread_cond_destroy(&g.work);
        pthread_cond_destroy(&g.idle);
        pthread_cond_destroy(&g.tick);
        g.stopping = false;
    }
    pthread_mutex_unlock(&g.mu);
    return left;
}
