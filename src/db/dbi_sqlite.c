/* db/dbi_sqlite.c: the database interface (db/dbi.h): a call on a PostgreSQL connection or
 * statement goes to db/dbi_pg.c; the SQLite backend is here, thin calls onto the sqlite3 API,
 * with statements from conn.c's cache (db_stmt_dbi) or prepared once. Failure codes from
 * dbi_step() are SQLite's extended result codes, mapped by db_error().
 * Thread model: as db/dbi.h (one thread per connection).
 */
#include "db/dbi_sqlite.h"

#include "db/dbi_pg.h"

#include <stdio.h>
#include <stdlib.h>

enum dbi_engine dbi_engine(const struct db *db)
{
    return db_pgconn(db) ? DBI_POSTGRES : DBI_SQLITE;
}

int dbi_prepare(struct db *db, const char *sql, struct dbi_stmt **out, struct sp_error *err)
{
    if (db_pgconn(db))
        return dbi_pg_prepare(db, db_pgconn(db), sql, false, out, err);
    *out = db_stmt_dbi(db, sql);
    if (!*out)
        return sp_error_set(err, SP_EDB, "preparing a statement: %s", db_errmsg(db));
    return SP_OK;
}

int dbi_prepare_once(struct db *db, const char *sql, struct dbi_stmt **out, struct sp_error *err)
{
    *out = NULL;
    if (db_pgconn(db))
        return dbi_pg_prepare(db, db_pgconn(db), sql, true, out, err);
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
    if (st && st->pg) {
        dbi_pg_free(st->pg);
        return;
    }
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
    if (st->pg)
        return dbi_pg_bind(st->pg, idx, NULL, 0, false, DBI_STATIC);
    return bind_rc(sqlite3_bind_null(st->sq, idx));
}

int dbi_bind_int64(struct dbi_stmt *st, int idx, int64_t v)
{
    if (st->pg) {
        char text[24];
        snprintf(text, sizeof text, "%lld", (long long)v);
        return dbi_pg_bind(st->pg, idx, text, DBI_NTS, false, DBI_TRANSIENT);
    }
    return bind_rc(sqlite3_bind_int64(st->sq, idx, v));
}

int dbi_bind_double(struct dbi_stmt *st, int idx, double v)
{
    if (st->pg) {
        char text[32];
        snprintf(text, sizeof text, "%.17g", v); /* exact; inf and nan are accepted too */
        return dbi_pg_bind(st->pg, idx, text, DBI_NTS, false, DBI_TRANSIENT);
    }
    return bind_rc(sqlite3_bind_double(st->sq, idx, v));
}

int dbi_bind_text(struct dbi_stmt *st, int idx, const char *s, size_t len, enum dbi_copy copy)
{
    if (st->pg)
        return dbi_pg_bind(st->pg, idx, s, len, false, copy);
    if (len == DBI_NTS)
        return bind_rc(sqlite3_bind_text(st->sq, idx, s, -1, copy_mode(copy)));
    return bind_rc(sqlite3_bind_text64(st->sq, idx, s, len, copy_mode(copy), SQLITE_UTF8));
}

int dbi_bind_blob(struct dbi_stmt *st, int idx, const void *p, size_t len, enum dbi_copy copy)
{
    if (st->pg)
        return dbi_pg_bind(st->pg, idx, p ? p : "", len, true, copy);
    return bind_rc(sqlite3_bind_blob64(st->sq, idx, p, len, copy_mode(copy)));
}

int dbi_param_count(struct dbi_stmt *st)
{
    if (st->pg)
        return dbi_pg_param_count(st->pg);
    return sqlite3_bind_parameter_count(st->sq);
}

const char *dbi_param_name(struct dbi_stmt *st, int idx)
{
    if (st->pg)
        return dbi_pg_param_name(st->pg, idx);
    const char *name = sqlite3_bind_parameter_name(st->sq, idx);
    return name && name[0] == ':' ? name : NULL;
}

int dbi_param_index(struct dbi_stmt *st, const char *name)
{
    if (st->pg)
        return dbi_pg_param_index(st->pg, name);
    return sqlite3_bind_parameter_index(st->sq, name);
}

int dbi_step(struct dbi_stmt *st)
{
    if (st->pg)
        return dbi_pg_step(st->pg);
    return sqlite3_step(st->sq); /* SQLITE_ROW == DBI_ROW, SQLITE_DONE == DBI_DONE */
}

void dbi_reset(struct dbi_stmt *st)
{
    if (st->pg)
        dbi_pg_reset(st->pg);
    else
        sqlite3_reset(st->sq);
}

