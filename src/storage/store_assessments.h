/* storage/store_assessments.h: assessments, their questions and answers (spec/api.md §8).
 * JSON replies are appended to out (see storage/store.h). Thread model: the caller's connection.
 */
#ifndef SP_STORAGE_STORE_ASSESSMENTS_H
#define SP_STORAGE_STORE_ASSESSMENTS_H

#include "storage/store.h"
#include "util/buf.h"
#include "util/err.h"

struct db;

int store_assessments_list(struct db *db, const char *user_id, const char *target_node_id,
                           struct buf *out, struct sp_error *err);
int store_assessments_get(struct db *db, const char *id, struct buf *out, struct sp_error *err);
int store_assessments_create(struct db *db, struct store_row *row, struct buf *out,
                             struct sp_error *err);
/* completed_at / title when present. Neither: SP_ENOTFOUND for an unknown id, else SP_EINVAL
 * "No values to set". */
int store_assessments_patch(struct db *db, const char *id, const struct store_row *row,
                            struct buf *out, struct sp_error *err);
int store_questions_list(struct db *db, const char *assessment_id, struct buf *out,
                         struct sp_error *err);
int store_questions_create(struct db *db, struct store_row *row, struct buf *out,
                           struct sp_error *err);
/* Insert the answer and, in the same transaction, complete the assessment (ISO now) when this
 * user has now answered every one of its questions (spec/api.md §8.7). */
int store_answers_create(struct db *db, struct store_row *row, struct buf *out,
                         struct sp_error *err);
int store_answers_list(struct db *db, const char *assessment_id, const char *user_id,
                       struct buf *out, struct sp_error *err);

#endif
