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
static const char SQL_EXISTS[] = "SELECT 1 FROM branches WHERE id = ?1";
static const char SQL_NODESET[] =
    "INSERT OR IGNORE INTO temp.sp_del_nodes (id) "
    "WITH RECURSIVE sub(id) AS (SELECT id FROM nodes WHERE branch_id = ?1 "
    "UNION SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id) SELECT id FROM sub";
static const char SQL_KEYS[] =
    "SELECT s3_key FROM topic_documents WHERE node_id IN (SELECT id FROM temp.sp_del_nodes) "
    "ORDER BY rowid";
static const char SQL_DELETE_BRANCH[] = "DELETE FROM branches WHERE id = ?1";

static const char SQL_TEMP_PREPARE[] =
    "CREATE TEMP TABLE IF NOT EXISTS sp_del_nodes (id TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TEMP TABLE IF NOT EXISTS sp_del_assessments (id TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TEMP TABLE IF NOT EXISTS sp_del_questions (id TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TEMP TABLE IF NOT EXISTS sp_del_sessions (id TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TEMP TABLE IF NOT EXISTS sp_del_messages (id TEXT PRIMARY KEY) WITHOUT ROWID;"
    "DELETE FROM temp.sp_del_nodes; DELETE FROM temp.sp_del_assessments;"
    "DELETE FROM temp.sp_del_questions; DELETE FROM temp.sp_del_sessions;"
    "DELETE FROM temp.sp_del_messages;";
static const char SQL_TEMP_CLEAR[] =
    "DELETE FROM temp.sp_del_nodes; DELETE FROM temp.sp_del_assessments;"
    "DELETE FROM temp.sp_del_questions; DELETE FROM temp.sp_del_sessions;"
    "DELETE FROM temp.sp_del_messages;";

#define IN_N "(SELECT id FROM temp.sp_del_nodes)"
#define IN_A "(SELECT id FROM temp.sp_del_assessments)"
#define IN_Q "(SELECT id FROM temp.sp_del_questions)"
#define IN_S "(SELECT id FROM temp.sp_del_sessions)"
#define IN_M "(SELECT id FROM temp.sp_del_messages)"

static const char SQL_SETS[] =
    "INSERT INTO temp.sp_del_assessments SELECT id FROM assessments "
    "WHERE target_node_id IN " IN_N ";"
    "INSERT INTO temp.sp_del_questions SELECT id FROM questions WHERE assessment_id IN " IN_A ";"
    "INSERT INTO temp.sp_del_sessions SELECT id FROM chat_sessions WHERE node_id IN " IN_N ";"
    "INSERT INTO temp.sp_del_messages SELECT id FROM chat_messages WHERE session_id IN " IN_S ";";

static const char SQL_CASCADE[] =
    "DELETE FROM hint_events WHERE node_id IN " IN_N ";"
    "UPDATE hint_events SET session_id = NULL WHERE session_id IN " IN_S ";"
    "UPDATE hint_events SET request_message_id = NULL WHERE request_message_id IN " IN_M ";"
    "UPDATE hint_events SET response_message_id = NULL WHERE response_message_id IN " IN_M ";"
    "DELETE FROM chat_messages WHERE id IN " IN_M ";"
    "DELETE FROM chat_sessions WHERE id IN " IN_S ";"
    "DELETE FROM answers WHERE assessment_id IN " IN_A " OR question_id IN " IN_Q ";"
    "UPDATE questions SET node_id = NULL WHERE node_id IN " IN_N " AND id NOT IN " IN_Q ";"
    "DELETE FROM questions WHERE id IN " IN_Q ";"
    "DELETE FROM assessments WHERE id IN " IN_A ";"
    "DELETE FROM user_node_progress WHERE node_id IN " IN_N ";"
    "DELETE FROM node_contents WHERE node_id IN " IN_N ";"
    "DELETE FROM node_generations WHERE node_id IN " IN_N ";"
    "DELETE FROM topic_documents WHERE node_id IN " IN_N ";"
    "DELETE FROM node_edges WHERE source_node_id IN " IN_N " OR target_node_id IN " IN_N ";"
    "DELETE FROM nodes WHERE id IN " IN_N ";";

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
    int rc = store_stmt(db, SQL_KEYS, &st, err);
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

int store_branches_delete(struct db *db, const char *id, struct arena *a, const char ***keys,
                          size_t *n_keys, struct sp_error *err)
{
    *keys = NULL;
    *n_keys = 0;
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    bool exists = false;
    rc = store_exists(db, SQL_EXISTS, STORE_TEXTS(id), &exists, err);
    if (rc == SP_OK && !exists)
        rc = sp_error_set(err, SP_ENOTFOUND, "Branch not found");
    if (rc == SP_OK)
        rc = db_exec(db, SQL_TEMP_PREPARE, err);
    if (rc == SP_OK)
        rc = store_write(db, SQL_NODESET, STORE_TEXTS(id), NULL, err);
    if (rc == SP_OK)
        rc = db_exec(db, SQL_SETS, err);
    if (rc == SP_OK)
        rc = collect_keys(db, a, keys, n_keys, err);
    if (rc == SP_OK)
        rc = db_exec(db, SQL_CASCADE, err);
    if (rc == SP_OK)
        rc = store_write(db, SQL_DELETE_BRANCH, STORE_TEXTS(id), NULL, err);
    if (rc == SP_OK)
        rc = db_exec(db, SQL_TEMP_CLEAR, err);
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK) {
        *keys = NULL;
        *n_keys = 0;
        if (rc == SP_ECONFLICT)
            sp_error_prefix(err, rc, "Branch could not be deleted (nothing was changed)");
    }
    return rc;
}
