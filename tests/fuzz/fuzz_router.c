/* tests/fuzz/fuzz_router.c: libFuzzer target: http_route_find() over the real route table:
 * "METHOD path" with arbitrary bytes (percent-decoding, trailing slashes, case, NUL). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "X" };
    if (size == 0)
        return 0;
    const char *method = methods[data[0] & 7];
    char *path = malloc(size);
    if (!path)
        return 0;
    memcpy(path, data + 1, size - 1);
    path[size - 1] = '\0';
    struct http_route_table t = { api_routes, api_n_routes };
    struct arena a = { 0 };
    struct http_route_match m;
    int rc = http_route_find(&t, method, path, &a, &m);
    if (rc == HTTP_ROUTE_FOUND)
        for (size_t i = 0; i < m.n_params; i++)
            if (!m.params[i] || strlen(m.params[i]) > size)
                abort();
    arena_free(&a);
    free(path);
    return 0;
}
