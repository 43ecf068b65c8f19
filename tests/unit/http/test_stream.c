/* tests/unit/http/test_stream.c: deferred answers over a real socket: the real server code
 * (http/server.c + http/defer.c) with a test route table whose handlers hand their work to runs
 * (runs/run.c) that emit events with delays. Checked: the exact SSE bytes and headers (chunked),
 * a JSON-reply run, REST answered by the one worker thread while 10 streams are open, client
 * disconnect cancels the job (streaming and still pending), join/replay, CORS preflight on a
 * stream route, a full queue (503), the idle timeout not killing a quiet stream, keep-alive
 * comments, shutdown with open streams, and a deferred request whose producer never finishes.
 * Nothing is timed: waits are bounded polls that fail instead of hanging. */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "runs/run.h"
#include "support/check.h"
#include "util/buf.h"

static atomic_int jobs_started, jobs_cancelled, runs_handed;

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Sleep ms in small steps; false as soon as the run is cancelled. */
static bool nap(struct run *run, long ms)
{
    for (long t = 0; t < ms; t += 5) {
        if (run_cancelled(run))
            return false;
        sleep_ms(5);
    }
    return !run_cancelled(run);
}

static bool wait_for(atomic_int *v, int want)
{
    for (int i = 0; i < 2000 && atomic_load(v) < want; i++)
        sleep_ms(5);
    return atomic_load(v) >= want;
}

/* ---- the test routes ---- */

struct job_arg {
    long n, delay;
    bool hold; /* after the events, wait until cancelled */
};

static long qlong(struct api_req *req, const char *key, long def)
{
    const char *v = api_query(req, key);
    return v ? strtol(v, NULL, 10) : def;
}

static void job_stream(struct run *run, void *p)
{
    struct job_arg *a = p;
    atomic_fetch_add(&jobs_started, 1);
    for (long i = 0; i < a->n; i++) {
        if (i > 0 && !nap(run, a->delay))
            goto cancelled;
        char json[64];
        int len = snprintf(json, sizeof json, "{\"i\":%ld,\"text\":\"caf\\u00e9 \xc3\xa9\"}", i);
        run_event(run, "tick", json, (size_t)len);
    }
    if (a->hold)
        while (nap(run, 50))
            ;
    if (!run_cancelled(run))
        return;
cancelled:
    atomic_fetch_add(&jobs_cancelled, 1);
}

static void job_json(struct run *run, void *p)
{
    struct job_arg *a = p;
    atomic_fetch_add(&jobs_started, 1);
    bool ok = nap(run, a->delay);
    if (ok && a->hold) {
        while (nap(run, 50))
            ;
        ok = false;
    }
    if (!ok) {
        atomic_fetch_add(&jobs_cancelled, 1);
        return;
    }
    run_reply_json(run, 201, "{\"answer\":42}", 13);
}

static int start(struct api_req *req, struct api_resp *resp, run_job_fn job)
{
    struct job_arg *a = malloc(sizeof *a);
    if (!a)
        return api_fail(resp, SP_ENOMEM, "out of memory");
    a->n = qlong(req, "n", 1);
    a->delay = qlong(req, "delay", 0);
    a->hold = qlong(req, "hold", 0) != 0;
    int rc = api_start_run(resp, api_query(req, "key"), job, a, free);
    if (rc == SP_OK)
        atomic_fetch_add(&runs_handed, 1);
    return rc;
}

static int h_stream(struct api_req *req, struct api_resp *resp)
{
    return start(req, resp, job_stream);
}

static int h_json(struct api_req *req, struct api_resp *resp)
{
    return start(req, resp, job_json);
}

static int h_ping(struct api_req *req, struct api_resp *resp)
{
    (void)req;
    buf_puts(&resp->body, "{\"pong\":true}");
    return api_reply(resp, 200);
}

/* A deferred answer produced by a thread of its own (as a group commit would). */
static struct run *_Atomic held_run; /* /api/deferred?never=1: finished by the test */

