/* storage/rowjson.h: a result row -> the JSON object the original client sees, driven by the
 * schema (db/schema.c): camelCase keys in schema column order, INTEGER/REAL as JavaScript
 * numbers, TEXT as strings, NULL as null, boolean-mode columns as true/false (exactly 1 ->
 * true, any other non-NULL -> false), JSON-in-text columns as the string. No per-table code.
 *
 * Result columns are matched to the schema's columns by name, so a statement may select all of
 * a table's columns (storage/columns.h: STORE_COLS_<TABLE>, derived from the schema at build
 * time) or any named subset, in the order it wants the keys; a result column the table does not
 * have (an expression: `count(*) AS "count"`) keeps its own name as the key. The columns from
 * the first one named ROWJSON_EXTRA_PREFIX… on are left out: results a statement gives its
 * caller beside the row (e.g. an INSERT's RETURNING of a flag the caller needs next).
 * Thread model: stateless; appends to the caller's buffer.
 */
#ifndef SP_STORAGE_ROWJSON_H
#define SP_STORAGE_ROWJSON_H

#include <stddef.h>

#include "db/dbi.h"
#include "db/model.h"
#include "util/buf.h"

#define ROWJSON_MAX_COLS 64 /* result columns of one statement; more is SP_ETOOBIG */
#define ROWJSON_EXTRA_PREFIX "sprout_extra_"

/* Append the current row as an object. */
int rowjson_object(struct buf *out, struct dbi_stmt *st, const struct model_table *t);
/* Step st to completion appending "[{...},{...}]"; *n_rows (may be NULL) gets the count.
 * SP_EDB if stepping fails, with dbi_step()'s failure code in *step_rc (may be NULL) for
 * dbi_error(). */
int rowjson_array(struct buf *out, struct dbi_stmt *st, const struct model_table *t, size_t *n_rows,
                  int *step_rc);

#endif
