/* storage/store_nodes.h: nodes and their dependency edges (spec/api.md §5). JSON replies are
 * appended to out (see storage/store.h for values, errors and ownership).
 * Thread model: the caller's connection.
 */
#ifndef SP_STORAGE_STORE_NODES_H
#define SP_STORAGE_STORE_NODES_H

#include "storage/store.h"
#include "util/buf.h"
#include "util/err.h"

struct db;

/* Filters are NULL when not given; order as spec/api.md §1.10 (userId alone: by type). */
int store_nodes_list(struct db *db, const char *user_id, const char *type, const char *branch_id,
                     const char *parent_id, struct buf *out, struct sp_error *err);
int store_nodes_get(struct db *db, const char *id, struct buf *out, struct sp_error *err);
int store_nodes_children(struct db *db, const char *id, struct buf *out, struct sp_error *err);
/* Edges between the children of id (of child_type when not NULL), by source then target. */
int store_nodes_edges(struct db *db, const char *id, const char *child_type, struct buf *out,
                      struct sp_error *err);
int store_nodes_create(struct db *db, struct store_row *row, struct buf *out, struct sp_error *err);
/* title, desc, accuracy_score when present; updated_at = now (ISO). */
int store_nodes_patch(struct db *db, const char *id, const struct store_row *row, struct buf *out,
                      struct sp_error *err);
/* SP_ENOTFOUND "Node not found"; SP_ECONFLICT "Node is still referenced by …". */
int store_nodes_delete(struct db *db, const char *id, struct sp_error *err);

#endif