static void *finisher(void *p)
{
    struct run *run = p;
    sleep_ms(30);
    run_reply_json(run, 200, "{\"committed\":true}", 18);
    run_finish(run);
    return NULL;
}

static int h_deferred(struct api_req *req, struct api_resp *resp)
{
    struct run *run = NULL;
    struct sp_error err = { 0 };
    if (run_create(&run, &resp->run, &err) != SP_OK)
        return api_fail(resp, err.code, "%s", err.msg);
    if (qlong(req, "never", 0)) {
        atomic_store(&held_run, run);
        return SP_OK;
    }
    pthread_t t;
    pthread_create(&t, NULL, finisher, run);
    pthread_detach(t);
    return SP_OK;
}

static const struct api_route routes[] = {
    { "GET", "/api/ping", h_ping, NULL },
    { "POST", "/api/stream", h_stream, NULL },
    { "POST", "/api/json", h_json, NULL },
    { "GET", "/api/deferred", h_deferred, NULL },
};
static const struct http_route_table table = { routes, sizeof routes / sizeof routes[0] };
static const struct api_ctx ctx = { 0 };

static struct http_server *server_up(unsigned workers, unsigned queue, unsigned timeout_s)
{
    atomic_store(&jobs_started, 0);
    atomic_store(&jobs_cancelled, 0);
    atomic_store(&runs_handed, 0);
    struct sp_error err = { 0 };
    CHECK_EQ_INT(runs_init(workers, queue, &err), SP_OK);
    struct http_server_config cfg = { .host = "127.0.0.1",
                                      .port = 0,
                                      .threads = 1,
                                      .quiet = true,
                                      .timeout_s = timeout_s,
                                      .ctx = &ctx,
                                      .routes = &table };
    struct http_server *s = NULL;
    CHECK_EQ_INT(http_server_start(&cfg, &s, &err), SP_OK);
    return s;
}

static void server_down(struct http_server *s)
{
    CHECK_EQ_INT(runs_shutdown(5000), 0);
    CHECK_EQ_INT(http_server_stop(s, 5000), 0);
}

/* ---- a small HTTP/1.1 client over a raw socket ---- */

struct client {
    int fd;
    char raw[65536];
    size_t len; /* unparsed bytes in raw */
    int status;
    char head[4096];     /* status line + headers */
    long content_length; /* -1: chunked */
    struct buf body;     /* de-chunked body so far */
    bool ended;
};

static bool cl_connect(struct client *c, unsigned port)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return c->fd >= 0 && connect(c->fd, (struct sockaddr *)&a, sizeof a) == 0;
}

static void cl_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    buf_release(&c->body);
}

static bool cl_send(struct client *c, const char *method, const char *target, const char *extra)
{
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: localhost\r\n%sContent-Length: 0\r\n\r\n", method,
                     target, extra ? extra : "");
    c->status = 0;
    c->ended = false;
    buf_reset(&c->body);
    return write(c->fd, req, (size_t)n) == n;
}

/* Read more bytes (waits up to 10 s). false at EOF, error or timeout. */
static bool cl_fill(struct client *c)
{
    struct pollfd p = { c->fd, POLLIN, 0 };
    if (poll(&p, 1, 10000) != 1)
        return false;
    ssize_t n = read(c->fd, c->raw + c->len, sizeof c->raw - c->len - 1);
    if (n <= 0)
        return false;
    c->len += (size_t)n;
    c->raw[c->len] = '\0';
    return true;
}

static void cl_consume(struct client *c, size_t n)
{
    memmove(c->raw, c->raw + n, c->len - n);
    c->len -= n;
    c->raw[c->len] = '\0';
}

static const char *cl_header(struct client *c, const char *name)
{
    static char val[512];
    size_t nl = strlen(name);
    for (const char *p = strstr(c->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t k = strcspn(v, "\r");
            snprintf(val, sizeof val, "%.*s", (int)k, v);
            return val;
        }
    }
    return NULL;
}

