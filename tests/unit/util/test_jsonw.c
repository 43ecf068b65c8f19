/* tests/unit/util/test_jsonw.c: JavaScript-compatible JSON output (numbers, strings, indent). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "support/check.h"
#include "util/buf.h"
#include "util/jsonw.h"

static const char *num(double x)
{
    static char out[32];
    jsonw_format_number(out, x);
    return out;
}

static void test_numbers_match_javascript(void)
{
    CHECK_STR_EQ(num(0), "0");
    CHECK_STR_EQ(num(-0.0), "0");
    CHECK_STR_EQ(num(1), "1");
    CHECK_STR_EQ(num(75), "75");
    CHECK_STR_EQ(num(0.1), "0.1");
    CHECK_STR_EQ(num(0.75), "0.75");
    CHECK_STR_EQ(num(9.99), "9.99");
    CHECK_STR_EQ(num(-1.5), "-1.5");
    CHECK_STR_EQ(num(0.1 + 0.2), "0.30000000000000004");
    CHECK_STR_EQ(num(1e21), "1e+21");
    CHECK_STR_EQ(num(1e20), "100000000000000000000");
    CHECK_STR_EQ(num(123456789012345680000.0), "123456789012345680000");
    CHECK_STR_EQ(num(0.000001), "0.000001");
    CHECK_STR_EQ(num(0.0000001), "1e-7");
    CHECK_STR_EQ(num(1.5e-10), "1.5e-10");
    CHECK_STR_EQ(num(2.5e25), "2.5e+25");
    CHECK_STR_EQ(num(12345.678), "12345.678");
}

static void test_strings_escape_like_json_stringify(void)
{
    struct buf b = BUF_INIT(0);
    jsonw_cstring(&b, "a\"b\\c\n\t\x01/é");
    CHECK_STR_EQ(b.data, "\"a\\\"b\\\\c\\n\\t\\u0001/é\"");
    buf_release(&b);
}

/* The escape scan goes eight bytes at a time: every byte value at every offset of strings of
 * 0..40 bytes (word boundaries, tails, UTF-8 lead bytes around it) must give what a plain byte
 * loop gives (JSON.stringify's escapes). */
static void reference(struct buf *b, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        const char *e = c == '"'    ? "\\\""
                        : c == '\\' ? "\\\\"
                        : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f"
                        : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t"
                                    : NULL;
        if (e)
            buf_puts(b, e);
        else if (c < 0x20)
            buf_printf(b, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        else
            buf_putc(b, (char)c);
    }
    buf_putc(b, '"');
}

static void test_string_scan_matches_byte_loop(void)
{
    unsigned char s[40];
    int bad = 0;
    for (size_t n = 0; n <= sizeof s; n++)
        for (size_t at = 0; at < (n ? n : 1); at++)
            for (int c = 0; c < 256; c++) {
                for (size_t i = 0; i < n; i++) /* ASCII with a UTF-8 lead byte now and then */
                    s[i] = i % 7 == 3 ? 0xc3 : (unsigned char)('a' + i % 26);
                if (n)
                    s[at] = (unsigned char)c;
                if (n > 12 && c == '"')
                    s[n - 1] = '\n'; /* two escapes in one string */
                struct buf got = BUF_INIT(0), want = BUF_INIT(0);
                CHECK_EQ_INT(jsonw_string(&got, (const char *)s, n), 0);
                reference(&want, s, n);
                if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
                    bad++;
                buf_release(&got);
                buf_release(&want);
            }
    CHECK_EQ_INT(bad, 0);
}

static void test_pretty_print_two_spaces(void)
{
    json_t *v = json_pack("{s:s, s:[s,s], s:{}, s:[], s:f, s:b}", "version", "7", "list", "a", "b",
                          "empty", "arr", "n", 9.99, "t", 1);
    struct buf b = BUF_INIT(0);
    jsonw_dump(&b, v, 2);
    CHECK_STR_EQ(b.data,
                 "{\n  \"version\": \"7\",\n  \"list\": [\n    \"a\",\n    \"b\"\n  ],\n"
                 "  \"empty\": {},\n  \"arr\": [],\n  \"n\": 9.99,\n  \"t\": true\n}");
    buf_reset(&b);
    jsonw_dump(&b, v, 0);
    CHECK_STR_EQ(
        b.data,
        "{\"version\":\"7\",\"list\":[\"a\",\"b\"],\"empty\":{},\"arr\":[],\"n\":9.99,\"t\":true}");
    buf_release(&b);
    json_decref(v);
}

static void test_truthy_is_javascript_boolean(void)
{
    const char *falsy[] = { "null", "false", "0", "0.0", "-0.0", "\"\"" };
    const char *truthy[] = { "true", "1", "-2", "0.5", "\"0\"", "\" \"", "{}", "[]", "[0]" };
    CHECK(!jsonw_truthy(NULL));
    for (size_t i = 0; i < sizeof falsy / sizeof *falsy; i++) {
        json_t *v = json_loads(falsy[i], JSON_DECODE_ANY, NULL);
        CHECK(v && !jsonw_truthy(v));
        json_decref(v);
    }
    for (size_t i = 0; i < sizeof truthy / sizeof *truthy; i++) {
        json_t *v = json_loads(truthy[i], JSON_DECODE_ANY, NULL);
        CHECK(v && jsonw_truthy(v));
        json_decref(v);
    }
}

static void test_buf_limit_refuses_and_keeps_content(void)
{
    struct buf b = BUF_INIT(4);
    CHECK_EQ_INT(buf_puts(&b, "abcd"), 0);
    CHECK(buf_puts(&b, "e") != 0);
    CHECK_STR_EQ(b.data, "abcd");
    buf_release(&b);
}

int main(void)
{
    RUN(test_numbers_match_javascript);
    RUN(test_strings_escape_like_json_stringify);
    RUN(test_string_scan_matches_byte_loop);
    RUN(test_pretty_print_two_spaces);
    RUN(test_buf_limit_refuses_and_keeps_content);
    RUN(test_truthy_is_javascript_boolean);
    return check_report("util/jsonw");
}
