/* api/agents_topic.c: the topic run and the two legacy generator routes (spec/agents.md §7.1,
 * §7.6; decisions in docs/AGENTS.md).
 *   POST /api/agents/topics/:topicNodeId/run   SSE (agents/topic.h agent_topic_stream)
 *   POST /api/nodes/:id/generate-concepts      JSON (agents/legacy.h)
 *   POST /api/nodes/:id/generate-subconcepts   JSON
 * With no model configured, the topic run answers 503 at once, before any other check; the
 * legacy routes answer from the database when the work is already done, else 503 too.
 * Otherwise the handlers validate synchronously (400/404), then hand
 * the model work to a run (runs/run.h); a second identical request joins the run in progress
 * (keys "topic:<node>:<user>", "generate-concepts:<node>:<user>", ...). The legacy routes'
 * "already generated" answers are given at once, without a run.
 * Thread model: handlers on the HTTP worker threads; jobs on the runs/ pool threads, each with
 * that thread's own connection.
 */
#include <stdlib.h>
#include <string.h>

#include "agents/legacy.h"
#include "agents/topic.h"
#include "api/handlers.h"
#include "runs/run.h"
#include "storage/store.h"
#include "storage/store_graph.h"
#include "storage/store_nodes.h"
#include "util/jsonw.h"

/* The validated request: what the job needs, owned (the request's memory is gone by then). */
struct topic_job {
    const struct llm_client *llm;
    char *db_path;
    char *user_id;
    char *node_id;
    bool small;
    json_t *diagnostic; /* generate-subconcepts: the body's object, or NULL */
};

static void job_free(void *p)
{
    struct topic_job *j = p;
    if (!j)
        return;
    free(j->db_path);
    free(j->user_id);
    free(j->node_id);
    json_decref(j->diagnostic);
    free(j);
}

