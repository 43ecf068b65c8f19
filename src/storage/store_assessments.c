/* storage/store_assessments.c: SQL for assessments, questions and answers.
 * The answer insert and the auto-completion run in one BEGIN IMMEDIATE transaction (PostgreSQL:
 * READ COMMITTED, the completion under an advisory lock on the assessment); the completeness
 * test is one UPDATE whose WHERE says "at least one question, and no question without an answer
 * by this user". An answer to an assessment already completed skips the lock and the UPDATE.
 * Thread model: the caller's connection; reads take no transaction.
 */
#include "storage/store_assessments.h"

#include <string.h>

#include "storage/columns.h"
#include "storage/rowjson.h"
#include "storage/store_sql.h"

#define SEL_A "SELECT " STORE_COLS_ASSESSMENTS " FROM assessments"

/* bit 0 userId, bit 1 targetNodeId */
static const char *const SQL_LIST[4] = {
    SEL_A " ORDER BY rowid",
    SEL_A " WHERE user_id = ?1 ORDER BY target_node_id, type, rowid",
    SEL_A " WHERE target_node_id = ?2 ORDER BY rowid",
    SEL_A " WHERE user_id = ?1 AND target_node_id = ?2 ORDER BY type, rowid",
};
static const char SQL_GET[] = SEL_A " WHERE id = ?1";
static const char SQL_EXISTS[] = "SELECT 1 FROM assessments WHERE id = ?1";
static const char SQL_CREATE[] =
    "INSERT INTO assessments (id, user_id, target_node_id, type, title) "
    "VALUES (:id, :user_id, :target_node_id, :type, :title) RETURNING " STORE_COLS_ASSESSMENTS;
static const char SQL_PATCH[] =
    "UPDATE assessments SET " STORE_PATCH_COL("completed_at") ", " STORE_PATCH_COL(
        "title") " WHERE id = :key RETURNING " STORE_COLS_ASSESSMENTS;
static const char SQL_Q_LIST[] =
    "SELECT " STORE_COLS_QUESTIONS " FROM questions WHERE assessment_id = ?1 ORDER BY rowid";
static const char SQL_Q_CREATE[] =
    "INSERT INTO questions (id, assessment_id, node_id, format, prompt, options, "
    "correct_answer, grading_rubric, difficulty) VALUES (:id, :assessment_id, :node_id, "
    ":format, :prompt, :options, :correct_answer, :grading_rubric, :difficulty) "
    "RETURNING " STORE_COLS_QUESTIONS;
static const char SQL_A_CREATE[] =
    "INSERT INTO answers (id, user_id, assessment_id, question_id, answer_text, "
    "selected_option, is_correct, score, feedback) VALUES (:id, :user_id, :assessment_id, "
    ":question_id, :answer_text, :selected_option, :is_correct, :score, :feedback) "
    "RETURNING " STORE_COLS_ANSWERS
    ", (SELECT count(*) FROM assessments s "
    "WHERE s.id = answers.assessment_id AND (s.completed_at IS NULL OR s.completed_at = '')) "
    "AS " ROWJSON_EXTRA_PREFIX "open";
static const char SQL_COMPLETE[] =
    "UPDATE assessments SET completed_at = :now WHERE id = :assessment_id "
    "AND (completed_at IS NULL OR completed_at = '') "
    "AND EXISTS (SELECT 1 FROM questions WHERE assessment_id = :assessment_id) "
    "AND NOT EXISTS (SELECT 1 FROM questions q WHERE q.assessment_id = :assessment_id "
    "AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.user_id = :user_id "
    "AND a.assessment_id = :assessment_id AND a.question_id = q.id))";
/* Whether the completion must be checked: the assessment is not completed yet. */
static const char SQL_A_LIST[] =
    "SELECT " STORE_COLS_ANSWERS " FROM answers WHERE assessment_id = ?1 ORDER BY rowid";
static const char SQL_A_LIST_USER[] = "SELECT " STORE_COLS_ANSWERS
                                      " FROM answers WHERE assessment_id = ?1 AND user_id = ?2 "
                                      "ORDER BY rowid";

int store_assessments_list(struct db *db, const char *user_id, const char *target_node_id,
                           struct buf *out, struct sp_error *err)
{
    return store_list(db, SQL_LIST[(user_id ? 1 : 0) | (target_node_id ? 2 : 0)],
                      schema_table(SCHEMA_ASSESSMENTS), STORE_TEXTS(user_id, target_node_id), out,
                      err);
}

