/* tests/unit/db/test_walvfs.c: the WAL-write-coalescing VFS (db/walvfs.h) keeps SQLite's
 * guarantees: a commit is in the -wal file when COMMIT returns (a connection of the stock VFS
 * reads it at once), a transaction larger than the page cache (frames written before the commit,
 * then read back) and a rolled-back one leave a sound database, and a transaction's frames
 * reach the file in a few writes instead of two per frame (/proc/self/io's write-call count). */
#include "db/conn.h"
#include "db/walvfs.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static long long count_in(const char *path, const char *sql) /* through SQLite's own VFS */
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, "unix") == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static long long stock_count(const char *sql)
{
    return count_in(db_path, sql);
}

static bool copy_file(const char *from, const char *to)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    return system(cmd) == 0;
}

/* What a crash right now would leave: the database and its -wal as they are in the files (no
 * -shm: the copy rebuilds its index from the WAL, checking every frame's checksum), read
 * through SQLite's own VFS. */
static long long count_after_crash(const char *sql)
{
    char wal[300], copy[300], copy_wal[310];
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    snprintf(copy, sizeof copy, "%s.crash", db_path);
    snprintf(copy_wal, sizeof copy_wal, "%s-wal", copy);
    char shm[310];
    snprintf(shm, sizeof shm, "%s-shm", copy);
    unlink(shm);
    if (!copy_file(db_path, copy) || !copy_file(wal, copy_wal))
        return -2;
    return count_in(copy, sql);
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
    CHECK_EQ_INT(count_after_crash("SELECT count(*) FROM t WHERE length(v) = 1000"), 2000);
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
    /* frames written again within the transaction get new checksums after the commit frame
     * (SQLite rewrites their headers): those must be in the file too, or a crash loses the
     * commit */
    CHECK_EQ_INT(count_after_crash("SELECT count(*) FROM t WHERE length(v) = 900"), 1000 + 250);
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

/* At the VFS level, as sqlite3WalFrames writes: frames appended (each a 24-byte header, then its
 * page), the commit frame (its header's bytes 4-7 not 0), then, for frames the transaction wrote
 * twice, their headers rewritten in place with new checksums after the commit frame; before
 * SQLite publishes the commit, all of it must be in the file (the syncer fsyncs the file through
 * its own descriptor). */
static void test_rewrites_after_the_commit_frame_are_in_the_file(void)
{
    sqlite3_vfs *vfs = sqlite3_vfs_find(walvfs_name(false));
    CHECK(vfs != NULL);
    if (!vfs)
        return;
    char raw_db[300], path[310];
    snprintf(raw_db, sizeof raw_db, "%s.raw", db_path); /* the stock VFS takes its mode */
    snprintf(path, sizeof path, "%s-wal", raw_db);
    FILE *touch = fopen(raw_db, "w");
    if (touch)
        fclose(touch);
    sqlite3_file *f = calloc(1, (size_t)vfs->szOsFile);
    int out = 0;
    CHECK(vfs->xOpen(vfs, path, f, SQLITE_OPEN_WAL | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                     &out) == SQLITE_OK);
    unsigned char hdr[32] = { 0x37, 0x7f, 0x06, 0x82 }, fh[24], page[4096];
    const long long frame = 24 + 4096;
    CHECK(f->pMethods->xWrite(f, hdr, 32, 0) == SQLITE_OK);
    for (int i = 0; i < 4; i++) { /* frames 1-3, then the commit frame 4 */
        memset(fh, 0, sizeof fh);
        fh[3] = (unsigned char)(i + 1); /* page number */
        fh[7] = i == 3 ? 9 : 0;         /* database size after commit: commit frames only */
        memset(page, 'a' + i, sizeof page);
        CHECK(f->pMethods->xWrite(f, fh, 24, 32 + i * frame) == SQLITE_OK);
        CHECK(f->pMethods->xWrite(f, page, 4096, 32 + i * frame + 24) == SQLITE_OK);
    }
    for (int i = 1; i < 4; i++) { /* the checksums of frames 2-4 rewritten */
        memset(fh, 0, sizeof fh);
        fh[3] = (unsigned char)(i + 1);
        fh[7] = i == 3 ? 9 : 0;
        fh[23] = 0x5a; /* the new checksum */
        CHECK(f->pMethods->xWrite(f, fh, 24, 32 + i * frame) == SQLITE_OK);
    }
    /* read back with plain read(), not through the shim */
    FILE *raw = fopen(path, "rb");
    unsigned char got[24];
    for (int i = 1; i < 4; i++) {
        CHECK(raw && fseek(raw, 32 + i * frame, SEEK_SET) == 0 && fread(got, 1, 24, raw) == 24);
        CHECK_EQ_INT(got[23], 0x5a);
    }
    if (raw)
        fclose(raw);
    CHECK(f->pMethods->xClose(f) == SQLITE_OK);
    free(f);
}

int main(void)
{
    char dir[] = "/tmp/sprout-walvfs-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    snprintf(db_path, sizeof db_path, "%s/t.db", dir);
    RUN(test_commit_is_in_the_wal_when_commit_returns);
    RUN(test_spilled_and_rolled_back_transactions);
    RUN(test_rewrites_after_the_commit_frame_are_in_the_file);
    check_rmtree(dir);
    return check_report("test_walvfs");
}
