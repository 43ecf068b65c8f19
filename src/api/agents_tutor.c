/* api/agents_tutor.c: POST /api/chat/sessions/:sessionId/tutor (spec/agents.md §7.5).
 *
 * With no model configured the route answers 503 at once (naming the variables to set).
 * Otherwise the handler validates synchronously (400/404 JSON), then hands the turn to a run (runs/run.h); the run's job executes agents/tutor.c on a pool
 * thread and answers once with run_reply_json: 200 with the reply, or {"error"} with the status
 * of the failure (502 for a model that failed after its retries).
 * Joins: the run key is the session plus a hash of the user, the message and the drawing, so
 * the same request sent twice while the first is running (a double click, a retry after a
 * client timeout) shares one turn instead of starting a second one.
 * The body may hold a drawing of up to 7,000,000 base64 characters: the route's body limit is
 * API_TUTOR_MAX_BODY (api_route_max_body, api/routes.c).
 * Thread model: the handler on an HTTP worker thread; the job on a runs/ pool thread, with its
 * own database connection and its own copies of the request's strings.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/tutor.h"
#include "agents/tutor_text.h"
#include "api/handlers.h"
#include "runs/run.h"
#include "storage/store_tutor.h"
#include "util/jsonw.h"

struct tutor_job {
    const struct llm_client *llm;
    char *db_path;
    char *session_id, *user_id, *node_id, *content, *data;
    const char *media_type; /* static: "image/png" | "image/jpeg" */
};

static void job_free(void *arg)
{
    struct tutor_job *j = arg;
    if (!j)
        return;
    free(j->db_path);
    free(j->session_id);
    free(j->user_id);
    free(j->node_id);
    free(j->content);
    free(j->data);
    free(j);
}

static void reply_error(struct run *run, int rc, const struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    int status = api_agents_error_body(&b, rc, err);
    run_reply_json(run, status, b.data, b.len);
    buf_release(&b);
}

static void tutor_job_run(struct run *run, void *arg)
{
    struct tutor_job *j = arg;
    struct agent_env env;
    struct sp_error err = { 0 };
    struct buf out = BUF_INIT(0);
    int rc = agent_env_init(&env, j->llm, j->db_path, NULL, "tutor", &err);
    if (rc == SP_OK) {
        env.cancel = run_cancel_flag(run);
        struct tutor_request req = {
            .session_id = j->session_id,
            .user_id = j->user_id,
            .node_id = j->node_id,
            .content = j->content,
            .image_media_type = j->data ? j->media_type : NULL,
            .image_data = j->data,
        };
        rc = tutor_turn(&env, &req, &out, &err);
    }
    if (rc == SP_OK)
        run_reply_json(run, 200, out.data, out.len);
    else
        reply_error(run, rc, &err);
    buf_release(&out);
}

int api_chat_tutor(struct api_req *req, struct api_resp *resp)
{
    json_t *body = NULL;
    struct store_tutor_session session = { 0 };
    struct store_tutor_node node = { 0 };
    struct tutor_job *job = NULL;
    struct sp_error err = { 0 };
    int rc = api_agents_need_model(req, resp); /* nothing here works without a model */
    if (rc != SP_OK)
        return rc;
    const char *user_id = NULL;
    if ((rc = api_agents_body_user(req, resp, &body, &user_id)) != SP_OK)
        goto done;
    /* the message, trimmed as JavaScript does; non-strings count as empty */
    const char *raw = json_string_value(json_object_get(body, "content"));
    size_t off = 0, len = 0;
    if (raw)
        tutor_trim(raw, strlen(raw), &off, &len);
    const char *media_type = NULL, *data = NULL;
    if (len >= 8 && strncmp(raw + off, "[ANSWER]", 8) == 0)
        tutor_parse_drawing(json_string_value(json_object_get(body, "drawingImageDataUrl")),
                            &media_type, &data);
    struct db *db;
    if ((rc = api_db(req, resp, &db)) != SP_OK)
        goto done;
    rc = store_tutor_session_get(db, req->params[0], &session, &err);
    if (rc == SP_OK && !session.node_id) {
        rc = api_fail(resp, SP_EINVAL, "Session has no linked node");
        goto done;
    }
    if (rc == SP_OK)
        rc = store_tutor_node_get(db, session.node_id, &node, &err);
    if (rc == SP_OK)
        rc = store_tutor_user_check(db, user_id, &err);
    if (rc != SP_OK) {
        rc = api_fail(resp, rc, "%s", sp_error_text(&err, rc));
        goto done;
    }
    job = calloc(1, sizeof *job);
    if (job) {
        job->llm = req->ctx->llm;
        job->db_path = strdup(req->ctx->db_path);
        job->session_id = strdup(req->params[0]);
        job->user_id = strdup(user_id);
        job->node_id = strdup(session.node_id);
        job->content = strndup(raw ? raw + off : "", len);
        job->media_type = media_type;
        job->data = data ? strdup(data) : NULL;
    }
    if (!job || !job->db_path || !job->session_id || !job->user_id || !job->node_id ||
        !job->content || (data && !job->data)) {
        job_free(job);
        rc = api_fail(resp, SP_ENOMEM, "out of memory");
        goto done;
    }
    uint64_t h =
        api_agents_key_hash((const char *const[]){ user_id, job->content, media_type, data }, 4);
    rc = api_agents_start(resp, tutor_job_run, job, job_free, "tutor:%s:%016llx", req->params[0],
                          (unsigned long long)h); /* frees job on failure */
done:
    store_tutor_session_clear(&session);
    store_tutor_node_clear(&node);
    json_decref(body);
    return rc;
}
