/* tests/unit/db/test_dbi.c: the database interface (db/dbi.h) on SQLite: cached and one-off
 * statements, positional and named parameters, typed columns, changes, transaction state,
 * error mapping (foreign keys, unique), and a cache that is full. The checks are written
 * against dbi only, so they can run on the PostgreSQL backend as well once it exists.
 */
#include <stdio.h>
#include <string.h>

#include "db/conn.h"
#include "db/dbi.h"
#include "support/check.h"
#include "util/err.h"

static struct db *open_db(void)
{
    struct db *db = NULL;
    CHECK(db_open(":memory:", DB_OPEN_CREATE, &db, NULL) == SP_OK);
    CHECK(db_exec(db,
        "CREATE TABLE p (id TEXT PRIMARY KEY);"
        "CREATE TABLE c (id TEXT PRIMARY KEY, p_id TEXT REFERENCES p(id), n INTEGER, x REAL,"
        " b BLOB);"
        "INSERT INTO p VALUES ('p1');", NULL) == SP_OK);
    return db;
}

static const char SQL_INS[] = "INSERT INTO c (id, p_id, n, x, b) VALUES (:id, :p_id, :n, :x, :b)";
static const char SQL_GET[] = "SELECT id, p_id, n, x, b FROM c WHERE id = ?1";

static void test_cached_statements_and_types(void)
{
    struct db *db = open_db();
    struct dbi_stmt *st = NULL, *again = NULL;
    CHECK(dbi_engine(db) == DBI_SQLITE);
    CHECK(dbi_prepare(db, SQL_INS, &st, NULL) == SP_OK);
    CHECK_EQ_INT(dbi_param_count(st), 5);
    CHECK_STR_EQ(dbi_param_name(st, 2), ":p_id");
    CHECK_EQ_INT(dbi_param_index(st, ":x"), 4);
    CHECK_EQ_INT(dbi_param_index(st, ":nope"), 0);
    char id[] = "c1-and-more";
    CHECK(dbi_bind_text(st, dbi_param_index(st, ":id"), id, 2, DBI_TRANSIENT) == SP_OK);
    memcpy(id, "zz", 2); /* copied: the statement keeps "c1" */
    CHECK(dbi_bind_text(st, 2, "p1", DBI_NTS, DBI_STATIC) == SP_OK);
    CHECK(dbi_bind_int64(st, 3, 9007199254740993LL) == SP_OK);
    CHECK(dbi_bind_double(st, 4, 0.1) == SP_OK);
    CHECK(dbi_bind_blob(st, 5, "\0\1\2", 3, DBI_STATIC) == SP_OK);
    CHECK(dbi_bind_int64(st, 6, 1) != SP_OK); /* out of range */
    CHECK_EQ_INT(dbi_step(st), DBI_DONE);
    CHECK_EQ_INT(dbi_changes(db), 1);
    CHECK(dbi_prepare(db, SQL_INS, &again, NULL) == SP_OK);
    CHECK(again == st); /* the cache: one statement per SQL string */

    CHECK(dbi_prepare(db, SQL_GET, &st, NULL) == SP_OK);
    CHECK(dbi_bind_text(st, 1, "c1", DBI_NTS, DBI_STATIC) == SP_OK);
    CHECK_EQ_INT(dbi_step(st), DBI_ROW);
    CHECK_EQ_INT(dbi_column_count(st), 5);
    CHECK_STR_EQ(dbi_column_name(st, 1), "p_id");
    CHECK(dbi_column_type(st, 0) == DBI_TEXT);
    CHECK_STR_EQ(dbi_column_text(st, 0), "c1");
    CHECK_EQ_INT(dbi_column_bytes(st, 0), 2);
    CHECK(dbi_column_type(st, 2) == DBI_INTEGER);
    CHECK_EQ_INT(dbi_column_int64(st, 2), 9007199254740993LL);
    CHECK(dbi_column_type(st, 3) == DBI_FLOAT);
    CHECK(dbi_column_double(st, 3) == 0.1);
    CHECK(dbi_column_type(st, 4) == DBI_BLOB);
    CHECK_EQ_INT(dbi_column_bytes(st, 4), 3);
    CHECK(memcmp(dbi_column_blob(st, 4), "\0\1\2", 3) == 0);
    CHECK_EQ_INT(dbi_step(st), DBI_DONE);
    dbi_reset(st);

    /* handed back cleared: the unbound parameter is NULL, so no row */
    CHECK(dbi_prepare(db, SQL_GET, &st, NULL) == SP_OK);
    CHECK_EQ_INT(dbi_step(st), DBI_DONE);
    dbi_reset(st);
    db_close(db);
}

