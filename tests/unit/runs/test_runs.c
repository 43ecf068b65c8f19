/* tests/unit/runs/test_runs.c: runs/run.c: event order and exact bytes, JSON replies, several
 * readers, joins replaying the whole log, cancellation when the last reader detaches, the
 * keep-alive comment, the bounded queue, shutdown cancelling running and queued jobs, deferred
 * runs (run_create/run_finish), and wake-up callbacks. Runs under ASan (no leaks).
 * Jobs and readers synchronise through gates and wake-up semaphores; nothing is timed. */
#include "runs/run.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/check.h"
#include "util/buf.h"

/* ---- helpers ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* A job's controls: it waits for `step` to reach a value (or for cancellation). */
struct gate {
    pthread_mutex_t mu;
    int step;
    atomic_int saw_cancel;
    atomic_int ran;
    atomic_int freed;
    int events; /* how many events the job emits */
};

static void gate_init(struct gate *g, int events)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    g->events = events;
}

static void gate_set(struct gate *g, int step)
{
    pthread_mutex_lock(&g->mu);
    g->step = step;
    pthread_mutex_unlock(&g->mu);
}

/* Wait until the gate reaches step; false when the run was cancelled first (or 10 s passed,
 * which means the test is broken: it then fails instead of hanging). */
static bool gate_wait(struct gate *g, struct run *run, int step)
{
    for (int i = 0; i < 10000; i++) {
        if (run && run_cancelled(run)) {
            atomic_store(&g->saw_cancel, 1);
            return false;
        }
        pthread_mutex_lock(&g->mu);
        int s = g->step;
        pthread_mutex_unlock(&g->mu);
        if (s >= step)
            return true;
        sleep_ms(1);
    }
    return false;
}

static void gate_free(void *arg)
{
    atomic_fetch_add(&((struct gate *)arg)->freed, 1);
}

/* A reader with a wake-up semaphore. */
struct rd {
    struct run_reader *r;
    sem_t wake;
    atomic_int wakes;
    struct buf got;
};

static void on_wake(void *arg)
{
    struct rd *x = arg;
    atomic_fetch_add(&x->wakes, 1);
    sem_post(&x->wake);
}

static void rd_init(struct rd *x, struct run_reader *r)
{
    memset(x, 0, sizeof *x);
    sem_init(&x->wake, 0, 0);
    x->r = r;
    run_reader_set_wakeup(r, on_wake, x);
}

static void rd_close(struct rd *x)
{
    run_reader_close(x->r);
    x->r = NULL;
    sem_destroy(&x->wake);
    buf_release(&x->got);
}

/* Read what is available into x->got; wait (up to 10 s) for a wake-up when nothing is.
 * Returns 1 after bytes, -1 at the end, 0 after 10 s without anything (a failure). */
static int rd_step(struct rd *x)
{
    for (;;) {
        char chunk[7]; /* small on purpose: events span several reads */
        ssize_t n = run_reader_read(x->r, chunk, sizeof chunk);
        if (n > 0) {
            buf_append(&x->got, chunk, (size_t)n);
            return 1;
        }
        if (n < 0)
            return -1;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 10;
        if (sem_timedwait(&x->wake, &ts) != 0 && errno == ETIMEDOUT)
            return 0;
    }
}

/* Read until the end. */
static int rd_all(struct rd *x)
{
    int s;
    while ((s = rd_step(x)) == 1)
        ;
    return s;
}

/* Read until got contains needle. */
static bool rd_until(struct rd *x, const char *needle)
{
    while (!strstr(buf_cstr(&x->got), needle))
        if (rd_step(x) != 1)
            return false;
    return true;
}

static void pool_up(unsigned workers, unsigned queue)
{
    struct sp_error err = { 0 };
    int rc = runs_init(workers, queue, &err);
    CHECK_EQ_INT(rc, SP_OK);
}

static void pool_down(void)
{
    CHECK_EQ_INT(runs_shutdown(5000), 0);
}

/* ---- jobs ---- */

/* Emits g->events events "e<i>" {"i":i}, waiting for step i+1 before event i when i > 0 and
 * the gate is closed; returns early when cancelled. */
static void job_events(struct run *run, void *arg)
{
    struct gate *g = arg;
    atomic_fetch_add(&g->ran, 1);
    for (int i = 0; i < g->events; i++) {
        if (!gate_wait(g, run, i))
            return;
        char name[16], json[32];
        snprintf(name, sizeof name, "e%d", i);
        int n = snprintf(json, sizeof json, "{\"i\":%d}", i);
        run_event(run, name, json, (size_t)n);
    }
}

