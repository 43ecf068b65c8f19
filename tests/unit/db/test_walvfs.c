/* tests/unit/db/test_walvfs.c: the WAL-write-coalescing VFS (db/walvfs.h) keeps SQLite's
 * guarantees: a commit is in the -wal file when COMMIT returns (a connection of the stock VFS
 * reads it at once), a transaction larger than the page cache (frames written before the commit,
 * then read back) and a rolled-back one leave a sound database, and a transaction's frames
 * reach the file in a few writes instead of two per frame (/proc/self/io's write-call count). */
#include "db/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/check.h"

static char db_path[256];

static long long write_calls(void) /* write() and pwrite() calls of this process so far */
{
    FILE *f = fopen("/proc/self/io", "r");
    long long n = -1;
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "syscw: %lld", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

static long long stock_count(const char *sql) /* read through SQLite's own VFS */
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY, "unix") == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void test_commit_is_in_the_wal_when_commit_returns(void)
{
    struct db *db = NULL;
    CHECK(db_open(db_path, DB_OPEN_CREATE, &db, NULL) == SP_OK);
    CHECK(db_exec(db,
                  "PRAGMA wal_autocheckpoint=0; CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);",
                  NULL) == SP_OK);
    /* 2 000 rows of 1 000 bytes: ~500 frames, past the shim's 1 MiB buffer and its 120 KiB
     * writes */
    long long before = write_calls();
    CHECK(db_exec(db,
                  "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                  "WHERE i < 2000) INSERT INTO t SELECT i, randomblob(1000) FROM n; COMMIT;",
                  NULL) == SP_OK);
    long long calls = write_calls() - before;
    /* the stock VFS: two write calls per frame, ~1 000; the shim: a few per 120 KiB */
    CHECK(calls > 0 && calls < 100);
    struct stat st;
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    CHECK(stat(wal, &st) == 0 && st.st_size > 2000 * 1000 && (st.st_size - 32) % (4096 + 24) == 0);
    CHECK_EQ_INT(stock_count("SELECT count(*) FROM t WHERE length(v) = 1000"), 2000);
    CHECK_EQ_INT(stock_count("SELECT count(*) FROM pragma_integrity_check WHERE "
                             "integrity_check = 'ok'"),
                 1);
    db_close(db);
}

static void test_spilled_and_rolled_back_transactions(void)
{
    struct db *db = NULL;
    CHECK(db_open(db_path, DB_OPEN_CREATE, &db, NULL) == SP_OK);
    /* a page cache of 10 pages: the transaction's pages go to the WAL before its commit and are
     * read back from it */
    CHECK(db_exec(db,
                  "PRAGMA cache_size=10; BEGIN; UPDATE t SET v = randomblob(900) WHERE k % 2 = 0; "
                  "INSERT INTO t SELECT k + 10000, v FROM t WHERE k <= 500; COMMIT;",
                  NULL) == SP_OK);
    CHECK_EQ_INT(stock_count("SELECT count(*) FROM t"), 2500);
    CHECK_EQ_INT(stock_count("SELECT count(*) FROM t WHERE length(v) = 900"), 1000 + 250);
    /* a spilled transaction rolled back, then a small commit over the same WAL offsets */
    CHECK(db_exec(db, "BEGIN; DELETE FROM t WHERE k > 100; INSERT INTO t VALUES (-1, x'00');",
                  NULL) == SP_OK);
    CHECK(db_exec(db, "ROLLBACK; INSERT INTO t VALUES (-2, x'01');", NULL) == SP_OK);
    CHECK_EQ_INT(stock_count("SELECT count(*) FROM t"), 2501);
    CHECK_EQ_INT(stock_count("SELECT count(*) FROM t WHERE k < 0"), 1);
    CHECK_EQ_INT(stock_count("SELECT count(*) FROM pragma_integrity_check WHERE "
                             "integrity_check = 'ok'"),
                 1);
    /* and after a checkpoint that restarts the WAL */
    CHECK(db_exec(db, "PRAGMA wal_checkpoint(RESTART); INSERT INTO t VALUES (-3, x'02');", NULL) ==
          SP_OK);
    CHECK_EQ_INT(stock_count("SELECT count(*) FROM t WHERE k < 0"), 2);
    db_close(db);
}

int main(void)
{
    char dir[] = "/tmp/sprout-walvfs-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    snprintf(db_path, sizeof db_path, "%s/t.db", dir);
    RUN(test_commit_is_in_the_wal_when_commit_returns);
    RUN(test_spilled_and_rolled_back_transactions);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report("test_walvfs");
}