static bool cl_read_head(struct client *c)
{
    char *end;
    while (!(end = strstr(c->raw, "\r\n\r\n")))
        if (!cl_fill(c))
            return false;
    size_t n = (size_t)(end - c->raw) + 4;
    snprintf(c->head, sizeof c->head, "%.*s", (int)n, c->raw);
    cl_consume(c, n);
    c->status = (int)strtol(c->head + 9, NULL, 10);
    const char *cl = cl_header(c, "Content-Length");
    const char *te = cl_header(c, "Transfer-Encoding");
    c->content_length = te && strcasecmp(te, "chunked") == 0 ? -1 : cl ? strtol(cl, NULL, 10) : 0;
    return true;
}

/* Parse what arrived into body; one more read when nothing could be parsed. false on EOF. */
static bool cl_body_step(struct client *c)
{
    if (c->content_length >= 0) {
        while (c->len < (size_t)c->content_length)
            if (!cl_fill(c))
                return false;
        buf_append(&c->body, c->raw, (size_t)c->content_length);
        cl_consume(c, (size_t)c->content_length);
        c->ended = true;
        return true;
    }
    bool progress = false;
    for (;;) {
        char *crlf = strstr(c->raw, "\r\n");
        if (!crlf)
            break;
        size_t size = strtoul(c->raw, NULL, 16);
        size_t hl = (size_t)(crlf - c->raw) + 2;
        if (c->len < hl + size + 2)
            break;
        if (size == 0) {
            cl_consume(c, hl + 2);
            c->ended = true;
            return true;
        }
        buf_append(&c->body, c->raw + hl, size);
        cl_consume(c, hl + size + 2);
        progress = true;
    }
    return progress || cl_fill(c);
}

static bool cl_body_until(struct client *c, const char *needle)
{
    while (!strstr(buf_cstr(&c->body), needle))
        if (c->ended || !cl_body_step(c))
            return false;
    return true;
}

static bool cl_body_all(struct client *c)
{
    while (!c->ended)
        if (!cl_body_step(c))
            return false;
    return true;
}

/* One whole request/response. */
static bool cl_exchange(struct client *c, const char *method, const char *target, const char *extra)
{
    return cl_send(c, method, target, extra) && cl_read_head(c) && cl_body_all(c);
}

/* Has the server closed the connection (EOF within 10 s)? */
static bool cl_eof(struct client *c)
{
    for (;;) {
        struct pollfd p = { c->fd, POLLIN, 0 };
        if (poll(&p, 1, 10000) != 1)
            return false;
        char b[256];
        if (read(c->fd, b, sizeof b) <= 0)
            return true;
    }
}

#define TICK(i) "event: tick\ndata: {\"i\":" #i ",\"text\":\"caf\\u00e9 \xc3\xa9\"}\n\n"

/* ---- tests ---- */

static void test_sse_bytes_and_headers(void)
{
    struct http_server *s = server_up(2, 8, 0);
    struct client c;
    CHECK(cl_connect(&c, http_server_port(s)));
    CHECK(cl_send(&c, "POST", "/api/stream?n=3&delay=20", "Origin: http://localhost:3000\r\n"));
    CHECK(cl_read_head(&c));
    CHECK_EQ_INT(c.status, 200);
    CHECK_STR_EQ(cl_header(&c, "Content-Type"), "text/event-stream");
    CHECK_STR_EQ(cl_header(&c, "Cache-Control"), "no-cache");
    CHECK(cl_header(&c, "Connection") &&
          strcasecmp(cl_header(&c, "Connection"), "keep-alive") == 0);
    CHECK_STR_EQ(cl_header(&c, "X-Accel-Buffering"), "no");
    CHECK_STR_EQ(cl_header(&c, "Access-Control-Allow-Origin"), "http://localhost:3000");
    CHECK_STR_EQ(cl_header(&c, "Transfer-Encoding"), "chunked");
    CHECK(cl_body_all(&c));
    CHECK_STR_EQ(buf_cstr(&c.body), TICK(0) TICK(1) TICK(2));
    /* the connection stays usable after the stream */
    CHECK(cl_exchange(&c, "GET", "/api/ping", NULL));
    CHECK_EQ_INT(c.status, 200);
    CHECK_STR_EQ(buf_cstr(&c.body), "{\"pong\":true}");
    cl_close(&c);
    server_down(s);
}

