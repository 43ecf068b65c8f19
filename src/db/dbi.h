/* db/dbi.h: the small database interface storage/ is written against (issue 9, point 4):
 * prepare, bind, step, column, transaction state and error mapping, with no sqlite3 or libpq
 * types, so the SQL of storage/ runs on either engine.
 *
 * Today's backend is SQLite (db/dbi_sqlite.c, on the connections of db/conn.h); the libpq
 * backend is the next step (docs/POSTGRESQL.md, "Storage on two databases"). The calls mirror
 * SQLite's C API one for one, so code moved from sqlite3_* reads the same:
 *   - statements are static SQL strings; dbi_prepare() hands back the connection's cached
 *     statement (the pointer is the key), reset with bindings cleared; dbi_prepare_once()
 *     prepares any string, and dbi_finalize() frees it;
 *   - parameters are 1-based, by position ("?1") or by name (":user_id", dbi_param_index());
 *     an unbound parameter is NULL. A PostgreSQL backend rewrites both forms to $n at prepare
 *     time and keeps the names, so storage's SQL stays as it is;
 *   - dbi_step() gives DBI_ROW, DBI_DONE, or a failure code that only dbi_error() reads (it
 *     maps it to an SP_* code with the connection's message: the one mapping per backend);
 *   - column values are typed DBI_INTEGER / DBI_FLOAT / DBI_TEXT / DBI_BLOB / DBI_NULL; text and
 *     blobs are borrowed until the next step, reset or finalize of the statement.
 * Ownership: cached statements belong to the connection (valid until the next dbi_prepare()
 * with the same SQL or db_close()).
 * Thread model: a connection and its statements are used by one thread at a time.
 */
#ifndef SP_DB_DBI_H
#define SP_DB_DBI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct db;       /* a connection (db/conn.h) */
struct dbi_stmt; /* a prepared statement */

enum { DBI_ROW = 100, DBI_DONE = 101 }; /* dbi_step(); anything else is a failure */

enum dbi_type { DBI_INTEGER = 1, DBI_FLOAT = 2, DBI_TEXT = 3, DBI_BLOB = 4, DBI_NULL = 5 };

/* Bound text or blob: DBI_STATIC is kept by reference until the statement is reset (the
 * caller's bytes must live that long), DBI_TRANSIENT is copied at once. */
enum dbi_copy { DBI_STATIC, DBI_TRANSIENT };
#define DBI_NTS ((size_t)-1) /* text length: up to the NUL */

enum dbi_engine { DBI_SQLITE, DBI_POSTGRES };
enum dbi_engine dbi_engine(const struct db *db);

/* The cached statement for sql (static storage), or an SP_* code with the reason in err. */
int dbi_prepare(struct db *db, const char *sql, struct dbi_stmt **out, struct sp_error *err);
/* Uncached: sql of any lifetime; the caller calls dbi_finalize(). */
int dbi_prepare_once(struct db *db, const char *sql, struct dbi_stmt **out, struct sp_error *err);
void dbi_finalize(struct dbi_stmt *st); /* NULL-safe; only for dbi_prepare_once() statements */

/* Binding: SP_OK, or SP_EINVAL for an index out of range, SP_ENOMEM. */
int dbi_bind_null(struct dbi_stmt *st, int idx);
int dbi_bind_int64(struct dbi_stmt *st, int idx, int64_t v);
int dbi_bind_double(struct dbi_stmt *st, int idx, double v);
int dbi_bind_text(struct dbi_stmt *st, int idx, const char *s, size_t len, enum dbi_copy copy);
int dbi_bind_blob(struct dbi_stmt *st, int idx, const void *p, size_t len, enum dbi_copy copy);
int dbi_param_count(struct dbi_stmt *st);
/* ":name" of parameter idx (NULL for a positional one); index of a name, 0 when none. */
const char *dbi_param_name(struct dbi_stmt *st, int idx);
int dbi_param_index(struct dbi_stmt *st, const char *name);

/* One step: DBI_ROW, DBI_DONE or a failure code for dbi_error(). */
int dbi_step(struct dbi_stmt *st);
/* Back to the start, bindings kept; ends the statement's read. */
void dbi_reset(struct dbi_stmt *st);

int dbi_column_count(struct dbi_stmt *st);
const char *dbi_column_name(struct dbi_stmt *st, int k);
enum dbi_type dbi_column_type(struct dbi_stmt *st, int k);
int64_t dbi_column_int64(struct dbi_stmt *st, int k);
double dbi_column_double(struct dbi_stmt *st, int k);
const char *dbi_column_text(struct dbi_stmt *st, int k); /* NULL for SQL NULL */
const void *dbi_column_blob(struct dbi_stmt *st, int k);
size_t dbi_column_bytes(struct dbi_stmt *st, int k); /* of the text or blob */

/* Column k read once: its type and value, one backend call instead of a type look-up plus
 * one per accessor (the row loops of storage/rowjson.c). For DBI_INTEGER i is set, for
 * DBI_FLOAT d, for DBI_TEXT p (NUL-terminated) and n, for DBI_BLOB p and n; text and blobs are
 * borrowed as with dbi_column_text(). The same values as the single accessors give. */
struct dbi_value {
    enum dbi_type type;
    int64_t i;
    double d;
    const void *p;
    size_t n;
};
void dbi_column_read(struct dbi_stmt *st, int k, struct dbi_value *v);

/* Run fixed SQL without parameters or results; it may hold several statements. */
int dbi_exec(struct db *db, const char *sql, struct sp_error *err);

/* Rows changed by the last finished writing statement on db. */
int dbi_changes(struct db *db);
/* Whether a transaction is open on db (SQLite's !autocommit). */
bool dbi_in_txn(struct db *db);
/* Whether the open transaction can only be rolled back: a statement in it failed (PostgreSQL
 * aborts the transaction then; SQLite never: false). */
bool dbi_txn_failed(struct db *db);
/* Map a failure code from dbi_step() (or the connection's last error) to an SP_* code,
 * filling err with "what: message". */
int dbi_error(struct db *db, int rc, struct sp_error *err, const char *what);
/* Whether the last failure on db was a foreign-key violation. */
bool dbi_error_is_fk(struct db *db);
/* Whether the last failure on db was one a transaction may simply be run again after: a
 * serialization failure, a deadlock or a lock wait given up at lock_timeout (PostgreSQL 40001 /
 * 40P01 / 55P03; only the group-commit writer's connections set a lock_timeout). Never on
 * SQLite, whose busy timeout has already waited. */
bool dbi_error_is_retryable(struct db *db);

#endif