/* Waits for step 1, then replies 201 with a body. */
static void job_json(struct run *run, void *arg)
{
    struct gate *g = arg;
    atomic_fetch_add(&g->ran, 1);
    if (!gate_wait(g, run, 1))
        return;
    run_reply_json(run, 201, "{\"ok\":true}", 11);
    run_event(run, "late", "{}", 2);   /* ignored after a JSON reply */
    run_reply_json(run, 500, "{}", 2); /* ignored too */
}

/* Emits one event, then waits until cancelled (or step 100). */
/* Replies at step 1, then keeps running until step 2. */
static void job_json_then_wait(struct run *run, void *arg)
{
    struct gate *g = arg;
    atomic_fetch_add(&g->ran, 1);
    if (!gate_wait(g, run, 1))
        return;
    run_reply_json(run, 200, "{}", 2);
    gate_wait(g, NULL, 2);
}

static void job_until_cancel(struct run *run, void *arg)
{
    struct gate *g = arg;
    atomic_fetch_add(&g->ran, 1);
    run_event(run, "start", "{}", 2);
    gate_wait(g, run, 100);
    run_event(run, "after", "{}", 2); /* dropped when cancelled */
}

static void job_silent(struct run *run, void *arg)
{
    (void)run;
    atomic_fetch_add(&((struct gate *)arg)->ran, 1);
}

/* ---- tests ---- */

static void test_order_and_bytes(void)
{
    pool_up(2, 8);
    struct gate g;
    gate_init(&g, 50);
    gate_set(&g, 1000);
    struct run_reader *r = NULL;
    CHECK_EQ_INT(run_start(NULL, job_events, &g, gate_free, &r, NULL), SP_OK);
    struct rd x;
    rd_init(&x, r);
    CHECK_EQ_INT(rd_all(&x), -1);
    struct buf want = BUF_INIT(0);
    for (int i = 0; i < 50; i++)
        buf_printf(&want, "event: e%d\ndata: {\"i\":%d}\n\n", i, i);
    CHECK_STR_EQ(buf_cstr(&x.got), buf_cstr(&want));
    int status = 0;
    CHECK_EQ_INT(run_reader_state(r, &status), RUN_STREAM);
    CHECK(!run_reader_cancelled(r));
    CHECK(atomic_load(&x.wakes) > 0);
    rd_close(&x);
    buf_release(&want);
    pool_down();
    CHECK_EQ_INT(atomic_load(&g.freed), 1);
}

static void test_json_reply(void)
{
    pool_up(1, 8);
    struct gate g;
    gate_init(&g, 0);
    struct run_reader *r = NULL;
    CHECK_EQ_INT(run_start(NULL, job_json, &g, gate_free, &r, NULL), SP_OK);
    struct rd x;
    rd_init(&x, r);
    char b[8];
    CHECK_EQ_INT(run_reader_read(r, b, sizeof b), 0);
    int status = 0;
    CHECK_EQ_INT(run_reader_state(r, &status), RUN_PENDING);
    gate_set(&g, 1);
    CHECK_EQ_INT(rd_all(&x), -1);
    CHECK_EQ_INT(run_reader_state(r, &status), RUN_JSON);
    CHECK_EQ_INT(status, 201);
    CHECK_STR_EQ(buf_cstr(&x.got), "{\"ok\":true}");
    rd_close(&x);
    pool_down();
}

static void test_no_answer_is_500(void)
{
    pool_up(1, 8);
    struct gate g;
    gate_init(&g, 0);
    struct run_reader *r = NULL;
    CHECK_EQ_INT(run_start(NULL, job_silent, &g, NULL, &r, NULL), SP_OK);
    struct rd x;
    rd_init(&x, r);
    CHECK_EQ_INT(rd_all(&x), -1);
    int status = 0;
    CHECK_EQ_INT(run_reader_state(r, &status), RUN_JSON);
    CHECK_EQ_INT(status, 500);
    CHECK(strstr(buf_cstr(&x.got), "\"error\"") != NULL);
    rd_close(&x);
    pool_down();
}

