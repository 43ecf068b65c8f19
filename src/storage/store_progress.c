/* storage/store_progress.c: SQL for user_node_progress.
 * The visit "upsert" is UPDATE-then-INSERT inside BEGIN IMMEDIATE: writers queue on the
 * database lock, so two first visits can no longer both try to insert (the original's UNIQUE
 * race, spec/api.md §1.11). On PostgreSQL a transaction advisory lock on (user, node) does the
 * same across instances (storage/dialect.h); there a visit first tries the UPDATE alone (the row
 * exists on every visit but the first) and takes the lock only when it finds no row.
 * Thread model: the caller's connection; reads take no transaction.
 */
#include "storage/store_progress.h"

#include "storage/columns.h"
#include "storage/dialect.h"
#include "storage/store_sql.h"
#include "storage/store_writer.h"


static const char SQL_LIST[] = "SELECT " STORE_COLS_USER_NODE_PROGRESS
                               " FROM user_node_progress WHERE user_id = ?1 "
                               "ORDER BY node_id, rowid";
static const char SQL_LIST_NODE[] = "SELECT " STORE_COLS_USER_NODE_PROGRESS
                                    " FROM user_node_progress WHERE user_id = ?1 "
                                    "AND node_id = ?2 "
                                    "ORDER BY node_id, rowid";
static const char SQL_VISIT_UPDATE[] =
    "UPDATE user_node_progress SET last_entered_at = :now, attempts_count = attempts_count + 1, "
    "updated_at = :now WHERE user_id = :user_id AND node_id = :node_id "
    "RETURNING " STORE_COLS_USER_NODE_PROGRESS;
static const char SQL_VISIT_INSERT[] =
    "INSERT INTO user_node_progress (id, user_id, node_id, first_entered_at, last_entered_at, "
    "attempts_count) VALUES (:id, :user_id, :node_id, :now, :now, 1) "
    "RETURNING " STORE_COLS_USER_NODE_PROGRESS;
static const char SQL_PATCH[] =
    "UPDATE user_node_progress SET "
    STORE_PATCH_COL("mastery_score") ", " STORE_PATCH_COL("completed_at") ", "
    STORE_PATCH_COL("has_generated_subnodes") ", updated_at = :now WHERE id = :key "
    "RETURNING " STORE_COLS_USER_NODE_PROGRESS;

int store_progress_list(struct db *db, const char *user_id, const char *node_id, struct buf *out,
                        struct sp_error *err)
{
    return store_list(db, node_id ? SQL_LIST_NODE : SQL_LIST,
                      schema_table(SCHEMA_USER_NODE_PROGRESS), STORE_TEXTS(user_id, node_id), out,
                      err);
}

static int visit_once(struct db *db, struct store_row *row, bool *created, struct buf *out,
                      struct sp_error *err)
{
    const struct model_table *t = schema_table(SCHEMA_USER_NODE_PROGRESS);
    *created = false;
    size_t len0 = out->len;
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    const char *lock = store_dialect(db, &STORE_SQL_PROGRESS_VISIT_LOCK);
    const struct store_value *u = store_row_value(t, row, "user_id");
    const struct store_value *n = store_row_value(t, row, "node_id");
    if (lock && u && n && u->kind == STORE_V_TEXT && n->kind == STORE_V_TEXT) {
        struct dbi_stmt *ls;
        rc = store_stmt(db, lock, &ls, err);
        if (rc == SP_OK) {
            store_bind_value(ls, 1, u);
            store_bind_value(ls, 2, n);
            rc = store_run(db, ls, NULL, err);
        }
    }
    struct dbi_stmt *st;
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_VISIT_UPDATE, &st, err);
    if (rc == SP_OK) {
        store_bind_row(st, t, row);
        rc = store_one_json(db, st, t, NULL, 0, out, err);
    }
    if (rc == SP_ENOTFOUND) {
        rc = store_insert(db, SQL_VISIT_INSERT, t, row, NULL, NULL, out, err);
        *created = rc == SP_OK;
    }
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK)
        store_truncate(out, len0);
    return rc;
}

int store_progress_visit(struct db *db, struct store_row *row, bool *created, struct buf *out,
                         struct sp_error *err)
{
    int rc, attempt = 0;
    /* PostgreSQL, a row already there (every visit but the first): the UPDATE alone, one
     * statement and one round trip in autocommit, or inside the job's savepoint of a
     * group-commit batch (storage/store_pgwriter.c: a failed UPDATE rolls back with the job);
     * the lock only orders first visits. */
    if (store_dialect(db, &STORE_SQL_PROGRESS_VISIT_LOCK) &&
        (!dbi_in_txn(db) || store_writer_in_batch())) {
        struct dbi_stmt *st;
        *created = false;
        rc = store_stmt(db, SQL_VISIT_UPDATE, &st, err);
        if (rc == SP_OK) {
            store_bind_row(st, schema_table(SCHEMA_USER_NODE_PROGRESS), row);
            rc = store_write_one_json(db, st, schema_table(SCHEMA_USER_NODE_PROGRESS), out, err);
        }
        if (rc != SP_ENOTFOUND)
            return rc;
    }
    do
        rc = visit_once(db, row, created, out, err);
    while (store_retry(db, rc, ++attempt));
    return rc;
}

int store_progress_patch(struct db *db, const char *id, const struct store_row *row,
                         struct buf *out, struct sp_error *err)
{
    return store_patch(db, SQL_PATCH, schema_table(SCHEMA_USER_NODE_PROGRESS), id, row,
                       "Progress record not found", out, err);
}
