/* tests/unit/http/test_mhd_errors.c: the interposed MHD_queue_response (http/mhd_errors.c) on
 * a bare libmicrohttpd daemon: the executable exports it (the library's calls reach it), a
 * reply queued through http_queue_response() keeps its own status, body and headers (404 HTML
 * stays HTML), so does the 401 of the library's basic-auth helper, the library's own errors become JSON with the security headers and CORS from
 * the registered list, and every status's body is JSON with an "error" string. */
#include "http/mhd_errors.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/check.h"

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    (void)cls, (void)method, (void)version, (void)upload_data, (void)con_cls;
    *upload_data_size = 0;
    static const char page[] = "<html>not here</html>";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof page - 1, (void *)page, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "text/html");
    /* the library's own 401 helper reaches the interposer too: it must pass untouched */
    enum MHD_Result ret = strcmp(url, "/auth") == 0
                              ? MHD_queue_basic_auth_fail_response(c, "sprout", r)
                              : http_queue_response(c, 404, r);
    MHD_destroy_response(r);
    return ret;
}

/* Send req to the daemon on port; the whole reply (until the server closes) into out. */
static size_t exchange(unsigned port, const char *req, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    (void)!write(fd, req, strlen(req));
    size_t n = 0;
    ssize_t k;
    while (n + 1 < cap && (k = read(fd, out + n, cap - 1 - n)) > 0)
        n += (size_t)k;
    out[n] = '\0';
    close(fd);
    return n;
}

static void test_exported(void)
{
    CHECK(http_mhd_errors_active());
}

static void test_bodies_are_json(void)
{
    const unsigned statuses[] = { 400, 401, 413, 414, 417, 431, 500, 503, 505, 599 };
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        json_t *j = json_loads(http_mhd_error_body(statuses[i]), 0, NULL);
        CHECK(j && json_is_string(json_object_get(j, "error")));
        json_decref(j);
    }
}

static void test_daemon(void)
{
    struct sockaddr_in lo = { .sin_family = AF_INET, .sin_port = 0 };
    lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&lo, MHD_OPTION_END);
    CHECK(d != NULL);
    if (!d)
        return;
    struct http_cors cors;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(http_cors_parse(NULL, &cors, &err), SP_OK);
    http_mhd_errors_register(d, &cors);
    unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    char buf[8192];

    /* our own reply: untouched */
    exchange(port, "GET /x HTTP/1.0\r\n\r\n", buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 404", 12) == 0 || strncmp(buf, "HTTP/1.0 404", 12) == 0);
    CHECK(strstr(buf, "<html>not here</html>") != NULL);
    CHECK(strstr(buf, "application/json") == NULL);

    exchange(port, "GET /auth HTTP/1.0\r\n\r\n", buf, sizeof buf);
    CHECK(strstr(buf, " 401 ") != NULL);
    CHECK(strstr(buf, "WWW-Authenticate: Basic realm=\"sprout\"") != NULL);
    CHECK(strstr(buf, "<html>not here</html>") != NULL);
    CHECK(strstr(buf, "application/json") == NULL);

    /* the library's own: JSON, nosniff, CSP, CORS for an allowed origin only */
    exchange(port, "GET /x HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:5173\r\nBad\r\n\r\n",
             buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 400", 12) == 0);
    CHECK(strstr(buf, "Content-Type: application/json; charset=utf-8\r\n") != NULL);
    CHECK(strstr(buf, "X-Content-Type-Options: nosniff\r\n") != NULL);
    CHECK(strstr(buf, "Content-Security-Policy: default-src 'none'") != NULL);
    CHECK(strstr(buf, "Access-Control-Allow-Origin: http://localhost:5173\r\n") != NULL);
    CHECK(strstr(buf, "\r\n\r\n{\"error\":\"malformed HTTP request") != NULL);
    exchange(port, "GET /x HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nBad\r\n\r\n", buf,
             sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 400", 12) == 0);
    CHECK(strstr(buf, "Access-Control-Allow-Origin") == NULL);

    /* the Content-Length errors: one header block, then the JSON */
    exchange(port, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 400", 12) == 0);
    CHECK(strstr(buf + 1, "HTTP/1.1") == NULL);
    CHECK(strstr(buf, "\r\n\r\n{\"error\":\"malformed Content-Length header\"}") != NULL);

    /* unregistered: still JSON, no CORS */
    http_mhd_errors_unregister(d);
    exchange(port, "GET /x HTTP/9.9\r\nHost: x\r\nOrigin: http://localhost:5173\r\n\r\n", buf,
             sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 505", 12) == 0);
    CHECK(strstr(buf, "{\"error\":\"HTTP version not supported") != NULL);
    CHECK(strstr(buf, "Access-Control-Allow-Origin") == NULL);
    MHD_stop_daemon(d);
    http_cors_free(&cors);
}

int main(void)
{
    RUN(test_exported);
    RUN(test_bodies_are_json);
    RUN(test_daemon);
    return check_report("test_mhd_errors");
}
