/* http/mhd_errors.c: libmicrohttpd's own error replies as JSON (see mhd_errors.h).
 *
 * Why this works. libmicrohttpd 0.9.75 answers a request it cannot parse (bad request or header
 * line, bad Content-Length or chunked encoding, HTTP version other than 1.0/1.1, request line or
 * headers beyond the connection's memory pool, a body that cannot be buffered) itself, in
 * transmit_error_response_len() (connection.c), before our access handler ever runs: it builds
 * a response from a compile-time HTML string, queues it with MHD_queue_response(), destroys its
 * reference, marks the connection "must close" and builds the header block. No option or
 * callback can change that reply. But the shared library calls MHD_queue_response through its
 * PLT (`objdump -d libmicrohttpd.so.12 | grep 'MHD_queue_response@plt'`), i.e. the call is
 * preemptible, and the dynamic linker binds it to the first definition in the search order:
 * the executable's, when the executable exports one (-Wl,--export-dynamic-symbol). So this
 * file defines MHD_queue_response. The server's own replies do not come here: they are queued
 * through http_queue_response(), the library's real function found with
 * dlsym(RTLD_NEXT, ...). What reaches the definition below is therefore only the library's
 * internal callers: transmit_error_response_len() and the authentication helpers
 * (MHD_queue_auth_fail_response2, MHD_queue_basic_auth_fail_response: 401, never used by
 * this server and passed through untouched, as is every status transmit_error_response_len()
 * never sends).
 *
 * What it does: for one of the statuses transmit_error_response_len() sends it queues,
 * through the real function and with the status the library chose, a JSON response of ours
 * instead ({"error": "..."}, Content-Type JSON, nosniff, CSP, and CORS when the request's
 * Origin is still readable and allowed), drops its own reference to it and returns the real
 * function's result; the library then destroys its own response as it always does, and goes
 * on exactly as before (must-close, header block, send, close): the substitution changes the
 * response object and nothing of the connection's state machine. When our response cannot be
 * made (out of memory) the library's goes out. One exception, the two Content-Length errors,
 * for which 0.9.75 writes the header block twice: see MHD_queue_response() below.
 * The Origin: transmit_error_response_len() shrinks the read buffer to nothing (zeroing it)
 * before it queues, so a header whose line was not yet consumed reads as "" (no CORS); the
 * pool memory stays valid for the connection's life, so the lookup is safe either way.
 *
 * Thread model: the interposer runs on the connection's MHD thread; the real function is
 * resolved once (pthread_once); the daemon -> CORS list is guarded by a mutex.
 */
#include "http/mhd_errors.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define JSON_TYPE "application/json; charset=utf-8"
#define MAX_DAEMONS 16

typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);

static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static queue_fn real_queue;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
/* Keyed by the listening socket: a connection's daemon is the thread-pool worker that owns it,
 * not the daemon MHD_start_daemon returned, and the workers share their master's socket. */
static struct {
    const struct MHD_Daemon *daemon;
    int listen_fd;
    const struct http_cors *cors;
} reg[MAX_DAEMONS];

static int listen_fd_of(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *i = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD) : NULL;
    return i ? (int)i->listen_fd : -1;
}

static void resolve_real(void)
{
    /* RTLD_NEXT: the next definition after this executable's own, i.e. the library's. */
    void *sym = dlsym(RTLD_NEXT, "MHD_queue_response");
    if (sym)
        memcpy(&real_queue, &sym, sizeof real_queue); /* object -> function pointer (POSIX) */
}

enum MHD_Result http_queue_response(struct MHD_Connection *c, unsigned status,
                                    struct MHD_Response *resp)
{
    pthread_once(&real_once, resolve_real);
    if (!real_queue)
        return MHD_NO;
    return real_queue(c, status, resp);
}

bool http_mhd_errors_active(void)
{
    void *first = dlsym(RTLD_DEFAULT, "MHD_queue_response");
    queue_fn self = MHD_queue_response;
    void *mine;
    memcpy(&mine, &self, sizeof mine);
    return first && first == mine;
}

void http_mhd_errors_register(struct MHD_Daemon *d, const struct http_cors *cors)
{
    int fd = listen_fd_of(d);
    if (fd < 0)
        return;
    pthread_mutex_lock(&reg_mu);
    for (size_t i = 0; i < MAX_DAEMONS; i++)
        if (!reg[i].daemon) {
            reg[i].daemon = d;
            reg[i].listen_fd = fd;
            reg[i].cors = cors;
            break;
        }
    pthread_mutex_unlock(&reg_mu);
}

void http_mhd_errors_unregister(struct MHD_Daemon *d)
{
    pthread_mutex_lock(&reg_mu);
    for (size_t i = 0; i < MAX_DAEMONS; i++)
        if (reg[i].daemon == d) {
            reg[i].daemon = NULL;
            reg[i].listen_fd = -1;
            reg[i].cors = NULL;
        }
    pthread_mutex_unlock(&reg_mu);
}

const char *http_mhd_error_body(unsigned status)
{
    switch (status) {
    case 400:
        return "{\"error\":\"malformed HTTP request (request line, a header line, Content-Length "
               "or chunked encoding)\"}";
    case 413:
        return "{\"error\":\"request body too large (the declared Content-Length or a chunk size "
               "is beyond what the server accepts)\"}";
    case 414: return "{\"error\":\"request target too long (limit 8192 bytes)\"}";
    case 431: return "{\"error\":\"request headers too large (limit 16384 bytes)\"}";
    case 500: return "{\"error\":\"the server could not buffer this request\"}";
    case 505: return "{\"error\":\"HTTP version not supported (use HTTP/1.0 or HTTP/1.1)\"}";
    default:
        return status < 500 ? "{\"error\":\"the HTTP request could not be processed\"}"
                            : "{\"error\":\"the server could not process this HTTP request\"}";
    }
}

