/* http/server.c: the libmicrohttpd daemon of `sprout serve` (see server.h).
 *
 * One struct request per HTTP request: created by the URI log callback (which also gives us the
 * raw, still percent-encoded URI, so that an encoded "/" stays inside a path parameter), filled
 * across the calls of the access handler (headers, body chunks, end of body), freed by the
 * completion callback, which also writes the request log line.
 * Responses: the handler's buffer is handed to MHD without a copy (MHD_RESPMEM_MUST_FREE).
 * Errors the server itself detects (404, 405, 413, 400 for the query) are JSON like every
 * handler error; so are the ones libmicrohttpd makes itself (http/mhd_errors.c). Replies are
 * queued with http_queue_response(), never MHD_queue_response by name (mhd_errors.h).
 * Deferred answers: a handler that sets resp->run hands the request to http/defer.c, which
 * suspends the connection until the run has a JSON reply or a stream to send (no worker
 * thread waits), and closes the run's reader when the connection completes.
 * Thread model: MHD's pool threads run the callbacks; a request is only touched by the thread of
 * its connection (a deferred one also by its wake-up, see defer.h). The only other shared
 * mutable state is the in-flight counter (atomic).
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/defer.h"
#include "http/guard.h"
#include "http/mhd_errors.h"
#include "http/router.h"
#include "http/static.h"
#include "http/upload.h"
#include "util/timefmt.h"

#define CORS_METHODS "GET,HEAD,PUT,PATCH,POST,DELETE"
#define JSON_TYPE "application/json; charset=utf-8"

struct http_server {
    struct MHD_Daemon *daemon;
    unsigned port;
    bool quiet;
    const char *web_dir; /* --web DIR or NULL (embedded page) */
    const struct api_ctx *ctx;
    struct http_route_table routes;
    struct http_cors cors;
    struct http_conns *conns;
    atomic_uint in_flight;
    atomic_bool stopping; /* set by http_server_stop: new requests get 503 */
    struct http_defer_set *defers;
};

enum phase { PH_NEW = 0, PH_BODY, PH_DISCARD };

struct request {
    struct http_server *srv;
    struct arena arena;
    struct api_req req;
    struct api_resp resp;
    const struct api_route *route;
    struct http_upload *upload;
    struct http_defer *defer; /* the answer comes from a run (resp.run handed over) */
    struct buf body;
    char *uri;        /* raw request target, owned */
    const char *path; /* raw path (arena), for routing and the log */
    int64_t t0;
    enum phase phase;
    int status;             /* sent status, 0 until queued */
    bool preflight;         /* OPTIONS: answer with the CORS preflight */
    bool query_overflow;    /* more than HTTP_QUERY_PAIRS_MAX query pairs: 414 */
    bool target_too_long;   /* request target over HTTP_TARGET_MAX: 414 */
    bool deferred;          /* suspended while the database writer runs the handler */
    atomic_bool write_done; /* set by the writer thread before it resumes the connection */
    struct MHD_Connection *conn;
    const char *allow;         /* Allow header of a 405 (arena) */
    struct MHD_Response *page; /* a static file's reply (http/static.c), sent at the end */
    int page_status;
    char method[16];
};

/* ---- per-request state ---- */

static struct request *request_new(struct http_server *srv, const char *uri)
{
    struct request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->uri = strdup(uri ? uri : "/");
    if (!r->uri) {
        free(r);
        return NULL;
    }
    r->srv = srv;
    r->t0 = time_mono_us();
    r->body.limit = API_MAX_BODY;
    r->resp.body_is_json = true;
    atomic_fetch_add(&srv->in_flight, 1);
    return r;
}

static void request_free(struct request *r)
{
    json_decref(r->req.body_json);
    http_defer_free(r->defer); /* closes the run's reader: cancels the run if it was the last */
    run_reader_close(r->resp.run);
    http_upload_free(r->upload);
    if (r->page)
        MHD_destroy_response(r->page);
    buf_release(&r->body);
    buf_release(&r->resp.body);
    arena_free(&r->arena);
    atomic_fetch_sub(&r->srv->in_flight, 1);
    free(r->uri);
    free(r);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)c;
    struct request *r = request_new(cls, uri);
    /* uri points into libmicrohttpd's writable read buffer, which it parses for the query
     * pairs right after this callback: blank the separators of an oversized query before it
     * runs out of connection memory doing so (guard.h). r->uri keeps the original. */
    if (r) {
        r->query_overflow = http_query_overflow((char *)uri);
        r->target_too_long = uri && strlen(uri) > HTTP_TARGET_MAX;
    }
    return r;
}

