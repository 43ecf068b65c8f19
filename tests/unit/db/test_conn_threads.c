/* tests/unit/db/test_conn_threads.c: db_thread() connections of threads that exit are closed
 * (no descriptor or memory left behind per short-lived thread, as a topic run's bootstrap
 * workers are), and a connection db_thread_close_all() already closed is not closed again when
 * its thread exits (ASan would report the double free). */
#include "db/conn.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/check.h"

static char db_path[256];

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void *use_db(void *arg)
{
    (void)arg;
    struct db *db = NULL;
    if (db_thread(db_path, &db, NULL) != SP_OK)
        return (void *)1;
    if (db_exec(db, "CREATE TABLE IF NOT EXISTS t (x INTEGER); INSERT INTO t VALUES (1);", NULL) !=
        SP_OK)
        return (void *)1;
    return NULL;
}

static void test_exiting_threads_close_their_connections(void)
{
    /* warm up: the first connection to a new file creates the WAL and SQLite's statics */
    pthread_t t;
    pthread_create(&t, NULL, use_db, NULL);
    pthread_join(t, NULL);
    int before = open_fds();
    for (int round = 0; round < 5; round++) {
        pthread_t th[8];
        for (int i = 0; i < 8; i++)
            pthread_create(&th[i], NULL, use_db, NULL);
        for (int i = 0; i < 8; i++) {
            void *rv = NULL;
            pthread_join(th[i], &rv);
            CHECK(rv == NULL);
        }
    }
    CHECK_EQ_INT(open_fds(), before);
}

struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int step;
};

static void gate_to(struct gate *g, int step)
{
    pthread_mutex_lock(&g->mu);
    g->step = step;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void gate_wait(struct gate *g, int step)
{
    pthread_mutex_lock(&g->mu);
    while (g->step < step)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void *use_then_wait(void *arg)
{
    struct gate *g = arg;
    use_db(NULL);
    gate_to(g, 1);
    gate_wait(g, 2); /* main closes every connection meanwhile */
    return NULL;
}

static void test_close_all_then_exit_closes_once(void)
{
    struct gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
    pthread_t t;
    pthread_create(&t, NULL, use_then_wait, &g);
    gate_wait(&g, 1);
    struct db *db = NULL;
    CHECK_EQ_INT(db_thread(db_path, &db, NULL), SP_OK); /* the main thread's own */
    db_thread_close_all();
    gate_to(&g, 2);
    pthread_join(t, NULL);
    /* the main thread opens a fresh one afterwards */
    CHECK_EQ_INT(db_thread(db_path, &db, NULL), SP_OK);
    CHECK_EQ_INT(db_exec(db, "SELECT 1;", NULL), SP_OK);
    db_thread_close_all();
}

int main(void)
{
    char dir[] = "/tmp/sprout-conn-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    snprintf(db_path, sizeof db_path, "%s/t.db", dir);
    struct db *db = NULL;
    if (db_open(db_path, DB_OPEN_CREATE, &db, NULL) != SP_OK)
        return 1;
    db_close(db);
    RUN(test_exiting_threads_close_their_connections);
    RUN(test_close_all_then_exit_closes_once);
    check_rmtree(dir);
    return check_report("test_conn_threads");
}
