/* api/handlers.h: every route handler, one group per file under api/ (the table is api/routes.c),
 * and the scaffolding they share (api/handler.c): query filters, finishing a reply after a
 * storage call, the whole of a create or PATCH route, and API_STORE for a handler that is one
 * storage call. Validation proper is api/validate.h; row values by column name are
 * storage/store.h (store_row_value, store_row_set_text).
 * Thread model: handlers run on the HTTP worker threads, each with its own connection.
 */
#ifndef SP_API_HANDLERS_H
#define SP_API_HANDLERS_H

#include <stdint.h>

#include "api/api.h"
#include "api/validate.h"
#include "db/schema.h"
#include "util/countof.h"
#include "util/ids.h"

#define API_HANDLER(name) int name(struct api_req *req, struct api_resp *resp)

/* Finish a handler after a storage call: status on SP_OK, else the error reply for rc with
 * err's message. Returns rc. */
int api_finish(struct api_resp *resp, int rc, const struct sp_error *err, int status);

/* The body of a handler that is one storage call. `call` may use `db` (the thread's
 * connection) and `&err`, and appends its JSON to resp->body; then the reply is status (which
 * is evaluated after the call) or the error. Returns from the enclosing handler. */
#define API_STORE(req, resp, status, call)                  \
    do {                                                    \
        struct db *db;                                      \
        int api_rc_ = api_db((req), (resp), &db);           \
        if (api_rc_ != SP_OK)                               \
            return api_rc_;                                 \
        struct sp_error err = { 0 };                        \
        api_rc_ = (call);                                   \
        return api_finish((resp), api_rc_, &err, (status)); \
    } while (0)

/* A query parameter used as a filter: NULL when absent or empty (the original ignores both). */
const char *api_filter(const struct api_req *req, const char *key);
/* A query parameter the route cannot do without: its value, or NULL after filling resp with a
 * 400 and msg when it is absent or empty. */
const char *api_required_query(const struct api_req *req, struct api_resp *resp, const char *key,
                               const char *msg);

/* Storage writers the two helpers below drive. */
typedef int (*api_create_fn)(struct db *db, struct store_row *row, struct buf *out,
                             struct sp_error *err);
typedef int (*api_patch_fn)(struct db *db, const char *id, const struct store_row *row,
                            struct buf *out, struct sp_error *err);

/* A route's body: the table, the fields it reads (api/validate.h) and, for a create, the message
 * for a missing required field. API_BODY(SCHEMA_NODES, FIELDS, "msg") fills one. */
struct api_body {
    enum schema_table_id table;
    const struct val_field *fields;
    size_t n_fields;
    const char *required_msg;
};
#define API_BODY(table_, fields_, required_msg_)                               \
    {                                                                          \
        .table = (table_), .fields = (fields_), .n_fields = SP_COUNT(fields_), \
        .required_msg = (required_msg_)                                        \
    }

/* The whole of a create route: validate the body, set column path_col (may be NULL) to the
 * path's first parameter, insert with fn, reply 201. With req->prepared the body is not
 * validated again: that row (and its id) is inserted. */
int api_create(struct api_req *req, struct api_resp *resp, const struct api_body *body,
               const char *path_col, api_create_fn fn);
/* Run handler, a route that is `return api_create(...)` and nothing else, up to the insert: the
 * body validated into *row (path column set), a new id written to id and set as the row's id
 * column; no database call. An invalid body gives the handler's error reply in resp (status
 * 4xx) and its code. For api/write.c, on the HTTP worker thread before the hand-off. */
int api_create_prepare(api_handler_fn handler, struct api_req *req, struct api_resp *resp,
                       struct store_row *row, char id[IDS_UUID_SIZE]);
/* The whole of a PATCH route on the row whose id is the path's first parameter: reply 200. */
int api_patch(struct api_req *req, struct api_resp *resp, const struct api_body *body,
              api_patch_fn fn);

/* api/health.c */
API_HANDLER(api_health);
/* api/branches.c */
API_HANDLER(api_branches_list);
API_HANDLER(api_branches_get);
API_HANDLER(api_branches_create);
API_HANDLER(api_branches_patch);
API_HANDLER(api_branches_delete);
/* api/nodes.c */
API_HANDLER(api_nodes_list);
API_HANDLER(api_nodes_get);
API_HANDLER(api_nodes_children);
API_HANDLER(api_nodes_edges);
API_HANDLER(api_nodes_create);
API_HANDLER(api_nodes_patch);
API_HANDLER(api_nodes_delete);
/* api/contents.c */
API_HANDLER(api_contents_list);
API_HANDLER(api_contents_active);
API_HANDLER(api_contents_create);
API_HANDLER(api_generations_list);
API_HANDLER(api_generations_create);
/* api/documents.c */
extern const struct api_upload_ops api_documents_upload;
API_HANDLER(api_documents_list);
API_HANDLER(api_documents_delete);
/* api/assessments.c */
API_HANDLER(api_assessments_list);
API_HANDLER(api_assessments_get);
API_HANDLER(api_assessments_create);
API_HANDLER(api_assessments_patch);
API_HANDLER(api_questions_list);
API_HANDLER(api_questions_create);
API_HANDLER(api_answers_create);
API_HANDLER(api_answers_list);
/* api/progress.c */
API_HANDLER(api_progress_list);
API_HANDLER(api_progress_create);
API_HANDLER(api_progress_patch);
/* api/chat.c */
API_HANDLER(api_sessions_list);
API_HANDLER(api_sessions_create);
API_HANDLER(api_sessions_patch);
API_HANDLER(api_messages_list);
API_HANDLER(api_messages_create);
API_HANDLER(api_hints_create);
API_HANDLER(api_hints_list);
/* api/agents_topic.c: the topic run and the legacy generators */
API_HANDLER(api_agents_topic_run);
API_HANDLER(api_nodes_generate_concepts);
API_HANDLER(api_nodes_generate_subconcepts);
/* api/agents_concept.c: diagnostic, concept run, path review */
API_HANDLER(api_agents_concept_diagnostic);
API_HANDLER(api_agents_concept_run);
API_HANDLER(api_agents_node_review);
/* api/agents_tutor.c: POST /api/chat/sessions/:sessionId/tutor */
API_HANDLER(api_chat_tutor);
/* api/agents.c: the LLM routes' shared pieces */
/* 503 JSON naming the variables to set when no model is configured; SP_OK when one is. */
API_HANDLER(api_agents_need_model);
/* What the agent routes share to start a run (api/agents.c). */
/* The body as an object and its userId (a non-empty string; borrowed from *body), or the 400
 * answered ("userId is required"). The caller frees *body in both cases. */
int api_agents_body_user(struct api_req *req, struct api_resp *resp, json_t **body,
                         const char **user_id);
/* Start job under the run key printf(key_fmt, ...) (api_start_run: a second identical request
 * joins it); a key that cannot be built is a 500 "out of memory". job_free(job) runs on every
 * failure. */
int api_agents_start(struct api_resp *resp, run_job_fn fn, void *job, void (*job_free)(void *),
                     const char *key_fmt, ...) __attribute__((format(printf, 5, 6)));
/* FNV-1a 64 over parts[0..n) (NULL as ""), each followed by a NUL: the part of a run key that
 * stands for a request's body ("identical request" = the same hash). */
uint64_t api_agents_key_hash(const char *const *parts, size_t n);
/* Inside a JSON run: out becomes {"error": the message of rc/err}; returns its status
 * (api_status_from_err), or 500 with {"error":"out of memory"} when out cannot hold it. */
int api_agents_error_body(struct buf *out, int rc, const struct sp_error *err);

#endif