int dbi_column_count(struct dbi_stmt *st)
{
    if (st->pg)
        return dbi_pg_column_count(st->pg);
    return sqlite3_column_count(st->sq);
}

const char *dbi_column_name(struct dbi_stmt *st, int k)
{
    if (st->pg)
        return dbi_pg_column_name(st->pg, k);
    return sqlite3_column_name(st->sq, k);
}

enum dbi_type dbi_column_type(struct dbi_stmt *st, int k)
{
    if (st->pg)
        return dbi_pg_column_type(st->pg, k);
    return (enum dbi_type)sqlite3_column_type(st->sq, k); /* the same numbers */
}

int64_t dbi_column_int64(struct dbi_stmt *st, int k)
{
    if (st->pg)
        return dbi_pg_column_int64(st->pg, k);
    return sqlite3_column_int64(st->sq, k);
}

double dbi_column_double(struct dbi_stmt *st, int k)
{
    if (st->pg)
        return dbi_pg_column_double(st->pg, k);
    return sqlite3_column_double(st->sq, k);
}

const char *dbi_column_text(struct dbi_stmt *st, int k)
{
    if (st->pg)
        return dbi_pg_column_text(st->pg, k);
    return (const char *)sqlite3_column_text(st->sq, k);
}

const void *dbi_column_blob(struct dbi_stmt *st, int k)
{
    if (st->pg)
        return dbi_pg_column_blob(st->pg, k);
    return sqlite3_column_blob(st->sq, k);
}

size_t dbi_column_bytes(struct dbi_stmt *st, int k)
{
    if (st->pg)
        return dbi_pg_column_bytes(st->pg, k);
    return (size_t)sqlite3_column_bytes(st->sq, k);
}

/* SQLite: sqlite3_column_value() once (each sqlite3_column_*() call enters and leaves the
 * connection's mutex), then the sqlite3_value_*() accessors, which do not. */
void dbi_column_read(struct dbi_stmt *st, int k, struct dbi_value *v)
{
    if (st->pg) {
        dbi_pg_column_read(st->pg, k, v);
        return;
    }
    sqlite3_value *sv = sqlite3_column_value(st->sq, k); /* one connection per thread: safe */
    v->type = (enum dbi_type)sqlite3_value_type(sv);
    switch (v->type) {
    case DBI_INTEGER: v->i = sqlite3_value_int64(sv); break;
    case DBI_FLOAT: v->d = sqlite3_value_double(sv); break;
    case DBI_TEXT:
        v->p = sqlite3_value_text(sv);
        v->n = (size_t)sqlite3_value_bytes(sv);
        break;
    case DBI_BLOB:
        v->p = sqlite3_value_blob(sv);
        v->n = (size_t)sqlite3_value_bytes(sv);
        break;
    default: break;
    }
}

int dbi_exec(struct db *db, const char *sql, struct sp_error *err)
{
    if (db_pgconn(db))
        return dbi_pg_exec(db_pgconn(db), sql, err);
    return db_exec(db, sql, err);
}

int dbi_changes(struct db *db)
{
    if (db_pgconn(db))
        return dbi_pg_changes(db_pgconn(db));
    return sqlite3_changes(db_handle(db));
}

bool dbi_in_txn(struct db *db)
{
    if (db_pgconn(db))
        return dbi_pg_in_txn(db_pgconn(db));
    return !sqlite3_get_autocommit(db_handle(db));
}

bool dbi_txn_failed(struct db *db)
{
    return db_pgconn(db) && dbi_pg_txn_failed(db_pgconn(db));
}

int dbi_error(struct db *db, int rc, struct sp_error *err, const char *what)
{
    if (db_pgconn(db))
        return dbi_pg_error(db_pgconn(db), err, what);
    return db_error(db, rc, err, what);
}

bool dbi_error_is_retryable(struct db *db)
{
    return db_pgconn(db) && dbi_pg_error_is_retryable(db_pgconn(db));
}

bool dbi_error_is_fk(struct db *db)
{
    if (db_pgconn(db))
        return dbi_pg_error_is_fk(db_pgconn(db));
    return sqlite3_extended_errcode(db_handle(db)) == SQLITE_CONSTRAINT_FOREIGNKEY;
}

_Static_assert(SQLITE_ROW == DBI_ROW && SQLITE_DONE == DBI_DONE, "dbi_step passes codes through");
_Static_assert(SQLITE_INTEGER == DBI_INTEGER && SQLITE_FLOAT == DBI_FLOAT &&
                   SQLITE_TEXT == DBI_TEXT && SQLITE_BLOB == DBI_BLOB && SQLITE_NULL == DBI_NULL,
               "dbi_column_type passes types through");