static void log_request(const struct request *r)
{
    char line[512];
    double ms = (double)(time_mono_us() - r->t0) / 1000.0;
    int n = snprintf(line, sizeof line, "%s %.300s %d %.2fms\n", r->method[0] ? r->method : "-",
                     r->path ? r->path : r->uri, r->status, ms);
    if (n > (int)sizeof line - 1) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        return; /* nothing sensible to do when stderr is gone */
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    http_conns_request_done(c);
    struct request *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    if (r->upload && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        http_upload_free(r->upload); /* runs ops->abort unless finish succeeded */
        r->upload = NULL;
    }
    api_db_release(); /* an upload cut off half-way may have taken a connection */
    if (!srv->quiet && r->status)
        log_request(r);
    request_free(r);
}

/* ---- responses ---- */

/* CORS and security headers of every reply (guard.h): the allowed Origin is echoed (or "*"
 * when every origin is allowed); a request without Origin is not a browser's cross-origin
 * call and gets no CORS header. */
static void add_common_headers(const struct http_server *srv, struct MHD_Connection *c,
                               struct MHD_Response *resp)
{
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (srv->cors.any) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    } else if (origin && http_cors_allows(&srv->cors, origin)) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
        const char *vary = MHD_get_response_header(resp, "Vary");
        if (vary) {
            char both[128];
            snprintf(both, sizeof both, "Origin, %s", vary);
            MHD_del_response_header(resp, "Vary", vary);
            MHD_add_response_header(resp, "Vary", both);
        } else {
            MHD_add_response_header(resp, "Vary", "Origin");
        }
    }
    /* The web page (http/static.c) sets its own, less strict policy; API replies get ours. */
    if (!MHD_get_response_header(resp, "X-Content-Type-Options"))
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (!MHD_get_response_header(resp, "Content-Security-Policy"))
        MHD_add_response_header(resp, "Content-Security-Policy", HTTP_CSP);
}

static enum MHD_Result queue(struct request *r, struct MHD_Connection *c, struct MHD_Response *resp,
                             int status)
{
    if (!resp)
        return MHD_NO;
    add_common_headers(r->srv, c, resp);
    r->status = status;
    enum MHD_Result ret = http_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_reply(struct request *r, struct MHD_Connection *c)
{
    struct api_resp *a = &r->resp;
    if (a->status < 100 || a->status > 599)
        api_fail(a, SP_EINTERNAL, "the handler for %s %s produced no response", r->method,
                 r->path ? r->path : "");
    struct MHD_Response *resp;
    if (a->status == 204 || a->status == 304 || a->body.len == 0) {
        buf_release(&a->body);
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (resp && a->status != 204 && a->status != 304 && a->body_is_json)
            MHD_add_response_header(resp, "Content-Type", JSON_TYPE);
    } else {
        size_t len = a->body.len;
        char *data = buf_detach(&a->body);
        resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
            free(data);
            return MHD_NO;
        }
        if (a->body_is_json)
            MHD_add_response_header(resp, "Content-Type", JSON_TYPE);
    }
    if (resp && r->allow)
        MHD_add_response_header(resp, "Allow", r->allow);
    return queue(r, c, resp, a->status);
}

/* Does the request carry no body, or a small declared one? Then an early answer waits for the
 * end of the (discarded) body, so the connection can stay open. A large or chunked body is
 * answered at once and MHD closes the connection instead of reading it. */
static bool small_body(struct MHD_Connection *c)
{
    if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding"))
        return false;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (!cl)
        return true;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    return errno == 0 && end != cl && n <= API_MAX_BODY;
}

static enum MHD_Result send_reply(struct request *r, struct MHD_Connection *c);
static enum MHD_Result send_preflight(struct request *r, struct MHD_Connection *c);

