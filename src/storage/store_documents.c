/* storage/store_documents.c: topic_documents persistence (see store_documents.h).
 * All statements are static, cached per connection, with bound parameters only.
 */
#include "storage/store_documents.h"

#include <stdlib.h>
#include <string.h>

#include "storage/store_sql.h"

static const char SQL_NODE_EXISTS[] = "SELECT 1 FROM \"nodes\" WHERE \"id\" = ?1";
static const char SQL_INSERT[] =
    "INSERT INTO \"topic_documents\" (\"id\", \"node_id\", \"original_filename\", \"s3_key\", "
    "\"mime_type\", \"file_size_bytes\", \"extracted_text\", \"extraction_status\", "
    "\"extraction_error\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_LIST[] =
    "SELECT \"id\", \"node_id\", \"original_filename\", \"mime_type\", \"file_size_bytes\", "
    "\"extraction_status\", \"created_at\" FROM \"topic_documents\" WHERE \"node_id\" = ?1 "
    "ORDER BY rowid";
static const char SQL_FIND_KEY[] =
    "SELECT \"s3_key\" FROM \"topic_documents\" WHERE \"id\" = ?1 AND \"node_id\" = ?2";
static const char SQL_DELETE[] =
    "DELETE FROM \"topic_documents\" WHERE \"id\" = ?1 AND \"node_id\" = ?2";

/* Indices into the schema's topic_documents columns, in the list's output order. */
static const int LIST_COLS[] = { 0, 1, 2, 4, 5, 7, 9 };

static void bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (s)
        sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, idx);
}

int store_documents_node_exists(struct db *db, const char *node_id, bool *exists,
                                struct sp_error *err)
{
    sqlite3_stmt *st;
    int rc = store_stmt(db, SQL_NODE_EXISTS, &st, err);
    if (rc != SP_OK)
        return rc;
    bind_text(st, 1, node_id);
    int s = sqlite3_step(st);
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        return store_step_error(db, st, s, err);
    *exists = s == SQLITE_ROW;
    sqlite3_reset(st);
    return SP_OK;
}

static int insert_one(struct db *db, const struct store_document *d, struct sp_error *err)
{
    sqlite3_stmt *st;
    int rc = store_stmt(db, SQL_INSERT, &st, err);
    if (rc != SP_OK)
        return rc;
    bind_text(st, 1, d->id);
    bind_text(st, 2, d->node_id);
    bind_text(st, 3, d->original_filename);
    bind_text(st, 4, d->s3_key);
    bind_text(st, 5, d->mime_type);
    sqlite3_bind_int64(st, 6, d->file_size_bytes);
    if (d->extracted_text)
        sqlite3_bind_text64(st, 7, d->extracted_text, d->extracted_text_len, SQLITE_STATIC,
                            SQLITE_UTF8);
    else
        sqlite3_bind_null(st, 7);
    bind_text(st, 8, d->extraction_status);
    bind_text(st, 9, d->extraction_error);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        sqlite3_reset(st);
        return SP_OK;
    }
    if (store_is_fk_error(sqlite3_extended_errcode(db_handle(db)))) {
        sqlite3_reset(st);
        return sp_error_set(err, SP_ENOTFOUND, "Node not found");
    }
    return store_step_error(db, st, s, err);
}

int store_documents_insert_all(struct db *db, const struct store_document *docs, size_t n,
                               struct sp_error *err)
{
    int rc = store_txn_begin(db, err);  /* the process-wide write queue + BEGIN IMMEDIATE */
    if (rc != SP_OK)
        return rc;
    for (size_t i = 0; i < n && rc == SP_OK; i++)
        rc = insert_one(db, &docs[i], err);
    return store_txn_end(db, rc, err);   /* commit, or roll back everything */
}

int store_documents_list_json(struct db *db, const char *node_id, struct buf *out,
                              struct sp_error *err)
{
    sqlite3_stmt *st;
    int rc = store_stmt(db, SQL_LIST, &st, err);
    if (rc != SP_OK)
        return rc;
    bind_text(st, 1, node_id);
    return store_list_json(db, st, schema_table(SCHEMA_TOPIC_DOCUMENTS), LIST_COLS,
                           sizeof LIST_COLS / sizeof LIST_COLS[0], out, err);
}

int store_documents_find_key(struct db *db, const char *node_id, const char *doc_id,
                             char **key_out, struct sp_error *err)
{
    *key_out = NULL;
    sqlite3_stmt *st;
    int rc = store_stmt(db, SQL_FIND_KEY, &st, err);
    if (rc != SP_OK)
        return rc;
    bind_text(st, 1, doc_id);
    bind_text(st, 2, node_id);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        sqlite3_reset(st);
        return sp_error_set(err, SP_ENOTFOUND, "Document not found");
    }
    if (s != SQLITE_ROW)
        return store_step_error(db, st, s, err);
    const unsigned char *k = sqlite3_column_text(st, 0);
    *key_out = strdup(k ? (const char *)k : "");
    sqlite3_reset(st);
    if (!*key_out)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    return SP_OK;
}

int store_documents_delete(struct db *db, const char *node_id, const char *doc_id,
                           bool *deleted, struct sp_error *err)
{
    sqlite3_stmt *st;
    int rc = store_stmt(db, SQL_DELETE, &st, err);
    if (rc != SP_OK)
        return rc;
    bind_text(st, 1, doc_id);
    bind_text(st, 2, node_id);
    int changes = 0;
    store_write_lock();
    rc = store_run(db, st, &changes, err);
    store_write_unlock();
    *deleted = changes > 0;
    return rc;
}

static const char SQL_KEY_EXISTS[] = "SELECT 1 FROM \"topic_documents\" WHERE \"s3_key\" = ?1 LIMIT 1";

int store_documents_key_exists(struct db *db, const char *key, bool *exists, struct sp_error *err)
{
    *exists = true;
    sqlite3_stmt *st;
    int rc = store_stmt(db, SQL_KEY_EXISTS, &st, err);
    if (rc != SP_OK)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        return store_step_error(db, st, s, err);
    *exists = s == SQLITE_ROW;
    sqlite3_reset(st);
    return SP_OK;
}
