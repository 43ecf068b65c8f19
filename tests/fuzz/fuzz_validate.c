/* tests/fuzz/fuzz_validate.c: libFuzzer target: JSON body validation through the real route
 * handlers. The first byte picks a POST/PATCH route of api_routes[] (path parameters are the
 * fixture's ids), the rest is the body given to the handler as application/json. Runs the
 * handler in-process on the fuzzer's thread against the scratch database. */
#include <string.h>

#include "api/api.h"
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup(0);
    static struct api_ctx ctx;
    ctx.db_path = fuzz_db_path();
    if (size == 0)
        return 0;
    size_t n_body = 0, pick = data[0];
    const struct api_route *r = NULL;
    for (size_t i = 0; i < api_n_routes; i++)
        if (api_routes[i].handler && (strcmp(api_routes[i].method, "POST") == 0 ||
                                      strcmp(api_routes[i].method, "PATCH") == 0))
            n_body++;
    if (n_body == 0)
        return 0;
    pick %= n_body;
    for (size_t i = 0; i < api_n_routes; i++)
        if (api_routes[i].handler && (strcmp(api_routes[i].method, "POST") == 0 ||
                                      strcmp(api_routes[i].method, "PATCH") == 0) && pick-- == 0) {
            r = &api_routes[i];
            break;
        }
    struct arena a = { 0 };
    char *body = arena_alloc(&a, size);
    if (!body)
        return 0;
    memcpy(body, data + 1, size - 1);
    body[size - 1] = '\0';
    struct api_req req = { .ctx = &ctx, .method = r->method, .path = r->pattern, .arena = &a,
                           .content_type = "application/json", .body = body,
                           .body_len = size - 1 };
    /* every :param gets an id that exists for some table (node, branch, user) */
    const char *ids[] = { FUZZ_NODE, FUZZ_BRANCH, FUZZ_USER, "x" };
    for (const char *p = r->pattern; (p = strchr(p, ':')) != NULL && req.n_params < API_MAX_PARAMS; p++)
        req.params[req.n_params] = ids[(data[0] >> 4 >> req.n_params) & 3], req.n_params++;
    struct api_resp resp = { .body_is_json = true };
    r->handler(&req, &resp);
    buf_release(&resp.body);
    arena_free(&a);
    return 0;
}
