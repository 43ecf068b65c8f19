/* storage/store_contents.c: SQL for node_contents and node_generations.
 * node_contents columns are selected by name in schema order: `cards` sits in the middle of
 * the JSON object although databases migrated by drizzle have it as the last physical column.
 * Thread model: the caller's connection; reads take no transaction.
 */
#include "storage/store_contents.h"

#include "storage/columns.h"
#include "storage/store_sql.h"


static const char SQL_LIST[] = "SELECT " STORE_COLS_NODE_CONTENTS
                               " FROM node_contents WHERE node_id = ?1 "
                               "ORDER BY status, rowid";
static const char SQL_ACTIVE[] = "SELECT " STORE_COLS_NODE_CONTENTS
                                 " FROM node_contents WHERE node_id = ?1 "
                                 "AND status = 'active' "
                                 "ORDER BY rowid LIMIT 1";
static const char SQL_CREATE[] =
    "INSERT INTO node_contents (id, node_id, explanation_md, visualization_kind, "
    "visualization_payload, generated_by_model, generation_prompt_hash, status) "
    "VALUES (:id, :node_id, :explanation_md, :visualization_kind, :visualization_payload, "
    ":generated_by_model, :generation_prompt_hash, :status) RETURNING " STORE_COLS_NODE_CONTENTS;
static const char SQL_GEN_LIST[] = "SELECT " STORE_COLS_NODE_GENERATIONS
                                   " FROM node_generations WHERE node_id = ?1 "
                                   "ORDER BY created_at, rowid";
static const char SQL_GEN_CREATE[] =
    "INSERT INTO node_generations (id, node_id, \"trigger\", model, prompt, response_meta) "
    "VALUES (:id, :node_id, :trigger, :model, :prompt, :response_meta) "
    "RETURNING " STORE_COLS_NODE_GENERATIONS;

int store_contents_list(struct db *db, const char *node_id, struct buf *out, struct sp_error *err)
{
    return store_list(db, SQL_LIST, schema_table(SCHEMA_NODE_CONTENTS), STORE_TEXTS(node_id), out,
                      err);
}

int store_contents_active(struct db *db, const char *node_id, struct buf *out, struct sp_error *err)
{
    int rc = store_get(db, SQL_ACTIVE, schema_table(SCHEMA_NODE_CONTENTS), STORE_TEXTS(node_id),
                       NULL, out, err);
    if (rc != SP_ENOTFOUND)
        return rc;
    /* no active content: the reply is null, not an error */
    return buf_puts(out, "null") == SP_OK ? SP_OK : sp_error_set(err, SP_ENOMEM, "out of memory");
}

int store_contents_create(struct db *db, struct store_row *row, struct buf *out,
                          struct sp_error *err)
{
    return store_insert(db, SQL_CREATE, schema_table(SCHEMA_NODE_CONTENTS), row, "node_id",
                        "Node not found", out, err);
}

int store_generations_list(struct db *db, const char *node_id, struct buf *out,
                           struct sp_error *err)
{
    return store_list(db, SQL_GEN_LIST, schema_table(SCHEMA_NODE_GENERATIONS), STORE_TEXTS(node_id),
                      out, err);
}

int store_generations_create(struct db *db, struct store_row *row, struct buf *out,
                             struct sp_error *err)
{
    return store_insert(db, SQL_GEN_CREATE, schema_table(SCHEMA_NODE_GENERATIONS), row, "node_id",
                        "Node not found", out, err);
}