/* An answer decided before the body: sent now or after the body was discarded. */
static enum MHD_Result answer_early(struct request *r, struct MHD_Connection *c)
{
    r->phase = PH_DISCARD;
    if (small_body(c))
        return MHD_YES;
    return r->preflight ? send_preflight(r, c) : send_reply(r, c);
}

/* msg: the error text (the status comes from code, api_status_from_err); allow: for 405. */
static enum MHD_Result fail_early(struct request *r, struct MHD_Connection *c, int code,
                                  const char *allow, const char *msg)
{
    api_fail(&r->resp, code, "%s", msg ? msg : sp_strerror(code));
    r->allow = allow ? arena_strdup(&r->arena, allow) : NULL;
    return answer_early(r, c);
}

/* An early answer with a status no SP_* code maps to (403 for a foreign origin, 414). */
static enum MHD_Result fail_status_early(struct request *r, struct MHD_Connection *c, int status,
                                         const char *msg)
{
    api_fail_status(&r->resp, status, SP_EINVAL, "%s", msg ? msg : "refused");
    r->allow = NULL;
    return answer_early(r, c);
}

static enum MHD_Result send_preflight(struct request *r, struct MHD_Connection *c)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    /* The cors middleware sends "Content-Length: 0" on its 204; MHD omits it unless told. */
    MHD_set_response_options(resp, MHD_RF_INSANITY_HEADER_CONTENT_LENGTH, MHD_RO_END);
    MHD_add_response_header(resp, "Content-Length", "0");
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", CORS_METHODS);
    const char *req_h =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Headers");
    if (req_h)
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", req_h);
    MHD_add_response_header(resp, "Vary", "Access-Control-Request-Headers");
    return queue(r, c, resp, 204);
}

/* ---- request set-up ---- */

struct query_walk {
    struct request *r;
    const char *dup; /* a key given twice */
    bool too_many;
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct query_walk *w = cls;
    struct api_req *q = &w->r->req;
    for (size_t i = 0; i < q->n_query; i++)
        if (strcmp(q->query[i].key, key) == 0) {
            w->dup = key;
            return MHD_NO;
        }
    if (q->n_query >= API_MAX_QUERY) {
        w->too_many = true;
        return MHD_NO;
    }
    q->query[q->n_query].key = key;
    q->query[q->n_query].value = value ? value : "";
    q->n_query++;
    return MHD_YES;
}

/* Content-Length above the limit: answer before reading the body. */
static bool declared_too_big(struct MHD_Connection *c, size_t limit)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (!cl)
        return false;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    return errno == ERANGE || (end != cl && n > limit);
}

