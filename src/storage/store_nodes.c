/* storage/store_nodes.c: SQL for nodes and node_edges.
 *
 * The list has one static statement per filter combination (16), each with the WHERE its
 * index serves and the ORDER BY of spec/api.md §1.10 with rowid as the last key, so the
 * original's index-driven order is kept without building SQL per request.
 * Thread model: the caller's connection; reads take no transaction.
 */
#include "storage/store_nodes.h"

#include <string.h>

#include "storage/columns.h"
#include "storage/dialect.h"
#include "storage/store_sql.h"
#include "util/buf.h"

#define SEL "SELECT " STORE_COLS_NODES " FROM nodes"
#define U "user_id = ?1"
#define T "type = ?2"
#define B "branch_id = ?3"
#define P "parent_id = ?4"
#define BYROW " ORDER BY rowid"

/* index: bit 0 userId, bit 1 type, bit 2 branchId, bit 3 parentId */
static const char *const SQL_LIST[16] = {
    SEL BYROW,
    SEL " WHERE " U " ORDER BY type, rowid",
    SEL " WHERE " T BYROW,
    SEL " WHERE " U " AND " T BYROW,
    SEL " WHERE " B BYROW,
    SEL " WHERE " U " AND " B BYROW,
    SEL " WHERE " T " AND " B BYROW,
    SEL " WHERE " U " AND " T " AND " B BYROW,
    SEL " WHERE " P BYROW,
    SEL " WHERE " U " AND " P BYROW,
    SEL " WHERE " T " AND " P BYROW,
    SEL " WHERE " U " AND " T " AND " P BYROW,
    SEL " WHERE " B " AND " P BYROW,
    SEL " WHERE " U " AND " B " AND " P BYROW,
    SEL " WHERE " T " AND " B " AND " P BYROW,
    SEL " WHERE " U " AND " T " AND " B " AND " P BYROW,
};
static const char SQL_GET[] = SEL " WHERE id = ?1";
static const char SQL_CHILDREN[] = SEL " WHERE parent_id = ?1" BYROW;
/* Edges among the children: storage/dialect.c (SQLite gets a planner hint). */
static const char SQL_CREATE[] =
    "INSERT INTO nodes (id, user_id, type, branch_id, parent_id, title, \"desc\") "
    "VALUES (:id, :user_id, :type, :branch_id, :parent_id, :title, :desc) "
    "RETURNING " STORE_COLS_NODES;
static const char SQL_PATCH[] =
    "UPDATE nodes SET " STORE_PATCH_COL("title") ", "
    "\"desc\" = CASE WHEN :set_desc = 1 THEN :desc ELSE \"desc\" END, "
    STORE_PATCH_COL("accuracy_score") ", updated_at = :now WHERE id = :key RETURNING "
    STORE_COLS_NODES;
static const char SQL_DELETE[] = "DELETE FROM nodes WHERE id = ?1";
static const char SQL_REFS[] =
    "SELECT EXISTS(SELECT 1 FROM nodes WHERE parent_id = ?1),"
    " EXISTS(SELECT 1 FROM node_edges WHERE source_node_id = ?1 OR target_node_id = ?1),"
    " EXISTS(SELECT 1 FROM user_node_progress WHERE node_id = ?1),"
    " EXISTS(SELECT 1 FROM node_contents WHERE node_id = ?1),"
    " EXISTS(SELECT 1 FROM node_generations WHERE node_id = ?1),"
    " EXISTS(SELECT 1 FROM topic_documents WHERE node_id = ?1),"
    " EXISTS(SELECT 1 FROM assessments WHERE target_node_id = ?1),"
    " EXISTS(SELECT 1 FROM questions WHERE node_id = ?1),"
    " EXISTS(SELECT 1 FROM chat_sessions WHERE node_id = ?1),"
    " EXISTS(SELECT 1 FROM hint_events WHERE node_id = ?1)";
enum { REF_EDGES = 1 }; /* the node_edges column */
static const char *const REF_NAMES[] = {
    "child nodes", "dependency edges", "progress records", "contents",      "generations",
    "documents",   "assessments",      "questions",        "chat sessions", "hint events",
};

int store_nodes_list(struct db *db, const char *user_id, const char *type, const char *branch_id,
                     const char *parent_id, struct buf *out, struct sp_error *err)
{
    unsigned mask =
        (user_id ? 1u : 0) | (type ? 2u : 0) | (branch_id ? 4u : 0) | (parent_id ? 8u : 0);
    return store_list(db, SQL_LIST[mask], schema_table(SCHEMA_NODES),
                      STORE_TEXTS(user_id, type, branch_id, parent_id), out, err);
}

int store_nodes_get(struct db *db, const char *id, struct buf *out, struct sp_error *err)
{
    return store_get(db, SQL_GET, schema_table(SCHEMA_NODES), STORE_TEXTS(id), "Node not found",
                     out, err);
}

int store_nodes_children(struct db *db, const char *id, struct buf *out, struct sp_error *err)
{
    return store_list(db, SQL_CHILDREN, schema_table(SCHEMA_NODES), STORE_TEXTS(id), out, err);
}

int store_nodes_edges(struct db *db, const char *id, const char *child_type, struct buf *out,
                      struct sp_error *err)
{
    const struct store_sql2 *sql = child_type ? &STORE_SQL_NODE_EDGES_TYPE : &STORE_SQL_NODE_EDGES;
    return store_list(db, store_dialect(db, sql), schema_table(SCHEMA_NODE_EDGES),
                      STORE_TEXTS(id, child_type), out, err);
}

int store_nodes_create(struct db *db, struct store_row *row, struct buf *out, struct sp_error *err)
{
    return store_insert(db, SQL_CREATE, schema_table(SCHEMA_NODES), row, NULL, NULL, out, err);
}

int store_nodes_patch(struct db *db, const char *id, const struct store_row *row, struct buf *out,
                      struct sp_error *err)
{
    return store_patch(db, SQL_PATCH, schema_table(SCHEMA_NODES), id, row, "Node not found", out,
                       err);
}

int store_node_refs(struct db *db, const char *id, bool skip_edges, struct buf *names,
                    struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_REFS, &st, err);
    if (rc != SP_OK)
        return rc;
    dbi_bind_text(st, 1, id, DBI_NTS, DBI_STATIC);
    int step = dbi_step(st);
    if (step != DBI_ROW)
        return store_step_error(db, st, step, err);
    for (int i = 0; i < (int)SP_COUNT(REF_NAMES); i++)
        if (dbi_column_int64(st, i) && !(skip_edges && i == REF_EDGES))
            buf_printf(names, "%s%s", names->len ? ", " : "", REF_NAMES[i]);
    dbi_reset(st);
    return SP_OK;
}

static int explain_refs(struct db *db, const char *id, struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    int rc = store_node_refs(db, id, false, &b, err);
    if (rc == SP_OK)
        rc = sp_error_set(err, SP_ECONFLICT, "Node is still referenced by %s",
                          b.len ? buf_cstr(&b) : "other rows");
    buf_release(&b);
    return rc;
}

int store_nodes_delete(struct db *db, const char *id, struct sp_error *err)
{
    int changes = 0;
    int rc = store_write(db, SQL_DELETE, STORE_TEXTS(id), &changes, err);
    if (rc == SP_ECONFLICT && store_is_fk_error(db))
        return explain_refs(db, id, err);
    if (rc == SP_OK && changes == 0)
        return sp_error_set(err, SP_ENOTFOUND, "Node not found");
    return rc;
}
