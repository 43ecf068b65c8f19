/* tests/unit/http/test_router.c: route matching (http/router.c) against a small table and the
 * real api_routes[]: case, trailing slash, params and their percent-decoding, HEAD, 404 vs 405
 * with the Allow list. */
#include "http/router.h"

#include "support/check.h"

static int h_dummy(struct api_req *req, struct api_resp *resp)
{
    (void)req, (void)resp;
    return 0;
}

static const struct api_route routes[] = {
    { "GET", "/api/health", h_dummy, NULL },
    { "GET", "/api/nodes/:id", h_dummy, NULL },
    { "PATCH", "/api/nodes/:id", h_dummy, NULL },
    { "GET", "/api/nodes/:id/children", h_dummy, NULL },
    { "DELETE", "/api/nodes/:nodeId/documents/:documentId", h_dummy, NULL },
};
static const struct http_route_table table = { routes, sizeof routes / sizeof routes[0] };

static int find(const char *method, const char *path, struct arena *a, struct http_route_match *m)
{
    return http_route_find(&table, method, path, a, m);
}

static void test_literal_case_and_slash(void)
{
    struct arena a = ARENA_INIT;
    struct http_route_match m;
    CHECK_EQ_INT(find("GET", "/api/health", &a, &m), HTTP_ROUTE_FOUND);
    CHECK(m.route == &routes[0]);
    CHECK_EQ_INT(find("GET", "/API/Health", &a, &m), HTTP_ROUTE_FOUND);
    CHECK_EQ_INT(find("GET", "/api/health/", &a, &m), HTTP_ROUTE_FOUND);
    CHECK_EQ_INT(find("GET", "/api/health//", &a, &m), HTTP_ROUTE_NO_PATH);
    CHECK_EQ_INT(find("GET", "/api//health", &a, &m), HTTP_ROUTE_NO_PATH);
    CHECK_EQ_INT(find("GET", "/api/healthz", &a, &m), HTTP_ROUTE_NO_PATH);
    CHECK_EQ_INT(find("GET", "/api", &a, &m), HTTP_ROUTE_NO_PATH);
    CHECK_EQ_INT(find("GET", "/", &a, &m), HTTP_ROUTE_NO_PATH);
    CHECK_EQ_INT(find("GET", "", &a, &m), HTTP_ROUTE_NO_PATH);
    arena_free(&a);
}

static void test_params(void)
{
    struct arena a = ARENA_INIT;
    struct http_route_match m;
    CHECK_EQ_INT(find("GET", "/api/nodes/AbC", &a, &m), HTTP_ROUTE_FOUND);
    CHECK(m.route == &routes[1]);
    CHECK_EQ_INT(m.n_params, 1);
    CHECK_STR_EQ(m.params[0], "AbC");
    CHECK_EQ_INT(find("GET", "/api/nodes/a%2Fb%20c+d/", &a, &m), HTTP_ROUTE_FOUND);
    CHECK_STR_EQ(m.params[0], "a/b c+d");
    CHECK_EQ_INT(find("GET", "/api/nodes/x/CHILDREN", &a, &m), HTTP_ROUTE_FOUND);
    CHECK(m.route == &routes[3]);
    CHECK_STR_EQ(m.params[0], "x");
    CHECK_EQ_INT(find("DELETE", "/api/nodes/n1/documents/d%C3%BC", &a, &m), HTTP_ROUTE_FOUND);
    CHECK_EQ_INT(m.n_params, 2);
    CHECK_STR_EQ(m.params[0], "n1");
    CHECK_STR_EQ(m.params[1], "d\xc3\xbc");
    CHECK_EQ_INT(find("GET", "/api/nodes/", &a, &m), HTTP_ROUTE_NO_PATH); /* empty param */
    CHECK_EQ_INT(find("GET", "/api/nodes/%zz", &a, &m), HTTP_ROUTE_BAD_PATH);
    CHECK_EQ_INT(find("GET", "/api/nodes/%4", &a, &m), HTTP_ROUTE_BAD_PATH);
    CHECK_EQ_INT(find("GET", "/api/nodes/a%00b", &a, &m), HTTP_ROUTE_BAD_PATH);
    arena_free(&a);
}

static void test_methods(void)
{
    struct arena a = ARENA_INIT;
    struct http_route_match m;
    CHECK_EQ_INT(find("HEAD", "/api/nodes/x", &a, &m), HTTP_ROUTE_FOUND);
    CHECK(m.route == &routes[1]);
    CHECK_EQ_INT(find("PATCH", "/api/nodes/x", &a, &m), HTTP_ROUTE_FOUND);
    CHECK(m.route == &routes[2]);
    CHECK_EQ_INT(find("PUT", "/api/nodes/x", &a, &m), HTTP_ROUTE_BAD_METHOD);
    CHECK_STR_EQ(m.allow, "GET, HEAD, PATCH, OPTIONS");
    CHECK_EQ_INT(find("POST", "/api/health", &a, &m), HTTP_ROUTE_BAD_METHOD);
    CHECK_STR_EQ(m.allow, "GET, HEAD, OPTIONS");
    arena_free(&a);
}

static void test_real_table(void)
{
    struct http_route_table real = { api_routes, api_n_routes };
    struct arena a = ARENA_INIT;
    struct http_route_match m;
    /* /api/nodes/children is GET /api/nodes/:id with id "children" (spec/api.md §1.3) */
    CHECK_EQ_INT(http_route_find(&real, "GET", "/api/nodes/children", &a, &m), HTTP_ROUTE_FOUND);
    CHECK_STR_EQ(m.route->pattern, "/api/nodes/:id");
    CHECK_EQ_INT(http_route_find(&real, "GET", "/api/nodes/n/contents/active", &a, &m),
                 HTTP_ROUTE_FOUND);
    CHECK_STR_EQ(m.route->pattern, "/api/nodes/:nodeId/contents/active");
    CHECK_EQ_INT(http_route_find(&real, "POST", "/api/nodes/n/documents", &a, &m),
                 HTTP_ROUTE_FOUND);
    CHECK(m.route->upload != NULL);
    /* every pattern matches itself with its params filled */
    for (size_t i = 0; i < api_n_routes; i++) {
        CHECK_EQ_INT(http_route_find(&real, api_routes[i].method, api_routes[i].pattern, &a, &m),
                     HTTP_ROUTE_FOUND);
        CHECK(m.route && strcmp(m.route->method, api_routes[i].method) == 0);
    }
    arena_free(&a);
}

static void test_percent_decode(void)
{
    struct arena a = ARENA_INIT;
    CHECK_STR_EQ(http_percent_decode(&a, "a+b%41", 6, true), "a bA");
    CHECK_STR_EQ(http_percent_decode(&a, "a+b%41", 6, false), "a+bA");
    CHECK_STR_EQ(http_percent_decode(&a, "", 0, false), "");
    CHECK(http_percent_decode(&a, "%", 1, false) == NULL);
    CHECK(http_percent_decode(&a, "%g0", 3, false) == NULL);
    arena_free(&a);
}

int main(void)
{
    RUN(test_literal_case_and_slash);
    RUN(test_params);
    RUN(test_methods);
    RUN(test_real_table);
    RUN(test_percent_decode);
    return check_report("test_router");
}
