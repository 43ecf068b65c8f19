/* extract/text.c: WHATWG UTF-8 decoding with replacement, UTF-16 lengths, text files (see
 * text.h). No state; reads the whole file (callers bound its size). */
#include "extract/text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char REPLACEMENT[3] = { (char)0xEF, (char)0xBF, (char)0xBD };

static char *put_cp(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

int text_decode_utf8(const char *in, size_t n, char **out, size_t *out_len)
{
    /* Worst case: each input byte becomes a 3-byte U+FFFD. */
    if (n > (SIZE_MAX - 1) / 3)
        return SP_ENOMEM;
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return SP_ENOMEM;
    const unsigned char *p = (const unsigned char *)in;
    char *o = buf;
    uint32_t cp = 0;
    unsigned needed = 0, seen = 0;
    unsigned char lower = 0x80, upper = 0xBF;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = p[i];
        if (needed == 0) {
            if (b < 0x80) {
                *o++ = (char)b;
            } else if (b >= 0xC2 && b <= 0xDF) {
                needed = 1;
                cp = b & 0x1F;
            } else if (b >= 0xE0 && b <= 0xEF) {
                if (b == 0xE0)
                    lower = 0xA0;
                if (b == 0xED)
                    upper = 0x9F;
                needed = 2;
                cp = b & 0x0F;
            } else if (b >= 0xF0 && b <= 0xF4) {
                if (b == 0xF0)
                    lower = 0x90;
                if (b == 0xF4)
                    upper = 0x8F;
                needed = 3;
                cp = b & 0x07;
            } else {
                memcpy(o, REPLACEMENT, 3);
                o += 3;
            }
            continue;
        }
        if (b < lower || b > upper) {
            /* The sequence so far is one maximal subpart: one U+FFFD, then look at b again. */
            cp = 0;
            needed = seen = 0;
            lower = 0x80;
            upper = 0xBF;
            memcpy(o, REPLACEMENT, 3);
            o += 3;
            i--;
            continue;
        }
        lower = 0x80;
        upper = 0xBF;
        cp = (cp << 6) | (b & 0x3F);
        if (++seen == needed) {
            o = put_cp(o, cp);
            cp = 0;
            needed = seen = 0;
        }
    }
    if (needed) {
        memcpy(o, REPLACEMENT, 3);
        o += 3;
    }
    *o = '\0';
    *out_len = (size_t)(o - buf);
    char *shrunk = realloc(buf, *out_len + 1);
    *out = shrunk ? shrunk : buf;
    return SP_OK;
}

size_t text_utf16_len(const char *s, size_t n)
{
    size_t units = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) != 0x80)
            units++; /* a code point starts here */
        if (b >= 0xF0)
            units++; /* outside the BMP: a surrogate pair */
    }
    return units;
}

int text_extract_file(const char *path, char **out, size_t *out_len, struct sp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sp_error_set(err, SP_EIO, "open %s: %s", path, strerror(errno));
    char *raw = NULL;
    size_t len = 0, cap = 0;
    int rc = SP_OK;
    for (;;) {
        if (cap - len < 65536) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *p = realloc(raw, ncap);
            if (!p) {
                rc = sp_error_set(err, SP_ENOMEM, "out of memory reading %s", path);
                goto done;
            }
            raw = p;
            cap = ncap;
        }
        size_t got = fread(raw + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = sp_error_set(err, SP_EIO, "read %s: %s", path, strerror(errno));
            break;
        }
    }
    if (rc == SP_OK && text_decode_utf8(raw ? raw : "", len, out, out_len) != SP_OK)
        rc = sp_error_set(err, SP_ENOMEM, "out of memory decoding %s", path);
done:
    free(raw);
    fclose(f);
    return rc;
}
