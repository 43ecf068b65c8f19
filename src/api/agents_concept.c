/* api/agents_concept.c: the concept routes of the agents (spec/agents.md §7.2–7.4, Appendix B):
 *   GET  /api/agents/concepts/:conceptNodeId/diagnostic?userId=  JSON
 *   POST /api/agents/concepts/:conceptNodeId/run                  SSE
 *   POST /api/agents/nodes/:nodeId/review                         JSON
 * Handlers answer every 400/404 synchronously, then hand the model work to a run
 * (runs/run.h); the diagnostic GET answers straight from the database when the learner's
 * diagnostic exists, so it works with no model configured. Join keys make a second identical
 * request share the run in progress: "diagnostic:<concept>:<user>", "concept:<concept>:<user>",
 * "review:<node>:<user>:<maxAdditions>:<hash of the overview>".
 * The concept run: diagnostic (failures before the first event are one JSON error with its
 * status), diagnostic_status, the subconcept bootstrap when the concept has no subconcepts,
 * then the refinement agent (skipped, and said so in agent_done, without new answers: bug
 * B5); the stream ends when the job returns (bug B1 fixed).
 * Thread model: handlers on the HTTP workers; jobs on the runs/ pool, each with its thread's
 * connection.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agents/bootstrap.h"
#include "agents/concept.h"
#include "agents/learning.h"
#include "api/handlers.h"
#include "storage/store_learning.h"
#include "storage/store_nodes.h"
#include "util/jsonw.h"

struct job {
    const struct llm_client *llm;
    const char *db_path; /* process lifetime (api_ctx) */
    char *user_id;
    char *node_id;
    char *overview;    /* review */
    int max_additions; /* review */
};

static void job_free(void *arg)
{
    struct job *j = arg;
    if (!j)
        return;
    free(j->user_id);
    free(j->node_id);
    free(j->overview);
    free(j);
}

/* ---- shared validation ---- */

/* The node row of the path's id, parsed; SP_ENOTFOUND answered with not_found. */
static int load_node(struct api_req *req, struct api_resp *resp, struct db *db,
                     const char *not_found, json_t **node)
{
    struct buf b = BUF_INIT(0);
    struct sp_error err = { 0 };
    int rc = agent_read_json(store_nodes_get(db, req->params[0], &b, &err), &b, node, &err);
    if (rc == SP_ENOTFOUND)
        return api_fail(resp, rc, "%s", not_found);
    return rc == SP_OK ? SP_OK : api_fail(resp, rc, "%s", sp_error_text(&err, rc));
}

static int check_user(struct api_resp *resp, struct db *db, const char *user_id)
{
    bool exists = false;
    struct sp_error err = { 0 };
    int rc = store_learning_user_exists(db, user_id, &exists, &err);
    if (rc != SP_OK)
        return api_fail(resp, rc, "%s", sp_error_text(&err, rc));
    return exists ? SP_OK : api_fail(resp, SP_ENOTFOUND, "User not found");
}

static struct job *new_job(struct api_req *req, const char *user_id)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->llm = req->ctx->llm;
    j->db_path = req->ctx->db_path;
    j->user_id = strdup(user_id);
    j->node_id = strdup(req->params[0]);
    if (!j->user_id || !j->node_id) {
        job_free(j);
        return NULL;
    }
    return j;
}

static int start(struct api_resp *resp, const char *kind, struct job *j, run_job_fn fn)
{
    if (!j)
        return api_fail(resp, SP_ENOMEM, "out of memory");
    if (strcmp(kind, "review") != 0)
        return api_agents_start(resp, fn, j, job_free, "%s:%s:%s", kind, j->node_id, j->user_id);
    /* identical = the same body too */
    uint64_t h = api_agents_key_hash((const char *const[]){ j->overview }, 1);
    return api_agents_start(resp, fn, j, job_free, "review:%s:%s:%d:%016llx", j->node_id,
                            j->user_id, j->max_additions, (unsigned long long)h);
}

/* ---- inside the jobs ---- */

