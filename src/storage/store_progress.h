/* storage/store_progress.h: a user's progress on nodes (spec/api.md §9). JSON replies are
 * appended to out (see storage/store.h). Thread model: the caller's connection.
 */
#ifndef SP_STORAGE_STORE_PROGRESS_H
#define SP_STORAGE_STORE_PROGRESS_H

#include <stdbool.h>

#include "storage/store.h"
#include "util/buf.h"
#include "util/err.h"

struct db;

/* A user's rows (optionally of one node), by nodeId. */
int store_progress_list(struct db *db, const char *user_id, const char *node_id, struct buf *out,
                        struct sp_error *err);
/* Record a visit of row's (user_id, node_id), atomically: update the existing row (attempts+1,
 * lastEnteredAt/updatedAt now) or insert a new one; *created says which. */
int store_progress_visit(struct db *db, struct store_row *row, bool *created, struct buf *out,
                         struct sp_error *err);
/* mastery_score, completed_at, has_generated_subnodes when present; updated_at always. */
int store_progress_patch(struct db *db, const char *id, const struct store_row *row,
                         struct buf *out, struct sp_error *err);

#endif