static void test_join_replays_and_readers(void)
{
    pool_up(2, 8);
    struct gate g, g2;
    gate_init(&g, 6);
    gate_init(&g2, 6);
    gate_set(&g, 2); /* events 0..2 now, the rest later */
    struct run_reader *r1 = NULL, *r2 = NULL, *r3 = NULL;
    CHECK_EQ_INT(run_start("topic:1", job_events, &g, gate_free, &r1, NULL), SP_OK);
    struct rd a, b, c;
    rd_init(&a, r1);
    CHECK(rd_until(&a, "event: e2\n"));
    /* the second start joins: its job never runs, its arg is freed at once */
    CHECK_EQ_INT(run_start("topic:1", job_events, &g2, gate_free, &r2, NULL), SP_OK);
    CHECK_EQ_INT(atomic_load(&g2.freed), 1);
    rd_init(&b, r2);
    /* a different key is a different run */
    struct gate g3;
    gate_init(&g3, 1);
    gate_set(&g3, 10);
    CHECK_EQ_INT(run_start("topic:2", job_events, &g3, gate_free, &r3, NULL), SP_OK);
    rd_init(&c, r3);
    CHECK_EQ_INT(rd_all(&c), -1);
    CHECK_STR_EQ(buf_cstr(&c.got), "event: e0\ndata: {\"i\":0}\n\n");
    gate_set(&g, 100);
    CHECK_EQ_INT(rd_all(&a), -1);
    CHECK_EQ_INT(rd_all(&b), -1);
    CHECK(strstr(buf_cstr(&a.got), "event: e5\ndata: {\"i\":5}\n\n") != NULL);
    CHECK_STR_EQ(buf_cstr(&a.got), buf_cstr(&b.got)); /* replay from the first byte */
    CHECK_EQ_INT(atomic_load(&g.ran), 1);
    CHECK_EQ_INT(atomic_load(&g2.ran), 0);
    rd_close(&a);
    rd_close(&b);
    rd_close(&c);
    pool_down();
    CHECK_EQ_INT(atomic_load(&g.freed), 1);
}

static void test_join_after_done_starts_again(void)
{
    pool_up(1, 8);
    struct gate g, g2;
    gate_init(&g, 1);
    gate_init(&g2, 1);
    gate_set(&g, 10);
    gate_set(&g2, 10);
    struct run_reader *r1 = NULL, *r2 = NULL;
    CHECK_EQ_INT(run_start("k", job_events, &g, NULL, &r1, NULL), SP_OK);
    struct rd a, b;
    rd_init(&a, r1);
    CHECK_EQ_INT(rd_all(&a), -1);
    CHECK_EQ_INT(run_start("k", job_events, &g2, NULL, &r2, NULL), SP_OK);
    rd_init(&b, r2);
    CHECK_EQ_INT(rd_all(&b), -1);
    CHECK_EQ_INT(atomic_load(&g2.ran), 1);
    rd_close(&a);
    rd_close(&b);
    pool_down();
}

static void test_join_after_json_reply_starts_again(void)
{
    pool_up(2, 8);
    struct gate g, g2;
    gate_init(&g, 0);
    gate_init(&g2, 0);
    gate_set(&g2, 1);
    struct run_reader *r1 = NULL, *r2 = NULL;
    CHECK_EQ_INT(run_start("tutor:1", job_json_then_wait, &g, NULL, &r1, NULL), SP_OK);
    struct rd a, b;
    rd_init(&a, r1);
    gate_set(&g, 1);
    CHECK_EQ_INT(rd_all(&a), -1); /* answered; the job still runs (waits for step 2) */
    CHECK_EQ_INT(run_start("tutor:1", job_json, &g2, NULL, &r2, NULL), SP_OK);
    rd_init(&b, r2);
    CHECK_EQ_INT(rd_all(&b), -1);
    CHECK_EQ_INT(atomic_load(&g2.ran), 1); /* a new job, not the old answer */
    gate_set(&g, 2);
    rd_close(&a);
    rd_close(&b);
    pool_down();
}

static void test_cancel_on_last_detach(void)
{
    pool_up(1, 8);
    struct gate g;
    gate_init(&g, 0);
    struct run_reader *r1 = NULL, *r2 = NULL;
    CHECK_EQ_INT(run_start("c", job_until_cancel, &g, gate_free, &r1, NULL), SP_OK);
    CHECK_EQ_INT(run_start("c", job_until_cancel, &g, NULL, &r2, NULL), SP_OK);
    struct rd a, b;
    rd_init(&a, r1);
    rd_init(&b, r2);
    CHECK(rd_until(&a, "event: start\n"));
    rd_close(&a);
    CHECK(!run_reader_cancelled(r2)); /* one reader is left */
    CHECK_EQ_INT(atomic_load(&g.saw_cancel), 0);
    rd_close(&b);
    /* the job notices and returns; shutdown would report it otherwise */
    for (int i = 0; i < 10000 && !atomic_load(&g.freed); i++)
        sleep_ms(1);
    CHECK_EQ_INT(atomic_load(&g.saw_cancel), 1);
    CHECK_EQ_INT(atomic_load(&g.freed), 1);
    /* a cancelled run is not joined: the same key starts afresh */
    struct gate g2;
    gate_init(&g2, 1);
    gate_set(&g2, 5);
    struct run_reader *r3 = NULL;
    CHECK_EQ_INT(run_start("c", job_events, &g2, NULL, &r3, NULL), SP_OK);
    struct rd c;
    rd_init(&c, r3);
    CHECK_EQ_INT(rd_all(&c), -1);
    CHECK_EQ_INT(atomic_load(&g2.ran), 1);
    rd_close(&c);
    pool_down();
}

