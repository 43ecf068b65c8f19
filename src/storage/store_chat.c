/* storage/store_chat.c: SQL for chat_sessions, chat_messages and hint_events.
 * Each list filter combination has its own static statement ordered as spec/api.md §1.10,
 * rowid last (messages: createdAt then insertion, which the client's stable sort relies on).
 * Thread model: the caller's connection; reads take no transaction.
 */
#include "storage/store_chat.h"

#include "storage/columns.h"
#include "storage/store_sql.h"

#define SEL_S "SELECT " STORE_COLS_CHAT_SESSIONS " FROM chat_sessions"
#define SEL_H "SELECT " STORE_COLS_HINT_EVENTS " FROM hint_events"

/* bit 0 userId, bit 1 nodeId */
static const char *const SQL_S_LIST[4] = {
    SEL_S " ORDER BY rowid",
    SEL_S " WHERE user_id = ?1 ORDER BY started_at, rowid",
    SEL_S " WHERE node_id = ?2 ORDER BY started_at, rowid",
    SEL_S " WHERE node_id = ?2 AND user_id = ?1 ORDER BY started_at, rowid",
};
static const char *const SQL_H_LIST[4] = {
    SEL_H " ORDER BY rowid",
    SEL_H " WHERE user_id = ?1 ORDER BY node_id, created_at, rowid",
    SEL_H " WHERE node_id = ?2 ORDER BY rowid",
    SEL_H " WHERE user_id = ?1 AND node_id = ?2 ORDER BY created_at, rowid",
};
static const char SQL_S_CREATE[] =
    "INSERT INTO chat_sessions (id, user_id, node_id) VALUES (:id, :user_id, :node_id) "
    "RETURNING " STORE_COLS_CHAT_SESSIONS;
static const char SQL_S_PATCH[] =
    "UPDATE chat_sessions SET ended_at = :ended_at WHERE id = :key "
    "RETURNING " STORE_COLS_CHAT_SESSIONS;
static const char SQL_M_LIST[] = "SELECT " STORE_COLS_CHAT_MESSAGES
                                 " FROM chat_messages WHERE session_id = ?1 "
                                 "ORDER BY created_at, rowid";
static const char SQL_M_CREATE[] =
    "INSERT INTO chat_messages (id, session_id, user_id, role, kind, content, was_successful, "
    "success_signal) VALUES (:id, :session_id, :user_id, :role, :kind, :content, "
    ":was_successful, :success_signal) RETURNING " STORE_COLS_CHAT_MESSAGES;
static const char SQL_H_CREATE[] =
    "INSERT INTO hint_events (id, user_id, node_id, session_id, request_message_id, "
    "response_message_id, referenced_success_message_ids) VALUES (:id, :user_id, :node_id, "
    ":session_id, :request_message_id, :response_message_id, :referenced_success_message_ids) "
    "RETURNING " STORE_COLS_HINT_EVENTS;

int store_sessions_list(struct db *db, const char *user_id, const char *node_id, struct buf *out,
                        struct sp_error *err)
{
    return store_list(db, SQL_S_LIST[(user_id ? 1 : 0) | (node_id ? 2 : 0)],
                      schema_table(SCHEMA_CHAT_SESSIONS), STORE_TEXTS(user_id, node_id), out, err);
}

int store_sessions_create(struct db *db, struct store_row *row, struct buf *out,
                          struct sp_error *err)
{
    return store_insert(db, SQL_S_CREATE, schema_table(SCHEMA_CHAT_SESSIONS), row, NULL, NULL, out,
                        err);
}

int store_sessions_patch(struct db *db, const char *id, const struct store_row *row,
                         struct buf *out, struct sp_error *err)
{
    return store_patch(db, SQL_S_PATCH, schema_table(SCHEMA_CHAT_SESSIONS), id, row,
                       "Session not found", out, err);
}

int store_messages_list(struct db *db, const char *session_id, struct buf *out,
                        struct sp_error *err)
{
    return store_list(db, SQL_M_LIST, schema_table(SCHEMA_CHAT_MESSAGES), STORE_TEXTS(session_id),
                      out, err);
}

int store_messages_create(struct db *db, struct store_row *row, struct buf *out,
                          struct sp_error *err)
{
    return store_insert(db, SQL_M_CREATE, schema_table(SCHEMA_CHAT_MESSAGES), row, "session_id",
                        "Session not found", out, err);
}

int store_hints_list(struct db *db, const char *user_id, const char *node_id, struct buf *out,
                     struct sp_error *err)
{
    return store_list(db, SQL_H_LIST[(user_id ? 1 : 0) | (node_id ? 2 : 0)],
                      schema_table(SCHEMA_HINT_EVENTS), STORE_TEXTS(user_id, node_id), out, err);
}

int store_hints_create(struct db *db, struct store_row *row, struct buf *out, struct sp_error *err)
{
    return store_insert(db, SQL_H_CREATE, schema_table(SCHEMA_HINT_EVENTS), row, NULL, NULL, out,
                        err);
}