/* The CORS header of the reply: "*" or the request's Origin when allowed, else NULL.
 * origin is the (borrowed) request header. */
static const char *allowed_origin(struct MHD_Connection *c, const char *origin)
{
    const union MHD_ConnectionInfo *di = MHD_get_connection_info(c, MHD_CONNECTION_INFO_DAEMON);
    int fd = listen_fd_of(di ? di->daemon : NULL);
    const char *out = NULL;
    pthread_mutex_lock(&reg_mu);
    for (size_t i = 0; fd >= 0 && i < MAX_DAEMONS; i++) {
        if (!reg[i].daemon || reg[i].listen_fd != fd)
            continue;
        if (reg[i].cors->any)
            out = "*";
        else if (origin && origin[0] && http_cors_allows(reg[i].cors, origin))
            out = origin;
        break;
    }
    pthread_mutex_unlock(&reg_mu);
    return out;
}

/* Our reply's extra headers: the CORS origin (NULL: none). */
static struct MHD_Response *json_error(unsigned status, const char *acao)
{
    const char *body = http_mhd_error_body(status);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return NULL;
    if (MHD_add_response_header(r, "Content-Type", JSON_TYPE) != MHD_YES ||
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        MHD_add_response_header(r, "Content-Security-Policy", HTTP_CSP) != MHD_YES ||
        (acao &&
         (MHD_add_response_header(r, "Access-Control-Allow-Origin", acao) != MHD_YES ||
          (strcmp(acao, "*") != 0 && MHD_add_response_header(r, "Vary", "Origin") != MHD_YES)))) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

/* Was the error a Content-Length that is not a number or does not fit 64 bits (the library's
 * rule: only decimal digits, at least one, no Transfer-Encoding)? Those two errors are found
 * in parse_connection_headers(), after every header line was consumed, so the values are
 * intact here. */
static bool bad_content_length(struct MHD_Connection *c)
{
    if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding"))
        return false;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (!cl)
        return false;
    if (!cl[0])
        return true;
    uint64_t v = 0;
    for (const char *p = cl; *p; p++) {
        if (*p < '0' || *p > '9')
            return true;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return true;
        v = v * 10 + d;
    }
    return false;
}

/* The whole reply written to the socket now (see MHD_queue_response below). false when not
 * one byte could be written (the caller then queues it instead). */
static bool send_whole(struct MHD_Connection *c, unsigned status, const char *body,
                       const char *acao)
{
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!fi)
        return false;
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || !strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm))
        return false;
    const char *reason = MHD_get_reason_phrase_for(status);
    char msg[2048];
    int n =
        snprintf(msg, sizeof msg,
                 "HTTP/1.1 %u %s\r\nDate: %s\r\nConnection: close\r\nContent-Type: %s\r\n"
                 "X-Content-Type-Options: nosniff\r\nContent-Security-Policy: %s\r\n"
                 "%s%s%s%sContent-Length: %zu\r\n\r\n%s",
                 status, reason && reason[0] ? reason : "Error", date, JSON_TYPE, HTTP_CSP,
                 acao ? "Access-Control-Allow-Origin: " : "", acao ? acao : "", acao ? "\r\n" : "",
                 acao && strcmp(acao, "*") != 0 ? "Vary: Origin\r\n" : "", strlen(body), body);
    if (n <= 0 || (size_t)n >= sizeof msg)
        return false;
    size_t off = 0;
    while (off < (size_t)n) {
        ssize_t w = send(fi->connect_fd, msg + off, (size_t)n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
            off += (size_t)w;
        else if (w < 0 && errno == EINTR)
            continue;
        else
            break;
    }
    return off > 0;
}

/* The statuses transmit_error_response_len() is called with in 0.9.75 (its 18 call sites:
 * `objdump -d` of the library, the immediate loaded into %esi before each call). */
static bool library_error(unsigned status)
{
    switch (status) {
    case 400:
    case 413:
    case 414:
    case 431:
    case 500:
    case 505: return true;
    default: return false;
    }
}

/* The interposer: only libmicrohttpd's own internal calls arrive here (see the top). */
enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
    pthread_once(&real_once, resolve_real);
    if (!real_queue)
        return MHD_NO;
    if (!connection || !response || !library_error(status_code))
        return real_queue(connection, status_code, response);
    const char *origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin");
    const char *acao = allowed_origin(connection, origin);
    /* libmicrohttpd 0.9.75 builds the header block twice for the two Content-Length errors:
     * after transmit_error_response_len() returns, its state machine goes on from "headers
     * received" through "start reply" and appends the block again before anything is sent, so
     * a client reading Content-Length bytes would read the second block as the body. Those
     * replies are written to the socket here, whole; MHD_NO then tells the library that
     * queueing failed, and it closes the connection (what it does after every error reply)
     * without sending anything of its own. */
    if ((status_code == 400 || status_code == 413) && bad_content_length(connection) &&
        send_whole(connection, status_code,
                   status_code == 400
                       ? "{\"error\":\"malformed Content-Length header\"}"
                       : "{\"error\":\"request body too large (Content-Length beyond 2^64 bytes)\"}",
                   acao))
        return MHD_NO;
    struct MHD_Response *ours = json_error(status_code, acao);
    if (!ours)
        return real_queue(connection, status_code, response);
    enum MHD_Result ret = real_queue(connection, status_code, ours);
    MHD_destroy_response(ours); /* the connection holds its own reference */
    return ret;
}
