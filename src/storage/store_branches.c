/* storage/store_branches.c: SQL for branches and the branch-delete cascade.
 *
 * The cascade (spec/api.md §4.5, made atomic): N = the branch's nodes plus every descendant
 * through parent_id (so no child outside the branch is left pointing at a deleted parent);
 * A = assessments targeting N; Q = questions of A; S = chat sessions on N; M = their messages.
 * Deleted: hint events on N, M, S, answers of A or Q, Q, A, progress/contents/generations/
 * documents of N, edges touching N, N, the branch. References from rows that survive are
 * cleared instead of failing: hint events elsewhere that point at S or M get those columns set
 * to NULL; questions of other assessments tagged with a node of N get node_id NULL.
 * The sets live in TEMP tables of the connection, emptied before and after each run.
 * Thread model: the caller's connection, inside a BEGIN IMMEDIATE transaction it opens here.
 */
#include "storage/store_branches.h"

#include "storage/columns.h"
#include "storage/dialect.h"
#include "storage/store_sql.h"


static const char SQL_LIST[] =
    "SELECT " STORE_COLS_BRANCHES " FROM branches WHERE user_id = ?1 ORDER BY rowid";
static const char SQL_GET[] = "SELECT " STORE_COLS_BRANCHES " FROM branches WHERE id = ?1";
static const char SQL_CREATE[] =
    "INSERT INTO branches (id, title, user_id) VALUES (:id, :title, :user_id) "
    "RETURNING " STORE_COLS_BRANCHES;
static const char SQL_PATCH[] =
    "UPDATE branches SET " STORE_PATCH_COL("title") ", updated_at = :now "
    "WHERE id = :key RETURNING " STORE_COLS_BRANCHES;
static const char SQL_DELETE_BRANCH[] = "DELETE FROM branches WHERE id = ?1";
/* The branch delete's working sets (temp tables) differ by engine: storage/dialect.c. */

int store_branches_list(struct db *db, const char *user_id, struct buf *out, struct sp_error *err)
{
    return store_list(db, SQL_LIST, schema_table(SCHEMA_BRANCHES), STORE_TEXTS(user_id), out, err);
}

int store_branches_get(struct db *db, const char *id, struct buf *out, struct sp_error *err)
{
    return store_get(db, SQL_GET, schema_table(SCHEMA_BRANCHES), STORE_TEXTS(id),
                     "Branch not found", out, err);
}

int store_branches_create(struct db *db, struct store_row *row, struct buf *out,
                          struct sp_error *err)
{
    return store_insert(db, SQL_CREATE, schema_table(SCHEMA_BRANCHES), row, NULL, NULL, out, err);
}

int store_branches_patch(struct db *db, const char *id, const struct store_row *row,
                         struct buf *out, struct sp_error *err)
{
    return store_patch(db, SQL_PATCH, schema_table(SCHEMA_BRANCHES), id, row, "Branch not found",
                       out, err);
}

static int collect_keys(struct db *db, struct arena *a, const char ***keys, size_t *n_keys,
                        struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, store_dialect(db, &STORE_SQL_BRANCH_KEYS), &st, err);
    if (rc != SP_OK)
        return rc;
    size_t cap = 0;
    int step;
    while ((step = dbi_step(st)) == DBI_ROW) {
        const char *k = dbi_column_text(st, 0);
        if (!k)
            continue;
        if (*n_keys == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            const char **nk = arena_alloc(a, ncap * sizeof *nk);
            if (!nk) {
                dbi_reset(st);
                return sp_error_set(err, SP_ENOMEM, "out of memory");
            }
            for (size_t i = 0; i < *n_keys; i++)
                nk[i] = (*keys)[i];
            *keys = nk;
            cap = ncap;
        }
        if (!((*keys)[(*n_keys)++] = arena_strdup(a, k))) {
            dbi_reset(st);
            return sp_error_set(err, SP_ENOMEM, "out of memory");
        }
    }
    if (step != DBI_DONE)
        return store_step_error(db, st, step, err);
    dbi_reset(st);
    return SP_OK;
}

static int delete_once(struct db *db, const char *id, struct arena *a, const char ***keys,
                       size_t *n_keys, bool *fk_failed, struct sp_error *err)
{
    *fk_failed = false;
    *keys = NULL;
    *n_keys = 0;
    int rc = store_txn_begin(db, err); /* PostgreSQL: READ COMMITTED, see the lock below */
    if (rc != SP_OK)
        return rc;
    bool exists = false;
    rc = store_exists(db, store_dialect(db, &STORE_SQL_BRANCH_EXISTS_LOCK), STORE_TEXTS(id),
                      &exists, err);
    if (rc == SP_OK && !exists)
        rc = sp_error_set(err, SP_ENOTFOUND, "Branch not found");
    if (rc == SP_OK)
        rc = dbi_exec(db, store_dialect(db, &STORE_SQL_BRANCH_TEMP_PREPARE), err);
    if (rc == SP_OK)
        rc = store_write(db, store_dialect(db, &STORE_SQL_BRANCH_NODESET), STORE_TEXTS(id), NULL,
                         err);
    if (rc == SP_OK)
        rc = dbi_exec(db, store_dialect(db, &STORE_SQL_BRANCH_SETS), err);
    if (rc == SP_OK)
        rc = collect_keys(db, a, keys, n_keys, err);
    if (rc == SP_OK)
        rc = dbi_exec(db, store_dialect(db, &STORE_SQL_BRANCH_CASCADE), err);
    if (rc == SP_OK)
        rc = store_write(db, SQL_DELETE_BRANCH, STORE_TEXTS(id), NULL, err);
    if (rc == SP_OK)
        rc = dbi_exec(db, store_dialect(db, &STORE_SQL_BRANCH_TEMP_CLEAR), err);
    *fk_failed = rc == SP_ECONFLICT && dbi_error_is_fk(db);
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK) {
        *keys = NULL;
        *n_keys = 0;
        if (rc == SP_ECONFLICT)
            sp_error_prefix(err, rc, "Branch could not be deleted (nothing was changed)");
    }
    return rc;
}

int store_branches_delete(struct db *db, const char *id, struct arena *a, const char ***keys,
                          size_t *n_keys, struct sp_error *err)
{
    int rc, attempt = 0;
    bool fk_failed;
    do
        rc = delete_once(db, id, a, keys, n_keys, &fk_failed, err);
    while (store_retry(db, rc, ++attempt) || store_retry_fk_race(db, rc, fk_failed, attempt));
    return rc;
}
