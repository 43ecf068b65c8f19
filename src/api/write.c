/* api/write.c: write routes through group commit (storage/store_writer.h). The handlers listed
 * here only touch the database (no files, no network, no model), so they can run on the
 * writer thread inside a batch: the handler runs there, with the writer's connection, in a
 * savepoint of its own (on PostgreSQL, a batch's first run has none: a failure there runs
 * the batch again with them, storage/store_pgwriter.c). Every other route runs on the HTTP
 * worker thread as before.
 * The create routes among them (a handler that is `return api_create(...)`) are validated on
 * the HTTP worker thread first (api_create_prepare: the row and its new id, ~10 % of the
 * writer's work per request), so that only the insert runs on the writer, and an invalid body
 * is answered without going to the writer at all.
 * Ownership: the job is allocated here and freed after done(); req/resp stay the caller's and
 * must live until done() has run.
 * Thread model: api_write_submit (and a create's validation) on a worker thread; the handler
 * on the writer; done() on the syncer (or the writer).
 */
#include "api/api.h"
#include "api/handlers.h"

#include <stdlib.h>
#include <string.h>

#include "storage/store.h"
#include "storage/store_writer.h"
#include "util/hash.h"

static const api_handler_fn batched[] = {
    api_branches_create,    api_branches_patch,    api_branches_delete,  api_nodes_create,
    api_nodes_patch,        api_nodes_delete,      api_contents_create,  api_generations_create,
    api_assessments_create, api_assessments_patch, api_questions_create, api_answers_create,
    api_progress_create,    api_progress_patch,    api_sessions_create,  api_sessions_patch,
    api_messages_create,    api_hints_create,
};

/* Those of `batched` that are `return api_create(...)` and nothing else. */
static const api_handler_fn creates[] = {
    api_branches_create,    api_nodes_create,     api_contents_create, api_generations_create,
    api_assessments_create, api_questions_create, api_answers_create,  api_sessions_create,
    api_messages_create,    api_hints_create,
};

static bool is_create(api_handler_fn h)
{
    for (size_t i = 0; i < sizeof creates / sizeof creates[0]; i++)
        if (creates[i] == h)
            return true;
    return false;
}

bool api_route_batched(const struct api_route *route)
{
    if (!route || !route->handler || !store_writer_running())
        return false;
    for (size_t i = 0; i < sizeof batched / sizeof batched[0]; i++)
        if (batched[i] == route->handler)
            return true;
    return false;
}

/* A job's order in a PostgreSQL batch (storage/store_writer.h, struct store_job): a progress
 * visit updates the one row of its (userId, nodeId), known from the body, so its order is a
 * hash of those two; every other write 0 (run first, as they came). A visit and a PATCH of the
 * same row do not share an order (the PATCH names the row by its id): the writer's lock_timeout
 * and retry (storage/store_pgwriter.c) still cover that rare pair. */
static uint64_t batch_order(api_handler_fn handler, const struct api_req *req)
{
    if (handler != api_progress_create || !req->body_json)
        return 0;
    const char *user = json_string_value(json_object_get(req->body_json, "userId"));
    const char *node = json_string_value(json_object_get(req->body_json, "nodeId"));
    if (!user || !node)
        return 0;
    uint64_t h = hash_fnv1a(user, strlen(user) + 1, HASH_FNV1A_INIT); /* with its NUL: a fence */
    h = hash_fnv1a(node, strlen(node), h);
    return h ? h : 1;
}

struct write_job {
    struct store_job job;
    api_handler_fn handler;
    struct api_req *req;
    struct api_resp *resp;
    void (*done)(void *cls);
    void *cls;
    struct store_row row; /* a create's validated row (req->prepared) */
    char id[IDS_UUID_SIZE];
};

static int run(void *arg)
{
    struct write_job *w = arg;
    /* a fresh reply: PostgreSQL's writer runs a batch again after a deadlock or a lost
     * connection (storage/store_pgwriter.c) */
    w->resp->status = 0;
    buf_reset(&w->resp->body);
    w->resp->body_is_json = true;
    int rc = w->handler(w->req, w->resp);
    if (rc != SP_OK && (w->resp->status < 400 || w->resp->status > 599))
        api_fail(w->resp, rc, "%s", sp_strerror(rc));
    if (rc == SP_OK && w->resp->status >= 400)
        rc = SP_EINVAL; /* an error reply: roll its savepoint back */
    return rc;
}

static void finished(void *arg, int rc)
{
    struct write_job *w = arg;
    w->req->prepared = NULL; /* w->row goes with w */
    /* The handler succeeded but its batch did not reach the disk: the reply becomes that error. */
    if (rc != SP_OK && w->resp->status < 400) {
        const char *fault = rc == SP_EUNAVAILABLE ? store_db_fault() : NULL;
        api_fail(w->resp, rc, "the write was not saved: %s", fault ? fault : sp_strerror(rc));
    }
    void (*done)(void *) = w->done;
    void *cls = w->cls;
    free(w);
    done(cls);
}

int api_write_submit(const struct api_route *route, struct api_req *req, struct api_resp *resp,
                     void (*done)(void *cls), void *cls)
{
    const char *fault = store_db_fault(); /* the writer may be the thread that faulted */
    if (fault) {
        api_fail(resp, SP_EUNAVAILABLE, "%s", fault);
        done(cls);
        return SP_OK;
    }
    struct write_job *w = calloc(1, sizeof *w);
    if (!w)
        return SP_ENOMEM;
    w->job.run = run;
    w->job.done = finished;
    w->job.arg = w;
    w->job.order = batch_order(route->handler, req);
    w->handler = route->handler;
    w->req = req;
    w->resp = resp;
    w->done = done;
    w->cls = cls;
    if (is_create(route->handler)) {
        int rc = api_create_prepare(route->handler, req, resp, &w->row, w->id);
        if (rc != SP_OK || resp->status >= 400) { /* invalid: answered here */
            if (resp->status < 400 || resp->status > 599)
                api_fail(resp, rc, "%s", sp_strerror(rc));
            free(w);
            done(cls);
            return SP_OK;
        }
        req->prepared = &w->row;
    }
    store_writer_submit(&w->job);
    return SP_OK;
}

int api_writer_start(const char *db_path, struct sp_error *err)
{
    return store_writer_start(db_path, err);
}

void api_writer_stop(void)
{
    store_writer_stop();
}
