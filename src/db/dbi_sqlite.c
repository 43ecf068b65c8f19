/* db/dbi_sqlite.c: the SQLite backend of the database interface (db/dbi.h): thin calls onto
 * the sqlite3 API; statements come from conn.c's cache (db_stmt_dbi) or are prepared once.
 * Failure codes from dbi_step() are SQLite's extended result codes, mapped by db_error().
 * Thread model: as db/dbi.h (one thread per connection).
 */
#include "db/dbi_sqlite.h"

#include <stdlib.h>

enum dbi_engine dbi_engine(const struct db *db)
{
    (void)db;
    return DBI_SQLITE;
}

int dbi_prepare(struct db *db, const char *sql, struct dbi_stmt **out, struct sp_error *err)
{
    *out = db_stmt_dbi(db, sql);
    if (!*out)
        return sp_error_set(err, SP_EDB, "preparing a statement: %s", db_errmsg(db));
    return SP_OK;
}

int dbi_prepare_once(struct db *db, const char *sql, struct dbi_stmt **out,
                     struct sp_error *err)
{
    *out = NULL;
    struct dbi_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return sp_error_set(err, SP_ENOMEM, "out of memory preparing a statement");
    int rc = db_prepare(db, sql, &st->sq, err);
    if (rc != SP_OK) {
        free(st);
        return rc;
    }
    st->db = db;
    st->once = true;
    *out = st;
    return SP_OK;
}

void dbi_finalize(struct dbi_stmt *st)
{
    if (!st || !st->once)
        return;
    sqlite3_finalize(st->sq);
    free(st);
}

static int bind_rc(int rc)
{
    if (rc == SQLITE_OK)
        return SP_OK;
    return rc == SQLITE_NOMEM ? SP_ENOMEM : rc == SQLITE_TOOBIG ? SP_ETOOBIG : SP_EINVAL;
}

static sqlite3_destructor_type copy_mode(enum dbi_copy copy)
{
    return copy == DBI_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT;
}

int dbi_bind_null(struct dbi_stmt *st, int idx)
{
    return bind_rc(sqlite3_bind_null(st->sq, idx));
}

int dbi_bind_int64(struct dbi_stmt *st, int idx, int64_t v)
{
    return bind_rc(sqlite3_bind_int64(st->sq, idx, v));
}

int dbi_bind_double(struct dbi_stmt *st, int idx, double v)
{
    return bind_rc(sqlite3_bind_double(st->sq, idx, v));
}

int dbi_bind_text(struct dbi_stmt *st, int idx, const char *s, size_t len, enum dbi_copy copy)
{
    if (len == DBI_NTS)
        return bind_rc(sqlite3_bind_text(st->sq, idx, s, -1, copy_mode(copy)));
    return bind_rc(sqlite3_bind_text64(st->sq, idx, s, len, copy_mode(copy), SQLITE_UTF8));
}

int dbi_bind_blob(struct dbi_stmt *st, int idx, const void *p, size_t len, enum dbi_copy copy)
{
    return bind_rc(sqlite3_bind_blob64(st->sq, idx, p, len, copy_mode(copy)));
}

int dbi_param_count(struct dbi_stmt *st)
{
    return sqlite3_bind_parameter_count(st->sq);
}

const char *dbi_param_name(struct dbi_stmt *st, int idx)
{
    const char *name = sqlite3_bind_parameter_name(st->sq, idx);
    return name && name[0] == ':' ? name : NULL;
}

int dbi_param_index(struct dbi_stmt *st, const char *name)
{
    return sqlite3_bind_parameter_index(st->sq, name);
}

int dbi_step(struct dbi_stmt *st)
{
    return sqlite3_step(st->sq); /* SQLITE_ROW == DBI_ROW, SQLITE_DONE == DBI_DONE */
}

void dbi_reset(struct dbi_stmt *st)
{
    sqlite3_reset(st->sq);
}

int dbi_column_count(struct dbi_stmt *st)
{
    return sqlite3_column_count(st->sq);
}

const char *dbi_column_name(struct dbi_stmt *st, int k)
{
    return sqlite3_column_name(st->sq, k);
}

enum dbi_type dbi_column_type(struct dbi_stmt *st, int k)
{
    return (enum dbi_type)sqlite3_column_type(st->sq, k); /* the same numbers */
}

int64_t dbi_column_int64(struct dbi_stmt *st, int k)
{
    return sqlite3_column_int64(st->sq, k);
}

double dbi_column_double(struct dbi_stmt *st, int k)
{
    return sqlite3_column_double(st->sq, k);
}

const char *dbi_column_text(struct dbi_stmt *st, int k)
{
    return (const char *)sqlite3_column_text(st->sq, k);
}

const void *dbi_column_blob(struct dbi_stmt *st, int k)
{
    return sqlite3_column_blob(st->sq, k);
}

size_t dbi_column_bytes(struct dbi_stmt *st, int k)
{
    return (size_t)sqlite3_column_bytes(st->sq, k);
}

int dbi_changes(struct db *db)
{
    return sqlite3_changes(db_handle(db));
}

bool dbi_in_txn(struct db *db)
{
    return !sqlite3_get_autocommit(db_handle(db));
}

int dbi_error(struct db *db, int rc, struct sp_error *err, const char *what)
{
    return db_error(db, rc, err, what);
}

bool dbi_error_is_fk(struct db *db)
{
    return sqlite3_extended_errcode(db_handle(db)) == SQLITE_CONSTRAINT_FOREIGNKEY;
}

_Static_assert(SQLITE_ROW == DBI_ROW && SQLITE_DONE == DBI_DONE, "dbi_step passes codes through");
_Static_assert(SQLITE_INTEGER == DBI_INTEGER && SQLITE_FLOAT == DBI_FLOAT &&
               SQLITE_TEXT == DBI_TEXT && SQLITE_BLOB == DBI_BLOB && SQLITE_NULL == DBI_NULL,
               "dbi_column_type passes types through");
