/* db/sqlgen.h: the DDL text drizzle-kit writes for SQLite (spec/drizzle-compat.md §5),
 * byte for byte: CREATE TABLE / INDEX, DROP, ALTER TABLE ADD / DROP COLUMN / RENAME, and the
 * table rebuild ("recreate") sequence.
 * Every function returns a new malloc'd string (NULL on out of memory) or appends to a
 * struct sqlgen_list, which owns its strings (sqlgen_list_free()).
 * Names are inserted as given (drizzle-kit does no escaping either); they come from a schema.
 * Thread model: pure functions.
 */
#ifndef SP_DB_SQLGEN_H
#define SP_DB_SQLGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "db/model.h"

struct sqlgen_list {
    char **v;
    size_t n, cap;
};

/* Append s (takes ownership; NULL s = out of memory). Returns 0 or -1 (out of memory). */
int sqlgen_list_push(struct sqlgen_list *l, char *s);
void sqlgen_list_free(struct sqlgen_list *l);

/* CREATE TABLE `name` (...) for t's definition; name NULL = t->name. checks have every
 * qualifier of t->name rewritten to name (as drizzle-kit does for `__new_T`). */
char *sqlgen_create_table(const struct model_table *t, const char *name);
char *sqlgen_create_index(const char *table, const struct model_index *x);
char *sqlgen_drop_index(const char *name);
char *sqlgen_drop_table(const char *name);
char *sqlgen_rename_table(const char *from, const char *to);
char *sqlgen_rename_column(const char *table, const char *from, const char *to);
/* ALTER TABLE `t` ADD `c` ...; fk (may be NULL) adds the inline REFERENCES clause. */
char *sqlgen_add_column(const char *table, const struct model_column *c, const struct model_fk *fk);
char *sqlgen_drop_column(const char *table, const char *column);
/* The rebuild sequence of t (new definition): PRAGMA off, CREATE __new_T, INSERT ... SELECT,
 * DROP, RENAME, PRAGMA on; then every index of t. With pragmas false (push on a table that
 * nothing references) the two PRAGMA lines are left out. Returns 0 or -1. */
int sqlgen_rebuild(struct sqlgen_list *out, const struct model_table *t, bool pragmas);

#endif
