/* api/chat.c: chat sessions, messages and hint events (spec/api.md §10; docs/API.md).
 * Parse and validate, call storage/store_chat, reply. The tutor route on this prefix is in
 * api/agents.c. Thread model: HTTP worker threads; the thread's own connection.
 */
#include "api/handlers.h"
#include "storage/store_chat.h"
#include "util/timefmt.h"

static const struct val_field SESSION_FIELDS[] = {
    { "userId", VAL_REQUIRED },
    { "nodeId", VAL_FALSY_NULL },
};
static const struct val_field END_FIELDS[] = {
    { "endedAt", VAL_FALSY_NULL },
};
static const struct val_field MESSAGE_FIELDS[] = {
    { "userId", VAL_REQUIRED },
    { "role", VAL_REQUIRED },
    { "content", VAL_REQUIRED },
    { "kind", VAL_FALSY_DEFAULT },
    { "wasSuccessful", VAL_NULLISH_NULL },
    { "successSignal", VAL_FALSY_NULL },
};
static const struct val_field HINT_FIELDS[] = {
    { "userId", VAL_REQUIRED },
    { "nodeId", VAL_REQUIRED },
    { "sessionId", VAL_FALSY_NULL },
    { "requestMessageId", VAL_FALSY_NULL },
    { "responseMessageId", VAL_FALSY_NULL },
    { "referencedSuccessMessageIds", VAL_FALSY_NULL },
};

static const struct api_body SESSION =
    API_BODY(SCHEMA_CHAT_SESSIONS, SESSION_FIELDS, "userId is required");
static const struct api_body MESSAGE =
    API_BODY(SCHEMA_CHAT_MESSAGES, MESSAGE_FIELDS, "userId, role, and content are required");
static const struct api_body HINT =
    API_BODY(SCHEMA_HINT_EVENTS, HINT_FIELDS, "userId and nodeId are required");

int api_sessions_list(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200,
              store_sessions_list(db, api_filter(req, "userId"), api_filter(req, "nodeId"),
                                  &resp->body, &err));
}

int api_sessions_create(struct api_req *req, struct api_resp *resp)
{
    return api_create(req, resp, &SESSION, NULL, store_sessions_create);
}

int api_sessions_patch(struct api_req *req, struct api_resp *resp)
{
    const struct model_table *t = schema_table(SCHEMA_CHAT_SESSIONS);
    struct store_row row = { 0 };
    int rc = validate_request(req, resp, t, END_FIELDS, SP_COUNT(END_FIELDS), "", &row);
    if (rc != SP_OK)
        return rc;
    char now[TIME_ISO_SIZE];
    struct store_value *ended = store_row_value(t, &row, "ended_at");
    if (ended->kind != STORE_V_TEXT) { /* falsy -> now: a session cannot be re-opened */
        time_iso_now(now);
        store_row_set_text(t, &row, "ended_at", now);
    }
    API_STORE(req, resp, 200, store_sessions_patch(db, req->params[0], &row, &resp->body, &err));
}

int api_messages_list(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200, store_messages_list(db, req->params[0], &resp->body, &err));
}

int api_messages_create(struct api_req *req, struct api_resp *resp)
{
    return api_create(req, resp, &MESSAGE, "session_id", store_messages_create);
}

int api_hints_create(struct api_req *req, struct api_resp *resp)
{
    return api_create(req, resp, &HINT, NULL, store_hints_create);
}

int api_hints_list(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200,
              store_hints_list(db, api_filter(req, "userId"), api_filter(req, "nodeId"),
                               &resp->body, &err));
}
