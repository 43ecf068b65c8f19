/* tests/fuzz/fuzz_multipart.c: libFuzzer target: the input is the body of a document upload
 * (multipart/form-data with a fixed boundary) to an existing node of the real server: the
 * multipart parser, part callbacks, size/type checks, staging and extraction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup(1);
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "POST /api/nodes/" FUZZ_NODE "/documents HTTP/1.1\r\nHost: x\r\n"
                      "Connection: close\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                      "Content-Length: %zu\r\n\r\n", size);
    uint8_t *req = malloc((size_t)hl + size);
    if (!req)
        return 0;
    memcpy(req, head, (size_t)hl);
    memcpy(req + hl, data, size);
    fuzz_http(req, (size_t)hl + size);
    free(req);
    return 0;
}
