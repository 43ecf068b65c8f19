/* tests/unit/storage/test_writer.c: group commit (storage/store_writer.c): jobs queued before
 * the writer starts form one batch; a failing job's changes (nested transactions included)
 * are rolled back and nothing else; every done callback gets its job's final code; a database
 * locked by another connection fails the batch with SP_EBUSY and keeps nothing; at FULL the
 * replies wait for the syncer's fsync of the WAL (done runs on the syncer thread, one sync per
 * batch), with SPROUT_SYNC=normal they do not (done on the writer, no sync); WAL checkpoints run
 * on the checkpointer thread, and the writer's own ones keep the WAL bounded. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/conn.h"
#include "storage/store_sql.h"
#include "storage/store_writer.h"
#include "support/check.h"

static char path[256];

struct tjob {
    struct store_job job;
    int value;
    bool fail_after; /* insert, then return an error */
    bool nested;     /* insert inside store_txn_begin/end */
    int done_rc;
    bool done;
    pthread_t run_thread, done_thread;
};

static int run(void *arg)
{
    struct tjob *t = arg;
    t->run_thread = pthread_self();
    struct db *db;
    if (db_thread(path, &db, NULL) != SP_OK)
        return SP_EDB;
    char sql[96];
    snprintf(sql, sizeof sql, "INSERT INTO t(v) VALUES (%d)", t->value);
    if (t->nested) {
        int rc = store_txn_begin(db, NULL);
        if (rc == SP_OK)
            rc = db_exec(db, sql, NULL);
        rc = store_txn_end(db, rc, NULL);
        if (rc != SP_OK)
            return rc;
    } else if (db_exec(db, sql, NULL) != SP_OK) {
        return SP_EDB;
    }
    return t->fail_after ? SP_EINVAL : SP_OK;
}

static void done(void *arg, int rc)
{
    struct tjob *t = arg;
    t->done_rc = rc;
    t->done_thread = pthread_self();
    t->done = true;
}

static void fresh_db(void)
{
    snprintf(path, sizeof path, "/tmp/sprout-writer-test-%d.db", (int)getpid());
    unlink(path);
    struct db *db;
    CHECK(db_open(path, DB_OPEN_CREATE, &db, NULL) == SP_OK);
    CHECK(db_exec(db, "CREATE TABLE t(v INTEGER)", NULL) == SP_OK);
    db_close(db);
}

