/* http/defer.c: deferred answers over suspended connections (see defer.h).
 *
 * Thread model: see defer.h. The set's mutex guards its list and the epoll registrations;
 * a request's mutex guards its flags (suspended, gone, aborted). The watcher thread blocks in
 * epoll_wait without a lock and, for each hang-up, checks under the set's mutex that the
 * request is still listed before touching it (a request may be freed meanwhile).
 */
#include "http/defer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define STREAM_BLOCK 4096

struct http_defer {
    struct http_defer_set *set;
    struct MHD_Connection *conn;
    struct run_reader *reader;
    pthread_mutex_t mu;
    bool suspended; /* we called MHD_suspend_connection and no resume since */
    bool gone;      /* the client hung up */
    bool aborted;   /* the server is stopping */
    int fd;         /* the socket, -1 when not watched */
    struct http_defer *prev, *next;
};

struct http_defer_set {
    pthread_mutex_t mu;
    int epfd;
    int stopfd; /* eventfd: stops the watcher */
    pthread_t watcher;
    struct http_defer *head;
    unsigned count;
};

static const char JSON_STOPPING[] = "{\"error\":\"the server is shutting down\"}";

/* Resume the connection if it is suspended. Caller holds d->mu. */
static void resume_locked(struct http_defer *d)
{
    if (d->suspended) {
        d->suspended = false;
        MHD_resume_connection(d->conn);
    }
}

/* Caller holds d->mu. Only from the connection's own callbacks (MHD's rule). */
static void suspend_locked(struct http_defer *d)
{
    d->suspended = true;
    MHD_suspend_connection(d->conn);
}

static void on_wake(void *arg)
{
    struct http_defer *d = arg;
    pthread_mutex_lock(&d->mu);
    resume_locked(d);
    pthread_mutex_unlock(&d->mu);
}

/* ---- the hang-up watcher ---- */

static bool listed(struct http_defer_set *s, const struct http_defer *d)
{
    for (const struct http_defer *p = s->head; p; p = p->next)
        if (p == d)
            return true;
    return false;
}

static void *watcher_main(void *arg)
{
    struct http_defer_set *s = arg;
    struct epoll_event evs[32];
    for (;;) {
        int n = epoll_wait(s->epfd, evs, 32, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            if (!evs[i].data.ptr)
                return NULL; /* the stop eventfd */
            struct http_defer *d = evs[i].data.ptr;
            pthread_mutex_lock(&s->mu);
            if (listed(s, d)) {
                pthread_mutex_lock(&d->mu);
                d->gone = true;
                resume_locked(d);
                pthread_mutex_unlock(&d->mu);
            }
            pthread_mutex_unlock(&s->mu);
        }
    }
}

int http_defer_set_new(struct http_defer_set **out, struct sp_error *err)
{
    *out = NULL;
    struct http_defer_set *s = calloc(1, sizeof *s);
    if (!s)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    int e = 0;
    if (s->epfd < 0 || s->stopfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stopfd, &ev) != 0)
        e = errno;
    else
        e = pthread_create(&s->watcher, NULL, watcher_main, s);
    if (e) {
        if (s->epfd >= 0)
            close(s->epfd);
        if (s->stopfd >= 0)
            close(s->stopfd);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return sp_error_set(err, SP_EIO, "cannot start the stream watcher: %s", strerror(e));
    }
    *out = s;
    return SP_OK;
}

