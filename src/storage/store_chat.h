/* storage/store_chat.h: chat sessions, messages and hint events (spec/api.md §10). JSON
 * replies are appended to out (see storage/store.h). Thread model: the caller's connection.
 */
#ifndef SP_STORAGE_STORE_CHAT_H
#define SP_STORAGE_STORE_CHAT_H

#include "storage/store.h"
#include "util/buf.h"
#include "util/err.h"

struct db;

int store_sessions_list(struct db *db, const char *user_id, const char *node_id, struct buf *out,
                        struct sp_error *err);
int store_sessions_create(struct db *db, struct store_row *row, struct buf *out,
                          struct sp_error *err);
/* Set ended_at (row's value); SP_ENOTFOUND "Session not found". */
int store_sessions_patch(struct db *db, const char *id, const struct store_row *row,
                         struct buf *out, struct sp_error *err);
int store_messages_list(struct db *db, const char *session_id, struct buf *out,
                        struct sp_error *err);
int store_messages_create(struct db *db, struct store_row *row, struct buf *out,
                          struct sp_error *err);
int store_hints_list(struct db *db, const char *user_id, const char *node_id, struct buf *out,
                     struct sp_error *err);
int store_hints_create(struct db *db, struct store_row *row, struct buf *out, struct sp_error *err);

#endif
