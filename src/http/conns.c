/* http/conns.c: connection caps, eviction and deadlines (see conns.h).
 * Each connection has a struct conn (its MHD socket context) in one doubly linked list, in
 * order of arrival. A connection's fd stays valid while it is in the list: libmicrohttpd runs
 * the CLOSED notification (which removes it under the lock) before it closes the socket, and
 * shutdown() is only called under the same lock.
 */
#include "http/conns.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/timefmt.h"

struct conn {
    struct conn *prev, *next;
    struct http_conns *g;
    int fd;
    unsigned char addr[16]; /* IPv4 (4 bytes) or IPv6 address */
    unsigned addr_len;
    bool busy;   /* inside a request (headers complete, not yet answered) */
    bool killed; /* shut down, waiting for libmicrohttpd to close it */
    int64_t arrived_us;
    int64_t deadline_us; /* 0 = none */
};

struct http_conns {
    struct http_conns_config cfg;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct conn *head, *tail;
    unsigned n;
    bool stopping;
    pthread_t watchdog;
};

static int64_t secs(unsigned s)
{
    return (int64_t)s * 1000000;
}

static void kill_conn(struct conn *k)
{
    if (!k->killed) {
        shutdown(k->fd, SHUT_RDWR);
        k->killed = true;
    }
}

static void *watchdog_main(void *arg)
{
    struct http_conns *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
        int64_t now = time_mono_us();
        for (struct conn *k = g->head; k; k = k->next)
            if (k->deadline_us && now > k->deadline_us)
                kill_conn(k);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

int http_conns_start(const struct http_conns_config *cfg, struct http_conns **out,
                     struct sp_error *err)
{
    struct http_conns *g = calloc(1, sizeof *g);
    if (!g)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    if (cfg)
        g->cfg = *cfg;
    if (!g->cfg.per_client)
        g->cfg.per_client = HTTP_CONNS_PER_CLIENT;
    if (!g->cfg.soft_max)
        g->cfg.soft_max = HTTP_CONNS_SOFT_MAX;
    if (!g->cfg.header_s)
        g->cfg.header_s = HTTP_HEADER_TIMEOUT_S;
    if (!g->cfg.idle_s)
        g->cfg.idle_s = HTTP_IDLE_TIMEOUT_S;
    if (!g->cfg.body_s)
        g->cfg.body_s = HTTP_BODY_TIMEOUT_S;
    if (!g->cfg.upload_s)
        g->cfg.upload_s = HTTP_UPLOAD_TIMEOUT_S;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    int e = pthread_create(&g->watchdog, NULL, watchdog_main, g);
    if (e != 0) {
        free(g);
        return sp_error_set(err, SP_ENOMEM, "cannot start the connection watchdog: %s",
                            strerror(e));
    }
    *out = g;
    return SP_OK;
}

void http_conns_stop(struct http_conns *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->watchdog, NULL);
    while (g->head) { /* none normally: the daemon closed them all */
        struct conn *k = g->head;
        g->head = k->next;
        free(k);
    }
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->wake);
    free(g);
}

static void client_addr(struct MHD_Connection *c, struct conn *k)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        memcpy(k->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        k->addr_len = 4;
    } else if (sa && sa->sa_family == AF_INET6) {
        memcpy(k->addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        k->addr_len = 16;
    }
}

static bool same_client(const struct conn *a, const struct conn *b)
{
    return a->addr_len == b->addr_len && memcmp(a->addr, b->addr, a->addr_len) == 0;
}

/* The oldest live connection not inside a request (of k's client when mine), else NULL. */
static struct conn *victim(struct http_conns *g, const struct conn *k, bool mine)
{
    for (struct conn *v = g->head; v; v = v->next)
        if (v != k && !v->busy && !v->killed && (!mine || same_client(v, k)))
            return v;
    return NULL;
}

static void admit(struct http_conns *g, struct conn *k)
{
    unsigned same = 0, live = 0;
    for (struct conn *v = g->head; v; v = v->next)
        if (!v->killed) {
            live++;
            if (v != k && same_client(v, k))
                same++;
        }
    if (same >= g->cfg.per_client) {
        struct conn *v = victim(g, k, true);
        kill_conn(v ? v : k);
        if (!v)
            return;
        live--;
    }
    if (live > g->cfg.soft_max) {
        struct conn *v = victim(g, k, false);
        kill_conn(v ? v : k);
    }
}

void http_conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode code)
{
    struct http_conns *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *k = calloc(1, sizeof *k);
        *socket_context = k;
        if (!k)
            return;
        const union MHD_ConnectionInfo *fi =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        k->fd = fi ? fi->connect_fd : -1;
        k->g = g;
        client_addr(c, k);
        k->arrived_us = time_mono_us();
        k->deadline_us = k->arrived_us + secs(g->cfg.header_s);
        pthread_mutex_lock(&g->lock);
        k->prev = g->tail;
        if (g->tail)
            g->tail->next = k;
        else
            g->head = k;
        g->tail = k;
        g->n++;
        if (k->fd >= 0)
            admit(g, k);
        else
            k->killed = true;
        pthread_mutex_unlock(&g->lock);
        return;
    }
    struct conn *k = *socket_context;
    *socket_context = NULL;
    if (!k)
        return;
    pthread_mutex_lock(&g->lock);
    if (k->prev)
        k->prev->next = k->next;
    else
        g->head = k->next;
    if (k->next)
        k->next->prev = k->prev;
    else
        g->tail = k->prev;
    g->n--;
    pthread_mutex_unlock(&g->lock);
    free(k);
}

/* The connection's record (its socket context), or NULL. */
static struct conn *rec(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *si =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return si ? si->socket_context : NULL;
}

/* busy: 1/0, or -1 to leave it; which deadline from now: 0 idle + headers of the next
 * request, 1 body, 2 upload body, 3 none. */
static void set(struct MHD_Connection *c, int busy, int which)
{
    struct conn *k = rec(c);
    if (!k)
        return;
    struct http_conns *g = k->g;
    int64_t now = time_mono_us();
    pthread_mutex_lock(&g->lock);
    if (busy >= 0)
        k->busy = busy;
    switch (which) {
    case 0: k->deadline_us = now + secs(g->cfg.idle_s + g->cfg.header_s); break;
    case 1: k->deadline_us = now + secs(g->cfg.body_s); break;
    case 2: k->deadline_us = now + secs(g->cfg.upload_s); break;
    default: k->deadline_us = 0;
    }
    pthread_mutex_unlock(&g->lock);
}

void http_conns_headers_done(struct MHD_Connection *c, bool upload)
{
    set(c, 1, upload ? 2 : 1);
}

void http_conns_body_done(struct MHD_Connection *c)
{
    set(c, 1, 3);
}

void http_conns_request_done(struct MHD_Connection *c)
{
    set(c, 0, 0);
}
