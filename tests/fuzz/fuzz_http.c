/* tests/fuzz/fuzz_http.c: libFuzzer target: raw bytes on a connection to the real server
 * (request line, router and percent-decoding, headers, query string, JSON bodies and their
 * validation, multipart, keep-alive pipelining). A crash or sanitizer report anywhere in the
 * server's threads stops the fuzzer. */
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup(1);
    fuzz_http(data, size);
    return 0;
}
