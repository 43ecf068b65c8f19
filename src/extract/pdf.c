/* extract/pdf.c: PDF text with poppler-glib (see pdf.h). The only file that includes poppler.
 * Everything poppler allocates is released before returning; one process-wide mutex. */
#include "extract/pdf.h"

#include <poppler.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "extract/text.h"
#include "util/buf.h"

static pthread_mutex_t pdf_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail_with(bool *failed, char *why, size_t why_size, const char *msg)
{
    *failed = true;
    snprintf(why, why_size, "%s", msg && *msg ? msg : "could not parse PDF");
}

/* Called with pdf_lock held. */
static int extract_locked(const char *path, struct buf *out, bool *failed, char *why,
                          size_t why_size)
{
    GError *gerr = NULL;
    char *uri = g_filename_to_uri(path, NULL, &gerr);
    if (!uri) {
        fail_with(failed, why, why_size, gerr ? gerr->message : NULL);
        g_clear_error(&gerr);
        return SP_OK;
    }
    PopplerDocument *doc = poppler_document_new_from_file(uri, NULL, &gerr);
    g_free(uri);
    if (!doc) {
        fail_with(failed, why, why_size, gerr ? gerr->message : NULL);
        g_clear_error(&gerr);
        return SP_OK;
    }
    int rc = SP_OK;
    int n = poppler_document_get_n_pages(doc);
    for (int i = 0; i < n && rc == SP_OK; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        char *t = page ? poppler_page_get_text(page) : NULL;
        if (t)
            rc = buf_puts(out, t);
        if (rc == SP_OK)
            rc = buf_printf(out, "\n\n-- %d of %d --\n\n", i + 1, n);
        g_free(t);
        if (page)
            g_object_unref(page);
    }
    g_object_unref(doc);
    return rc;
}

int pdf_extract_file(const char *path, char **text, size_t *text_len, bool *failed,
                     char *why, size_t why_size)
{
    *text = NULL;
    *text_len = 0;
    *failed = false;
    struct stat st;
    if (stat(path, &st) != 0) {
        fail_with(failed, why, why_size, "file not readable");
        return SP_OK;
    }
    if (st.st_size == 0) {
        fail_with(failed, why, why_size, "empty file");
        return SP_OK;
    }
    struct buf out = BUF_INIT(0);
    pthread_mutex_lock(&pdf_lock);
    int rc = extract_locked(path, &out, failed, why, why_size);
    pthread_mutex_unlock(&pdf_lock);
    if (rc == SP_OK && !*failed) {
        /* poppler returns UTF-8; run it through the decoder so the stored text is valid. */
        rc = text_decode_utf8(out.data ? out.data : "", out.len, text, text_len);
    }
    buf_release(&out);
    return rc;
}
