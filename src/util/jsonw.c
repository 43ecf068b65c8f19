/* util/jsonw.c: JSON.stringify-compatible JSON writer (see jsonw.h). */
#include "util/jsonw.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#if defined(__SSE2__) && !defined(JSONW_NO_SIMD)
#include <emmintrin.h>
#endif

size_t jsonw_format_number(char out[JSONW_NUMBER_SIZE], double x)
{
    if (isnan(x) || isinf(x)) {
        memcpy(out, "null", 5);
        return 4;
    }
    if (x == 0) {
        memcpy(out, "0", 2);
        return 1;
    }
    if (x == trunc(x) && fabs(x) < 1e15) {
        int n = snprintf(out, 32, "%.0f", x);
        return (size_t)n;
    }
    /* shortest round-trip digits */
    char tmp[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    /* tmp = [-]d[.ddd]e[+-]XX */
    char digits[24];
    size_t k = 0;
    const char *p = tmp;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[k++] = *p;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    int e = (int)strtol(p + 1, NULL, 10);
    int n = e + 1; /* position of the decimal point */
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    if ((int)k <= n && n <= 21) {
        memcpy(out + o, digits, k);
        o += k;
        for (int i = 0; i < n - (int)k; i++)
            out[o++] = '0';
    } else if (0 < n && n <= 21) {
        memcpy(out + o, digits, (size_t)n);
        o += (size_t)n;
        out[o++] = '.';
        memcpy(out + o, digits + n, k - (size_t)n);
        o += k - (size_t)n;
    } else if (-6 < n && n <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -n; i++)
            out[o++] = '0';
        memcpy(out + o, digits, k);
        o += k;
    } else {
        out[o++] = digits[0];
        if (k > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, k - 1);
            o += k - 1;
        }
        o += (size_t)snprintf(out + o, 32 - o, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    out[o] = '\0';
    return o;
}

int jsonw_number(struct buf *b, double x)
{
    char tmp[JSONW_NUMBER_SIZE];
    size_t n = jsonw_format_number(tmp, x);
    return buf_append(b, tmp, n);
}

/* Does JSON.stringify escape byte c: a control character, '"' or '\\'? */
static bool escaped(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

/* Index of the first byte of p[i..n) to escape, or n. Sixteen bytes at a time with SSE2 (every
 * x86-64), else eight as one integer: there a byte < 0x20, == '"' or == '\\' sets its high
 * bit in m (a borrow may flag a later byte of the word too, never miss one: a flagged word is
 * read again byte by byte). The tail goes byte by byte. */
static size_t next_escape(const unsigned char *p, size_t i, size_t n)
{
#if defined(__SSE2__) && !defined(JSONW_NO_SIMD)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  ctl = _mm_set1_epi8(0x1f);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x), /* x <= 0x1f */
                                 _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
#else
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
        if (((x - ones * 0x20) | (q - ones) | (bs - ones)) & ~x & highs)
            for (size_t e = i + 8; i < e; i++)
                if (escaped(p[i]))
                    return i;
    }
#endif
    for (; i < n; i++)
        if (escaped(p[i]))
            return i;
    return n;
}

int jsonw_string(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    /* room for every byte once and the quotes; an escape reserves its extra bytes */
    int rc = buf_reserve(b, n + 2);
    if (rc != SP_OK)
        return rc;
    char *d = b->data + b->len;
    *d++ = '"';
    for (size_t i = 0;;) {
        size_t k = next_escape(p, i, n);
        memcpy(d, s + i, k - i);
        d += k - i;
        if (k == n)
            break;
        b->len = (size_t)(d - b->data);
        if ((rc = buf_reserve(b, n - k + 6)) != SP_OK) { /* "\u00XX", the rest, the quote */
            b->data[b->len] = '\0';
            return rc;
        }
        d = b->data + b->len;
        unsigned char c = p[k];
        *d++ = '\\';
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\b': *d++ = 'b'; break;
        case '\f': *d++ = 'f'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        default:
            memcpy(d, "u00", 3);
            d[3] = hex[c >> 4];
            d[4] = hex[c & 15];
            d += 5;
        }
        i = k + 1;
    }
    *d++ = '"';
    b->len = (size_t)(d - b->data);
    b->data[b->len] = '\0';
    return SP_OK;
}

int jsonw_cstring(struct buf *b, const char *s)
{
    return jsonw_string(b, s, strlen(s));
}

static int newline(struct buf *b, int indent, int level)
{
    int rc = buf_putc(b, '\n');
    for (int i = 0; i < indent * level && rc == SP_OK; i++)
        rc = buf_putc(b, ' ');
    return rc;
}

static int dump(struct buf *b, const json_t *v, int indent, int level)
{
    int rc = SP_OK;
    switch (json_typeof(v)) {
    case JSON_NULL: return buf_puts(b, "null");
    case JSON_TRUE: return buf_puts(b, "true");
    case JSON_FALSE: return buf_puts(b, "false");
    case JSON_INTEGER: return buf_printf(b, "%lld", (long long)json_integer_value(v));
    case JSON_REAL: return jsonw_number(b, json_real_value(v));
    case JSON_STRING: return jsonw_string(b, json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (n == 0)
            return buf_puts(b, "[]");
        rc = buf_putc(b, '[');
        for (size_t i = 0; i < n && rc == SP_OK; i++) {
            if (i)
                rc = buf_putc(b, ',');
            if (rc == SP_OK && indent)
                rc = newline(b, indent, level + 1);
            if (rc == SP_OK)
                rc = dump(b, json_array_get(v, i), indent, level + 1);
        }
        if (rc == SP_OK && indent)
            rc = newline(b, indent, level);
        return rc == SP_OK ? buf_putc(b, ']') : rc;
    }
    case JSON_OBJECT: {
        if (json_object_size(v) == 0)
            return buf_puts(b, "{}");
        rc = buf_putc(b, '{');
        const char *key;
        json_t *val;
        int first = 1;
        json_object_foreach((json_t *)v, key, val)
        {
            if (rc != SP_OK)
                break;
            if (!first)
                rc = buf_putc(b, ',');
            first = 0;
            if (rc == SP_OK && indent)
                rc = newline(b, indent, level + 1);
            if (rc == SP_OK)
                rc = jsonw_cstring(b, key);
            if (rc == SP_OK)
                rc = buf_puts(b, indent ? ": " : ":");
            if (rc == SP_OK)
                rc = dump(b, val, indent, level + 1);
        }
        if (rc == SP_OK && indent)
            rc = newline(b, indent, level);
        return rc == SP_OK ? buf_putc(b, '}') : rc;
    }
    }
    return SP_EINVAL;
}

int jsonw_dump(struct buf *b, const json_t *v, int indent)
{
    return dump(b, v, indent, 0);
}

bool jsonw_truthy(const json_t *v)
{
    if (!v)
        return false;
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE: return false;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0.0; /* jansson holds no NaN */
    default: return true;
    }
}
