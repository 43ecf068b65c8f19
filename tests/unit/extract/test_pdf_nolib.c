/* tests/unit/extract/test_pdf_nolib.c: PDF extraction when poppler-glib cannot be loaded.
 * Compiles its own copy of src/extract/pdf.c with the library's soname pointed at a name that
 * does not exist (and the public function renamed so it does not clash with the linked copy):
 * every PDF then says failed with a message naming the library, repeatedly, and files that fail
 * before poppler is needed (missing, empty) keep their own messages. */
#define SP_PDF_POPPLER_SONAME "libsprout-test-no-such-poppler.so.8"
#define pdf_extract_file pdf_extract_file_nolib
#include "extract/pdf.c"

#include <unistd.h>

#include "support/check.h"

static char tmpl[] = "/tmp/sprout-pdf-nolib-XXXXXX";

static void write_tmp(const char *data)
{
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    size_t n = strlen(data);
    CHECK(write(fd, data, n) == (ssize_t)n);
    close(fd);
}

static void test_missing_library_fails_naming_it(void)
{
    write_tmp("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    for (int round = 0; round < 2; round++) {
        char *text = (char *)"x";
        size_t len = 7;
        bool failed = false;
        char why[256] = "";
        CHECK_EQ_INT(pdf_extract_file_nolib(tmpl, &text, &len, &failed, why, sizeof why), SP_OK);
        CHECK(failed);
        CHECK(text == NULL);
        CHECK_EQ_INT(len, 0);
        CHECK(strstr(why, "PDF support unavailable") != NULL);
        CHECK(strstr(why, "libsprout-test-no-such-poppler.so.8") != NULL);
    }
    unlink(tmpl);
}

static void test_empty_and_missing_files_keep_their_messages(void)
{
    char *text;
    size_t len;
    bool failed;
    char why[256];
    CHECK_EQ_INT(pdf_extract_file_nolib("/nonexistent/sprout.pdf", &text, &len, &failed, why,
                                        sizeof why),
                 SP_OK);
    CHECK(failed);
    CHECK_STR_EQ(why, "file not readable");
    char empty[] = "/tmp/sprout-pdf-nolib-empty-XXXXXX";
    int fd = mkstemp(empty);
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ_INT(pdf_extract_file_nolib(empty, &text, &len, &failed, why, sizeof why), SP_OK);
    CHECK(failed);
    CHECK_STR_EQ(why, "empty file");
    unlink(empty);
}

int main(void)
{
    RUN(test_missing_library_fails_naming_it);
    RUN(test_empty_and_missing_files_keep_their_messages);
    return check_report("test_pdf_nolib");
}
