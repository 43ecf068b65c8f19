/* storage/store_sql.h: helpers shared by the store_*.c files; internal to storage/ (it exposes
 * the database interface's statements, so nothing above storage/ includes it).
 *
 * Statements are static SQL strings run through the database interface (db/dbi.h: SQLite
 * today, PostgreSQL next) and cached per connection. Their column
 * lists come from storage/columns.h (generated from db/schema.c at build time: "SELECT "
 * STORE_COLS_NODES " FROM nodes"), so a column added to the schema is selected and returned
 * without another edit. Write
 * statements name their parameters after the table's columns (":user_id") so that
 * store_bind_row() binds a validated struct store_row without per-table code; ":id" is the
 * row's column 0, other names are bound by the caller (store_bind_name()).
 * Every helper that appends to a buffer truncates it back to its original length on failure,
 * and resets the statement before returning, so no read transaction is left open.
 * Thread model: the caller's connection; no shared state.
 */
#ifndef SP_STORAGE_STORE_SQL_H
#define SP_STORAGE_STORE_SQL_H

#include <stdbool.h>

#include "db/conn.h"
#include "db/dbi.h"
#include "db/model.h"
#include "db/schema.h"
#include "storage/store.h"
#include "util/buf.h"
#include "util/countof.h"
#include "util/err.h"

/* The cached statement for sql (static storage), or SP_EDB with the reason. */
int store_stmt(struct db *db, const char *sql, struct dbi_stmt **out, struct sp_error *err);
/* Bind one value at a 1-based index. */
int store_bind_value(struct dbi_stmt *st, int idx, const struct store_value *v);
/* Bind text (NULL -> SQL NULL) at a 1-based index; the text is copied. */
void store_bind_text(struct dbi_stmt *st, int idx, const char *text);
/* Bind text (NULL -> SQL NULL) to the parameter called name; no-op when st has none. */
void store_bind_name(struct dbi_stmt *st, const char *name, const char *text);
/* Bind every ":column" parameter of st from row (ABSENT binds NULL), every ":set_column" to 1/0
 * by whether the value is present (PATCH: STORE_PATCH_COL("c")) and ":now" to the
 * current ISO time. Other names are left to the caller. */
void store_bind_row(struct dbi_stmt *st, const struct model_table *t, const struct store_row *row);
/* One column of a PATCH in standard SQL (both engines): the new value when the request has it,
 * else the column as it is. c is a plain column name (quote a keyword such as "desc" by hand). */
#define STORE_PATCH_COL(c) c " = CASE WHEN :set_" c " = 1 THEN :" c " ELSE " c " END"
/* Cut out back to len (a failed write's partial reply). */
void store_truncate(struct buf *out, size_t len);

/* Read helpers for the common shapes: run sql with ?1..?n bound to texts (NULL binds SQL NULL;
 * borrowed for the call) and append every row as a JSON array (store_list), or the one row as
 * an object (store_get: no row is SP_ENOTFOUND with not_found as the message; with not_found
 * NULL, err is left untouched).
 * STORE_TEXTS(a, b) gives the array and its count: store_get(db, SQL_GET, t, STORE_TEXTS(id),
 * "Node not found", out, err). */
#define STORE_TEXTS(...) \
    ((const char *const[]){ __VA_ARGS__ }), SP_COUNT(((const char *const[]){ __VA_ARGS__ }))
int store_stmt_texts(struct db *db, const char *sql, const char *const *texts, size_t n,
                     struct dbi_stmt **st, struct sp_error *err); /* the cached statement, bound */
int store_list(struct db *db, const char *sql, const struct model_table *t,
               const char *const *texts, size_t n, struct buf *out, struct sp_error *err);
int store_get(struct db *db, const char *sql, const struct model_table *t, const char *const *texts,
              size_t n, const char *not_found, struct buf *out, struct sp_error *err);
/* Run a writing statement without result rows (bound the same way) under the write mutex (or
 * inside the caller's store_txn_begin transaction); *changes (may be NULL) gets the count. */
int store_write(struct db *db, const char *sql, const char *const *texts, size_t n, int *changes,
                struct sp_error *err);
/* Whether sql (bound the same way) gives a row: "SELECT 1 FROM t WHERE id = ?1". */
int store_exists(struct db *db, const char *sql, const char *const *texts, size_t n, bool *exists,
                 struct sp_error *err);

/* Step st; append the first row as an object (storage/rowjson.h: result columns are matched to
 * t's columns by name; select STORE_COLS_<TABLE> from storage/columns.h for all of them).
 * SP_ENOTFOUND when there is no row (err untouched: the caller words it).
 * cols/n_cols: pass NULL, 0. A positional list (indices into t->columns, one per result column)
 * is still accepted from code written before columns were matched by name, and only checked
 * against the result's names in debug builds; it will go once no caller passes one. */
int store_one_json(struct db *db, struct dbi_stmt *st, const struct model_table *t, const int *cols,
                   size_t n_cols, struct buf *out, struct sp_error *err);