static void test_json_run(void)
{
    struct http_server *s = server_up(2, 8, 0);
    struct client c;
    CHECK(cl_connect(&c, http_server_port(s)));
    CHECK(cl_exchange(&c, "POST", "/api/json?delay=50", NULL));
    CHECK_EQ_INT(c.status, 201);
    CHECK_STR_EQ(cl_header(&c, "Content-Type"), "application/json; charset=utf-8");
    CHECK(cl_header(&c, "Access-Control-Allow-Origin") == NULL); /* no Origin: no CORS header */
    CHECK_STR_EQ(buf_cstr(&c.body), "{\"answer\":42}");
    /* a deferred answer from a thread of its own (run_create) */
    CHECK(cl_exchange(&c, "GET", "/api/deferred", NULL));
    CHECK_EQ_INT(c.status, 200);
    CHECK_STR_EQ(buf_cstr(&c.body), "{\"committed\":true}");
    cl_close(&c);
    server_down(s);
}

static void test_rest_while_streams_open(void)
{
    enum { N = 10 };
    struct http_server *s = server_up(N + 2, 16, 0); /* and ONE http worker thread */
    struct client c[N];
    for (int i = 0; i < N; i++) {
        CHECK(cl_connect(&c[i], http_server_port(s)));
        CHECK(cl_send(&c[i], "POST", "/api/stream?n=1&hold=1", NULL));
        CHECK(cl_read_head(&c[i]));
        CHECK_EQ_INT(c[i].status, 200);
        CHECK(cl_body_until(&c[i], TICK(0)));
    }
    struct client r;
    CHECK(cl_connect(&r, http_server_port(s)));
    for (int k = 0; k < 20; k++) {
        CHECK(cl_exchange(&r, "GET", "/api/ping", NULL));
        CHECK_EQ_INT(r.status, 200);
    }
    cl_close(&r);
    CHECK_EQ_INT(atomic_load(&jobs_cancelled), 0);
    /* every client goes away: every job sees its cancellation */
    for (int i = 0; i < N; i++)
        cl_close(&c[i]);
    CHECK(wait_for(&jobs_cancelled, N));
    CHECK_EQ_INT(atomic_load(&jobs_started), N);
    server_down(s);
}

/* Clients leave while events pour in: wake-ups race with the connections' completion. Every job
 * ends (cancelled or done), nothing leaks or is used after free (ASan), the server stops. */
static void test_disconnect_storm(void)
{
    enum { N = 24 };
    struct http_server *s = server_up(8, 64, 0);
    struct client c[N];
    for (int i = 0; i < N; i++) {
        CHECK(cl_connect(&c[i], http_server_port(s)));
        CHECK(cl_send(&c[i], "POST", "/api/stream?n=400&delay=1", NULL));
    }
    for (int i = 0; i < N; i++) {
        CHECK(cl_read_head(&c[i]));
        char stop[32];
        snprintf(stop, sizeof stop, "\"i\":%d,", (i * 37) % 300);
        CHECK(cl_body_until(&c[i], stop));
        cl_close(&c[i]);
    }
    for (int i = 0; i < 2000 && atomic_load(&jobs_started) < N; i++)
        sleep_ms(5);
    CHECK_EQ_INT(atomic_load(&jobs_started), N);
    server_down(s); /* waits for every job */
    CHECK(atomic_load(&jobs_cancelled) > 0);
}

static void test_disconnect_while_pending(void)
{
    struct http_server *s = server_up(2, 8, 0);
    struct client c;
    CHECK(cl_connect(&c, http_server_port(s)));
    CHECK(cl_send(&c, "POST", "/api/json?hold=1", NULL));
    CHECK(wait_for(&jobs_started, 1));
    cl_close(&c); /* the request is suspended in its access handler */
    CHECK(wait_for(&jobs_cancelled, 1));
    server_down(s);
}

