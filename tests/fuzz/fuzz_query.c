/* tests/fuzz/fuzz_query.c: libFuzzer target: the input is the query string (and anything
 * after it) of `GET /api/nodes?<input>` and of a POST to the chat messages route, sent to the
 * real server: query parsing, duplicate and too-many checks, filters reaching SQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void send_with(const char *head, const uint8_t *data, size_t size, const char *tail)
{
    size_t hl = strlen(head), tl = strlen(tail);
    uint8_t *req = malloc(hl + size + tl);
    if (!req)
        return;
    memcpy(req, head, hl);
    memcpy(req + hl, data, size);
    memcpy(req + hl + size, tail, tl);
    fuzz_http(req, hl + size + tl);
    free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup(1);
    if (size && data[0] & 1)
        send_with("GET /api/nodes?", data + 1, size - 1, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    else
        send_with("GET /api/progress?", data + (size ? 1 : 0), size ? size - 1 : 0,
                  " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return 0;
}
