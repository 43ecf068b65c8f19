/* tests/unit/db/test_dbi.c: the database interface (db/dbi.h): cached and one-off statements,
 * positional and named parameters (rewritten to $N on PostgreSQL), typed columns, changes,
 * transaction state, error mapping (foreign keys, unique), and a cache that is full.
 * The checks use dbi only and run on SQLite (in memory) and, when SPROUT_TEST_PG_URL names an
 * empty PostgreSQL database (tests/cli/test_dbi_pg.py starts a server and sets it), on
 * PostgreSQL too, table names suffixed per run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/conn.h"
#include "db/dbi.h"
#include "db/dbi_pg.h"
#include "support/check.h"
#include "util/err.h"

static const char *pg_url; /* NULL: this pass is SQLite's */

static void run_sql(struct db *db, const char *sql)
{
    struct dbi_stmt *st = NULL;
    struct sp_error err = { 0 };
    CHECK(dbi_prepare_once(db, sql, &st, &err) == SP_OK);
    if (!st) {
        fprintf(stderr, "%s: %s\n", sql, err.msg);
        return;
    }
    CHECK_EQ_INT(dbi_step(st), DBI_DONE);
    dbi_finalize(st);
}

static struct db *open_db(void)
{
    struct db *db = NULL;
    if (pg_url) {
        CHECK(db_open_pg(pg_url, &db, NULL) == SP_OK);
        if (!db)
            exit(check_report("test_dbi (no PostgreSQL)"));
        run_sql(db, "DROP TABLE IF EXISTS c");
        run_sql(db, "DROP TABLE IF EXISTS p");
    } else {
        CHECK(db_open(":memory:", DB_OPEN_CREATE, &db, NULL) == SP_OK);
    }
    /* type names both engines read the same way */
    run_sql(db, "CREATE TABLE p (id TEXT PRIMARY KEY)");
    run_sql(db,
            "CREATE TABLE c (id TEXT PRIMARY KEY, p_id TEXT REFERENCES p(id), n BIGINT,"
            " x DOUBLE PRECISION, b BYTEA, ok BOOLEAN)");
    run_sql(db, "INSERT INTO p VALUES ('p1')");
    return db;
}

static const char SQL_INS[] = "INSERT INTO c (id, p_id, n, x, b) VALUES (:id, :p_id, :n, :x, :b)";
static const char SQL_GET[] = "SELECT id, p_id, n, x, b FROM c WHERE id = ?1";

/* dbi_column_read() gives, for every column of the current row, what the single accessors
 * give. */
static void check_read_matches(struct dbi_stmt *st)
{
    for (int k = 0; k < dbi_column_count(st); k++) {
        struct dbi_value v;
        dbi_column_read(st, k, &v);
        enum dbi_type type = dbi_column_type(st, k);
        CHECK(v.type == type);
        switch (type) {
        case DBI_INTEGER: CHECK(v.i == dbi_column_int64(st, k)); break;
        case DBI_FLOAT: CHECK(v.d == dbi_column_double(st, k)); break;
        case DBI_TEXT:
            CHECK_STR_EQ((const char *)v.p, dbi_column_text(st, k));
            CHECK(v.n == dbi_column_bytes(st, k));
            break;
        case DBI_BLOB:
            CHECK(v.n == dbi_column_bytes(st, k));
            CHECK(memcmp(v.p, dbi_column_blob(st, k), v.n) == 0);
            break;
        default: break;
        }
    }
}

