/* storage/store.h: what the API layer hands the storage functions: column values, already
 * validated against the schema (api/validate.c), indexed by the column's position in the
 * table's schema description (db/schema.c). No sqlite3 types here, so api/ can include it.
 *
 * A value is ABSENT (not in the request: an INSERT leaves the column to its default or NULL,
 * a PATCH leaves it untouched), NULL, TEXT, INT or REAL. Text is borrowed (usually from the
 * request arena) and must outlive the storage call.
 * Every store_* function appends its JSON reply to a caller's buffer and returns SP_OK or a
 * negative SP_* code with err filled: SP_ENOTFOUND names the missing row or referenced id,
 * SP_ECONFLICT a write that existing rows forbid, SP_EDB/SP_EBUSY a database failure.
 * Thread model: values are plain data; each call uses the caller's connection.
 */
#ifndef SP_STORAGE_STORE_H
#define SP_STORAGE_STORE_H

#include <stddef.h>
#include <stdint.h>

/* Columns a store_row holds: at least the widest table of the schema (store.c fails to compile
 * otherwise, rather than dropping values). */
#define STORE_MAX_COLS 16

enum store_vkind { STORE_V_ABSENT = 0, STORE_V_NULL, STORE_V_TEXT, STORE_V_INT, STORE_V_REAL };

struct store_value {
    enum store_vkind kind;
    const char *text; /* STORE_V_TEXT: borrowed bytes */
    size_t len;
    int64_t i; /* STORE_V_INT */
    double d;  /* STORE_V_REAL */
};

/* A row's values: v[k] is the value of table column k; all ABSENT when zero-initialised. */
struct store_row {
    struct store_value v[STORE_MAX_COLS];
};

struct db;
struct sp_error;
struct model_table;

/* The value of column `name` of table t in row, or NULL when t has no such column. */
struct store_value *store_row_value(const struct model_table *t, struct store_row *row,
                                    const char *name);
/* Set column `name` of row to borrowed text (an id from the path, a timestamp). */
void store_row_set_text(const struct model_table *t, struct store_row *row, const char *name,
                        const char *text);
/* The calling thread's database connection to db_path (db/conn.h db_thread), for api/. */
int store_db_thread(const char *db_path, struct db **out, struct sp_error *err);
/* The calling thread is done with the database for now (end of a request, a run job, a sweep):
 * on PostgreSQL its connection goes back to the pool (db/conn.h db_thread_release); no-op on
 * SQLite. A later store_db_thread() takes one again. */
void store_db_release(void);
/* Why the database cannot be used at all until the server restarts (a -shm truncated under it,
 * db/shm_guard.h: SHM_GUARD_MESSAGE), or NULL when it can. */
const char *store_db_fault(void);

/* Optional list filters: NULL = not filtered (the API maps a missing or empty query value to
 * NULL, as the original ignores empty filters). */

#endif
