/* api/api.h: what a route handler sees and fills, independent of the HTTP library.
 *
 * The http/ layer owns sockets and parsing. For each request it builds a struct api_req
 * (method, decoded path parameters, decoded query pairs, raw body), finds the route in
 * api_routes[] (api/routes.c) and calls its handler, which fills a struct api_resp.
 * Handlers contain no SQL (that is storage/) and no libmicrohttpd types (that is http/).
 *
 * Errors: a handler returns SP_OK after filling resp, or calls api_fail(), which turns an
 * SP_* code into the one HTTP status for it (api_status_from_err, the only such mapping)
 * and a {"error": "..."} body, and returns the code.
 * Ownership: everything reachable from api_req is borrowed until the response is sent;
 * req->arena is per-request memory released after the response. resp->body is owned by the
 * http layer, which frees it after sending.
 * Thread model: handlers run on the HTTP worker threads, several at once; each thread has
 * its own database connection (api_db()).
 */
#ifndef SP_API_API_H
#define SP_API_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "runs/run.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

#define API_MAX_PARAMS 4
#define API_MAX_BODY (100 * 1024) /* JSON bodies, as the original's express.json() limit */
#define API_TUTOR_MAX_BODY (8 * 1024 * 1024) /* the tutor turn: a 7,000,000-character drawing */
#define API_MAX_QUERY 32

struct db;
struct objstore;
struct llm_client;
struct run_reader;

/* Process-wide server configuration, built by cli/cmd_serve.c. */
struct api_ctx {
    const char *db_path;
    struct objstore *store;       /* document bytes (objects/objstore.h); may be NULL */
    const struct llm_client *llm; /* the model (llm/llm.h); NULL when none is configured */
    const char *tmp_dir;          /* staged uploads go here; NULL = /tmp */
};

struct api_query_pair {
    const char *key;
    const char *value;
};

struct store_row; /* storage/store.h */

struct api_req {
    const struct api_ctx *ctx;
    const char *method;                 /* upper-case: GET, POST, ... */
    const char *path;                   /* as received, without the query string */
    const char *params[API_MAX_PARAMS]; /* percent-decoded :params in pattern order */
    size_t n_params;
    struct api_query_pair query[API_MAX_QUERY];
    size_t n_query;
    const char *content_type; /* header value or NULL */
    const char *body;         /* raw body (NUL-terminated) or NULL */
    size_t body_len;
    struct arena *arena;
    /* The body already parsed as a JSON object (api_body_prepare, on the HTTP worker thread,
     * so that the database writer does not parse it), or NULL. Owned: released with the
     * request (json_decref). */
    json_t *body_json;
    /* A create route queued for the database writer (api/write.c): its body already validated
     * into this row on the HTTP worker thread, the new row's id included (api_create_prepare),
     * so the writer only inserts. Owned by the queued job; NULL otherwise. */
    const struct store_row *prepared;
};

struct api_resp {
    int status;        /* 0 until set */
    struct buf body;   /* JSON text; empty with status 204 */
    bool body_is_json; /* false only for the few non-JSON replies */
    /* Set by a handler that handed its work to a run (runs/run.h): the http layer suspends the
     * connection and answers with what the run produces (one JSON reply, or an SSE stream),
     * then closes the reader. status and body are then ignored. */
    struct run_reader *run;
};

typedef int (*api_handler_fn)(struct api_req *req, struct api_resp *resp);

/* Streaming multipart uploads (documents). http/upload.c drives these while the body
 * arrives, so a file never has to be held in memory. begin() runs before any body byte is
 * read (it may refuse, e.g. 404 for a missing node); every later callback returns SP_OK or
 * an error after api_fail() on resp, which stops the upload. abort() always runs on failure
 * or a dropped connection, and must leave nothing behind. */
struct api_upload_ops {
    int (*begin)(struct api_req *req, struct api_resp *resp, void **state);
    int (*part_begin)(void *state, struct api_resp *resp, const char *field, const char *filename,
                      const char *content_type);
    int (*part_data)(void *state, struct api_resp *resp, const char *data, size_t len);
    int (*part_end)(void *state, struct api_resp *resp);
    int (*finish)(void *state, struct api_req *req, struct api_resp *resp);
    void (*abort)(void *state);
};

