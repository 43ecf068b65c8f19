/* http/conns.h: the connection guard of `sprout serve`: per-client and global connection
 * caps that evict idle connections instead of refusing new ones, and deadlines that
 * libmicrohttpd 0.9.75 does not have (its only timeout restarts at every byte):
 *   - a new connection (and a keep-alive connection after its answer) must deliver a request's
 *     complete headers within header_s (a keep-alive connection may first idle idle_s);
 *   - a request body must arrive within body_s (uploads: upload_s);
 *   - while a handler runs (or its write waits for the database writer) there is no deadline.
 * A connection past its deadline is shut down (shutdown(2): libmicrohttpd then sees the error
 * and closes it through its normal path). At the per-client cap, or the global soft cap, the
 * oldest connection of that client (resp. anyone) that is not in the middle of a request is
 * evicted the same way; only when there is none is the new connection refused.
 * Thread model: the hooks run on libmicrohttpd's threads; a watchdog thread checks the
 * deadlines once a second; one mutex guards the connection list.
 */
#ifndef SP_HTTP_CONNS_H
#define SP_HTTP_CONNS_H

#include <microhttpd.h>
#include <stdbool.h>

#include "util/err.h"

#define HTTP_CONNS_PER_CLIENT 256u
#define HTTP_CONNS_SOFT_MAX 3840u /* below libmicrohttpd's hard HTTP_CONNECTION_LIMIT */
#define HTTP_HEADER_TIMEOUT_S 10u
#define HTTP_IDLE_TIMEOUT_S 30u
#define HTTP_BODY_TIMEOUT_S 60u
#define HTTP_UPLOAD_TIMEOUT_S 600u

struct http_conns_config {
    unsigned per_client; /* 0 = HTTP_CONNS_PER_CLIENT */
    unsigned soft_max;   /* 0 = HTTP_CONNS_SOFT_MAX */
    unsigned header_s;   /* 0 = defaults above */
    unsigned idle_s;
    unsigned body_s;
    unsigned upload_s;
};

struct http_conns;

int http_conns_start(const struct http_conns_config *cfg, struct http_conns **out,
                     struct sp_error *err);
void http_conns_stop(struct http_conns *g); /* after MHD_stop_daemon; NULL-safe */

/* MHD_OPTION_NOTIFY_CONNECTION callback (cls = the struct http_conns). */
void http_conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode code);
/* The request's headers are complete (upload: a streamed upload body follows). */
void http_conns_headers_done(struct MHD_Connection *c, bool upload);
/* The body is complete: the handler runs now, no deadline. */
void http_conns_body_done(struct MHD_Connection *c);
/* The answer has been sent: the connection idles (keep-alive) until its next request. */
void http_conns_request_done(struct MHD_Connection *c);

#endif
