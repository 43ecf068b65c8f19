/* db/dbi_sqlite.h: internal to db/: what a dbi statement is on SQLite (db/dbi.h), shared by
 * the statement cache (db/conn.c) and the SQLite backend of the interface (db/dbi_sqlite.c).
 * Thread model: as db/dbi.h.
 */
#ifndef SP_DB_DBI_SQLITE_H
#define SP_DB_DBI_SQLITE_H

#include <sqlite3.h>

#include "db/conn.h"
#include "db/dbi.h"

struct dbi_stmt {
    sqlite3_stmt *sq;
    struct db *db;
    bool once; /* from dbi_prepare_once(): dbi_finalize() frees it */
};

/* The cached statement for sql with its dbi wrapper (conn.c's cache), reset and cleared;
 * NULL on failure (db_errmsg()). */
struct dbi_stmt *db_stmt_dbi(struct db *db, const char *sql);

#endif