/* First call for a request: route it; may queue an answer at once. */
static enum MHD_Result begin(struct request *r, struct MHD_Connection *c, const char *url,
                             const char *method)
{
    snprintf(r->method, sizeof r->method, "%s", method);
    http_conns_headers_done(c, false);
    char *q = strchr(r->uri, '?');
    r->path = q ? arena_strndup(&r->arena, r->uri, (size_t)(q - r->uri)) : r->uri;
    if (!r->path || r->path[0] != '/')
        r->path = arena_strdup(&r->arena, url ? url : "/");
    if (!r->path)
        return MHD_NO;

    r->req.ctx = r->srv->ctx;
    r->req.method = r->method;
    r->req.path = r->path;
    r->req.arena = &r->arena;
    r->req.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");

    if (atomic_load(&r->srv->stopping))
        return fail_early(r, c, SP_EUNAVAILABLE, NULL, "the server is shutting down");
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (origin && !http_cors_allows(&r->srv->cors, origin))
        return fail_status_early(
            r, c, 403,
            arena_printf(&r->arena,
                         "origin %.200s may not use this server (allowed: SPROUT_CORS_ORIGINS)",
                         origin));
    if (r->query_overflow)
        return fail_status_early(r, c, 414, "too many query parameters (limit 32)");
    if (r->target_too_long)
        return fail_status_early(r, c, 414, "request target too long (limit 8192 bytes)");
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (hs && hs->header_size > HTTP_HEADERS_MAX)
        return fail_status_early(r, c, 431, "request headers too large (limit 16384 bytes)");

    if (strcmp(method, "OPTIONS") == 0) {
        r->preflight = true;
        return answer_early(r, c);
    }
    if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) && http_static_owns(r->path)) {
        r->page_status =
            http_static_reply(r->srv->web_dir, r->path,
                              MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding"),
                              MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match"),
                              &r->page);
        if (!r->page)
            return MHD_NO;
        r->phase = PH_DISCARD;
        return MHD_YES;
    }

    struct http_route_match m;
    int rc = http_route_find(&r->srv->routes, method, r->path, &r->arena, &m);
    switch (rc) {
    case HTTP_ROUTE_FOUND: break;
    case HTTP_ROUTE_BAD_METHOD:
        return fail_early(r, c, SP_EMETHOD, m.allow,
                          arena_printf(&r->arena, "Cannot %s %s", method, r->path));
    case HTTP_ROUTE_BAD_PATH:
        return fail_early(r, c, SP_EINVAL, NULL,
                          arena_printf(&r->arena, "malformed percent-encoding in path %s",
                                       r->path));
    case HTTP_ROUTE_NO_PATH:
        return fail_early(r, c, SP_ENOTFOUND, NULL,
                          arena_printf(&r->arena, "Cannot %s %s", method, r->path));
    default: return MHD_NO;
    }
    r->route = m.route;
    memcpy(r->req.params, m.params, sizeof m.params);
    r->req.n_params = m.n_params;

    struct query_walk w = { r, NULL, false };
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, &w);
    if (w.dup)
        return fail_early(r, c, SP_EINVAL, NULL,
                          arena_printf(&r->arena, "query parameter '%s' given more than once",
                                       w.dup));
    if (w.too_many)
        return fail_early(r, c, SP_EINVAL, NULL,
                          arena_printf(&r->arena, "too many query parameters (limit %d)",
                                       API_MAX_QUERY));

    if (r->route->upload) {
        http_conns_headers_done(c, true);
        if (http_upload_start(c, r->route->upload, &r->req, &r->resp, &r->upload) != SP_OK)
            return send_reply(r, c);
        r->phase = PH_BODY;
        return MHD_YES;
    }
    r->body.limit = api_route_max_body(r->route);
    if (declared_too_big(c, r->body.limit))
        return fail_early(r, c, SP_ETOOBIG, NULL,
                          arena_printf(&r->arena, "request body too large (limit %zu bytes)",
                                       r->body.limit));
    r->phase = PH_BODY;
    return MHD_YES;
}

/* The answer of a deferred request: sent, or the connection suspended until there is one. */
static enum MHD_Result answer_deferred(struct request *r, struct MHD_Connection *c)
{
    int status = 500;
    switch (http_defer_poll(r->defer, &status, &r->resp.body)) {
    case HTTP_DEFER_WAIT: return MHD_YES;
    case HTTP_DEFER_JSON:
        r->resp.status = status;
        r->resp.body_is_json = true;
        return send_reply(r, c);
    case HTTP_DEFER_STREAM:
        /* A quiet stream is suspended, and suspended connections do not time out (MHD); the
         * idle timeout restarts at each resume, and the keep-alive comes well within it. */
        return queue(r, c, http_defer_stream_response(r->defer), 200);
    case HTTP_DEFER_GONE:
    default: return MHD_NO;
    }
}

/* The handler handed its work to a run: defer the answer. */
static enum MHD_Result begin_deferred(struct request *r, struct MHD_Connection *c)
{
    struct run_reader *reader = r->resp.run;
    r->resp.run = NULL;
    buf_release(&r->resp.body);
    struct sp_error err = { 0 };
    if (http_defer_new(r->srv->defers, c, reader, &r->defer, &err) != SP_OK) {
        api_fail(&r->resp, err.code, "%s", err.msg);
        return send_reply(r, c);
    }
    return answer_deferred(r, c);
}

static void run_handler(struct request *r)
{
    r->req.body = r->body.len ? r->body.data : NULL;
    r->req.body_len = r->body.len;
    int rc = r->route->handler(&r->req, &r->resp);
    if (rc != SP_OK && r->resp.run) { /* a failure is the answer, not the run */
        run_reader_close(r->resp.run);
        r->resp.run = NULL;
    }
    if (rc != SP_OK && (r->resp.status < 400 || r->resp.status > 599))
        api_fail(&r->resp, rc, "%s", sp_strerror(rc));
}

