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
    "\"extraction_error\") VALUES (:id, :node_id, :original_filename, :s3_key, :mime_type, "
    ":file_size_bytes, :extracted_text, :extraction_status, :extraction_error)";
/* The list names its columns (the original's list leaves out the key and the extracted text);
 * rowjson gives each its schema key by name. */
static const char SQL_LIST[] =
    "SELECT \"id\", \"node_id\", \"original_filename\", \"mime_type\", \"file_size_bytes\", "
    "\"extraction_status\", \"created_at\" FROM \"topic_documents\" WHERE \"node_id\" = ?1 "
    "ORDER BY rowid";
static const char SQL_FIND_KEY[] =
    "SELECT \"s3_key\" FROM \"topic_documents\" WHERE \"id\" = ?1 AND \"node_id\" = ?2";
static const char SQL_DELETE[] =
    "DELETE FROM \"topic_documents\" WHERE \"id\" = ?1 AND \"node_id\" = ?2";

int store_documents_node_exists(struct db *db, const char *node_id, bool *exists,
                                struct sp_error *err)
{
    return store_exists(db, SQL_NODE_EXISTS, STORE_TEXTS(node_id), exists, err);
}

static int insert_one(struct db *db, const struct store_document *d, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_INSERT, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_name(st, ":id", d->id);
    store_bind_name(st, ":node_id", d->node_id);
    store_bind_name(st, ":original_filename", d->original_filename);
    store_bind_name(st, ":s3_key", d->s3_key);
    store_bind_name(st, ":mime_type", d->mime_type);
    dbi_bind_int64(st, dbi_param_index(st, ":file_size_bytes"), d->file_size_bytes);
    if (d->extracted_text) /* borrowed, not copied: it can be megabytes */
        dbi_bind_text(st, dbi_param_index(st, ":extracted_text"), d->extracted_text,
                      d->extracted_text_len, DBI_STATIC);
    store_bind_name(st, ":extraction_status", d->extraction_status);
    store_bind_name(st, ":extraction_error", d->extraction_error);
    int s = dbi_step(st);
    if (s == DBI_DONE) {
        dbi_reset(st);
        return SP_OK;
    }
    if (store_is_fk_error(db)) {
        dbi_reset(st);
        return sp_error_set(err, SP_ENOTFOUND, "Node not found");
    }
    return store_step_error(db, st, s, err);
}

int store_documents_insert_all(struct db *db, const struct store_document *docs, size_t n,
                               struct sp_error *err)
{
    int rc = store_txn_begin(db, err); /* the process-wide write queue + BEGIN IMMEDIATE */
    if (rc != SP_OK)
        return rc;
    for (size_t i = 0; i < n && rc == SP_OK; i++)
        rc = insert_one(db, &docs[i], err);
    return store_txn_end(db, rc, err); /* commit, or roll back everything */
}

int store_documents_list_json(struct db *db, const char *node_id, struct buf *out,
                              struct sp_error *err)
{
    return store_list(db, SQL_LIST, schema_table(SCHEMA_TOPIC_DOCUMENTS), STORE_TEXTS(node_id), out,
                      err);
}

int store_documents_find_key(struct db *db, const char *node_id, const char *doc_id, char **key_out,
                             struct sp_error *err)
{
    *key_out = NULL;
    struct dbi_stmt *st;
    int rc = store_stmt_texts(db, SQL_FIND_KEY, STORE_TEXTS(doc_id, node_id), &st, err);
    if (rc != SP_OK)
        return rc;
    int s = dbi_step(st);
    if (s == DBI_DONE) {
        dbi_reset(st);
        return sp_error_set(err, SP_ENOTFOUND, "Document not found");
    }
    if (s != DBI_ROW)
        return store_step_error(db, st, s, err);
    const char *k = dbi_column_text(st, 0);
    *key_out = strdup(k ? (const char *)k : "");
    dbi_reset(st);
    if (!*key_out)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    return SP_OK;
}

int store_documents_delete(struct db *db, const char *node_id, const char *doc_id, bool *deleted,
                           struct sp_error *err)
{
    int changes = 0;
    int rc = store_write(db, SQL_DELETE, STORE_TEXTS(doc_id, node_id), &changes, err);
    *deleted = changes > 0;
    return rc;
}

static const char SQL_KEY_EXISTS[] =
    "SELECT 1 FROM \"topic_documents\" WHERE \"s3_key\" = ?1 LIMIT 1";

int store_documents_key_exists(struct db *db, const char *key, bool *exists, struct sp_error *err)
{
    *exists = true;
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_KEY_EXISTS, &st, err);
    if (rc != SP_OK)
        return rc;
    dbi_bind_text(st, 1, key, DBI_NTS, DBI_STATIC);
    int s = dbi_step(st);
    if (s != DBI_ROW && s != DBI_DONE)
        return store_step_error(db, st, s, err);
    *exists = s == DBI_ROW;
    dbi_reset(st);
    return SP_OK;
}