/* The JSON error body for rc into out; returns its status, or 0 when the run was cancelled
 * (nobody is listening). The jobs reply as their very last step, after every cleanup, so
 * that the client's next request never finds this run still registered under its key. */
static int error_body(struct buf *out, int rc, const struct sp_error *err)
{
    return rc == SP_EABORT ? 0 : api_agents_error_body(out, rc, err);
}

/* 200 with v, or the error body. */
static int value_body(struct buf *out, const json_t *v)
{
    struct sp_error err = { 0 };
    if (v && jsonw_dump(out, v, 0) == SP_OK)
        return 200;
    return error_body(out, sp_error_set(&err, SP_ENOMEM, "out of memory"), &err);
}

static void reply_last(struct run *run, int status, struct buf *body)
{
    if (status)
        run_reply_json(run, status, buf_cstr(body), body->len);
    buf_release(body);
}

/* The job's node row and its parent's title (a new string or NULL). */
static int job_node(struct db *db, const char *id, json_t **node, char **parent_title,
                    struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    int rc = agent_read_json(store_nodes_get(db, id, &b, err), &b, node, err);
    const char *pid = rc == SP_OK ? learning_str(*node, "parentId") : NULL;
    struct sp_error e2 = { 0 };
    if (parent_title)
        *parent_title = NULL;
    if (pid && parent_title && store_nodes_get(db, pid, &b, &e2) == SP_OK) {
        json_t *p = learning_loads(buf_cstr(&b));
        const char *t = learning_str(p, "title");
        *parent_title = t ? strdup(t) : NULL;
        json_decref(p);
    }
    buf_release(&b);
    return rc;
}

/* What the diagnostic and concept jobs start with: the thread's connection, the concept, its
 * parent's title and the learner's diagnostic (generated when there is none). */
static int job_diagnostic(struct run *run, const struct job *j, struct db **db, json_t **node,
                          char **topic, struct diagnostic_bundle *b, struct sp_error *err)
{
    int rc = store_db_thread(j->db_path, db, err);
    if (rc == SP_OK)
        rc = job_node(*db, j->node_id, node, topic, err);
    if (rc == SP_OK)
        rc = agent_diagnostic_ensure(j->llm, *db, run_cancel_flag(run), j->user_id, *node, *topic,
                                     b, NULL, err);
    return rc;
}

static json_t *diag_reply(const char *concept_id, const struct diagnostic_bundle *b)
{
    json_t *counts = agent_diagnostic_counts(b);
    json_t *r = json_pack("{s:s,s:s,s:s,s:O,s:O}", "agent", "concept", "status", "diagnostic_ready",
                          "conceptNodeId", concept_id, "assessment", b->assessment, "questions",
                          b->questions);
    if (r && counts)
        json_object_update(r, counts);
    json_decref(counts);
    return r;
}

static void diagnostic_job(struct run *run, void *arg)
{
    struct job *j = arg;
    struct sp_error err = { 0 };
    struct db *db;
    json_t *node = NULL;
    char *topic = NULL;
    struct diagnostic_bundle b = { 0 };
    int rc = job_diagnostic(run, j, &db, &node, &topic, &b, &err);
    struct buf body = BUF_INIT(0);
    int status;
    if (rc == SP_OK) {
        json_t *r = diag_reply(j->node_id, &b);
        status = value_body(&body, r);
        json_decref(r);
    } else {
        status = error_body(&body, rc, &err);
    }
    agent_diagnostic_clear(&b);
    json_decref(node);
    free(topic);
    reply_last(run, status, &body);
}

static void emit_failure(struct agent_env *env, int rc, const struct sp_error *err,
                         const char *fallback)
{
    if (rc == SP_EABORT || agent_cancelled(env))
        return;
    const char *msg = err->msg[0] ? err->msg : fallback;
    agent_emit_error(env, msg);
}

