/* api/sweep.c: crash leftovers (issue 8): stored document files without a row and staged
 * upload files that a crash left behind. Swept once at start (the caller prints the count)
 * and then every interval by a thread of its own, which prints a line when it removed
 * something. A file younger than the grace period is never touched: an upload in progress
 * stages its files first and stores them before their row is inserted.
 * Thread model: api_sweep_once from any one thread at a time; the sweeper thread uses its own
 * database connection (db_thread via storage).
 */
#include "api/api.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "objects/objstore.h"
#include "storage/store.h"
#include "storage/store_documents.h"

struct keep_ctx {
    struct db *db;
    bool failed;
};

static bool keep_key(void *cls, const char *key)
{
    struct keep_ctx *k = cls;
    if (k->failed)
        return true;
    bool exists = true;
    if (store_documents_key_exists(k->db, key, &exists, NULL) != SP_OK) {
        k->failed = true; /* cannot tell: keep everything */
        return true;
    }
    return exists;
}

/* $TMPDIR/sprout-upload-* older than grace_s. */
static size_t sweep_staged(const char *tmpdir, long grace_s)
{
    DIR *d = opendir(tmpdir);
    if (!d)
        return 0;
    size_t n = 0;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "sprout-upload-", 14) != 0)
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime >= grace_s &&
            unlink(path) == 0)
            n++;
    }
    closedir(d);
    return n;
}

int api_sweep_once(const struct api_ctx *ctx, const char *tmpdir, long grace_s, size_t *objects,
                   size_t *staged, struct sp_error *err)
{
    *objects = *staged = 0;
    *staged = sweep_staged(tmpdir, grace_s);
    if (!ctx->store)
        return SP_OK;
    struct keep_ctx k = { 0 };
    int rc = store_db_thread(ctx->db_path, &k.db, err);
    if (rc != SP_OK)
        return rc;
    rc = objstore_sweep(ctx->store, keep_key, &k, grace_s, objects, err);
    store_db_release(); /* PostgreSQL: back to the pool until the next sweep */
    if (rc == SP_OK && k.failed)
        return sp_error_set(err, SP_EDB, "could not read the documents table; stored files kept");
    return rc;
}

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool running, stopping;
    const struct api_ctx *ctx;
    const char *tmpdir;
    long grace_s, interval_s;
} sw = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static void *sweeper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sw.lock);
    while (!sw.stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += sw.interval_s;
        if (pthread_cond_timedwait(&sw.wake, &sw.lock, &ts) == 0 || sw.stopping)
            continue;
        pthread_mutex_unlock(&sw.lock);
        size_t objects = 0, staged = 0;
        struct sp_error err = { 0 };
        int rc = api_sweep_once(sw.ctx, sw.tmpdir, sw.grace_s, &objects, &staged, &err);
        if (rc != SP_OK)
            fprintf(stderr, "sweep: %s\n", sp_error_text(&err, rc));
        else if (objects || staged)
            fprintf(stderr,
                    "sweep: removed %zu stored file%s without a row and %zu stale upload file%s\n",
                    objects, objects == 1 ? "" : "s", staged, staged == 1 ? "" : "s");
        pthread_mutex_lock(&sw.lock);
    }
    pthread_mutex_unlock(&sw.lock);
    return NULL;
}

int api_sweeper_start(const struct api_ctx *ctx, const char *tmpdir, long grace_s, long interval_s,
                      struct sp_error *err)
{
    sw.ctx = ctx;
    sw.tmpdir = tmpdir;
    sw.grace_s = grace_s;
    sw.interval_s = interval_s > 0 ? interval_s : 3600;
    sw.stopping = false;
    if (pthread_create(&sw.thread, NULL, sweeper_main, NULL) != 0)
        return sp_error_set(err, SP_ENOMEM, "cannot start the sweeper thread");
    sw.running = true;
    return SP_OK;
}

void api_sweeper_stop(void)
{
    if (!sw.running)
        return;
    pthread_mutex_lock(&sw.lock);
    sw.stopping = true;
    pthread_cond_signal(&sw.wake);
    pthread_mutex_unlock(&sw.lock);
    pthread_join(sw.thread, NULL);
    sw.running = false;
}
