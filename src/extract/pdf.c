/* extract/pdf.c: PDF text with poppler-glib (see pdf.h). The only file that uses poppler.
 *
 * poppler-glib is NOT linked: it drags in poppler, cairo, glib, gobject, gio, libstdc++, nss,
 * X11 client libraries ... (~15 MiB of RSS and ~20 ms of start-up in every process, even
 * `sprout --help`). It is loaded with dlopen on the first PDF, once per process (pthread_once),
 * and never unloaded. <poppler.h> is still included, only for the types and prototypes: every
 * call goes through a function pointer whose type is taken from the real prototype, so a
 * mismatch with the headers is a compile error. If the library cannot be loaded, every PDF
 * extraction says failed with a message naming the library, and the process carries on.
 *
 * Ownership: everything poppler/glib allocates is released before returning.
 * Thread model: one process-wide mutex serialises all poppler use; loading is pthread_once.
 */
#include "extract/pdf.h"

#include <dlfcn.h>
#include <poppler.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "extract/text.h"
#include "util/buf.h"

/* The sonames come from libpoppler-glib-dev's .so links; a unit test overrides the first one to
 * exercise the "cannot load" path. */
#ifndef SP_PDF_POPPLER_SONAME
#define SP_PDF_POPPLER_SONAME "libpoppler-glib.so.8"
#endif
#define SP_PDF_GOBJECT_SONAME "libgobject-2.0.so.0"
#define SP_PDF_GLIB_SONAME "libglib-2.0.so.0"

/* The functions we call, typed from the headers' own prototypes. */
static struct {
    __typeof__(g_filename_to_uri) *filename_to_uri;
    __typeof__(g_free) *free;
    __typeof__(g_error_free) *error_free;
    __typeof__(g_object_unref) *object_unref;
    __typeof__(poppler_document_new_from_file) *document_new_from_file;
    __typeof__(poppler_document_get_n_pages) *document_get_n_pages;
    __typeof__(poppler_document_get_page) *document_get_page;
    __typeof__(poppler_page_get_text) *page_get_text;
} lib;

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static bool lib_ready;
static char lib_error[256]; /* why loading failed; written once inside lib_once */

static pthread_mutex_t pdf_lock = PTHREAD_MUTEX_INITIALIZER;

static void lib_fail(const char *what, const char *name)
{
    const char *detail = dlerror();
    snprintf(lib_error, sizeof lib_error, "PDF support unavailable: %s %s%s%s%s", what, name,
             detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
}

/* dlsym into *slot (a function pointer of any type); memcpy because ISO C has no conversion
 * from void * to a function pointer. */
static bool lib_sym(void *handle, const char *soname, const char *name, void *slot,
                    size_t slot_size)
{
    dlerror();
    void *p = dlsym(handle, name);
    if (!p || slot_size != sizeof p) {
        char what[128];
        snprintf(what, sizeof what, "symbol %s not found in", name);
        lib_fail(what, soname);
        return false;
    }
    memcpy(slot, &p, sizeof p);
    return true;
}

#define LIB_SYM(handle, soname, field, name) \
    lib_sym((handle), (soname), (name), &lib.field, sizeof lib.field)

static void lib_load(void)
{
    /* RTLD_LOCAL: nothing of poppler's leaks into the global namespace; never dlclosed. */
    void *pop = dlopen(SP_PDF_POPPLER_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!pop) {
        lib_fail("cannot load", SP_PDF_POPPLER_SONAME);
        return;
    }
    /* Already loaded as poppler-glib's dependencies: these only take a reference. */
    void *gobj = dlopen(SP_PDF_GOBJECT_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!gobj) {
        lib_fail("cannot load", SP_PDF_GOBJECT_SONAME);
        return;
    }
    void *glib = dlopen(SP_PDF_GLIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!glib) {
        lib_fail("cannot load", SP_PDF_GLIB_SONAME);
        return;
    }
    if (LIB_SYM(glib, SP_PDF_GLIB_SONAME, filename_to_uri, "g_filename_to_uri") &&
        LIB_SYM(glib, SP_PDF_GLIB_SONAME, free, "g_free") &&
        LIB_SYM(glib, SP_PDF_GLIB_SONAME, error_free, "g_error_free") &&
        LIB_SYM(gobj, SP_PDF_GOBJECT_SONAME, object_unref, "g_object_unref") &&
        LIB_SYM(pop, SP_PDF_POPPLER_SONAME, document_new_from_file,
                "poppler_document_new_from_file") &&
        LIB_SYM(pop, SP_PDF_POPPLER_SONAME, document_get_n_pages, "poppler_document_get_n_pages") &&
        LIB_SYM(pop, SP_PDF_POPPLER_SONAME, document_get_page, "poppler_document_get_page") &&
        LIB_SYM(pop, SP_PDF_POPPLER_SONAME, page_get_text, "poppler_page_get_text"))
        lib_ready = true;
}

static void fail_with(bool *failed, char *why, size_t why_size, const char *msg)
{
    *failed = true;
    snprintf(why, why_size, "%s", msg && *msg ? msg : "could not parse PDF");
}

/* Fails with gerr's message (or the default) and frees gerr. Called with pdf_lock held. */
static void fail_with_gerror(bool *failed, char *why, size_t why_size, GError *gerr)
{
    fail_with(failed, why, why_size, gerr ? gerr->message : NULL);
    if (gerr)
        lib.error_free(gerr);
}

/* Called with pdf_lock held and the library loaded. */
static int extract_locked(const char *path, struct buf *out, bool *failed, char *why,
                          size_t why_size)
{
    GError *gerr = NULL;
    char *uri = lib.filename_to_uri(path, NULL, &gerr);
    if (!uri) {
        fail_with_gerror(failed, why, why_size, gerr);
        return SP_OK;
    }
    PopplerDocument *doc = lib.document_new_from_file(uri, NULL, &gerr);
    lib.free(uri);
    if (!doc) {
        fail_with_gerror(failed, why, why_size, gerr);
        return SP_OK;
    }
    int rc = SP_OK;
    int n = lib.document_get_n_pages(doc);
    for (int i = 0; i < n && rc == SP_OK; i++) {
        PopplerPage *page = lib.document_get_page(doc, i);
        char *t = page ? lib.page_get_text(page) : NULL;
        if (t)
            rc = buf_puts(out, t);
        if (rc == SP_OK)
            rc = buf_printf(out, "\n\n-- %d of %d --\n\n", i + 1, n);
        lib.free(t);
        if (page)
            lib.object_unref(page);
    }
    lib.object_unref(doc);
    return rc;
}

int pdf_extract_file(const char *path, char **text, size_t *text_len, bool *failed, char *why,
                     size_t why_size)
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
    pthread_once(&lib_once, lib_load);
    if (!lib_ready) {
        fail_with(failed, why, why_size, lib_error);
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