struct api_route {
    const char *method;
    const char *pattern;    /* "/api/nodes/:id/children" */
    api_handler_fn handler; /* NULL when upload is set */
    const struct api_upload_ops *upload;
};

extern const struct api_route api_routes[];
extern const size_t api_n_routes;
/* The body limit of a route: API_MAX_BODY, or more for the few routes that need it. */
size_t api_route_max_body(const struct api_route *route);

/* ---- helpers for handlers (api/api.c) ---- */

/* The single SP_* -> HTTP status mapping. */
int api_status_from_err(int code);
/* Fill resp with status for code and {"error": message}; returns code. */
int api_fail(struct api_resp *resp, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Deprecated, kept for the agent handlers written against the earlier tree (503 for a full run
 * queue reported as SP_ETOOBIG): an explicit status outside api_status_from_err. New code uses
 * api_fail with the code that means the status (SP_EUNAVAILABLE for 503). */
int api_fail_status(struct api_resp *resp, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Set status; the body is whatever the handler appended to resp->body. */
int api_reply(struct api_resp *resp, int status);
/* First value of a query key, NULL when absent; "" is returned as "". */
const char *api_query(const struct api_req *req, const char *key);
/* Parse the JSON body as an object. Absent body or non-JSON content type, malformed JSON,
 * non-object top level: fails with a 400 that says what is wrong. *out is new (decref). */
int api_body_object(struct api_req *req, struct api_resp *resp, json_t **out);
/* The calling thread's database connection (held until api_db_release()). */
int api_db(struct api_req *req, struct api_resp *resp, struct db **out);
/* The calling thread's request is done with the database: on PostgreSQL its pooled connection
 * is given back (the http layer calls this after each handler; runs started by
 * api_start_run give theirs back when the job returns). */
void api_db_release(void);
/* Hand the request to a run (runs/run.h run_start with the same arguments): SP_OK with
 * resp->run set (the http layer answers with what the run produces), or a JSON error reply:
 * 503 "too many agent runs at once" when the queue is full or when runs are not available
 * (the server is stopping). arg_free(arg) runs on failure too. */
int api_start_run(struct api_resp *resp, const char *key, run_job_fn job, void *arg,
                  void (*arg_free)(void *));

/* ---- group commit (api/write.c over storage/store_writer.h) ---- */

/* Parse the body ahead when it is a well-formed JSON object, for api_body_object() to hand
 * out later (any problem is left for the handler to report, in its usual order). */
void api_body_prepare(struct api_req *req);
/* Whether route is a write that runs through the database writer (group commit). */
bool api_route_batched(const struct api_route *route);
/* Queue route's handler to run on the writer thread in the next batch; done(cls) runs (on the
 * writer thread) once resp holds the final answer, i.e. after the batch's commit. req and resp
 * must stay valid until then. SP_ENOMEM when the job cannot be queued. */
int api_write_submit(const struct api_route *route, struct api_req *req, struct api_resp *resp,
                     void (*done)(void *cls), void *cls);
/* ---- crash leftovers (api/sweep.c) ---- */

/* Remove stored document files without a row and staged uploads ($tmpdir/sprout-upload-*)
 * older than grace_s seconds; *objects / *staged count what was removed. */
int api_sweep_once(const struct api_ctx *ctx, const char *tmpdir, long grace_s, size_t *objects,
                   size_t *staged, struct sp_error *err);
/* The same every interval_s seconds on a thread of its own (logs on stderr when it removed
 * something); stop it before closing the database connections. */
int api_sweeper_start(const struct api_ctx *ctx, const char *tmpdir, long grace_s, long interval_s,
                      struct sp_error *err);
void api_sweeper_stop(void);

/* Start / stop (after the HTTP server stopped) the writer thread. */
int api_writer_start(const char *db_path, struct sp_error *err);
void api_writer_stop(void);

#endif