void http_defer_set_free(struct http_defer_set *s)
{
    if (!s)
        return;
    uint64_t one = 1;
    if (write(s->stopfd, &one, sizeof one) != (ssize_t)sizeof one)
        pthread_cancel(s->watcher); /* cannot happen with a fresh eventfd; do not hang */
    pthread_join(s->watcher, NULL);
    close(s->epfd);
    close(s->stopfd);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

unsigned http_defer_set_abort_all(struct http_defer_set *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned n = s->count;
    for (struct http_defer *d = s->head; d; d = d->next) {
        pthread_mutex_lock(&d->mu);
        d->aborted = true;
        resume_locked(d);
        pthread_mutex_unlock(&d->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* ---- one deferred request ---- */

int http_defer_new(struct http_defer_set *s, struct MHD_Connection *c, struct run_reader *reader,
                   struct http_defer **out, struct sp_error *err)
{
    *out = NULL;
    struct http_defer *d = calloc(1, sizeof *d);
    if (!d) {
        run_reader_close(reader);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&d->mu, NULL);
    d->set = s;
    d->conn = c;
    d->reader = reader;
    d->fd = -1;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    pthread_mutex_lock(&s->mu);
    d->next = s->head;
    if (s->head)
        s->head->prev = d;
    s->head = d;
    s->count++;
    if (ci) {
        struct epoll_event ev = { .events = EPOLLRDHUP | EPOLLONESHOT, .data.ptr = d };
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ci->connect_fd, &ev) == 0)
            d->fd = ci->connect_fd;
    }
    pthread_mutex_unlock(&s->mu);
    run_reader_set_wakeup(reader, on_wake, d);
    *out = d;
    return SP_OK;
}

enum http_defer_step http_defer_poll(struct http_defer *d, int *status, struct buf *body)
{
    enum http_defer_step step = HTTP_DEFER_WAIT;
    pthread_mutex_lock(&d->mu);
    if (d->gone) {
        step = HTTP_DEFER_GONE;
    } else {
        enum run_state st = run_reader_state(d->reader, status);
        if (st == RUN_STREAM) {
            step = HTTP_DEFER_STREAM;
        } else if (st == RUN_JSON) {
            char chunk[4096];
            ssize_t n;
            buf_reset(body);
            while ((n = run_reader_read(d->reader, chunk, sizeof chunk)) > 0)
                if (buf_append(body, chunk, (size_t)n) != SP_OK) {
                    step = HTTP_DEFER_GONE; /* out of memory: drop the connection */
                    break;
                }
            if (step != HTTP_DEFER_GONE)
                step = HTTP_DEFER_JSON;
        } else if (d->aborted) {
            *status = 503;
            buf_reset(body);
            step = buf_append(body, JSON_STOPPING, sizeof JSON_STOPPING - 1) == SP_OK
                       ? HTTP_DEFER_JSON
                       : HTTP_DEFER_GONE;
        } else {
            suspend_locked(d);
        }
    }
    pthread_mutex_unlock(&d->mu);
    return step;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct http_defer *d = cls;
    ssize_t n;
    pthread_mutex_lock(&d->mu);
    if (d->gone) {
        n = MHD_CONTENT_READER_END_WITH_ERROR;
    } else {
        n = run_reader_read(d->reader, buf, max);
        if (n < 0 || (n == 0 && d->aborted))
            n = MHD_CONTENT_READER_END_OF_STREAM;
        else if (n == 0)
            suspend_locked(d);
    }
    pthread_mutex_unlock(&d->mu);
    return n;
}

struct MHD_Response *http_defer_stream_response(struct http_defer *d)
{
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, d, NULL);
    if (!r)
        return NULL;
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    /* MHD drops a "Connection: keep-alive" header for HTTP/1.1 unless told to send it */
    MHD_set_response_options(r, MHD_RF_SEND_KEEP_ALIVE_HEADER, MHD_RO_END);
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    return r;
}

void http_defer_free(struct http_defer *d)
{
    if (!d)
        return;
    /* first the reader: after this no wake-up from the producer can reach d */
    run_reader_close(d->reader);
    struct http_defer_set *s = d->set;
    pthread_mutex_lock(&s->mu);
    if (d->prev)
        d->prev->next = d->next;
    else
        s->head = d->next;
    if (d->next)
        d->next->prev = d->prev;
    s->count--;
    if (d->fd >= 0)
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, d->fd, NULL);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
