/* tests/unit/http/test_static.c: http/static.c without a socket: which paths it owns, the reply
 * for the embedded page (headers, gzip twin, 304), refused paths, and --web DIR with fallback. */
#include <microhttpd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/static.h"
#include "support/check.h"

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
    CHECK_EQ_INT(http_static_reply(dir, "/app.css", NULL, NULL, &r), 200); /* embedded fallback */
    MHD_destroy_response(r);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(test_owns);
    RUN(test_page);
    RUN(test_refused);
    RUN(test_web_dir);
    return check_report("test_static");
}
