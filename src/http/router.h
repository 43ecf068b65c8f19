/* http/router.h: matching METHOD + path against a route table (normally api_routes[]).
 *
 * Rules (spec/api.md §1.3, Express 5 defaults kept where the client can see them): literal
 * segments match case-insensitively, one trailing slash is tolerated, a `:param` matches exactly
 * one non-empty segment and is percent-decoded (into the caller's arena), HEAD runs the GET
 * route. A path that matches some route with another method is reported as such, with the
 * Allow list, so the server can answer 405 instead of the original's HTML 404.
 * The path given is the raw one from the request line (still percent-encoded, no query string),
 * so an encoded "/" inside a parameter stays inside that parameter.
 * Ownership: the match borrows the table; decoded params live in the arena.
 * Thread model: stateless, any thread.
 */
#ifndef SP_HTTP_ROUTER_H
#define SP_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "util/arena.h"

enum http_route_result {
    HTTP_ROUTE_FOUND = 0,
    HTTP_ROUTE_NO_PATH = 1,    /* no pattern matches the path: 404 */
    HTTP_ROUTE_BAD_METHOD = 2, /* the path exists with other methods: 405 + allow */
    HTTP_ROUTE_BAD_PATH = 3,   /* undecodable parameter (bad %-escape or NUL): 400 */
};

#define HTTP_ALLOW_MAX 64

struct http_route_match {
    const struct api_route *route;
    const char *params[API_MAX_PARAMS];
    size_t n_params;
    char allow[HTTP_ALLOW_MAX]; /* "GET, HEAD, PATCH" when result is BAD_METHOD */
};

struct http_route_table {
    const struct api_route *routes;
    size_t n;
};

/* Match method and raw path. Returns an enum http_route_result; SP_ENOMEM when the arena fails. */
int http_route_find(const struct http_route_table *t, const char *method, const char *path,
                    struct arena *a, struct http_route_match *m);

/* Percent-decode s[0..n) into a new arena string. Fails (NULL) on a malformed escape or an
 * encoded NUL. plus_is_space: decode '+' as ' ' (query strings). */
char *http_percent_decode(struct arena *a, const char *s, size_t n, bool plus_is_space);

#endif
