/* storage/store_contents.h: node contents and the generation log (spec/api.md §6). JSON
 * replies are appended to out (see storage/store.h). Thread model: the caller's connection.
 */
#ifndef SP_STORAGE_STORE_CONTENTS_H
#define SP_STORAGE_STORE_CONTENTS_H

#include "storage/store.h"
#include "util/buf.h"
#include "util/err.h"

struct db;

/* Every content row of a node: by status, then insertion. */
int store_contents_list(struct db *db, const char *node_id, struct buf *out, struct sp_error *err);
/* The oldest active row, or the JSON literal null. */
int store_contents_active(struct db *db, const char *node_id, struct buf *out,
                          struct sp_error *err);
/* Insert (row has node_id set from the path); unknown node: SP_ENOTFOUND "Node not found". */
int store_contents_create(struct db *db, struct store_row *row, struct buf *out,
                          struct sp_error *err);
/* Generation log of a node: by createdAt, then insertion. */
int store_generations_list(struct db *db, const char *node_id, struct buf *out,
                           struct sp_error *err);
int store_generations_create(struct db *db, struct store_row *row, struct buf *out,
                             struct sp_error *err);

#endif