static long long sum_rows(long long *count)
{
    struct db *db;
    sqlite3_stmt *st;
    long long sum = -1;
    CHECK(db_open(path, 0, &db, NULL) == SP_OK);
    CHECK(db_prepare(db, "SELECT count(*), coalesce(sum(v), 0) FROM t", &st, NULL) == SP_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *count = sqlite3_column_int64(st, 0);
        sum = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    db_close(db);
    return sum;
}

static void init(struct tjob *t, int value)
{
    memset(t, 0, sizeof *t);
    t->job.run = run;
    t->job.done = done;
    t->job.arg = t;
    t->value = value;
}

static void test_one_batch_failures_isolated(void)
{
    fresh_db();
    struct tjob j[6];
    for (int i = 0; i < 6; i++)
        init(&j[i], 1 << i);
    j[1].fail_after = true; /* its row goes, the others stay */
    j[3].nested = true;     /* nested commit inside the batch */
    j[4].nested = true;
    j[4].fail_after = true; /* nested commit, then the request fails */
    struct store_writer_stats before;
    store_writer_stats(&before);
    for (int i = 0; i < 6; i++)
        store_writer_submit(&j[i].job); /* queued before the writer runs: one batch */
    CHECK(store_writer_start(path, NULL) == SP_OK);
    store_writer_stop();
    db_thread_close_all();
    struct store_writer_stats after;
    store_writer_stats(&after);
    CHECK_EQ_INT(after.batches - before.batches, 1);
    CHECK_EQ_INT(after.jobs - before.jobs, 6);
    for (int i = 0; i < 6; i++)
        CHECK(j[i].done);
    CHECK_EQ_INT(j[0].done_rc, SP_OK);
    CHECK_EQ_INT(j[1].done_rc, SP_EINVAL);
    CHECK_EQ_INT(j[2].done_rc, SP_OK);
    CHECK_EQ_INT(j[3].done_rc, SP_OK);
    CHECK_EQ_INT(j[4].done_rc, SP_EINVAL);
    CHECK_EQ_INT(j[5].done_rc, SP_OK);
    long long n = 0;
    CHECK_EQ_INT(sum_rows(&n), 1 + 4 + 8 + 32);
    CHECK_EQ_INT(n, 4);
    unlink(path);
}

static void test_locked_database_fails_the_batch(void)
{
    fresh_db();
    db_set_busy_timeout_ms(50);
    struct db *other;
    CHECK(db_open(path, 0, &other, NULL) == SP_OK);
    CHECK(db_exec(other, "BEGIN EXCLUSIVE", NULL) == SP_OK);
    struct tjob a, b;
    init(&a, 1);
    init(&b, 2);
    store_writer_submit(&a.job);
    store_writer_submit(&b.job);
    CHECK(store_writer_start(path, NULL) == SP_OK);
    store_writer_stop();
    CHECK(a.done && b.done);
    CHECK_EQ_INT(a.done_rc, SP_EBUSY);
    CHECK_EQ_INT(b.done_rc, SP_EBUSY);
    CHECK(db_exec(other, "ROLLBACK", NULL) == SP_OK);
    db_close(other);
    /* the lock is gone: the same writer connection works again */
    struct tjob c;
    init(&c, 4);
    store_writer_submit(&c.job);
    CHECK(store_writer_start(path, NULL) == SP_OK);
    store_writer_stop();
    db_thread_close_all();
    CHECK_EQ_INT(c.done_rc, SP_OK);
    long long n = 0;
    CHECK_EQ_INT(sum_rows(&n), 4);
    db_set_busy_timeout_ms(DB_BUSY_TIMEOUT_MS_DEFAULT);
    unlink(path);
}

static void sync_case(bool normal)
{
    fresh_db();
    db_set_sync_normal(normal);
    struct tjob a, b;
    init(&a, 1);
    init(&b, 2);
    struct store_writer_stats before, after;
    store_writer_stats(&before);
    store_writer_submit(&a.job);
    store_writer_submit(&b.job);
    CHECK(store_writer_start(path, NULL) == SP_OK);
    store_writer_stop();
    db_thread_close_all();
    store_writer_stats(&after);
    CHECK(a.done && b.done);
    CHECK_EQ_INT(a.done_rc, SP_OK);
    CHECK_EQ_INT(b.done_rc, SP_OK);
    CHECK_EQ_INT(after.batches - before.batches, 1);
    CHECK_EQ_INT(after.syncs - before.syncs, normal ? 0 : 1);
    CHECK(pthread_equal(a.run_thread, a.done_thread) == (normal ? 1 : 0));
    long long n = 0;
    CHECK_EQ_INT(sum_rows(&n), 3);
    db_set_sync_normal(false);
    unlink(path);
}

static void test_full_replies_after_the_wal_sync(void)
{
    sync_case(false);
}

static void test_normal_replies_at_commit(void)
{
    sync_case(true);
}

/* A job that inserts an 8000-byte blob (two pages and more of WAL) and says when it is done. */
struct bjob {
    struct store_job job;
    atomic_bool done;
    int done_rc;
};

static int run_blob(void *arg)
{
    (void)arg;
    struct db *db;
    if (db_thread(path, &db, NULL) != SP_OK)
        return SP_EDB;
    return db_exec(db, "INSERT INTO t(v) VALUES (randomblob(8000))", NULL);
}

static void done_blob(void *arg, int rc)
{
    struct bjob *b = arg;
    b->done_rc = rc;
    atomic_store(&b->done, true);
}

static long long wal_bytes(void)
{
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct stat st;
    return stat(wal, &st) == 0 ? (long long)st.st_size : 0;
}

/* One job per batch (each waits for the previous one's reply): the checkpointer copies the WAL
 * every 20 new frames; from 200 on, after one more copy, the writer checkpoints the rest itself
 * and the WAL starts again from its beginning, so it never goes much past 400 frames (where the
 * writer checkpoints at once) however much is written; every row is kept. */
static void test_checkpoints_off_the_writer(void)
{
    fresh_db();
    store_writer_set_checkpoint_frames(20, 200);
    struct store_writer_stats before, after;
    store_writer_stats(&before);
    CHECK(store_writer_start(path, NULL) == SP_OK);
    enum { N = 300 };
    static struct bjob jobs[N];
    long long wal_max = 0;
    for (int i = 0; i < N; i++) {
        struct bjob *b = &jobs[i];
        memset(b, 0, sizeof *b);
        b->job.run = run_blob;
        b->job.done = done_blob;
        b->job.arg = b;
        store_writer_submit(&b->job);
        while (!atomic_load(&b->done))
            usleep(200);
        CHECK_EQ_INT(b->done_rc, SP_OK);
        long long w = wal_bytes();
        if (w > wal_max)
            wal_max = w;
    }
    store_writer_stop();
    db_thread_close_all();
    store_writer_stats(&after);
    store_writer_set_checkpoint_frames(2000, 10000);
    /* the writer's own copies: as many as the WAL restarts the checkpointer did not finish on
     * its own between two jobs (it may finish them all, when it is faster than the jobs) */
    CHECK(after.checkpoints_bg - before.checkpoints_bg >= 5);
    /* 300 jobs of 3 frames and more: 900+ frames written */
    CHECK(wal_max > 150LL * 4096);
    CHECK(wal_max < 440LL * (4096 + 24)); /* 400 and the frames of the job that passed it */
    long long n = 0;
    sum_rows(&n);
    CHECK_EQ_INT(n, N);
    unlink(path);
}

int main(void)
{
    RUN(test_one_batch_failures_isolated);
    RUN(test_locked_database_fails_the_batch);
    RUN(test_full_replies_after_the_wal_sync);
    RUN(test_normal_replies_at_commit);
    RUN(test_checkpoints_off_the_writer);
    return check_report("test_writer");
}