static void test_nulls_and_text_lengths(void)
{
    struct db *db = open_db();
    struct dbi_stmt *st = NULL;
    CHECK(dbi_prepare(db, SQL_INS, &st, NULL) == SP_OK);
    CHECK(dbi_bind_text(st, 1, "a\0b", 3, DBI_STATIC) == SP_OK); /* embedded NUL kept */
    CHECK(dbi_bind_null(st, 2) == SP_OK);
    CHECK_EQ_INT(dbi_step(st), DBI_DONE);
    struct dbi_stmt *q = NULL;
    CHECK(dbi_prepare_once(db, "SELECT id, p_id, length(id) FROM c", &q, NULL) == SP_OK);
    CHECK_EQ_INT(dbi_step(q), DBI_ROW);
    CHECK_EQ_INT(dbi_column_bytes(q, 0), 3);
    CHECK(memcmp(dbi_column_text(q, 0), "a\0b", 3) == 0);
    CHECK(dbi_column_type(q, 1) == DBI_NULL);
    CHECK(dbi_column_text(q, 1) == NULL);
    dbi_finalize(q);
    dbi_finalize(NULL);
    db_close(db);
}

static void test_errors_are_mapped(void)
{
    struct db *db = open_db();
    struct sp_error err = { 0 };
    struct dbi_stmt *st = NULL;
    CHECK(dbi_prepare(db, SQL_INS, &st, NULL) == SP_OK);
    CHECK(dbi_bind_text(st, 1, "c9", DBI_NTS, DBI_STATIC) == SP_OK);
    CHECK(dbi_bind_text(st, 2, "missing", DBI_NTS, DBI_STATIC) == SP_OK);
    int rc = dbi_step(st);
    CHECK(rc != DBI_ROW && rc != DBI_DONE);
    CHECK(dbi_error_is_fk(db));
    CHECK_EQ_INT(dbi_error(db, rc, &err, "inserting"), SP_ECONFLICT);
    CHECK(strstr(err.msg, "inserting: ") == err.msg);
    dbi_reset(st);

    CHECK(dbi_prepare(db, SQL_INS, &st, NULL) == SP_OK); /* unique, not a foreign key */
    CHECK(dbi_bind_text(st, 1, "c9", DBI_NTS, DBI_STATIC) == SP_OK);
    CHECK_EQ_INT(dbi_step(st), DBI_DONE);
    CHECK(dbi_prepare(db, SQL_INS, &st, NULL) == SP_OK);
    CHECK(dbi_bind_text(st, 1, "c9", DBI_NTS, DBI_STATIC) == SP_OK);
    rc = dbi_step(st);
    CHECK(!dbi_error_is_fk(db));
    CHECK_EQ_INT(dbi_error(db, rc, NULL, "inserting"), SP_ECONFLICT);
    dbi_reset(st);

    struct dbi_stmt *bad = NULL;
    CHECK_EQ_INT(dbi_prepare_once(db, "SELECT nope FROM nowhere", &bad, &err), SP_EDB);
    CHECK(bad == NULL);
    CHECK(strstr(err.msg, "nowhere") != NULL);
    static const char SQL_BAD[] = "SELEC 1";
    CHECK_EQ_INT(dbi_prepare(db, SQL_BAD, &bad, &err), SP_EDB);
    db_close(db);
}

static void test_transaction_state(void)
{
    struct db *db = open_db();
    CHECK(!dbi_in_txn(db));
    CHECK(db_begin_immediate(db, NULL) == SP_OK);
    CHECK(dbi_in_txn(db));
    db_rollback(db);
    CHECK(!dbi_in_txn(db));
    db_close(db);
}

/* More distinct statements than the cache holds: each still works (the spill statement). */
#define N_SQL 300
static char sqls[N_SQL][48];

static void test_full_cache(void)
{
    struct db *db = open_db();
    for (int i = 0; i < N_SQL; i++) {
        snprintf(sqls[i], sizeof sqls[i], "SELECT %d + ?1", i);
        struct dbi_stmt *st = NULL;
        CHECK(dbi_prepare(db, sqls[i], &st, NULL) == SP_OK);
        if (!st)
            break;
        CHECK(dbi_bind_int64(st, 1, 1000) == SP_OK);
        CHECK_EQ_INT(dbi_step(st), DBI_ROW);
        CHECK_EQ_INT(dbi_column_int64(st, 0), 1000 + i);
        dbi_reset(st);
    }
    db_close(db);
}

int main(void)
{
    RUN(test_cached_statements_and_types);
    RUN(test_nulls_and_text_lengths);
    RUN(test_errors_are_mapped);
    RUN(test_transaction_state);
    RUN(test_full_cache);
    return check_report("test_dbi");
}
