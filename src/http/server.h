/* http/server.h: the HTTP server of `sprout serve`: a libmicrohttpd daemon (epoll, a thread
 * pool sized to the cores, keep-alive) that routes each request through http/router.c to an
 * api_routes[] handler and sends its JSON reply, with the CORS headers the client needs
 * (spec/api.md §1.4), JSON bodies up to API_MAX_BODY, streamed multipart uploads (http/upload.c)
 * and one log line per request on stderr.
 *
 * Handlers that hand their work to a run (api_resp.run) get their answer later without holding
 * a worker thread (http/defer.h): a JSON reply, or a Server-Sent-Events stream.
 * Lifecycle: http_server_start() binds and starts the worker threads and returns at once;
 * http_server_stop() stops accepting, lets in-flight requests finish (bounded wait), then stops
 * the threads and frees the server. The caller closes the per-thread database connections
 * (db_thread_close_all) afterwards.
 * Ownership: the config's strings and ctx are borrowed for the server's lifetime.
 * Thread model: start/stop from one thread (the main thread); handlers run on the pool threads.
 */
#ifndef SP_HTTP_SERVER_H
#define SP_HTTP_SERVER_H

#include <stdbool.h>

#include "api/api.h"
#include "http/conns.h"
#include "http/router.h"
#include "util/err.h"

#define HTTP_DEFAULT_HOST "127.0.0.1"
#define HTTP_DEFAULT_PORT 8000
#define HTTP_CONNECTION_TIMEOUT_S 60u /* idle keep-alive connections are closed after this */
#define HTTP_CONNECTION_LIMIT 4096u

struct http_server_config {
    const char *host;    /* address or name to bind; NULL = HTTP_DEFAULT_HOST */
    unsigned port;       /* 0 = any free port (see http_server_port) */
    unsigned threads;    /* 0 = one per online core (at most 64) */
    bool quiet;          /* no request log lines */
    const char *web_dir; /* serve the page from this folder first (--web); NULL = embedded */
    unsigned timeout_s;  /* idle connection timeout; 0 = HTTP_CONNECTION_TIMEOUT_S */
    const struct api_ctx *ctx;
    const struct http_route_table *routes; /* NULL = api_routes[] */
    const char *cors_origins;       /* allowed browser origins (http/guard.h); NULL = default */
    struct http_conns_config conns; /* caps and deadlines (http/conns.h); zeros = defaults */
    bool reuse_port; /* SO_REUSEPORT: other processes may listen on the same address and port,
                      * the kernel spreads new connections over them (several instances) */
    int listen_fd;   /* > 0: serve this listening socket (inherited across a re-exec) instead
                      * of binding host:port; 0 = bind (fd 0 is never a listening socket here) */
};

struct http_server;

int http_server_start(const struct http_server_config *cfg, struct http_server **out,
                      struct sp_error *err);
/* The port actually bound. */
unsigned http_server_port(const struct http_server *s);
/* The listening socket (owned by the server; a re-exec hands it to the next image). */
int http_server_listen_fd(const struct http_server *s);
/* Stop accepting, wait up to wait_ms for in-flight requests (open streams included: stop the
 * runs first, runs_shutdown, so that they end), end the deferred requests still open, stop the
 * daemon, free s.
 * Returns how many requests were still in flight when it gave up waiting (0 normally). */
unsigned http_server_stop(struct http_server *s, unsigned wait_ms);

#endif
