/* http/guard.h: the server's defensive checks that do not depend on a route: which browser
 * origins may call the API (CORS), the security headers of every reply, and a query string
 * with too many parameters caught before libmicrohttpd parses it.
 *
 * CORS (docs/SERVER.md "Security defaults"): a list of allowed origins, each "scheme://host"
 * or "scheme://host:port" or "scheme://host:*" (any port); "*" alone allows every origin. The
 * default allows the web client on this machine on any port:
 * "http://localhost:*,http://127.0.0.1:*,http://[::1]:*". Comparison ignores ASCII case.
 * Ownership: struct http_cors owns its strings (http_cors_free). Thread model: parsed once
 * before the server starts, then read-only from every worker thread.
 */
#ifndef SP_HTTP_GUARD_H
#define SP_HTTP_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define HTTP_CORS_DEFAULT "http://localhost:*,http://127.0.0.1:*,http://[::1]:*"
#define HTTP_CORS_MAX 32
/* More '&'-separated pairs than this in a query string are refused (414) before libmicrohttpd
 * stores them: its per-connection pool runs out at about 515 and the request then hangs. */
#define HTTP_QUERY_PAIRS_MAX 256
/* Request target and header limits checked by the server itself, so that the answer is JSON:
 * libmicrohttpd's own 414/431 (with an HTML body) only come past its per-connection memory,
 * which is set well above these (HTTP_CONNECTION_MEMORY). */
#define HTTP_TARGET_MAX 8192u
#define HTTP_HEADERS_MAX 16384u
#define HTTP_CONNECTION_MEMORY (96u * 1024u)
#define HTTP_CSP "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

struct http_cors {
    bool any; /* "*" */
    size_t n;
    char *origin[HTTP_CORS_MAX]; /* lower-case; a ":*" suffix means any port */
    char *text;                  /* the list as given, for the start-up line */
};

/* Parse a comma-separated list (spaces around entries ignored); NULL or "" = the default.
 * SP_EINVAL naming the bad entry (not scheme://host[:port|:*], or too many). */
int http_cors_parse(const char *spec, struct http_cors *out, struct sp_error *err);
void http_cors_free(struct http_cors *c);
/* Whether a request with this Origin header value may use the API. */
bool http_cors_allows(const struct http_cors *c, const char *origin);

/* Count the query pairs of a raw request target ("/p?a=1&b=2" -> 2). When there are more than
 * HTTP_QUERY_PAIRS_MAX, the separators in the (writable) target are blanked so that the HTTP
 * library sees a single pair, and true is returned: the request must then be refused. */
bool http_query_overflow(char *target);

#endif