/* Step st to the end, appending a JSON array of rows (cols/n_cols as store_one_json). */
int store_list_json(struct db *db, struct dbi_stmt *st, const struct model_table *t,
                    const int *cols, size_t n_cols, struct buf *out, struct sp_error *err);
/* Step a statement without result rows to the end; *changes (may be NULL) gets the count. */
int store_run(struct db *db, struct dbi_stmt *st, int *changes, struct sp_error *err);
/* Run a statement without parameters or result rows (BEGIN, SAVEPOINT x, COMMIT ...): prepared
 * once per connection, so PostgreSQL's queue of transaction control applies (db/dbi_pg.c);
 * what names it in an error. */
int store_static(struct db *db, const char *sql, const char *what, struct sp_error *err);
/* A failed step: map dbi_step()'s code (dbi_error) and reset st. */
int store_step_error(struct db *db, struct dbi_stmt *st, int rc, struct sp_error *err);

/* INSERT ... RETURNING every column: gives row a new UUID in column 0, binds it (and ":now"
 * to the current ISO time), appends the new row. A foreign-key failure becomes SP_ENOTFOUND naming the first missing reference:
 * "<jsonKey> <value> not found", or path_msg when that reference is path_col (an id taken
 * from the URL, e.g. "Node not found"). */
int store_insert(struct db *db, const char *sql, const struct model_table *t, struct store_row *row,
                 const char *path_col, const char *path_msg, struct buf *out, struct sp_error *err);
/* store_insert for a statement whose RETURNING ends with one ROWJSON_EXTRA_PREFIX column (not
 * in the JSON): *extra gets its value as an integer. */
int store_insert_extra(struct db *db, const char *sql, const struct model_table *t,
                       struct store_row *row, const char *path_col, const char *path_msg,
                       struct buf *out, int64_t *extra, struct sp_error *err);

/* Writes from this process queue on one mutex before they touch SQLite, so the server's own
 * threads never meet SQLITE_BUSY (whose busy handler sleeps in steps of milliseconds); other
 * processes are still handled by the busy timeout. store_txn_begin() takes the mutex and opens
 * BEGIN IMMEDIATE; store_txn_end() commits when rc is SP_OK (else rolls back), releases the
 * mutex and returns the final code. store_write_one_json() is store_one_json() for a single
 * writing statement (UPDATE ... RETURNING) under the mutex. store_insert() takes the mutex
 * itself unless a transaction is already open on db. */
int store_txn_begin(struct db *db, struct sp_error *err);
int store_txn_end(struct db *db, int rc, struct sp_error *err);
/* Inside a store_txn_begin transaction: wait until no other transaction, in any process on the
 * database, holds the key (space, a, b); held to the end of the transaction. For a
 * check-then-write ("the newest diagnostic, else a new one") that must not run twice at once.
 * Nothing to do on SQLite, whose BEGIN IMMEDIATE already admits one writer at a time. */
int store_txn_lock(struct db *db, const char *space, const char *a, const char *b,
                   struct sp_error *err);
int store_write_one_json(struct db *db, struct dbi_stmt *st, const struct model_table *t,
                         struct buf *out, struct sp_error *err);
/* The whole of a PATCH: run the UPDATE ... RETURNING sql with the row's present values, :key =
 * id and :now = the current ISO time (when the statement has it); a missing row is
 * SP_ENOTFOUND with not_found as the message. */
int store_patch(struct db *db, const char *sql, const struct model_table *t, const char *id,
                const struct store_row *row, const char *not_found, struct buf *out,
                struct sp_error *err);
/* Whether a multi-statement write that just failed with rc runs again: a serialization failure
 * or deadlock (dbi_error_is_retryable) outside any caller's transaction, up to STORE_ATTEMPTS
 * attempts in all. Used by the branch delete, answer + completion and the progress visit. */
#define STORE_ATTEMPTS 3
bool store_retry(struct db *db, int rc, int attempt);
/* The same for a delete that failed on a foreign key (fk_failed: dbi_error_is_fk right after the
 * failing statement) on PostgreSQL: a row inserted by another instance after the transaction's
 * snapshot references one it deletes (SERIALIZABLE reports that as 23503, not 40001); the
 * next attempt sees the row and deletes it too. Never on SQLite (writers are serialised). */
bool store_retry_fk_race(struct db *db, int rc, bool fk_failed, int attempt);
void store_write_lock(void);
void store_write_unlock(void);

/* Insert a node_generations row with a new id (response_meta: JSON text or NULL), under the
 * write mutex or inside the caller's transaction (store_write). */
int store_generation_insert(struct db *db, const char *node_id, const char *trigger,
                            const char *model, const char *prompt, const char *response_meta,
                            struct sp_error *err);

/* Append to names, comma-separated, what still references node id ("child nodes, contents");
 * skip_edges leaves out its dependency edges (for a caller that rewires them). In
 * store_nodes.c. */
int store_node_refs(struct db *db, const char *id, bool skip_edges, struct buf *names,
                    struct sp_error *err);

/* Whether the last failure on db was a foreign-key constraint failure. */
bool store_is_fk_error(struct db *db);

#endif
