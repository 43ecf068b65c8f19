/* api/api.c: the helpers every handler uses (see api.h): the one SP_* -> HTTP status mapping,
 * {"error": ...} replies, query lookup, JSON body parsing and the thread's database connection.
 * Boundaries: no SQL and no libmicrohttpd types here. Thread model: stateless; called on the
 * HTTP worker threads.
 */
#include "api/api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "storage/store.h"
#include "storage/store_writer.h"
#include "util/jsonw.h"


int api_status_from_err(int code)
{
    switch (code) {
    case SP_EINVAL: return 400;
    case SP_ENOTFOUND: return 404;
    case SP_EMETHOD: return 405;
    case SP_ECONFLICT: return 409;
    case SP_ETOOBIG: return 413;
    case SP_EUNSUPPORTED: return 415;
    case SP_EUPSTREAM: return 502;
    case SP_EUNAVAILABLE: return 503;
    case SP_EBUSY: return 503;
    case SP_EIO: return 503;
    case SP_ENOSPACE: return 507;
    default: return 500;
    }
}

/* The server's own failures (5xx except 502) go to stderr in full, one write; the shutdown's
 * 503 is not a failure, nor one in a group-commit run that any failure runs again
 * (store_writer_provisional: the reply is made afresh there, and logged if it fails again). */
static void log_server_error(int status, int code, const char *msg)
{
    if (status < 500 || status == 502 || code == SP_EUNAVAILABLE || store_writer_provisional())
        return;
    char line[SP_ERR_MSG_MAX + 64];
    int n = snprintf(line, sizeof line, "error: %d %s\n", status, msg);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}

/* What a client is told about a server-side failure: never SQL, SQLite internals or file
 * paths (those go to the log). A locked database, an unwritable file and a full disk are
 * named, because the operator can act on them. */
static void public_message(int status, int code, char *msg, size_t size)
{
    const char *say;
    switch (code) {
    case SP_EBUSY:
        say =
            "the database is locked by another program (a backup, an SQLite shell?) for longer "
            "than the busy timeout; try again";
        break;
    case SP_EIO:
        say =
            "the database or a stored file cannot be read or written at the moment (permissions, "
            "a read-only or failing disk); the server log has the details";
        break;
    case SP_ENOSPACE: say = "the disk is full: free some space and try again"; break;
    case SP_EDB:
    case SP_EINTERNAL:
    case SP_ENOMEM: say = "internal server error (the server log has the details)"; break;
    default:
        if (status != 500)
            return; /* our own words: 4xx, upstream 502, "not available", "too many runs" */
        say = "internal server error (the server log has the details)";
    }
    if (status < 500)
        return;
    snprintf(msg, size, "%s", say);
}

static int fail_v(struct api_resp *resp, int status, int code, const char *fmt, va_list ap)
{
    char msg[SP_ERR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (!msg[0])
        snprintf(msg, sizeof msg, "%s",
                 status == 500 ? "Internal server error" : sp_strerror(code));
    log_server_error(status, code, msg);
    public_message(status, code, msg, sizeof msg);
    buf_reset(&resp->body);
    resp->body.limit = 0;
    resp->body_is_json = true;
    resp->status = status;
    if (buf_puts(&resp->body, "{\"error\":") != SP_OK || jsonw_cstring(&resp->body, msg) != SP_OK ||
        buf_putc(&resp->body, '}') != SP_OK) {
        buf_release(&resp->body);
        resp->status = 500;
    }
    return code;
}

int api_fail(struct api_resp *resp, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_v(resp, api_status_from_err(code), code, fmt, ap);
    va_end(ap);
    return rc;
}

int api_fail_status(struct api_resp *resp, int status, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_v(resp, status, code, fmt, ap);
    va_end(ap);
    return rc;
}

int api_reply(struct api_resp *resp, int status)
{
    resp->status = status;
    return SP_OK;
}

const char *api_query(const struct api_req *req, const char *key)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].key, key) == 0)
            return req->query[i].value;
    return NULL;
}

