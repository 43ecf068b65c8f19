/* tests/unit/extract/test_text.c: WHATWG UTF-8 decoding with replacement, UTF-16 lengths,
 * text files, and the PDF extractor's failure paths (empty and corrupt files). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extract/extract.h"
#include "extract/text.h"
#include "support/check.h"

static char *dec(const char *in, size_t n)
{
    static char *last;
    free(last);
    size_t len = 0;
    last = NULL;
    if (text_decode_utf8(in, n, &last, &len) != SP_OK)
        return NULL;
    return last;
}

static void test_valid_utf8_is_unchanged(void)
{
    const char *s = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
    CHECK_STR_EQ(dec(s, strlen(s)), s);
    CHECK_STR_EQ(dec("", 0), "");
}

static void test_invalid_sequences_become_replacements(void)
{
    /* FF FE -> two U+FFFD (each byte is its own maximal subpart) */
    CHECK_STR_EQ(dec("\xff\xfe", 2), "\xef\xbf\xbd\xef\xbf\xbd");
    /* a truncated E2 82 -> one U+FFFD */
    CHECK_STR_EQ(dec("a\xe2\x82", 3), "a\xef\xbf\xbd");
    /* truncated sequence followed by ASCII: the ASCII byte is kept */
    CHECK_STR_EQ(dec("\xe2\x82z", 3), "\xef\xbf\xbdz");
    /* surrogate encoded in UTF-8 (ED A0 80): ED is a subpart, then A0, 80 each */
    CHECK_STR_EQ(dec("\xed\xa0\x80", 3), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    /* overlong C0 AF -> two */
    CHECK_STR_EQ(dec("\xc0\xaf", 2), "\xef\xbf\xbd\xef\xbf\xbd");
    /* F4 90 (beyond U+10FFFF) -> two */
    CHECK_STR_EQ(dec("\xf4\x90", 2), "\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_bom_is_kept(void)
{
    CHECK_STR_EQ(dec("\xef\xbb\xbfhi", 5), "\xef\xbb\xbfhi");
}

static void test_utf16_length_counts_like_javascript(void)
{
    CHECK_EQ_INT(text_utf16_len("", 0), 0);
    CHECK_EQ_INT(text_utf16_len("abc", 3), 3);
    CHECK_EQ_INT(text_utf16_len("\xc3\xa9", 2), 1);         /* é */
    CHECK_EQ_INT(text_utf16_len("\xe2\x82\xac", 3), 1);     /* € */
    CHECK_EQ_INT(text_utf16_len("\xf0\x9f\x98\x80", 4), 2); /* emoji: surrogate pair */
    CHECK_EQ_INT(text_utf16_len("\xef\xbb\xbf", 3), 1);     /* BOM */
}

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fwrite(data, 1, n, f);
    fclose(f);
}

static void test_extract_text_and_pdf_failures(void)
{
    char path[] = "/tmp/sprout-test-extract-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    struct extract_result r;
    struct sp_error err = { 0 };

    write_file(path, "caf\xc3\xa9 \xff", 7);
    CHECK_EQ_INT(extract_file(path, "text/markdown", &r, &err), SP_OK);
    CHECK(!r.failed);
    CHECK_STR_EQ(r.text, "caf\xc3\xa9 \xef\xbf\xbd");
    CHECK_EQ_INT(r.utf16_len, 6);
    extract_result_clear(&r);

    write_file(path, "", 0);
    CHECK_EQ_INT(extract_file(path, "text/plain", &r, &err), SP_OK);
    CHECK(!r.failed);
    CHECK_STR_EQ(r.text, "");
    extract_result_clear(&r);

    CHECK_EQ_INT(extract_file(path, "application/pdf", &r, &err), SP_OK);
    CHECK(r.failed);
    CHECK(r.text == NULL);
    CHECK_STR_EQ(r.error, "empty file");
    extract_result_clear(&r);

    write_file(path, "%PDF-1.4\nthis is not a pdf at all\n", 34);
    CHECK_EQ_INT(extract_file(path, "application/pdf", &r, &err), SP_OK);
    CHECK(r.failed);
    CHECK(r.error[0] != '\0');
    CHECK_EQ_INT(r.utf16_len, 0);
    extract_result_clear(&r);

    CHECK(extract_file(path, "image/png", &r, &err) == SP_EUNSUPPORTED);
    CHECK(extract_mime_supported("text/x-markdown"));
    CHECK(!extract_mime_supported("application/octet-stream"));
    unlink(path);
    CHECK(extract_file(path, "text/plain", &r, &err) == SP_EIO);
}

int main(void)
{
    RUN(test_valid_utf8_is_unchanged);
    RUN(test_invalid_sequences_become_replacements);
    RUN(test_bom_is_kept);
    RUN(test_utf16_length_counts_like_javascript);
    RUN(test_extract_text_and_pdf_failures);
    dec(NULL, 0);
    return check_report("test_text");
}