static void test_cached_statements_and_types(void)
{
    struct db *db = open_db();
    struct dbi_stmt *st = NULL, *again = NULL;
    CHECK(dbi_engine(db) == (pg_url ? DBI_POSTGRES : DBI_SQLITE));
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
    check_read_matches(st); /* dbi_column_read: each column at once, the same values */
    struct dbi_value v;
    dbi_column_read(st, 2, &v);
    CHECK(v.type == DBI_INTEGER && v.i == 9007199254740993LL);
    dbi_column_read(st, 4, &v);
    CHECK(v.type == DBI_BLOB && v.n == 3 && memcmp(v.p, "\0\1\2", 3) == 0);
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
    CHECK(dbi_bind_text(st, 1, "abc-not-this", 3, DBI_STATIC) == SP_OK); /* counted: copied */
    CHECK(dbi_bind_null(st, 2) == SP_OK);
    CHECK_EQ_INT(dbi_step(st), DBI_DONE);
    struct dbi_stmt *q = NULL;
    CHECK(dbi_prepare_once(db, "SELECT id, p_id, length(id) AS n FROM c", &q, NULL) == SP_OK);
    CHECK_EQ_INT(dbi_step(q), DBI_ROW);
    CHECK_EQ_INT(dbi_column_bytes(q, 0), 3);
    CHECK_STR_EQ(dbi_column_text(q, 0), "abc");
    CHECK(dbi_column_type(q, 1) == DBI_NULL);
    CHECK(dbi_column_text(q, 1) == NULL);
    CHECK_EQ_INT(dbi_column_int64(q, 2), 3);
    check_read_matches(q);
    struct dbi_value v;
    dbi_column_read(q, 1, &v);
    CHECK(v.type == DBI_NULL);
    dbi_column_read(q, 0, &v);
    CHECK(v.type == DBI_TEXT && v.n == 3 && strcmp(v.p, "abc") == 0);
    CHECK_EQ_INT(dbi_step(q), DBI_DONE);
    dbi_finalize(q);
    /* booleans read as SQLite's 1 and 0 */
    CHECK(dbi_prepare_once(db, "UPDATE c SET ok = (?1 = 1) WHERE id = 'abc'", &q, NULL) == SP_OK);
    CHECK(dbi_bind_int64(q, 1, 1) == SP_OK);
    CHECK_EQ_INT(dbi_step(q), DBI_DONE);
    CHECK_EQ_INT(dbi_changes(db), 1);
    dbi_finalize(q);
    CHECK(dbi_prepare_once(db, "SELECT ok, NOT ok AS f FROM c", &q, NULL) == SP_OK);
    CHECK_EQ_INT(dbi_step(q), DBI_ROW);
    CHECK(dbi_column_type(q, 0) == DBI_INTEGER);
    CHECK_EQ_INT(dbi_column_int64(q, 0), 1);
    CHECK_EQ_INT(dbi_column_int64(q, 1), 0);
    CHECK_STR_EQ(dbi_column_text(q, 0), "1");
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
    run_sql(db, "BEGIN");
    CHECK(dbi_in_txn(db));
    run_sql(db, "INSERT INTO p VALUES ('p2')");
    run_sql(db, "ROLLBACK");
    CHECK(!dbi_in_txn(db));
    struct dbi_stmt *q = NULL;
    CHECK(dbi_prepare_once(db, "SELECT count(*) FROM p", &q, NULL) == SP_OK);
    CHECK_EQ_INT(dbi_step(q), DBI_ROW);
    CHECK_EQ_INT(dbi_column_int64(q, 0), 1);
    dbi_finalize(q);
    db_close(db);
}

/* PostgreSQL: a serialization failure is retryable (store_retry), a foreign-key one is not. */
static void test_pg_retryable(void)
{
    struct db *a = open_db(), *b = NULL;
    CHECK(db_open_pg(pg_url, &b, NULL) == SP_OK);
    run_sql(a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    struct dbi_stmt *st = NULL;
    CHECK(dbi_prepare_once(a, "SELECT count(*) FROM p", &st, NULL) == SP_OK); /* a's snapshot */
    CHECK_EQ_INT(dbi_step(st), DBI_ROW);
    dbi_finalize(st);
    run_sql(b, "UPDATE p SET id = id WHERE id = 'p1'");
    CHECK(dbi_prepare_once(a, "UPDATE p SET id = id WHERE id = 'p1'", &st, NULL) == SP_OK);
    int rc = dbi_step(st);
    CHECK(rc != DBI_DONE && rc != DBI_ROW);
    CHECK(dbi_error_is_retryable(a));
    CHECK_EQ_INT(dbi_error(a, rc, NULL, "updating"), SP_EBUSY);
    dbi_finalize(st);
    run_sql(a, "ROLLBACK");
    CHECK(dbi_prepare_once(a, "INSERT INTO c (id, p_id) VALUES ('x', 'nope')", &st, NULL) == SP_OK);
    CHECK(dbi_step(st) != DBI_DONE);
    CHECK(!dbi_error_is_retryable(a) && dbi_error_is_fk(a));
    dbi_finalize(st);
    db_close(b);
    db_close(a);
}

/* SQLite's parameter forms become $N outside literals, quoted names and casts. */
static void test_pg_rewrite(void)
{
    char *out = NULL;
    int n = 0;
    CHECK(dbi_pg_rewrite("SELECT ':x', \"a:b\", v::text, :a, ?2, :a, :b_c, ?, $1 FROM t", &out, &n,
                         NULL) == SP_OK);
    CHECK_STR_EQ(out, "SELECT ':x', \"a:b\", v::text, $1, $2, $1, $3, $4, $1 FROM t");
    CHECK_EQ_INT(n, 4);
    free(out);
    /* rowid is a real column of every table in the PostgreSQL dialect: words stay as written */
    CHECK(dbi_pg_rewrite("SELECT rowid, e.rowid, x$1 FROM e WHERE a = ?1 ORDER BY ROWID", &out, &n,
                         NULL) == SP_OK);
    CHECK_STR_EQ(out, "SELECT rowid, e.rowid, x$1 FROM e WHERE a = $1 ORDER BY ROWID");
    free(out);
    struct sp_error err = { 0 };
    CHECK_EQ_INT(dbi_pg_rewrite("SELECT ?99", &out, &n, &err), SP_EINVAL);
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

static void run_all(void)
{
    RUN(test_cached_statements_and_types);
    RUN(test_nulls_and_text_lengths);
    RUN(test_errors_are_mapped);
    RUN(test_transaction_state);
    RUN(test_full_cache);
}

int main(void)
{
    RUN(test_pg_rewrite);
    run_all();
    pg_url = getenv("SPROUT_TEST_PG_URL");
    if (pg_url && *pg_url) {
        printf("test_dbi: PostgreSQL pass\n");
        run_all();
        RUN(test_pg_retryable);
    }
    return check_report("test_dbi");
}