static void test_keepalive(void)
{
    runs_set_keepalive_ms(20);
    pool_up(1, 8);
    struct gate g;
    gate_init(&g, 2); /* e0 at once, e1 after gate_set(1) */
    struct run_reader *r = NULL;
    CHECK_EQ_INT(run_start(NULL, job_events, &g, NULL, &r, NULL), SP_OK);
    struct rd x;
    rd_init(&x, r);
    CHECK(rd_until(&x, "event: e0\n"));
    CHECK(rd_until(&x, RUN_KEEPALIVE_LINE));
    gate_set(&g, 10);
    CHECK_EQ_INT(rd_all(&x), -1);
    const char *s = buf_cstr(&x.got);
    const char *head = "event: e0\ndata: {\"i\":0}\n\n: keep-alive\n\n";
    CHECK(strncmp(s, head, strlen(head)) == 0);
    CHECK(strstr(s, "event: e1\ndata: {\"i\":1}\n\n") != NULL);
    rd_close(&x);
    pool_down();
    runs_set_keepalive_ms(0);
}

static void test_queue_full(void)
{
    pool_up(1, 1);
    struct gate g1, g2, g3;
    gate_init(&g1, 1);
    gate_init(&g2, 1);
    gate_init(&g3, 1);
    struct run_reader *r1 = NULL, *r2 = NULL, *r3 = NULL;
    CHECK_EQ_INT(run_start(NULL, job_until_cancel, &g1, gate_free, &r1, NULL), SP_OK);
    struct rd a;
    rd_init(&a, r1);
    CHECK(rd_until(&a, "event: start\n")); /* the only worker is busy */
    CHECK_EQ_INT(run_start(NULL, job_events, &g2, gate_free, &r2, NULL), SP_OK); /* queued */
    struct sp_error err = { 0 };
    CHECK_EQ_INT(run_start(NULL, job_events, &g3, gate_free, &r3, &err), SP_ETOOBIG);
    CHECK(r3 == NULL);
    CHECK_EQ_INT(atomic_load(&g3.freed), 1);
    CHECK(strstr(err.msg, "too many") != NULL);
    gate_set(&g1, 100);
    gate_set(&g2, 100);
    struct rd b;
    rd_init(&b, r2);
    CHECK_EQ_INT(rd_all(&a), -1);
    CHECK_EQ_INT(rd_all(&b), -1);
    CHECK_STR_EQ(buf_cstr(&b.got), "event: e0\ndata: {\"i\":0}\n\n");
    rd_close(&a);
    rd_close(&b);
    pool_down();
}

static void test_shutdown_cancels(void)
{
    pool_up(1, 4);
    struct gate g1, g2;
    gate_init(&g1, 0);
    gate_init(&g2, 1);
    struct run_reader *r1 = NULL, *r2 = NULL;
    CHECK_EQ_INT(run_start(NULL, job_until_cancel, &g1, gate_free, &r1, NULL), SP_OK);
    struct rd a;
    rd_init(&a, r1);
    CHECK(rd_until(&a, "event: start\n"));
    CHECK_EQ_INT(run_start(NULL, job_events, &g2, gate_free, &r2, NULL), SP_OK);
    struct rd b;
    rd_init(&b, r2);
    CHECK_EQ_INT(runs_shutdown(5000), 0);
    CHECK_EQ_INT(atomic_load(&g1.saw_cancel), 1);
    CHECK_EQ_INT(atomic_load(&g2.ran), 0); /* the queued job never ran */
    CHECK_EQ_INT(atomic_load(&g1.freed) + atomic_load(&g2.freed), 2);
    CHECK_EQ_INT(rd_all(&a), -1);
    CHECK_STR_EQ(buf_cstr(&a.got), "event: start\ndata: {}\n\n"); /* "after" was dropped */
    CHECK(run_reader_cancelled(r1));
    CHECK_EQ_INT(rd_all(&b), -1);
    int status = 0;
    CHECK_EQ_INT(run_reader_state(r2, &status), RUN_JSON);
    CHECK_EQ_INT(status, 503);
    /* after shutdown nothing starts */
    struct gate g3;
    gate_init(&g3, 0);
    struct run_reader *r3 = NULL;
    CHECK_EQ_INT(run_start(NULL, job_silent, &g3, gate_free, &r3, NULL), SP_EUNAVAILABLE);
    CHECK_EQ_INT(atomic_load(&g3.freed), 1);
    rd_close(&a);
    rd_close(&b);
    /* and the pool can start again */
    pool_up(1, 4);
    pool_down();
}