/* ---- group commit: a write route's handler runs on the database writer thread ---- */

static void write_done(void *cls)
{
    struct request *r = cls;
    atomic_store(&r->write_done, true);
    MHD_resume_connection(r->conn);
}

/* Suspend the connection (no worker thread waits) and queue the handler for the writer
 * (api_write_submit); write_done() resumes it and on_request() then sends the reply. */
static enum MHD_Result defer_write(struct request *r, struct MHD_Connection *c)
{
    r->req.body = r->body.len ? r->body.data : NULL;
    r->req.body_len = r->body.len;
    r->conn = c;
    r->deferred = true;
    api_body_prepare(&r->req); /* the JSON parse stays on this thread, off the writer */
    MHD_suspend_connection(c);
    if (api_write_submit(r->route, &r->req, &r->resp, write_done, r) != SP_OK) {
        api_fail(&r->resp, SP_ENOMEM, "out of memory queueing the write");
        write_done(r);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct request *r = *con_cls;
    if (!r) {
        r = request_new(srv, url);
        if (!r)
            return MHD_NO;
        *con_cls = r;
    }
    if (r->deferred) {
        if (!atomic_load(&r->write_done))
            return MHD_YES;
        r->deferred = false;
        return send_reply(r, c);
    }
    if (r->status) {
        *upload_data_size = 0; /* already answered: the rest of the body is dropped */
        return MHD_YES;
    }
    if (r->defer)
        return answer_deferred(r, c); /* resumed */
    if (r->phase == PH_NEW)
        return begin(r, c, url, method);

    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->phase == PH_DISCARD)
            return MHD_YES;
        if (r->upload) {
            if (http_upload_feed(r->upload, upload_data, n) != SP_OK)
                r->phase = PH_DISCARD;
        } else {
            int rc = buf_append(&r->body, upload_data, n);
            if (rc != SP_OK) {
                buf_release(&r->body);
                if (rc == SP_ETOOBIG)
                    api_fail(&r->resp, SP_ETOOBIG, "request body too large (limit %zu bytes)",
                             r->body.limit);
                else
                    api_fail(&r->resp, rc, "out of memory reading the request body");
                r->phase = PH_DISCARD;
            }
        }
        return MHD_YES;
    }

    /* the whole body has arrived */
    http_conns_body_done(c);
    if (r->preflight)
        return send_preflight(r, c);
    if (r->page) {
        struct MHD_Response *page = r->page;
        r->page = NULL;
        return queue(r, c, page, r->page_status);
    }
    if (r->phase != PH_DISCARD) {
        if (r->upload)
            http_upload_finish(r->upload);
        else if (api_route_batched(r->route))
            return defer_write(r, c);
        else
            run_handler(r);
        api_db_release(); /* PostgreSQL: the pooled connection goes back before the reply */
        if (r->resp.run)
            return begin_deferred(r, c);
    }
    return send_reply(r, c);
}

/* ---- daemon ---- */

static int resolve(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len,
                   struct sp_error *err)
{
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%u", port);
    int g = getaddrinfo(host, ps, &hints, &res);
    if (g != 0 || !res)
        return sp_error_set(err, SP_EINVAL, "cannot resolve HOST '%s': %s", host, gai_strerror(g));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return SP_OK;
}

/* Worker threads when the configuration leaves it open: one per online core. */
static unsigned online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

int http_server_start(const struct http_server_config *cfg, struct http_server **out,
                      struct sp_error *err)
{
    *out = NULL;
    if (!MHD_is_feature_supported(MHD_FEATURE_EPOLL))
        return sp_error_set(err, SP_EUNSUPPORTED, "libmicrohttpd was built without epoll support");
    const char *host = cfg->host && cfg->host[0] ? cfg->host : HTTP_DEFAULT_HOST;
    if (cfg->port > 65535)
        return sp_error_set(err, SP_EINVAL, "port %u is out of range (0-65535)", cfg->port);
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = resolve(host, cfg->port, &ss, &sl, err);
    if (rc != SP_OK)
        return rc;