static void test_join_replays(void)
{
    struct http_server *s = server_up(2, 8, 0);
    struct client a, b;
    CHECK(cl_connect(&a, http_server_port(s)));
    CHECK(cl_connect(&b, http_server_port(s)));
    CHECK(cl_send(&a, "POST", "/api/stream?n=4&delay=100&key=topic-run:1", NULL));
    CHECK(cl_read_head(&a));
    CHECK(cl_body_until(&a, TICK(0)));
    CHECK(cl_send(&b, "POST", "/api/stream?n=4&delay=100&key=topic-run:1", NULL));
    CHECK(cl_read_head(&b));
    CHECK_EQ_INT(b.status, 200);
    CHECK(cl_body_all(&a));
    CHECK(cl_body_all(&b));
    CHECK_STR_EQ(buf_cstr(&a.body), TICK(0) TICK(1) TICK(2) TICK(3));
    CHECK_STR_EQ(buf_cstr(&b.body), buf_cstr(&a.body));
    CHECK_EQ_INT(atomic_load(&jobs_started), 1);
    cl_close(&a);
    cl_close(&b);
    server_down(s);
}

static void test_preflight(void)
{
    struct http_server *s = server_up(1, 4, 0);
    struct client c;
    CHECK(cl_connect(&c, http_server_port(s)));
    CHECK(cl_exchange(&c, "OPTIONS", "/api/stream",
                      "Origin: http://localhost:3000\r\nAccess-Control-Request-Method: POST\r\n"
                      "Access-Control-Request-Headers: content-type\r\n"));
    CHECK_EQ_INT(c.status, 204);
    CHECK_STR_EQ(cl_header(&c, "Access-Control-Allow-Origin"), "http://localhost:3000");
    CHECK(cl_header(&c, "Access-Control-Allow-Methods") &&
          strstr(cl_header(&c, "Access-Control-Allow-Methods"), "POST"));
    CHECK_STR_EQ(cl_header(&c, "Access-Control-Allow-Headers"), "content-type");
    CHECK_EQ_INT(atomic_load(&jobs_started), 0);
    cl_close(&c);
    server_down(s);
}

static void test_queue_full(void)
{
    struct http_server *s = server_up(1, 1, 0);
    struct client a, b, c;
    CHECK(cl_connect(&a, http_server_port(s)));
    CHECK(cl_send(&a, "POST", "/api/stream?n=1&hold=1", NULL));
    CHECK(cl_read_head(&a)); /* running */
    CHECK(cl_connect(&b, http_server_port(s)));
    CHECK(cl_send(&b, "POST", "/api/stream?n=1", NULL)); /* waits in the queue */
    CHECK(wait_for(&runs_handed, 2));
    CHECK_EQ_INT(atomic_load(&jobs_started), 1);
    CHECK(cl_connect(&c, http_server_port(s)));
    CHECK(cl_exchange(&c, "POST", "/api/stream?n=1", NULL));
    CHECK_EQ_INT(c.status, 503);
    CHECK(strstr(buf_cstr(&c.body), "{\"error\":\"too many") == buf_cstr(&c.body));
    cl_close(&a); /* the running job is cancelled, the queued one runs */
    CHECK(cl_read_head(&b));
    CHECK(cl_body_all(&b));
    CHECK_STR_EQ(buf_cstr(&b.body), TICK(0));
    cl_close(&b);
    cl_close(&c);
    server_down(s);
}

static void test_timeout_spares_quiet_stream(void)
{
    struct http_server *s = server_up(1, 4, 1); /* idle connections closed after 1 s */
    struct client c;
    CHECK(cl_connect(&c, http_server_port(s)));
    CHECK(cl_send(&c, "POST", "/api/stream?n=2&delay=2500", NULL));
    CHECK(cl_read_head(&c));
    CHECK(cl_body_all(&c));
    CHECK_STR_EQ(buf_cstr(&c.body), TICK(0) TICK(1));
    /* an idle connection does time out */
    CHECK(cl_exchange(&c, "GET", "/api/ping", NULL));
    CHECK(cl_eof(&c));
    cl_close(&c);
    server_down(s);
}

