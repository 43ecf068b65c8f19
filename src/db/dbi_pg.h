/* db/dbi_pg.h: internal to db/: the PostgreSQL backend of the database interface (db/dbi.h),
 * on a libpq connection of db/pg.h. db/dbi_sqlite.c hands every dbi_* call on a PostgreSQL
 * connection or statement to the functions below.
 *
 * Statements: the SQL of storage/ is written with SQLite's parameter forms; dbi_pg_prepare()
 * rewrites ?N to $N and each distinct :name to the next $k (SQLite's numbering), outside
 * string literals, quoted identifiers and :: casts, and prepares it once per connection
 * (PQprepare, cached by the SQL pointer like SQLite's cache). Values are sent as text
 * (integers and doubles printed exactly, blobs in binary) and rows come back as text, typed by
 * the column's type: booleans and integer types are DBI_INTEGER (t/f -> 1/0), float and
 * numeric DBI_FLOAT, bytea DBI_BLOB, everything else DBI_TEXT.
 * A step runs the statement on the first call after a reset and walks its result; a failure
 * keeps the result for dbi_error() (pg_error(): SQLSTATE -> SP_*) and dbi_error_is_fk().
 * BEGIN, SAVEPOINT and RELEASE are queued and sent with the next statement (one pipeline,
 * dbi_pg.c); anything that uses the libpq connection outside this file sends them first
 * (dbi_pg_flush, dbi_pg_exec).
 * Thread model: one thread per connection at a time.
 */
#ifndef SP_DB_DBI_PG_H
#define SP_DB_DBI_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/dbi.h"
#include "db/pg.h"

struct dbi_pgconn;
struct dbi_pgstmt;

int dbi_pg_conn_open(const char *url, struct dbi_pgconn **out, struct sp_error *err);
void dbi_pg_conn_close(struct dbi_pgconn *c); /* NULL-safe; frees its statements */
struct pg *dbi_pg_conn_pg(struct dbi_pgconn *c);
/* Whether the connection is still up (libpq marks it bad once a call found the server gone). */
bool dbi_pg_conn_ok(struct dbi_pgconn *c);

/* The cached statement of sql (static storage) or, with once, a fresh one for dbi_pg_free(). */
int dbi_pg_prepare(struct db *db, struct dbi_pgconn *c, const char *sql, bool once,
                   struct dbi_stmt **out, struct sp_error *err);
void dbi_pg_free(struct dbi_pgstmt *s);
/* The rewritten text of sql and its parameter names (tests): n_params gets the count. */
int dbi_pg_rewrite(const char *sql, char **out, int *n_params, struct sp_error *err);

int dbi_pg_bind(struct dbi_pgstmt *s, int idx, const char *v, size_t len, bool binary,
                enum dbi_copy copy);
int dbi_pg_param_count(struct dbi_pgstmt *s);
const char *dbi_pg_param_name(struct dbi_pgstmt *s, int idx);
int dbi_pg_param_index(struct dbi_pgstmt *s, const char *name);
int dbi_pg_step(struct dbi_pgstmt *s);
void dbi_pg_reset(struct dbi_pgstmt *s);
void dbi_pg_clear(struct dbi_pgstmt *s); /* reset and unbind (a cached statement handed out) */
int dbi_pg_column_count(struct dbi_pgstmt *s);
const char *dbi_pg_column_name(struct dbi_pgstmt *s, int k);
enum dbi_type dbi_pg_column_type(struct dbi_pgstmt *s, int k);
int64_t dbi_pg_column_int64(struct dbi_pgstmt *s, int k);
double dbi_pg_column_double(struct dbi_pgstmt *s, int k);
const char *dbi_pg_column_text(struct dbi_pgstmt *s, int k);
const void *dbi_pg_column_blob(struct dbi_pgstmt *s, int k);
size_t dbi_pg_column_bytes(struct dbi_pgstmt *s, int k);
/* dbi_column_read(): the type and value of column k of the current row in one call. */
void dbi_pg_column_read(struct dbi_pgstmt *s, int k, struct dbi_value *v);
int dbi_pg_changes(struct dbi_pgconn *c);
bool dbi_pg_in_txn(struct dbi_pgconn *c);     /* a queued BEGIN counts */
bool dbi_pg_txn_failed(struct dbi_pgconn *c); /* aborted by a failed statement */
/* Send the queued transaction-control statements now. */
int dbi_pg_flush(struct dbi_pgconn *c, struct sp_error *err);
/* Fixed SQL without parameters (several statements allowed), after the queued statements; a
 * failure is kept for dbi_pg_error_is_fk / _is_retryable like a statement's. */
int dbi_pg_exec(struct dbi_pgconn *c, const char *sql, struct sp_error *err);
int dbi_pg_error(struct dbi_pgconn *c, struct sp_error *err, const char *what);
bool dbi_pg_error_is_fk(struct dbi_pgconn *c);
bool dbi_pg_error_is_retryable(struct dbi_pgconn *c);

#endif