    struct http_server *s = calloc(1, sizeof *s);
    if (!s)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    s->quiet = cfg->quiet;
    s->web_dir = cfg->web_dir;
    s->ctx = cfg->ctx;
    rc = http_cors_parse(cfg->cors_origins, &s->cors, err);
    if (rc != SP_OK) {
        free(s);
        return rc;
    }
    rc = http_conns_start(&cfg->conns, &s->conns, err);
    if (rc != SP_OK) {
        http_cors_free(&s->cors);
        free(s);
        return rc;
    }
    if (cfg->routes)
        s->routes = *cfg->routes;
    else
        s->routes = (struct http_route_table){ api_routes, api_n_routes };
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->stopping, false);
    rc = http_defer_set_new(&s->defers, err);
    if (rc != SP_OK) {
        http_conns_stop(s->conns);
        http_cors_free(&s->cors);
        free(s);
        return rc;
    }

    unsigned threads = cfg->threads ? cfg->threads : online_cores();
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_TURBO |
                     MHD_ALLOW_SUSPEND_RESUME;
    unsigned timeout_s = cfg->timeout_s ? cfg->timeout_s : HTTP_CONNECTION_TIMEOUT_S;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* SO_REUSEPORT only when asked: passing the option with 0 would also drop the default
     * SO_REUSEADDR (a restart on the port would then fail while old connections linger). An
     * inherited listening socket (a re-exec, cli/cmd_serve.c) is served as it is. */
    struct MHD_OptionItem extra[3];
    size_t n_extra = 0;
    if (cfg->listen_fd > 0)
        extra[n_extra++] =
            (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd, NULL };
    if (cfg->reuse_port)
        extra[n_extra++] = (struct MHD_OptionItem){ MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL };
    extra[n_extra] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    errno = 0;
    s->daemon =
        MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, s,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
                         threads, MHD_OPTION_CONNECTION_LIMIT, HTTP_CONNECTION_LIMIT,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
                         MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, MHD_OPTION_LISTEN_BACKLOG_SIZE,
                         511u, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, http_conns_notify, s->conns,
                         MHD_OPTION_ARRAY, extra, MHD_OPTION_END);
    if (!s->daemon) {
        int e = errno;
        http_conns_stop(s->conns);
        http_cors_free(&s->cors);
        http_defer_set_free(s->defers);
        free(s);
        return sp_error_set(err, SP_EIO, "cannot listen on %s port %u: %s", host, cfg->port,
                            e ? strerror(e) : "libmicrohttpd refused to start");
    }
    http_mhd_errors_register(s->daemon, &s->cors);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info && info->port ? info->port : cfg->port;
    *out = s;
    return SP_OK;
}

unsigned http_server_port(const struct http_server *s)
{
    return s->port;
}

int http_server_listen_fd(const struct http_server *s)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    return info ? info->listen_fd : -1;
}

unsigned http_server_stop(struct http_server *s, unsigned wait_ms)
{
    if (!s)
        return 0;
    /* No MHD_quiesce_daemon(): in libmicrohttpd 0.9.75 quiescing an epoll thread pool races
     * with its workers removing the listen socket from their epoll sets, and the loser aborts
     * the process ("Failed to remove listen FD from epoll set"). Instead, requests that start
     * from now on are answered 503 while the in-flight ones finish. */
    atomic_store(&s->stopping, true);
    unsigned waited = 0, left;
    struct timespec ts = { 0, 5 * 1000 * 1000 };
    while ((left = atomic_load(&s->in_flight)) != 0 && waited < wait_ms) {
        nanosleep(&ts, NULL);
        waited += 5;
    }
    /* Deferred requests still open (a producer that never finished): end them, so that no
     * connection is suspended when the daemon stops (MHD forbids it), and give them a moment. */
    if (http_defer_set_abort_all(s->defers))
        for (waited = 0; atomic_load(&s->in_flight) != 0 && waited < 1000; waited += 5)
            nanosleep(&ts, NULL);
    http_mhd_errors_unregister(s->daemon);
    MHD_stop_daemon(s->daemon);
    http_conns_stop(s->conns);
    http_cors_free(&s->cors);
    http_defer_set_free(s->defers);
    free(s);
    return left;
}
