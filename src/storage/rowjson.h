/* storage/rowjson.h: a result row -> the JSON object the original client sees, driven by the
 * schema (db/schema.c): camelCase keys in schema column order, INTEGER/REAL as JavaScript
 * numbers, TEXT as strings, NULL as null, boolean-mode columns as true/false (exactly 1 ->
 * true, any other non-NULL -> false), JSON-in-text columns as the string. No per-table code.
 *
 * The statement's result columns must be the table's columns in schema order (all of them, or
 * the subset given by cols: indices into t->columns, in output order).
 * Thread model: stateless; appends to the caller's buffer.
 */
#ifndef SP_STORAGE_ROWJSON_H
#define SP_STORAGE_ROWJSON_H

#include <sqlite3.h>
#include <stddef.h>

#include "db/model.h"
#include "util/buf.h"

/* Append the current row as an object. */
int rowjson_object(struct buf *out, sqlite3_stmt *st, const struct model_table *t,
                   const int *cols, size_t n_cols);
/* Step st to completion appending "[{...},{...}]"; *n_rows (may be NULL) gets the count.
 * SP_EDB if stepping fails. */
int rowjson_array(struct buf *out, sqlite3_stmt *st, const struct model_table *t,
                  const int *cols, size_t n_cols, size_t *n_rows);
/* "col1, col2, ..." of t in schema order, quoted with double quotes, for SELECT lists.
 * Returns a string with static lifetime (built once per table, thread-safe). */
const char *rowjson_select_list(const struct model_table *t);

#endif
