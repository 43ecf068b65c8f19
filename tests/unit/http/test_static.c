/* tests/unit/http/test_static.c: http/static.c without a socket: which paths it owns, the reply
 * for the embedded page (headers, gzip twin, 304, the ETag the same on every request and from
 * the bytes), refused paths, and --web DIR with fallback (an edited file gets a new ETag). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/static.h"
#include "support/check.h"
#include "util/embed.h"

static const char *hdr(struct MHD_Response *r, const char *name)
{
    return MHD_get_response_header(r, name);
}

static void test_owns(void)
{
    CHECK(http_static_owns("/"));
    CHECK(http_static_owns("/js/app.js"));
    CHECK(http_static_owns("/apix"));
    CHECK(!http_static_owns("/api"));
    CHECK(!http_static_owns("/api/health"));
    CHECK(!http_static_owns("/API/branches"));
    CHECK(!http_static_owns("relative"));
}

static void test_page(void)
{
    struct MHD_Response *r = NULL;
    CHECK_EQ_INT(http_static_reply(NULL, "/", NULL, NULL, &r), 200);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_STR_EQ(hdr(r, "Content-Type"), "text/html; charset=utf-8");
    const char *csp = hdr(r, "Content-Security-Policy");
    CHECK(csp && strstr(csp, "script-src 'self'") && !strstr(csp, "unsafe-inline"));
    CHECK(hdr(r, "Content-Encoding") == NULL);
    char etag[64];
    snprintf(etag, sizeof etag, "%s", hdr(r, "ETag") ? hdr(r, "ETag") : "");
    CHECK(etag[0] == '"');
    MHD_destroy_response(r);

    CHECK_EQ_INT(http_static_reply(NULL, "/", "br, gzip;q=0.8", NULL, &r), 200);
    CHECK_STR_EQ(hdr(r, "Content-Encoding"), "gzip");
    CHECK(strcmp(hdr(r, "ETag"), etag) != 0);
    MHD_destroy_response(r);
    CHECK_EQ_INT(http_static_reply(NULL, "/", "gzip;q=0", NULL, &r), 200);
    CHECK(hdr(r, "Content-Encoding") == NULL);
    MHD_destroy_response(r);

    CHECK_EQ_INT(http_static_reply(NULL, "/", NULL, etag, &r), 304);
    MHD_destroy_response(r);
    CHECK_EQ_INT(http_static_reply(NULL, "/js/app.js", NULL, NULL, &r), 200);
    CHECK_STR_EQ(hdr(r, "Content-Type"), "text/javascript; charset=utf-8");
    CHECK(hdr(r, "Content-Security-Policy") == NULL);
    MHD_destroy_response(r);
    CHECK_EQ_INT(http_static_reply(NULL, "/vendor/purify.min.js", NULL, NULL, &r), 200);
    MHD_destroy_response(r);
}

/* The ETag of path (no If-None-Match) into out, "" when there is no 200 reply. */
static void etag_of(const char *dir, const char *path, const char *ae, char *out, size_t cap)
{
    struct MHD_Response *r = NULL;
    out[0] = '\0';
    if (http_static_reply(dir, path, ae, NULL, &r) == 200 && r && hdr(r, "ETag"))
        snprintf(out, cap, "%s", hdr(r, "ETag"));
    if (r)
        MHD_destroy_response(r);
}

static void test_embedded_etag(void)
{
    /* the ETag is FNV-1a 64 of the file's bytes, quoted, whether computed on the first request
     * or served from the table after it */
    const struct embed_file *f = embed_find("build/web/js/app.js");
    CHECK(f != NULL);
    if (!f)
        return;
    unsigned long long h = 1469598103934665603ull;
    for (size_t i = 0; i < f->len; i++) {
        h ^= f->data[i];
        h *= 1099511628211ull;
    }
    char want[40], want_gz[40], a[64], b[64], c[64];
    snprintf(want, sizeof want, "\"%016llx\"", h);
    snprintf(want_gz, sizeof want_gz, "\"%016llx-gz\"", h);
    etag_of(NULL, "/js/app.js", NULL, a, sizeof a);
    etag_of(NULL, "/js/app.js", NULL, b, sizeof b);
    CHECK_STR_EQ(a, want);
    CHECK_STR_EQ(b, want);
    etag_of(NULL, "/js/app.js", "gzip", c, sizeof c);
    CHECK(strcmp(c, want) == 0 || strcmp(c, want_gz) == 0); /* the twin when it is smaller */
    /* each file its own */
    etag_of(NULL, "/", NULL, b, sizeof b);
    CHECK(b[0] == '"' && strcmp(a, b) != 0);
}

static void test_refused(void)
{
    const char *bad[] = { "/nope.js",  "/../Makefile", "/js/../../Makefile", "/.git/config", "//x",
                          "/%2e%2e/x", "/a\\b",        "/topic/abc",         "/index.html/" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct MHD_Response *r = NULL;
        CHECK_EQ_INT(http_static_reply(NULL, bad[i], NULL, NULL, &r), 404);
        CHECK(r && strncmp(hdr(r, "Content-Type"), "application/json", 16) == 0);
        if (r)
            MHD_destroy_response(r);
    }
}

static void test_web_dir(void)
{
    char dir[] = "/tmp/sprout-static-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/index.html", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("dev", f);
    fclose(f);
    struct MHD_Response *r = NULL;
    CHECK_EQ_INT(http_static_reply(dir, "/", "gzip", NULL, &r), 200);
    CHECK(hdr(r, "Content-Encoding") == NULL); /* the folder's file, as it is */
    MHD_destroy_response(r);
    /* development: an edited file is answered with its new bytes and a new ETag at once */
    char before[64], embedded[64], after[64];
    etag_of(dir, "/", NULL, before, sizeof before);
    etag_of(NULL, "/", NULL, embedded, sizeof embedded);
    CHECK(before[0] == '"' && strcmp(before, embedded) != 0);
    CHECK_EQ_INT(http_static_reply(dir, "/", NULL, before, &r), 304);
    MHD_destroy_response(r);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("dev, edited", f);
        fclose(f);
    }
    etag_of(dir, "/", NULL, after, sizeof after);
    CHECK(after[0] == '"' && strcmp(after, before) != 0);
    CHECK_EQ_INT(http_static_reply(dir, "/", NULL, before, &r), 200);
    MHD_destroy_response(r);
    CHECK_EQ_INT(http_static_reply(dir, "/app.css", NULL, NULL, &r), 200); /* embedded fallback */
    MHD_destroy_response(r);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(test_owns);
    RUN(test_page);
    RUN(test_embedded_etag);
    RUN(test_refused);
    RUN(test_web_dir);
    return check_report("test_static");
}
