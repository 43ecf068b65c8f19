/* http/guard.c: CORS origin list, query-pair overflow (see guard.h). Thread model: the parse
 * runs once before the server starts; the checks are pure functions. */
#include "http/guard.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void http_cors_free(struct http_cors *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->origin[i]);
    free(c->text);
    memset(c, 0, sizeof *c);
}

/* scheme://host[:port|:*] with a non-empty host, nothing after it. */
static bool valid_origin(const char *s)
{
    const char *p = strstr(s, "://");
    if (!p || p == s)
        return false;
    for (const char *q = s; q < p; q++)
        if (!isalpha((unsigned char)*q))
            return false;
    const char *host = p + 3;
    if (!*host)
        return false;
    const char *colon;
    if (*host == '[') {
        const char *close = strchr(host, ']');
        if (!close || close == host + 1)
            return false;
        colon = close[1] ? close + 1 : NULL;
        if (colon && *colon != ':')
            return false;
    } else {
        colon = strchr(host, ':');
        if (colon == host)
            return false;
    }
    if (strpbrk(host, "/?#@ "))
        return false;
    if (!colon)
        return true;
    const char *port = colon + 1;
    if (strcmp(port, "*") == 0)
        return true;
    size_t n = strspn(port, "0123456789");
    return n > 0 && n <= 5 && port[n] == '\0';
}

int http_cors_parse(const char *spec, struct http_cors *out, struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec)
        spec = HTTP_CORS_DEFAULT;
    out->text = strdup(spec);
    if (!out->text)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    const char *p = spec;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ",");
        while (len && p[len - 1] == ' ')
            len--;
        char *o = strndup(p, len);
        if (!o) {
            http_cors_free(out);
            return sp_error_set(err, SP_ENOMEM, "out of memory");
        }
        for (char *q = o; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        p += strcspn(p, ",");
        if (strcmp(o, "*") == 0) {
            out->any = true;
            free(o);
            continue;
        }
        if (!valid_origin(o) || out->n == HTTP_CORS_MAX) {
            int code = sp_error_set(
                err, SP_EINVAL,
                "SPROUT_CORS_ORIGINS: '%s' is not an origin (scheme://host, scheme://host:port or "
                "scheme://host:* for any port; '*' for every origin; at most %d)",
                o, HTTP_CORS_MAX);
            free(o);
            http_cors_free(out);
            return code;
        }
        out->origin[out->n++] = o;
    }
    if (!out->any && out->n == 0) {
        http_cors_free(out);
        return sp_error_set(err, SP_EINVAL, "SPROUT_CORS_ORIGINS lists no origin");
    }
    return SP_OK;
}

bool http_cors_allows(const struct http_cors *c, const char *origin)
{
    if (c->any)
        return true;
    if (!origin)
        return false;
    size_t olen = strlen(origin);
    for (size_t i = 0; i < c->n; i++) {
        const char *a = c->origin[i];
        size_t alen = strlen(a);
        if (alen >= 2 && strcmp(a + alen - 2, ":*") == 0) {
            size_t base = alen - 2; /* "http://localhost" */
            if (olen < base || strncasecmp(origin, a, base) != 0)
                continue;
            const char *rest = origin + base;
            if (*rest == '\0')
                return true; /* the default port */
            if (*rest != ':')
                continue;
            size_t n = strspn(rest + 1, "0123456789");
            if (n > 0 && n <= 5 && rest[1 + n] == '\0')
                return true;
        } else if (olen == alen && strcasecmp(origin, a) == 0) {
            return true;
        }
    }
    return false;
}

bool http_query_overflow(char *target)
{
    char *q = target ? strchr(target, '?') : NULL;
    if (!q)
        return false;
    size_t pairs = 1;
    for (const char *p = q + 1; *p; p++)
        if (*p == '&')
            pairs++;
    if (pairs <= HTTP_QUERY_PAIRS_MAX)
        return false;
    for (char *p = q + 1; *p; p++)
        if (*p == '&')
            *p = '_';
    return true;
}
