/* db/model.h: the in-memory description of a database schema.
 *
 * One set of types serves every use of a schema:
 *   - the compiled-in Sprout schema (db/schema.c, static const data: the one source of truth),
 *   - a schema loaded from a drizzle snapshot or a conformance case file (db/snapshot.c),
 *   - the live database read back from sqlite_master and the pragmas (db/introspect.c).
 * The diff engine (db/diff.c) compares two of them; the snapshot writer serialises one;
 * the API layer maps rows to JSON and validates input with the json_key / json_kind /
 * enum_values fields (which only the compiled-in schema fills).
 *
 * Ownership: a loaded schema owns all its memory in schema->arena; model_schema_free()
 * releases it. The compiled-in schema has arena == NULL and must not be freed.
 * Order matters everywhere: tables are in drizzle-kit's order (sorted export names),
 * columns in declaration order, indexes in snapshot order.
 * Thread model: immutable once built; may be shared between threads.
 */
#ifndef SP_DB_MODEL_H
#define SP_DB_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"

enum model_default {
    MODEL_DEF_NONE = 0,
    MODEL_DEF_SQL, /* snapshot stores a JSON string: raw SQL "(datetime('now'))", "'reader'", JSON "'{..}'" */
    MODEL_DEF_NUMBER, /* snapshot stores a JSON number; def_sql is its JavaScript text, e.g. "9.99" */
    MODEL_DEF_BOOL,   /* snapshot stores a JSON boolean; def_sql is "true" or "false" */
};

enum model_json {
    MODEL_JSON_AUTO =
        0, /* by SQLite storage class: INTEGER/REAL -> number, TEXT -> string, NULL -> null */
    MODEL_JSON_BOOL, /* integer used as boolean: 1 -> true, other non-NULL -> false */
    MODEL_JSON_TEXT, /* JSON held in a text column: returned as the string, never parsed */
};

struct model_column {
    const char *name;
    const char *type; /* as in DDL: "text", "integer", "real", "blob", "numeric", "text(13)" */
    bool primary_key; /* single-column primary key */
    bool not_null;
    bool autoincrement;
    enum model_default def_kind;
    const char *def_sql; /* exact text after DEFAULT (NULL when def_kind is NONE) */
    /* API side (compiled-in schema only; NULL/0 elsewhere) */
    const char *json_key; /* camelCase key the client sees */
    enum model_json json_kind;
    const char *const *enum_values; /* NULL-terminated list of allowed values, or NULL */
    /* PostgreSQL dialect (compiled-in schema only; NULL = the same as type / def_sql) */
    const char *pg_type;    /* "boolean", "double precision" */
    const char *pg_def_sql; /* raw SQL default in PostgreSQL (DEFAULT_NOW's to_char(...)) */
    /* "always" / "byDefault": GENERATED ... AS IDENTITY with drizzle-kit's defaults (sequence
     * <table>_<column>_seq, from 1 by 1 up to the type's maximum, cache 1); only in pg_columns */
    const char *pg_identity;
};

struct model_index {
    const char *name;
    const char *const *columns; /* column names, or SQL text for expression entries */
    const bool *is_expr;        /* per entry; NULL = no expressions */
    size_t n_columns;
    bool unique;
    const char *where;  /* partial-index condition as drizzle renders it, or NULL */
    bool pg_constraint; /* a column's .unique(): SQLite keeps an index, PostgreSQL a
                                      UNIQUE constraint of the same name (compiled-in schema) */
    bool pg_rowid;      /* PostgreSQL: the index ends with the table's rowid column, the key
                           every SQLite index has implicitly (compiled-in schema) */
};

struct model_fk {
    const char *name;
    const char *table_from;
    const char *const *columns_from;
    size_t n_from;
    const char *table_to;
    const char *const *columns_to;
    size_t n_to;
    const char
        *on_update; /* lowercase: "no action", "cascade", "set null", "set default", "restrict" */
    const char *on_delete;
};

struct model_pk { /* composite primary key */
    const char *name;
    const char *const *columns;
    size_t n_columns;
};

struct model_check {
    const char *name;
    const char *value; /* SQL with qualified columns: "books"."price" >= 0 */
};

struct model_table {
    const char *name;
    const struct model_column *columns;
    size_t n_columns;
    const struct model_index *indexes;
    size_t n_indexes;
    const struct model_fk *fks;
    size_t n_fks;
    const struct model_pk *pks; /* 0 or 1 in practice */
    size_t n_pks;
    const struct model_check *checks;
    size_t n_checks;
    /* PostgreSQL dialect only (compiled-in schema): columns that follow `columns` there and
     * exist nowhere else: not in SQLite's DDL or snapshots, storage's column lists, the API */
    const struct model_column *pg_columns;
    size_t n_pg_columns;
};

struct model_schema {
    const struct model_table *tables;
    size_t n_tables;
    struct arena *arena; /* owner of everything above, NULL for static data */
};

const struct model_table *model_table_find(const struct model_schema *s, const char *name);
const struct model_column *model_column_find(const struct model_table *t, const char *name);
/* Index of a column in t->columns, or -1. */
int model_column_index(const struct model_table *t, const char *name);
void model_schema_free(struct model_schema *s); /* NULL-safe; no-op for static schemas */

#endif