static void test_keepalive_comment(void)
{
    runs_set_keepalive_ms(100);
    struct http_server *s = server_up(1, 4, 0);
    struct client c;
    CHECK(cl_connect(&c, http_server_port(s)));
    CHECK(cl_send(&c, "POST", "/api/stream?n=2&delay=600", NULL));
    CHECK(cl_read_head(&c));
    CHECK(cl_body_all(&c));
    const char *b = buf_cstr(&c.body);
    CHECK(strncmp(b, TICK(0) ": keep-alive\n\n", strlen(TICK(0) ": keep-alive\n\n")) == 0);
    size_t tl = strlen(TICK(1));
    CHECK(strlen(b) > tl && strcmp(b + strlen(b) - tl, TICK(1)) == 0);
    cl_close(&c);
    server_down(s);
    runs_set_keepalive_ms(0);
}

static void test_shutdown_with_open_streams(void)
{
    struct http_server *s = server_up(4, 8, 0);
    struct client c[3];
    for (int i = 0; i < 3; i++) {
        CHECK(cl_connect(&c[i], http_server_port(s)));
        CHECK(cl_send(&c[i], "POST", "/api/stream?n=1&hold=1", NULL));
        CHECK(cl_read_head(&c[i]));
        CHECK(cl_body_until(&c[i], TICK(0)));
    }
    CHECK_EQ_INT(runs_shutdown(5000), 0);
    CHECK_EQ_INT(atomic_load(&jobs_cancelled), 3);
    for (int i = 0; i < 3; i++) {
        CHECK(cl_body_all(&c[i])); /* the stream ends cleanly (terminal chunk) */
        CHECK_STR_EQ(buf_cstr(&c[i].body), TICK(0));
    }
    /* new runs are refused while stopping */
    struct client d;
    CHECK(cl_connect(&d, http_server_port(s)));
    CHECK(cl_exchange(&d, "POST", "/api/stream?n=1", NULL));
    CHECK_EQ_INT(d.status, 503);
    cl_close(&d);
    CHECK_EQ_INT(http_server_stop(s, 5000), 0);
    for (int i = 0; i < 3; i++)
        cl_close(&c[i]);
}

static void test_stop_with_unfinished_deferred(void)
{
    struct http_server *s = server_up(1, 4, 0);
    struct client c;
    CHECK(cl_connect(&c, http_server_port(s)));
    CHECK(cl_send(&c, "GET", "/api/deferred?never=1", NULL));
    for (int i = 0; i < 2000 && !atomic_load(&held_run); i++)
        sleep_ms(5);
    CHECK(atomic_load(&held_run) != NULL);
    CHECK_EQ_INT(runs_shutdown(5000), 0);
    /* the producer never finishes: stop gives up waiting and ends the request with a 503 */
    CHECK_EQ_INT(http_server_stop(s, 200), 1);
    CHECK(cl_read_head(&c));
    CHECK_EQ_INT(c.status, 503);
    CHECK(cl_body_all(&c));
    CHECK_STR_EQ(buf_cstr(&c.body), "{\"error\":\"the server is shutting down\"}");
    struct run *run = atomic_load(&held_run);
    CHECK(run_cancelled(run)); /* its reader went away */
    run_finish(run);
    atomic_store(&held_run, NULL);
    cl_close(&c);
}

int main(void)
{
    RUN(test_sse_bytes_and_headers);
    RUN(test_json_run);
    RUN(test_rest_while_streams_open);
    RUN(test_disconnect_storm);
    RUN(test_disconnect_while_pending);
    RUN(test_join_replays);
    RUN(test_preflight);
    RUN(test_queue_full);
    RUN(test_timeout_spares_quiet_stream);
    RUN(test_keepalive_comment);
    RUN(test_shutdown_with_open_streams);
    RUN(test_stop_with_unfinished_deferred);
    return check_report("test_stream");
}