int store_assessments_get(struct db *db, const char *id, struct buf *out, struct sp_error *err)
{
    return store_get(db, SQL_GET, schema_table(SCHEMA_ASSESSMENTS), STORE_TEXTS(id),
                     "Assessment not found", out, err);
}

int store_assessments_create(struct db *db, struct store_row *row, struct buf *out,
                             struct sp_error *err)
{
    return store_insert(db, SQL_CREATE, schema_table(SCHEMA_ASSESSMENTS), row, NULL, NULL, out,
                        err);
}

int store_assessments_patch(struct db *db, const char *id, const struct store_row *row,
                            struct buf *out, struct sp_error *err)
{
    const struct model_table *t = schema_table(SCHEMA_ASSESSMENTS);
    int kc = model_column_index(t, "completed_at"), kt = model_column_index(t, "title");
    if (row->v[kc].kind == STORE_V_ABSENT && row->v[kt].kind == STORE_V_ABSENT) {
        bool exists = false;
        int rc = store_exists(db, SQL_EXISTS, STORE_TEXTS(id), &exists, err);
        if (rc != SP_OK)
            return rc;
        return exists ? sp_error_set(err, SP_EINVAL, "No values to set")
                      : sp_error_set(err, SP_ENOTFOUND, "Assessment not found");
    }
    return store_patch(db, SQL_PATCH, t, id, row, "Assessment not found", out, err);
}

int store_questions_list(struct db *db, const char *assessment_id, struct buf *out,
                         struct sp_error *err)
{
    return store_list(db, SQL_Q_LIST, schema_table(SCHEMA_QUESTIONS), STORE_TEXTS(assessment_id),
                      out, err);
}

int store_questions_create(struct db *db, struct store_row *row, struct buf *out,
                           struct sp_error *err)
{
    return store_insert(db, SQL_Q_CREATE, schema_table(SCHEMA_QUESTIONS), row, "assessment_id",
                        "Assessment not found", out, err);
}

static int answers_create_once(struct db *db, struct store_row *row, struct buf *out,
                               struct sp_error *err)
{
    const struct model_table *t = schema_table(SCHEMA_ANSWERS);
    size_t len0 = out->len;
    /* PostgreSQL: READ COMMITTED, and the completion checks of one assessment one at a time (an
     * advisory lock held to the commit, across instances): every answer is inserted before its
     * transaction takes the lock, and the completion check runs after it, so its snapshot holds
     * every answer of the transactions that held the lock before (committed by then), and the
     * last of concurrent answers to take the lock sees them all; SERIALIZABLE did the same with
     * serialization failures (most of them false conflicts on index pages) under load.
     * Cheap check first: an assessment already completed (read by the insert itself, in its
     * RETURNING: no round trip of its own) cannot be completed again (the UPDATE's own WHERE says so), so neither the lock nor the UPDATE is
     * needed: answers to a completed assessment no longer queue on its lock. */
    struct store_value *a = store_row_value(t, row, "assessment_id");
    char aid[256] = ""; /* a longer id locks by its prefix: coarser, never wrong */
    if (a->kind == STORE_V_TEXT)
        memcpy(aid, a->text, a->len < sizeof aid ? a->len : sizeof aid - 1);
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    int64_t still_open = 1; /* the insert's RETURNING says (one round trip for both) */
    rc = store_insert_extra(db, SQL_A_CREATE, t, row, "assessment_id", "Assessment not found", out,
                            &still_open, err);
    /* a longer id: aid is only its prefix, so the lock path always */
    bool open = still_open != 0 || a->kind != STORE_V_TEXT || a->len >= sizeof aid;
    if (rc == SP_OK && open)
        rc = store_txn_lock(db, "sprout.answers", aid, NULL, err);
    if (rc == SP_OK && open) {
        struct dbi_stmt *st;
        rc = store_stmt(db, SQL_COMPLETE, &st, err);
        if (rc == SP_OK) {
            store_bind_row(st, t, row);
            rc = store_run(db, st, NULL, err);
        }
    }
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK)
        store_truncate(out, len0);
    return rc;
}

int store_answers_create(struct db *db, struct store_row *row, struct buf *out,
                         struct sp_error *err)
{
    int rc, attempt = 0;
    do
        rc = answers_create_once(db, row, out, err);
    while (store_retry(db, rc, ++attempt));
    return rc;
}

int store_answers_list(struct db *db, const char *assessment_id, const char *user_id,
                       struct buf *out, struct sp_error *err)
{
    return store_list(db, user_id ? SQL_A_LIST_USER : SQL_A_LIST, schema_table(SCHEMA_ANSWERS),
                      STORE_TEXTS(assessment_id, user_id), out, err);
}
