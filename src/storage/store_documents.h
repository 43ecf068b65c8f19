/* storage/store_documents.h: every SQL statement on topic_documents (and the node check the
 * upload needs). Callers get plain values and JSON text, never sqlite3 types.
 *
 * Upload rows are inserted all at once in one transaction (store_documents_insert_all), so a
 * batch is stored whole or not at all. Lists append the API's subset of columns (id, nodeId,
 * originalFilename, mimeType, fileSizeBytes, extractionStatus, createdAt) in insertion order.
 * Ownership: strings in struct store_document are borrowed for the call; *key_out is new.
 * Thread model: the caller's connection (one per thread).
 */
#ifndef SP_STORAGE_STORE_DOCUMENTS_H
#define SP_STORAGE_STORE_DOCUMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct db;

struct store_document {
    const char *id;
    const char *node_id;
    const char *original_filename;
    const char *s3_key;
    const char *mime_type;
    int64_t file_size_bytes;
    const char *extracted_text; /* NULL -> SQL NULL */
    size_t extracted_text_len;
    const char *extraction_status; /* "completed" | "failed" */
    const char *extraction_error;  /* NULL -> SQL NULL */
};

/* *exists = whether nodes has a row with that id. */
int store_documents_node_exists(struct db *db, const char *node_id, bool *exists,
                                struct sp_error *err);
/* Insert docs[0..n) in one transaction. SP_ENOTFOUND "Node not found" when the node is gone
 * (foreign key); other failures roll back everything. */
int store_documents_insert_all(struct db *db, const struct store_document *docs, size_t n,
                               struct sp_error *err);
/* Append the JSON array of the node's documents (see above). */
int store_documents_list_json(struct db *db, const char *node_id, struct buf *out,
                              struct sp_error *err);
/* The storage key of document doc_id under node_id; SP_ENOTFOUND when no such pair. */
int store_documents_find_key(struct db *db, const char *node_id, const char *doc_id, char **key_out,
                             struct sp_error *err);
/* Whether some row stores its bytes under key (*exists; on error the caller must assume yes). */
int store_documents_key_exists(struct db *db, const char *key, bool *exists, struct sp_error *err);
/* Delete the row; *deleted says whether there was one. */
int store_documents_delete(struct db *db, const char *node_id, const char *doc_id, bool *deleted,
                           struct sp_error *err);

#endif
