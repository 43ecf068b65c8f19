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
/* Request target and header limits checked by the server itself. HTTP_HEADERS_MAX is the whole
 * header block, request line included (libmicrohttpd's header size; Node's 16 KiB counts the
 * same), so an 8 KiB target leaves 8 KiB for the header lines.
 * HTTP_CONNECTION_MEMORY is libmicrohttpd's per-connection pool: the read buffer (request line,
 * headers, then body chunks), ~64 bytes per header line, query pair and cookie, the reply's
 * header lines. libmicrohttpd 0.9.75 zeroes the whole pool after every request
 * (MHD_pool_reset: memset of size minus the bytes kept), so its size is paid on every request
 * (docs/SERVER.md "Connection memory"). 64 KiB (was 96): a full 16 KiB block with an 8 KiB
 * target and 32 query pairs reaches the handler with header lines of 24 bytes or more on
 * average (~680 lines), a Cookie header of 40-byte cookies (~400), and bodies of any size
 * (read in chunks, never held in the pool); an 8 KiB target plus 16 KiB of header lines
 * still gets the server's own 431. Beyond that the library's 431 (JSON, mhd_errors.c). */
#define HTTP_TARGET_MAX 8192u
#define HTTP_HEADERS_MAX 16384u
#define HTTP_CONNECTION_MEMORY (64u * 1024u)
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