struct deferred {
    struct run *run;
    struct gate *g;
};

static void *producer(void *arg)
{
    struct deferred *d = arg;
    gate_wait(d->g, NULL, 1);
    run_reply_json(d->run, 200, "{\"committed\":1}", 15);
    run_finish(d->run);
    return NULL;
}

static void test_deferred_run(void)
{
    /* no pool needed */
    struct gate g;
    gate_init(&g, 0);
    struct deferred d = { NULL, &g };
    struct run_reader *r = NULL;
    CHECK_EQ_INT(run_create(&d.run, &r, NULL), SP_OK);
    struct rd x;
    rd_init(&x, r);
    pthread_t t;
    pthread_create(&t, NULL, producer, &d);
    gate_set(&g, 1);
    CHECK_EQ_INT(rd_all(&x), -1);
    int status = 0;
    CHECK_EQ_INT(run_reader_state(r, &status), RUN_JSON);
    CHECK_EQ_INT(status, 200);
    CHECK_STR_EQ(buf_cstr(&x.got), "{\"committed\":1}");
    pthread_join(t, NULL);
    rd_close(&x);

    /* a deferred stream whose reader goes away: cancelled, the producer's events dropped */
    struct run *run = NULL;
    CHECK_EQ_INT(run_create(&run, &r, NULL), SP_OK);
    run_event(run, "a", "{}", 2);
    run_reader_close(r);
    CHECK(run_cancelled(run));
    run_event(run, "b", "{}", 2);
    run_finish(run);
}

static void test_not_running(void)
{
    struct gate g;
    gate_init(&g, 0);
    struct run_reader *r = NULL;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(run_start(NULL, job_silent, &g, gate_free, &r, &err), SP_EUNAVAILABLE);
    CHECK_EQ_INT(atomic_load(&g.freed), 1);
    CHECK_EQ_INT(runs_init(0, 4, &err), SP_EINVAL);
    CHECK_EQ_INT(runs_init(65, 4, &err), SP_EINVAL);
    CHECK_EQ_INT(runs_init(2, 0, &err), SP_EINVAL);
    CHECK_EQ_INT(runs_shutdown(10), 0); /* not running: nothing to do */
    run_reader_close(NULL);
}

/* Many runs and readers at once: every reader gets its run's events in order. */
static void test_many(void)
{
    pool_up(4, 64);
    enum { N = 32 };
    struct gate g[N];
    struct rd x[N];
    for (int i = 0; i < N; i++) {
        gate_init(&g[i], 20);
        gate_set(&g[i], 100);
        struct run_reader *r = NULL;
        char key[16];
        snprintf(key, sizeof key, "k%d", i % 8); /* 8 keys: some starts join */
        CHECK_EQ_INT(run_start(key, job_events, &g[i], gate_free, &r, NULL), SP_OK);
        rd_init(&x[i], r);
    }
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(rd_all(&x[i]), -1);
        CHECK(strncmp(buf_cstr(&x[i].got), "event: e0\ndata: {\"i\":0}\n\n", 25) == 0);
        CHECK(strstr(buf_cstr(&x[i].got), "event: e19\ndata: {\"i\":19}\n\n") != NULL);
        rd_close(&x[i]);
    }
    pool_down();
    for (int i = 0; i < N; i++)
        CHECK_EQ_INT(atomic_load(&g[i].freed), 1);
}

int main(void)
{
    RUN(test_not_running);
    RUN(test_order_and_bytes);
    RUN(test_json_reply);
    RUN(test_no_answer_is_500);
    RUN(test_join_replays_and_readers);
    RUN(test_join_after_done_starts_again);
    RUN(test_join_after_json_reply_starts_again);
    RUN(test_cancel_on_last_detach);
    RUN(test_keepalive);
    RUN(test_queue_full);
    RUN(test_shutdown_cancels);
    RUN(test_deferred_run);
    RUN(test_many);
    return check_report("test_runs");
}
