/* db/dbi_sqlite.h: internal to db/: what a dbi statement is (db/dbi.h), shared by the
 * statement cache (db/conn.c), the SQLite backend with the dispatch (db/dbi_sqlite.c) and the
 * PostgreSQL backend (db/dbi_pg.c).
 * Thread model: as db/dbi.h.
 */
#ifndef SP_DB_DBI_SQLITE_H
#define SP_DB_DBI_SQLITE_H

#include <sqlite3.h>

#include "db/conn.h"
#include "db/dbi.h"

struct dbi_pgstmt;
struct dbi_pgconn;

struct dbi_stmt {
    sqlite3_stmt *sq;
    struct db *db;
    bool once;             /* from dbi_prepare_once(): dbi_finalize() frees it */
    struct dbi_pgstmt *pg; /* set: a PostgreSQL statement (sq unused) */
};

/* The PostgreSQL connection behind db, or NULL for SQLite. */
struct dbi_pgconn *db_pgconn(const struct db *db);

/* The cached statement for sql with its dbi wrapper (conn.c's cache), reset and cleared;
 * NULL on failure (db_errmsg()). */
struct dbi_stmt *db_stmt_dbi(struct db *db, const char *sql);

#endif
