/* http/router.c: route matching for the HTTP server (see router.h).
 * Linear scan over the table: ~45 routes, a few hundred ns per request; no allocation except the
 * decoded parameters. Thread model: stateless.
 */
#include "http/router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *http_percent_decode(struct arena *a, const char *s, size_t n, bool plus_is_space)
{
    char *out = arena_alloc(a, n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return NULL;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return NULL;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        } else if (c == '\0') {
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

/* Split the next segment of *p (after a '/'); returns its length, advances *p. */
static size_t next_segment(const char **p)
{
    const char *s = *p;
    const char *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    *p = e ? e + 1 : s + n;
    return n;
}

/* Does path match pattern? Fills raw param spans. */
static bool path_matches(const char *pattern, const char *path, const char **ps, size_t *pl,
                         size_t *np)
{
    if (*pattern != '/' || *path != '/')
        return false;
    const char *pp = pattern + 1, *sp = path + 1;
    size_t plen = strlen(path);
    /* one trailing slash is tolerated: "/api/x/" == "/api/x" (but "/" stays "/") */
    const char *end = path + plen;
    if (plen > 1 && path[plen - 1] == '/')
        end--;
    *np = 0;
    for (;;) {
        bool pat_done = *pp == '\0';
        bool path_done = sp >= end;
        if (pat_done || path_done)
            return pat_done && path_done;
        const char *seg_pat = pp;
        size_t lp = next_segment(&pp);
        const char *seg = sp;
        const char *slash = memchr(sp, '/', (size_t)(end - sp));
        size_t ls = slash ? (size_t)(slash - sp) : (size_t)(end - sp);
        sp = slash ? slash + 1 : end;
        if (slash && sp == end)
            return false; /* "//" at the end or empty trailing segment */
        if (seg_pat[0] == ':') {
            if (ls == 0 || *np >= API_MAX_PARAMS)
                return false;
            ps[*np] = seg;
            pl[*np] = ls;
            (*np)++;
        } else if (ls != lp || strncasecmp(seg_pat, seg, lp) != 0) {
            return false;
        }
    }
}

static void allow_add(char *allow, const char *method)
{
    if (strstr(allow, method))
        return;
    size_t n = strlen(allow);
    snprintf(allow + n, HTTP_ALLOW_MAX - n, "%s%s", n ? ", " : "", method);
}

int http_route_find(const struct http_route_table *t, const char *method, const char *path,
                    struct arena *a, struct http_route_match *m)
{
    memset(m, 0, sizeof *m);
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    bool path_known = false;
    const char *ps[API_MAX_PARAMS];
    size_t pl[API_MAX_PARAMS], np = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct api_route *r = &t->routes[i];
        if (!path_matches(r->pattern, path, ps, pl, &np))
            continue;
        if (strcmp(r->method, want) != 0) {
            if (!path_known)
                m->allow[0] = '\0';
            path_known = true;
            allow_add(m->allow, r->method);
            if (strcmp(r->method, "GET") == 0)
                allow_add(m->allow, "HEAD");
            continue;
        }
        for (size_t k = 0; k < np; k++) {
            m->params[k] = http_percent_decode(a, ps[k], pl[k], false);
            if (!m->params[k])
                return HTTP_ROUTE_BAD_PATH;
        }
        m->n_params = np;
        m->route = r;
        return HTTP_ROUTE_FOUND;
    }
    if (path_known) {
        allow_add(m->allow, "OPTIONS");
        return HTTP_ROUTE_BAD_METHOD;
    }
    return HTTP_ROUTE_NO_PATH;
}
