/* tests/unit/db/test_introspect.c: live schema -> model: defaults as drizzle-kit reads them,
 * AUTOINCREMENT, composite keys, foreign keys and their derived names, partial and expression
 * indexes, CHECK constraints, ignored tables. */
#include <string.h>

#include "db/introspect.h"
#include "support/check.h"

static void test_defaults(void)
{
    struct arena a = ARENA_INIT;
    enum model_default k;
    CHECK_STR_EQ(introspect_default(&a, "datetime('now')", &k), "(datetime('now'))");
    CHECK_EQ_INT(k, MODEL_DEF_SQL);
    CHECK_STR_EQ(introspect_default(&a, "9.99", &k), "9.99");
    CHECK_EQ_INT(k, MODEL_DEF_NUMBER);
    CHECK_STR_EQ(introspect_default(&a, "-1", &k), "-1");
    CHECK_STR_EQ(introspect_default(&a, "1.50", &k), "1.5");
    CHECK_STR_EQ(introspect_default(&a, "true", &k), "true");
    CHECK_EQ_INT(k, MODEL_DEF_BOOL);
    CHECK_STR_EQ(introspect_default(&a, "'it''s'", &k), "'it''s'");
    CHECK_EQ_INT(k, MODEL_DEF_SQL);
    CHECK_STR_EQ(introspect_default(&a, "CURRENT_TIMESTAMP", &k), "(CURRENT_TIMESTAMP)");
    CHECK(introspect_default(&a, NULL, &k) == NULL);
    CHECK_EQ_INT(k, MODEL_DEF_NONE);
    arena_free(&a);
}

static void test_index_text(void)
{
    struct arena a = ARENA_INIT;
    bool e;
    const char *sql =
        "CREATE INDEX `b_idx` ON `books` (`published_at`, lower(\"title\")) WHERE \"books\".\"in_print\" = 1";
    CHECK_STR_EQ(introspect_index_where(&a, sql), "\"books\".\"in_print\" = 1");
    CHECK_STR_EQ(introspect_index_entry(&a, sql, 0, &e), "published_at");
    CHECK(!e);
    CHECK_STR_EQ(introspect_index_entry(&a, sql, 1, &e), "lower(\"title\")");
    CHECK(e);
    CHECK(introspect_index_entry(&a, sql, 2, &e) == NULL);
    CHECK(introspect_index_where(&a, "CREATE INDEX x ON t (a)") == NULL);
    CHECK(introspect_index_where(&a, "CREATE INDEX `where` ON `t(` (`a)`)") == NULL);
    arena_free(&a);
}

static const char DDL[] =
    "CREATE TABLE `authors` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `name` text NOT NULL,"
    " `price` real DEFAULT 9.99, `flag` integer DEFAULT true NOT NULL,"
    " `created_at` text DEFAULT (datetime('now')) NOT NULL,"
    " CONSTRAINT \"price_check\" CHECK(\"authors\".\"price\" >= 0));"
    "CREATE UNIQUE INDEX `authors_name_unique` ON `authors` (`name`);"
    "CREATE INDEX `authors_cheap_idx` ON `authors` (`price`) WHERE \"authors\".\"price\" < 5;"
    "CREATE TABLE `loans` (`book_id` integer NOT NULL, `member_id` text NOT NULL, `who` integer REFERENCES authors,"
    " PRIMARY KEY(`book_id`, `member_id`),"
    " FOREIGN KEY (`book_id`) REFERENCES `authors`(`id`) ON UPDATE no action ON DELETE cascade);"
    "CREATE TABLE x (k TEXT UNIQUE);"
    "CREATE TABLE \"__drizzle_migrations\" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric);";

static void test_schema(void)
{
    struct db *db = NULL;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(db_open(":memory:", DB_OPEN_CREATE, &db, &err), SP_OK);
    CHECK_EQ_INT(db_exec(db, DDL, &err), SP_OK);
    struct model_schema s;
    CHECK_EQ_INT(introspect_schema(db, &s, &err), SP_OK);
    CHECK_EQ_INT(s.n_tables, 3); /* sqlite_sequence and __drizzle_migrations ignored */
    const struct model_table *t = model_table_find(&s, "authors");
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->n_columns, 5);
        CHECK(t->columns[0].primary_key && t->columns[0].autoincrement && t->columns[0].not_null);
        CHECK_STR_EQ(t->columns[2].type, "real");
        CHECK_EQ_INT(t->columns[2].def_kind, MODEL_DEF_NUMBER);
        CHECK_EQ_INT(t->columns[3].def_kind, MODEL_DEF_BOOL);
        CHECK_STR_EQ(t->columns[4].def_sql, "(datetime('now'))");
        CHECK_EQ_INT(t->n_indexes, 2);
        if (t->n_indexes == 2) {
            CHECK_STR_EQ(t->indexes[0].name, "authors_name_unique");
            CHECK(t->indexes[0].unique && t->indexes[0].where == NULL);
            CHECK_STR_EQ(t->indexes[1].where, "\"authors\".\"price\" < 5");
            CHECK_STR_EQ(t->indexes[1].columns[0], "price");
        }
        CHECK_EQ_INT(t->n_checks, 1);
        if (t->n_checks == 1) {
            CHECK_STR_EQ(t->checks[0].name, "price_check");
            CHECK_STR_EQ(t->checks[0].value, "\"authors\".\"price\" >= 0");
        }
    }
    t = model_table_find(&s, "loans");
    CHECK(t != NULL);
    if (t) {
        CHECK(!t->columns[0].primary_key);
        CHECK_EQ_INT(t->n_pks, 1);
        if (t->n_pks)
            CHECK_STR_EQ(t->pks[0].name, "loans_book_id_member_id_pk");
        CHECK_EQ_INT(t->n_fks, 2);
        if (t->n_fks == 2) {
            CHECK_STR_EQ(t->fks[1].name, "loans_book_id_authors_id_fk");
            CHECK_STR_EQ(t->fks[1].on_delete, "cascade");
            CHECK_STR_EQ(t->fks[1].on_update, "no action");
            CHECK_STR_EQ(t->fks[0].name, "loans_who_authors_id_fk"); /* implicit parent key */
        }
    }
    t = model_table_find(&s, "x");
    CHECK(t && t->n_indexes == 0 && t->n_columns == 1 && strcmp(t->columns[0].type, "text") == 0);
    model_schema_free(&s);
    db_close(db);
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_index_text);
    RUN(test_schema);
    return check_report("test_introspect");
}
