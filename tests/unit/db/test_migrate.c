/* tests/unit/db/test_migrate.c: the migrator's pure parts on an in-memory database: SHA-256,
 * chunking on the breakpoint marker, the no-statement error, multi-statement chunks, the
 * pending rule, the tracking table DDL. */
#include <stdlib.h>
#include <string.h>

#include "db/migrate.h"
#include "support/check.h"

static struct db *mem(void)
{
    struct db *db = NULL;
    struct sp_error err;
    if (db_open(":memory:", DB_OPEN_CREATE, &db, &err) != SP_OK)
        fprintf(stderr, "open: %s\n", err.msg);
    return db;
}

static long long count(struct db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (db_prepare(db, sql, &st, NULL) == SP_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_sha256(void)
{
    char hex[65];
    CHECK_EQ_INT(migrate_sha256_hex("", 0, hex), SP_OK);
    CHECK_STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_EQ_INT(migrate_sha256_hex("abc", 3, hex), SP_OK);
    CHECK_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_chunks_and_statements(void)
{
    struct db *db = mem();
    struct sp_error err = { 0 };
    CHECK_EQ_INT(migrate_exec_script(
                     db,
                     "CREATE TABLE a (x integer);--> statement-breakpoint\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2);"
                     "--> statement-breakpoint\n/* c */ INSERT INTO a VALUES (3);;  -- note\n",
                     "m", &err),
                 SP_OK);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM a"), 3);
    /* an empty chunk is drizzle's error */
    int rc =
        migrate_exec_script(db, "INSERT INTO a VALUES (4);--> statement-breakpoint\n  -- nothing\n",
                            "m0", &err);
    CHECK(rc != SP_OK);
    CHECK(strstr(err.msg, "contains no statements") != NULL);
    CHECK(strstr(err.msg, "m0") != NULL);
    rc = migrate_exec_script(db, "", "m1", &err);
    CHECK(rc != SP_OK);
    /* errors quote the statement and SQLite's message */
    rc = migrate_exec_script(db, "INSERT INTO nosuch VALUES (1);", "migration 0007_x failed", &err);
    CHECK_EQ_INT(rc, SP_EDB);
    CHECK(
        strstr(err.msg,
               "migration 0007_x failed: Failed to run the query 'INSERT INTO nosuch VALUES (1);'") !=
        NULL);
    CHECK(strstr(err.msg, "no such table: nosuch") != NULL);
    /* constraint failures keep their code */
    migrate_exec_script(db, "CREATE TABLE u (k text UNIQUE); INSERT INTO u VALUES ('a');", "m",
                        &err);
    CHECK_EQ_INT(migrate_exec_script(db, "INSERT INTO u VALUES ('a');", "m", &err), SP_ECONFLICT);
    db_close(db);
}

static void test_tracking_table(void)
{
    struct db *db = mem();
    struct sp_error err = { 0 };
    bool exists = true, have = true;
    double last = 1;
    CHECK_EQ_INT(migrate_table_exists(db, &exists, &err), SP_OK);
    CHECK(!exists);
    CHECK_EQ_INT(migrate_last_created(db, &have, &last, &err), SP_OK);
    CHECK(!have);
    CHECK_EQ_INT(migrate_table_ensure(db, &err), SP_OK);
    CHECK_EQ_INT(migrate_table_ensure(db, &err), SP_OK); /* IF NOT EXISTS */
    sqlite3_stmt *st = NULL;
    db_prepare(db, "SELECT sql FROM sqlite_master WHERE name = '__drizzle_migrations'", &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STR_EQ((const char *)sqlite3_column_text(st, 0),
                 "CREATE TABLE \"__drizzle_migrations\" (\n\t\t\t\tid SERIAL PRIMARY KEY,\n\t\t\t\thash text NOT NULL,"
                 "\n\t\t\t\tcreated_at numeric\n\t\t\t)");
    sqlite3_finalize(st);
    db_exec(db,
            "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('h1', 100), ('h2', 300), ('h3', 200)",
            NULL);
    CHECK_EQ_INT(migrate_last_created(db, &have, &last, &err), SP_OK);
    CHECK(have);
    CHECK(last == 300);
    struct migrate_row *rows = NULL;
    size_t n = 0;
    CHECK_EQ_INT(migrate_rows_load(db, &rows, &n, &err), SP_OK);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_STR_EQ(rows[2].hash, "h3");
        CHECK_EQ_INT(rows[2].rowid, 3);
    }
    migrate_rows_free(rows, n);
    db_close(db);
}

static void test_pending_rule(void)
{
    CHECK(migrate_is_pending(false, 0, 5));
    CHECK(migrate_is_pending(true, 4, 5));
    CHECK(!migrate_is_pending(true, 5, 5)); /* strict < */
    CHECK(!migrate_is_pending(true, 6, 5));
}

int main(void)
{
    RUN(test_sha256);
    RUN(test_chunks_and_statements);
    RUN(test_tracking_table);
    RUN(test_pending_rule);
    return check_report("test_migrate");
}