/* "application/json" with optional parameters, case-insensitive. */
static int is_json_type(const char *ct)
{
    while (*ct == ' ' || *ct == '\t')
        ct++;
    static const char want[] = "application/json";
    if (strncasecmp(ct, want, sizeof want - 1) != 0)
        return 0;
    char c = ct[sizeof want - 1];
    return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    default: return "an object";
    }
}

void api_body_prepare(struct api_req *req)
{
    if (req->body_json || !req->content_type || !is_json_type(req->content_type) ||
        req->body_len == 0 || !req->body)
        return;
    json_t *v = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, NULL);
    if (v && json_is_object(v))
        req->body_json = v;
    else
        json_decref(v);
}

int api_body_object(struct api_req *req, struct api_resp *resp, json_t **out)
{
    *out = NULL;
    if (req->body_json) {
        *out = json_incref(req->body_json);
        return SP_OK;
    }
    if (!req->content_type) {
        if (req->body_len == 0)
            return api_fail(resp, SP_EINVAL,
                            "a JSON object body is required (Content-Type: application/json)");
        return api_fail(resp, SP_EUNSUPPORTED,
                        "the request body must be JSON: send Content-Type: application/json");
    }
    if (!is_json_type(req->content_type))
        return api_fail(resp, SP_EUNSUPPORTED,
                        "unsupported Content-Type '%.200s': send application/json",
                        req->content_type);
    if (req->body_len == 0 || !req->body) {
        *out = json_object();
        return *out ? SP_OK : api_fail(resp, SP_ENOMEM, "out of memory");
    }
    json_error_t je;
    json_t *v = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, &je);
    if (!v)
        return api_fail(resp, SP_EINVAL, "malformed JSON: %s at line %d column %d", je.text,
                        je.line, je.column);
    if (!json_is_object(v)) {
        const char *kind = json_kind(v);
        json_decref(v);
        return api_fail(resp, SP_EINVAL, "the request body must be a JSON object, not %s", kind);
    }
    *out = v;
    return SP_OK;
}

int api_db(struct api_req *req, struct api_resp *resp, struct db **out)
{
    struct sp_error err = { 0 };
    int rc = store_db_thread(req->ctx->db_path, out, &err);
    if (rc != SP_OK)
        return api_fail(resp, rc, "%s", sp_error_text(&err, rc));
    return SP_OK;
}

void api_db_release(void)
{
    store_db_release();
}

/* A run's job on a pool thread, followed by giving its database connection back (the thread
 * serves other runs next; a PostgreSQL connection must not stay with an idle thread). */
struct run_wrap {
    run_job_fn job;
    void *arg;
    void (*arg_free)(void *);
};

static void run_wrap_job(struct run *run, void *arg)
{
    struct run_wrap *w = arg;
    w->job(run, w->arg);
    store_db_release();
}

static void run_wrap_free(void *arg)
{
    struct run_wrap *w = arg;
    if (w->arg_free)
        w->arg_free(w->arg);
    free(w);
}

int api_start_run(struct api_resp *resp, const char *key, run_job_fn job, void *arg,
                  void (*arg_free)(void *))
{
    struct sp_error err = { 0 };
    struct run_reader *reader = NULL;
    struct run_wrap *w = malloc(sizeof *w);
    if (!w) {
        if (arg_free)
            arg_free(arg);
        return api_fail(resp, SP_ENOMEM, "out of memory");
    }
    *w = (struct run_wrap){ .job = job, .arg = arg, .arg_free = arg_free };
    int rc = run_start(key, run_wrap_job, w, run_wrap_free, &reader, &err);
    if (rc == SP_OK) {
        resp->run = reader;
        return SP_OK;
    }
    if (rc == SP_ETOOBIG) /* the run queue is full: the server is busy, not the body too big */
        return api_fail_status(resp, 503, rc, "%s", err.msg);
    return api_fail(resp, rc, "%s", sp_error_text(&err, rc));
}
