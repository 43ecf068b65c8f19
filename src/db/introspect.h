/* db/introspect.h: the live database read back as a struct model_schema, the way
 * drizzle-kit's SQLite introspection sees it (spec/drizzle-compat.md §7), for db check, push
 * and baseline.
 *
 * Sources: sqlite_master, pragma table_info / index_list / index_info / foreign_key_list,
 * plus the stored CREATE text for what the pragmas do not tell (AUTOINCREMENT, a partial
 * index's WHERE, expression index entries, named CHECK constraints). Tables named
 * __drizzle_migrations, sqlite_*, _cf_*, _litestream_*, libsql_* are ignored; so are automatic
 * indexes (inline UNIQUE / PRIMARY KEY). Defaults follow drizzle-kit: numbers -> NUMBER,
 * true/false -> BOOL, quoted strings as they are, anything else wrapped in parentheses.
 * Names drizzle derives: composite PK "<table>_<cols>_pk", FK "<from>_<cols>_<to>_<cols>_fk".
 * Ownership: the result owns its memory (model_schema_free()).
 * Thread model: one connection, one caller.
 */
#ifndef SP_DB_INTROSPECT_H
#define SP_DB_INTROSPECT_H

#include "db/conn.h"
#include "db/model.h"
#include "util/err.h"

int introspect_schema(struct db *db, struct model_schema *out, struct sp_error *err);

/* Pure helpers (exposed for unit tests). Results are allocated in a. */
/* drizzle-kit's reading of a pragma dflt_value; sets *kind and returns def_sql. */
const char *introspect_default(struct arena *a, const char *dflt, enum model_default *kind);
/* The WHERE condition of a CREATE INDEX statement, or NULL. */
const char *introspect_index_where(struct arena *a, const char *create_sql);
/* Entry i of a CREATE INDEX column list, unquoted when it is a plain identifier. */
const char *introspect_index_entry(struct arena *a, const char *create_sql, size_t i,
                                   bool *is_expr);

#endif