/* Body, userId, the node (not_found: its 404 message) and the user; *db is the thread's. */
static int validate(struct api_req *req, struct api_resp *resp, const char *not_found,
                    json_t **body, const char **user_id, struct db **db)
{
    int rc = api_agents_body_user(req, resp, body, user_id);
    if (rc == SP_OK)
        rc = api_db(req, resp, db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    struct buf node = BUF_INIT(0);
    rc = store_nodes_get(*db, req->params[0], &node, &err);
    buf_release(&node);
    if (rc == SP_ENOTFOUND)
        return api_fail(resp, rc, "%s", not_found);
    bool exists = false;
    if (rc == SP_OK)
        rc = store_graph_user_exists(*db, *user_id, &exists, &err);
    if (rc != SP_OK)
        return api_fail(resp, rc, "%s", sp_error_text(&err, rc));
    if (!exists)
        return api_fail(resp, SP_ENOTFOUND, "User not found");
    return SP_OK;
}

static int start(struct api_req *req, struct api_resp *resp, const char *kind, const char *user_id,
                 run_job_fn fn, json_t *diagnostic, bool small)
{
    struct topic_job *j = calloc(1, sizeof *j);
    if (j) {
        j->llm = req->ctx->llm;
        j->db_path = strdup(req->ctx->db_path);
        j->user_id = strdup(user_id);
        j->node_id = strdup(req->params[0]);
        j->small = small;
        j->diagnostic = diagnostic ? json_deep_copy(diagnostic) : NULL; /* the job's own */
    }
    if (!j || !j->db_path || !j->user_id || !j->node_id) {
        job_free(j);
        return api_fail(resp, SP_ENOMEM, "out of memory");
    }
    return api_agents_start(resp, fn, j, job_free, "%s:%s:%s", kind, j->node_id, j->user_id);
}

/* ---- POST /api/agents/topics/:topicNodeId/run ---- */

static void topic_job(struct run *run, void *arg)
{
    struct topic_job *j = arg;
    struct topic_run_args a = { .llm = j->llm,
                                .db_path = j->db_path,
                                .user_id = j->user_id,
                                .topic_id = j->node_id,
                                .small = j->small };
    agent_topic_stream(run, &a);
}

int api_agents_topic_run(struct api_req *req, struct api_resp *resp)
{
    int rc = api_agents_need_model(req, resp); /* first: answered at once, whatever the body */
    if (rc != SP_OK)
        return rc;
    json_t *body = NULL;
    const char *user_id = NULL;
    struct db *db = NULL;
    rc = validate(req, resp, "Topic node not found", &body, &user_id, &db);
    if (rc == SP_OK)
        rc = start(req, resp, "topic", user_id, topic_job, NULL,
                   jsonw_truthy(json_object_get(body, "small")));
    json_decref(body);
    return rc;
}

/* ---- the legacy generators ---- */

/* Finish a JSON run: the body, or {"error": message} with the status of the error. */
static void reply(struct run *run, int rc, int status, struct buf *body, struct sp_error *err)
{
    if (rc == SP_EABORT)
        return; /* nobody is listening any more */
    if (rc != SP_OK)
        status = api_agents_error_body(body, rc, err);
    run_reply_json(run, status, buf_cstr(body), body->len);
}

/* Either legacy generator (j->diagnostic is set only for generate-subconcepts' body). */
static void legacy_job(struct run *run, void *arg, bool concepts)
{
    struct topic_job *j = arg;
    struct db *db = NULL;
    struct sp_error err = { 0 };
    struct buf body = BUF_INIT(0);
    int status = 500;
    int rc = store_db_thread(j->db_path, &db, &err);
    if (rc == SP_OK && concepts)
        rc = agent_legacy_concepts(j->llm, db, j->user_id, j->node_id, run_cancel_flag(run),
                                   &status, &body, &err);
    else if (rc == SP_OK)
        rc = agent_legacy_subconcepts(j->llm, db, j->user_id, j->node_id, j->diagnostic,
                                      run_cancel_flag(run), &status, &body, &err);
    reply(run, rc, status, &body, &err);
    buf_release(&body);
}

static void concepts_job(struct run *run, void *arg)
{
    legacy_job(run, arg, true);
}

static void subconcepts_job(struct run *run, void *arg)
{
    legacy_job(run, arg, false);
}

/* The answer from the database when the work is already done (*answered). */
static int legacy_existing(struct db *db, const char *user_id, const char *node_id, bool concepts,
                           bool *answered, int *status, struct buf *out, struct sp_error *err)
{
    return concepts ? agent_legacy_concepts_existing(db, node_id, answered, status, out, err)
                    : agent_legacy_subconcepts_existing(db, user_id, node_id, answered, status, out,
                                                        err);
}

/* The answer from the database, when there is one (no model needed). */
static int answered_now(struct api_resp *resp, int rc, bool answered, int status,
                        struct sp_error *err, bool *done)
{
    *done = rc != SP_OK || answered;
    if (rc != SP_OK)
        return api_fail(resp, rc, "%s", sp_error_text(err, rc));
    return answered ? api_reply(resp, status) : SP_OK;
}

/* No model configured: the answer from the database when the work is already done (valid
 * request, node and user found, already generated), else the 503 of every agent route. */
static int legacy_without_model(struct api_req *req, struct api_resp *resp, bool concepts)
{
    struct api_resp scratch = { 0 };
    json_t *body = NULL;
    const char *user_id = NULL;
    struct db *db = NULL;
    bool answered = false;
    int status = 200;
    int rc = validate(req, &scratch, "Node not found", &body, &user_id, &db);
    if (rc == SP_OK) {
        struct sp_error err = { 0 };
        rc = legacy_existing(db, user_id, req->params[0], concepts, &answered, &status, &resp->body,
                             &err);
    }
    buf_release(&scratch.body);
    json_decref(body);
    if (rc == SP_OK && answered)
        return api_reply(resp, status);
    buf_reset(&resp->body);
    return api_agents_need_model(req, resp);
}

/* Either legacy route: 400/404 at once, the stored answer when the work is done, else a run. */
static int legacy_route(struct api_req *req, struct api_resp *resp, bool concepts)
{
    if (!req->ctx->llm)
        return legacy_without_model(req, resp, concepts);
    json_t *body = NULL;
    const char *user_id = NULL;
    struct db *db = NULL;
    int rc = validate(req, resp, "Node not found", &body, &user_id, &db);
    bool done = rc != SP_OK;
    if (!done) {
        struct sp_error err = { 0 };
        bool answered = false;
        int status = 200;
        rc = legacy_existing(db, user_id, req->params[0], concepts, &answered, &status, &resp->body,
                             &err);
        rc = answered_now(resp, rc, answered, status, &err, &done);
    }
    if (!done && concepts) {
        rc = start(req, resp, "generate-concepts", user_id, concepts_job, NULL, false);
    } else if (!done) {
        json_t *diag = json_object_get(body, "diagnostic");
        if (!json_is_object(diag))
            diag = json_object_get(body, "diagnosticSummary");
        rc = start(req, resp, "generate-subconcepts", user_id, subconcepts_job,
                   json_is_object(diag) ? diag : NULL, false);
    }
    json_decref(body);
    return rc;
}

int api_nodes_generate_concepts(struct api_req *req, struct api_resp *resp)
{
    return legacy_route(req, resp, true);
}

int api_nodes_generate_subconcepts(struct api_req *req, struct api_resp *resp)
{
    return legacy_route(req, resp, false);
}