static void concept_job(struct run *run, void *arg)
{
    struct job *j = arg;
    struct sp_error err = { 0 };
    struct db *db;
    json_t *node = NULL, *subs = NULL, *dstat = NULL;
    char *topic = NULL;
    struct diagnostic_bundle b = { 0 };
    struct buf sb = BUF_INIT(0), label = BUF_INIT(0), body = BUF_INIT(0);
    int status = 0;
    int rc = job_diagnostic(run, j, &db, &node, &topic, &b, &err);
    if (rc == SP_OK)
        rc = store_nodes_list(db, NULL, "subconcept", NULL, j->node_id, &sb, &err);
    if (rc == SP_OK && !(subs = learning_loads(buf_cstr(&sb))))
        rc = sp_error_set(&err, SP_ENOMEM, "out of memory");
    struct agent_env env = { 0 };
    if (rc == SP_OK)
        rc = agent_env_init(&env, j->llm, j->db_path, run, AGENT_REFINE_LABEL, &err);
    if (rc == SP_OK) {
        json_t *counts = agent_diagnostic_counts(&b);
        dstat = json_pack("{s:s,s:O,s:O,s:O}", "conceptNodeId", j->node_id, "assessment",
                          b.assessment, "answeredCount", json_object_get(counts, "answeredCount"),
                          "requiredAnswers", json_object_get(counts, "requiredAnswers"));
        json_decref(counts);
        if (!dstat)
            rc = sp_error_set(&err, SP_ENOMEM, "out of memory");
    }
    if (rc != SP_OK) { /* nothing streamed yet: one JSON error */
        status = error_body(&body, rc, &err);
        goto done;
    }
    agent_emit(&env, "diagnostic_status", dstat);

    const char *title = learning_str(node, "title");
    if (json_array_size(subs) == 0 && agent_bootstrap_label(&label, title) == SP_OK) {
        struct agent_env benv = { 0 };
        struct sp_error berr = { 0 };
        int brc = agent_env_init(&benv, j->llm, j->db_path, run, buf_cstr(&label), &berr);
        if (brc == SP_OK)
            brc = agent_bootstrap_run(&benv, j->user_id, j->node_id, topic ? topic : "Topic", NULL,
                                      false, false, NULL, &berr);
        if (brc == SP_OK)
            agent_emit_done(&benv, NULL);
        else
            emit_failure(&benv, brc, &berr, "Subconcept bootstrap agent failed");
    }
    if (agent_cancelled(&env))
        goto done;

    const char *skip = NULL;
    rc = agent_refine_needed(db, j->user_id, node, &b, &skip, &err);
    if (rc == SP_OK && skip) {
        json_t *extra = json_pack("{s:b,s:s}", "skipped", 1, "reason", skip);
        agent_emit_done(&env, extra);
        json_decref(extra);
    } else if (rc == SP_OK) {
        rc = agent_refine_run(&env, j->user_id, node, topic, &b, &err);
        if (rc == SP_OK)
            agent_emit_done(&env, NULL);
    }
    if (rc != SP_OK)
        emit_failure(&env, rc, &err, "Concept refinement agent failed");
done:
    agent_diagnostic_clear(&b);
    json_decref(dstat);
    json_decref(subs);
    json_decref(node);
    buf_release(&sb);
    buf_release(&label);
    free(topic);
    reply_last(run, status, &body);
}

static void review_job(struct run *run, void *arg)
{
    struct job *j = arg;
    struct sp_error err = { 0 };
    struct db *db;
    json_t *node = NULL;
    struct buf out = BUF_INIT(0);
    int rc = store_db_thread(j->db_path, &db, &err);
    if (rc == SP_OK)
        rc = job_node(db, j->node_id, &node, NULL, &err);
    if (rc == SP_OK)
        rc = agent_review_run(j->llm, db, run_cancel_flag(run), j->user_id, node, j->overview,
                              j->max_additions, &out, NULL, &err);
    int status = rc == SP_OK ? 200 : error_body(&out, rc, &err);
    json_decref(node);
    reply_last(run, status, &out);
}

/* ---- the handlers ---- */

/* Without a model only a diagnostic the database holds can be answered: a request that
 * cannot be (a 400 or 404 included) gets the 503 that says what to configure, as every agent
 * route does when no model is configured. */
