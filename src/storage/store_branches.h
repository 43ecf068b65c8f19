/* storage/store_branches.h: the branches aggregate: a branch and, on delete, the whole graph
 * that hangs off it (spec/api.md §4). JSON replies are appended to out (see storage/store.h
 * for values, errors and ownership). Thread model: the caller's connection.
 */
#ifndef SP_STORAGE_STORE_BRANCHES_H
#define SP_STORAGE_STORE_BRANCHES_H

#include <stddef.h>

#include "storage/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

struct db;

/* Branches of a user, insertion order. */
int store_branches_list(struct db *db, const char *user_id, struct buf *out, struct sp_error *err);
/* One branch; SP_ENOTFOUND "Branch not found". */
int store_branches_get(struct db *db, const char *id, struct buf *out, struct sp_error *err);
/* Insert (row: title, user_id); SP_ENOTFOUND "userId … not found". */
int store_branches_create(struct db *db, struct store_row *row, struct buf *out,
                          struct sp_error *err);
/* Set title when present and updated_at = now (ISO); SP_ENOTFOUND "Branch not found". */
int store_branches_patch(struct db *db, const char *id, const struct store_row *row,
                         struct buf *out, struct sp_error *err);
/* Delete the branch and everything hanging off it, in one transaction (docs/API.md).
 * *keys (arena memory, may be NULL when *n_keys is 0) receives the object-store keys of the
 * deleted documents, for the caller to delete after the commit. */
int store_branches_delete(struct db *db, const char *id, struct arena *a, const char ***keys,
                          size_t *n_keys, struct sp_error *err);

#endif
