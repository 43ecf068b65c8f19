/* db/pgpool.c: the per-process pool of PostgreSQL connections (see db/pgpool.h).
 * Thread model: one mutex guards the pool's counters and idle list; connections are opened,
 * checked and closed outside it, so a slow server never blocks threads that only give back.
 */
#include "db/pgpool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/dbi_pg.h"
#include "db/dbi_sqlite.h"
#include "util/timefmt.h"

static struct {
    pthread_mutex_t mu;
    pthread_cond_t freed; /* a connection was given back, or a slot became free */
    unsigned size, wait_ms;
    char *url;
    unsigned open;    /* connections that exist or are being opened (<= size) */
    struct db **idle; /* [n_idle], the most recently given back last */
    unsigned n_idle;
} P = { .mu = PTHREAD_MUTEX_INITIALIZER,
        .size = DB_PG_POOL_DEFAULT,
        .wait_ms = DB_PG_POOL_WAIT_MS_DEFAULT };
static pthread_once_t cond_once = PTHREAD_ONCE_INIT;

static void cond_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&P.freed, &a);
    pthread_condattr_destroy(&a);
}

void db_set_pg_pool(unsigned size, unsigned wait_ms)
{
    pthread_mutex_lock(&P.mu);
    P.size = size ? size : DB_PG_POOL_DEFAULT;
    P.wait_ms = wait_ms;
    pthread_mutex_unlock(&P.mu);
}

void db_pg_pool_get(unsigned *size, unsigned *wait_ms)
{
    pthread_mutex_lock(&P.mu);
    *size = P.size;
    *wait_ms = P.wait_ms;
    pthread_mutex_unlock(&P.mu);
}

/* An idle connection is usable when libpq has not marked it bad and the server sent nothing
 * since it was given back: a terminated backend, a shutdown or a restart leave a FATAL message
 * and end of file on the socket. (Anything else unsolicited, a NOTICE, also retires it: a new
 * connection is cheap next to a request failing.) */
static bool idle_usable(struct db *db)
{
    struct dbi_pgconn *c = db_pgconn(db);
    if (!dbi_pg_conn_ok(c))
        return false;
    PGconn *conn = pg_handle(dbi_pg_conn_pg(c));
    struct pollfd p = { .fd = PQsocket(conn), .events = POLLIN };
    if (p.fd < 0)
        return false;
    int n;
    do
        n = poll(&p, 1, 0);
    while (n < 0 && errno == EINTR);
    return n == 0;
}

/* A slot was given up (a connection closed or never opened). */
static void slot_free(void)
{
    pthread_mutex_lock(&P.mu);
    P.open--;
    pthread_cond_signal(&P.freed);
    pthread_mutex_unlock(&P.mu);
}

int pgpool_acquire(const char *url, struct db **out, struct sp_error *err)
{
    *out = NULL;
    pthread_once(&cond_once, cond_init);
    struct timespec deadline;
    bool waited = false;
    pthread_mutex_lock(&P.mu);
    if (!P.url && !(P.url = strdup(url))) {
        pthread_mutex_unlock(&P.mu);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    for (;;) {
        if (P.n_idle) {
            struct db *db = P.idle[--P.n_idle];
            pthread_mutex_unlock(&P.mu);
            if (idle_usable(db)) {
                *out = db;
                return SP_OK;
            }
            db_close(db); /* broken or terminated: its slot opens a new one below */
            pthread_mutex_lock(&P.mu);
            P.open--;
            continue;
        }
        if (P.open < P.size) {
            P.open++;
            pthread_mutex_unlock(&P.mu);
            int rc = db_open_pg(P.url, out, err);
            if (rc != SP_OK)
                slot_free();
            return rc;
        }
        if (!waited) {
            time_deadline_after(&deadline, P.wait_ms);
            waited = true;
        }
        int w = pthread_cond_timedwait(&P.freed, &P.mu, &deadline);
        if (w == ETIMEDOUT && !P.n_idle && P.open >= P.size) {
            unsigned size = P.size, wait_ms = P.wait_ms;
            pthread_mutex_unlock(&P.mu);
            fprintf(stderr,
                    "database: all %u PostgreSQL connections of the pool were busy for %u ms "
                    "(SPROUT_PG_POOL, SPROUT_PG_POOL_WAIT_MS)\n",
                    size, wait_ms);
            return sp_error_set(err, SP_EUNAVAILABLE,
                                "the server is busy: all %u database connections "
                                "(SPROUT_PG_POOL) stayed in use for %u ms; try again",
                                size, wait_ms);
        }
    }
}

void pgpool_release(struct db *db)
{
    if (!db)
        return;
    struct dbi_pgconn *c = db_pgconn(db);
    if (dbi_pg_conn_ok(c) && dbi_pg_in_txn(c))
        pg_rollback(dbi_pg_conn_pg(c)); /* a request that left one open: nothing half-kept */
    if (!dbi_pg_conn_ok(c) || dbi_pg_in_txn(c)) {
        db_close(db);
        slot_free();
        return;
    }
    pthread_mutex_lock(&P.mu);
    if (P.n_idle < P.size && P.n_idle < P.open) {
        if (!P.idle) /* sized once for the largest pool: the size is set before any request */
            P.idle = calloc(P.size, sizeof *P.idle);
        if (P.idle) {
            P.idle[P.n_idle++] = db;
            pthread_cond_signal(&P.freed);
            pthread_mutex_unlock(&P.mu);
            return;
        }
    }
    pthread_mutex_unlock(&P.mu);
    db_close(db);
    slot_free();
}

void pgpool_close_idle(void)
{
    pthread_mutex_lock(&P.mu);
    struct db **idle = P.idle;
    unsigned n = P.n_idle;
    P.idle = NULL;
    P.n_idle = 0;
    P.open -= n;
    pthread_mutex_unlock(&P.mu);
    for (unsigned i = 0; i < n; i++)
        db_close(idle[i]);
    free(idle);
}