static int diagnostic_get(struct api_req *req, struct api_resp *resp)
{
    const char *user_id = api_query(req, "userId");
    if (!user_id || !*user_id)
        return api_fail(resp, SP_EINVAL, "userId is required");
    struct db *db;
    json_t *node = NULL;
    int rc = api_db(req, resp, &db);
    if (rc == SP_OK)
        rc = load_node(req, resp, db, "Concept node not found", &node);
    if (rc != SP_OK)
        return rc;
    const char *type = learning_str(node, "type");
    if (!type || strcmp(type, "concept") != 0) {
        json_decref(node);
        return api_fail(resp, SP_EINVAL, "Node must be type=concept");
    }
    json_decref(node);
    struct diagnostic_bundle b;
    struct sp_error err = { 0 };
    rc = agent_diagnostic_load(db, user_id, req->params[0], &b, &err);
    if (rc == SP_OK) { /* answered from the database: no model needed */
        json_t *r = diag_reply(req->params[0], &b);
        rc = r ? jsonw_dump(&resp->body, r, 0) : SP_ENOMEM;
        json_decref(r);
        agent_diagnostic_clear(&b);
        return rc == SP_OK ? api_reply(resp, 200) : api_fail(resp, rc, "building the reply");
    }
    if (rc != SP_ENOTFOUND)
        return api_fail(resp, rc, "%s", sp_error_text(&err, rc));
    if ((rc = check_user(resp, db, user_id)) != SP_OK)
        return rc;
    if (!req->ctx->llm)
        return api_agents_need_model(req, resp);
    return start(resp, "diagnostic", new_job(req, user_id), diagnostic_job);
}

int api_agents_concept_diagnostic(struct api_req *req, struct api_resp *resp)
{
    int rc = diagnostic_get(req, resp);
    if ((rc == SP_EINVAL || rc == SP_ENOTFOUND) && !req->ctx->llm) {
        buf_reset(&resp->body);
        return api_agents_need_model(req, resp);
    }
    return rc;
}

/* Validation shared by the concept run and the review: the model (503 at once when none is
 * configured), body userId, node, user. */
static int validate_post(struct api_req *req, struct api_resp *resp, bool review, json_t **body,
                         const char **user_id)
{
    struct db *db;
    json_t *node = NULL;
    int rc = api_agents_need_model(req, resp);
    if (rc == SP_OK)
        rc = api_agents_body_user(req, resp, body, user_id);
    if (rc == SP_OK)
        rc = api_db(req, resp, &db);
    if (rc == SP_OK)
        rc = load_node(req, resp, db, review ? "Node not found" : "Concept node not found", &node);
    if (rc != SP_OK)
        return rc;
    const char *type = learning_str(node, "type");
    bool ok = type && (strcmp(type, "concept") == 0 || (review && strcmp(type, "subconcept") == 0));
    json_decref(node);
    if (!ok)
        return api_fail(resp, SP_EINVAL, "%s",
                        review ? "Review agent supports only concept or subconcept nodes"
                               : "Node must be type=concept");
    return check_user(resp, db, *user_id);
}

int api_agents_concept_run(struct api_req *req, struct api_resp *resp)
{
    json_t *body = NULL;
    const char *user_id = NULL;
    int rc = validate_post(req, resp, false, &body, &user_id);
    if (rc == SP_OK)
        rc = start(resp, "concept", new_job(req, user_id), concept_job);
    json_decref(body);
    return rc;
}

int api_agents_node_review(struct api_req *req, struct api_resp *resp)
{
    json_t *body = NULL;
    const char *user_id = NULL;
    int rc = validate_post(req, resp, true, &body, &user_id);
    if (rc != SP_OK) {
        json_decref(body);
        return rc;
    }
    struct job *j = new_job(req, user_id);
    const char *overview = learning_str(body, "overview");
    json_t *max = json_object_get(body, "maxAdditions");
    if (j) {
        j->max_additions = json_is_number(max)
                               ? (int)(json_number_value(max) < 0   ? 0
                                       : json_number_value(max) > 4 ? 4
                                                                    : json_number_value(max))
                               : 2;
        if (overview && !(j->overview = strdup(overview))) {
            job_free(j);
            j = NULL;
        }
    }
    json_decref(body);
    return start(resp, "review", j, review_job);
}
