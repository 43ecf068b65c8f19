/* objects/s3_list.c: one page of an S3 ListObjectsV2 reply, read strictly (see s3_list.h).
 * Thread model: pure functions over the caller's memory.
 */
#include "objects/s3_list.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    if (p >= end)
        return NULL;
    return memmem(p, (size_t)(end - p), needle, n);
}

/* The text of the first <tag>...</tag> in [p, end): *a and *b bracket it. */
static bool element(const char *p, const char *end, const char *tag, const char **a, const char **b)
{
    char open[48], close[48];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *o = find(p, end, open);
    if (!o)
        return false;
    o += strlen(open);
    const char *c = find(o, end, close);
    if (!c)
        return false;
    *a = o;
    *b = c;
    return true;
}

static int put_utf8(struct buf *out, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_append(out, u, n);
}

/* XML text [a, b) -> out (NUL-terminated by buf). SP_EUPSTREAM on a malformed or unknown
 * entity, a character reference outside Unicode or to NUL, or markup in the text; SP_ENOMEM. */
static int unescape(const char *a, const char *b, struct buf *out)
{
    static const struct {
        const char *name;
        char c;
    } named[] = { { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' } };
    buf_reset(out);
    for (const char *p = a; p < b; p++) {
        if (*p == '<')
            return SP_EUPSTREAM;
        if (*p != '&') {
            if (buf_putc(out, *p) != SP_OK)
                return SP_ENOMEM;
            continue;
        }
        const char *semi = memchr(p, ';', (size_t)(b - p));
        if (!semi || semi - p < 2 || semi - p > 12)
            return SP_EUPSTREAM;
        const char *name = p + 1;
        size_t len = (size_t)(semi - name);
        bool done = false;
        if (name[0] == '#') {
            bool hex = len > 1 && (name[1] == 'x');
            const char *d = name + (hex ? 2 : 1);
            if (d >= semi)
                return SP_EUPSTREAM;
            uint32_t cp = 0;
            for (; d < semi; d++) {
                int v;
                if (*d >= '0' && *d <= '9')
                    v = *d - '0';
                else if (hex && *d >= 'a' && *d <= 'f')
                    v = *d - 'a' + 10;
                else if (hex && *d >= 'A' && *d <= 'F')
                    v = *d - 'A' + 10;
                else
                    return SP_EUPSTREAM;
                cp = cp * (hex ? 16 : 10) + (uint32_t)v;
                if (cp > 0x10FFFF)
                    return SP_EUPSTREAM;
            }
            if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
                return SP_EUPSTREAM;
            if (put_utf8(out, cp) != SP_OK)
                return SP_ENOMEM;
            done = true;
        } else {
            for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
                if (strlen(named[i].name) == len && memcmp(named[i].name, name, len) == 0) {
                    if (buf_putc(out, named[i].c) != SP_OK)
                        return SP_ENOMEM;
                    done = true;
                }
        }
        if (!done)
            return SP_EUPSTREAM;
        p = semi;
    }
    return SP_OK;
}

static void trim(const char **a, const char **b)
{
    while (*a < *b && (**a == ' ' || **a == '\n' || **a == '\r' || **a == '\t'))
        (*a)++;
    while (*b > *a && ((*b)[-1] == ' ' || (*b)[-1] == '\n' || (*b)[-1] == '\r' || (*b)[-1] == '\t'))
        (*b)--;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool s3_parse_time(const char *s, size_t n, time_t *out)
{
    /* YYYY-MM-DDTHH:MM:SS[.fff]Z */
    if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[n - 1] != 'Z')
        return false;
    if (n > 20) {
        if (s[19] != '.' || n == 21)
            return false;
        for (size_t i = 20; i < n - 1; i++)
            if (s[i] < '0' || s[i] > '9')
                return false;
    }
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2),
        mi = digits(s + 14, 2), se = digits(s + 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        se < 0 || se > 60)
        return false;
    struct tm tm = { .tm_year = y - 1900,
                     .tm_mon = mo - 1,
                     .tm_mday = d,
                     .tm_hour = h,
                     .tm_min = mi,
                     .tm_sec = se };
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    *out = t;
    return true;
}

static int add_entry(struct s3_list_page *page, char *key, time_t lm)
{
    if (page->n == page->cap) {
        size_t cap = page->cap ? page->cap * 2 : 64;
        struct s3_list_entry *v = realloc(page->v, cap * sizeof *v);
        if (!v)
            return SP_ENOMEM;
        page->v = v;
        page->cap = cap;
    }
    page->v[page->n].key = key;
    page->v[page->n].last_modified = lm;
    page->n++;
    return SP_OK;
}

int s3_list_parse(const char *xml, size_t len, struct s3_list_page *page, struct sp_error *err)
{
    const char *end = xml + len, *a, *b;
    struct buf text = BUF_INIT(0);
    int rc = SP_OK;
    if (!find(xml, end, "<ListBucketResult"))
        return sp_error_set(err, SP_EUPSTREAM, "S3 listing: the reply is not a ListBucketResult");
    if (find(xml, end, "<![CDATA["))
        return sp_error_set(err, SP_EUPSTREAM, "S3 listing: CDATA in the reply");
    const char *p = xml;
    const char *c;
    while ((c = find(p, end, "<Contents>")) != NULL) {
        const char *ce = find(c, end, "</Contents>");
        if (!ce) {
            rc = sp_error_set(err, SP_EUPSTREAM, "S3 listing: unterminated <Contents>");
            goto done;
        }
        int u = element(c, ce, "Key", &a, &b) ? unescape(a, b, &text) : SP_EUPSTREAM;
        if (u == SP_ENOMEM) {
            rc = sp_error_set(err, SP_ENOMEM, "out of memory reading an S3 listing");
            goto done;
        }
        if (u != SP_OK || text.len == 0 || memchr(buf_cstr(&text), '\0', text.len)) {
            rc = sp_error_set(err, SP_EUPSTREAM, "S3 listing: an entry without a readable <Key>");
            goto done;
        }
        time_t lm = 0;
        bool lm_ok = element(c, ce, "LastModified", &a, &b);
        if (lm_ok) {
            trim(&a, &b);
            lm_ok = s3_parse_time(a, (size_t)(b - a), &lm);
        }
        if (!lm_ok) {
            rc = sp_error_set(err, SP_EUPSTREAM,
                              "S3 listing: an entry without a readable <LastModified>");
            goto done;
        }
        char *key = buf_detach(&text);
        if (add_entry(page, key, lm) != SP_OK) {
            free(key);
            rc = sp_error_set(err, SP_ENOMEM, "out of memory reading an S3 listing");
            goto done;
        }
        p = ce + strlen("</Contents>");
    }
    if (!element(xml, end, "IsTruncated", &a, &b)) {
        rc = sp_error_set(err, SP_EUPSTREAM, "S3 listing: no <IsTruncated>");
        goto done;
    }
    trim(&a, &b);
    if ((size_t)(b - a) == 4 && memcmp(a, "true", 4) == 0)
        page->truncated = true;
    else if (!((size_t)(b - a) == 5 && memcmp(a, "false", 5) == 0)) {
        rc = sp_error_set(err, SP_EUPSTREAM, "S3 listing: <IsTruncated> is neither true nor false");
        goto done;
    }
    if (page->truncated) {
        bool ok = element(xml, end, "NextContinuationToken", &a, &b);
        if (ok)
            trim(&a, &b);
        int u = ok && a < b ? unescape(a, b, &text) : SP_EUPSTREAM;
        if (u != SP_OK) {
            rc = u == SP_ENOMEM
                     ? sp_error_set(err, SP_ENOMEM, "out of memory reading an S3 listing")
                     : sp_error_set(err, SP_EUPSTREAM,
                                    "S3 listing: truncated without "
                                    "a readable <NextContinuationToken>");
            goto done;
        }
        page->next_token = buf_detach(&text);
    }
done:
    buf_release(&text);
    return rc;
}

void s3_list_page_free(struct s3_list_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->n; i++)
        free(page->v[i].key);
    free(page->v);
    free(page->next_token);
    memset(page, 0, sizeof *page);
}
