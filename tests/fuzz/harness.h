/* tests/fuzz/harness.h: what the libFuzzer targets share: a scratch folder, a migrated
 * database with one user, branch and node, and a real `sprout serve` server (http/server.h)
 * running inside the fuzzer process on a loopback port, so that the targets that speak HTTP
 * exercise the same parser, router, query handling, body validation and multipart code as the
 * binary. Built only by `make fuzz` (clang -fsanitize=fuzzer,address,undefined).
 * Thread model: fuzz_setup() runs once on the fuzzer's thread; the server's threads run the
 * requests; fuzz_http() is called from the fuzzer's thread only.
 */
#ifndef SP_FUZZ_HARNESS_H
#define SP_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_NODE "11111111-1111-4111-8111-111111111111"
#define FUZZ_BRANCH "22222222-2222-4222-8222-222222222222"
#define FUZZ_USER "00000000-0000-0000-0000-000000000000"

/* Once per process: scratch folder (returned), migrated database with the fixed rows above.
 * with_server: also start the HTTP server. Exits the process on failure. */
const char *fuzz_setup(int with_server);
/* The scratch database's path. */
const char *fuzz_db_path(void);
/* Send bytes on a fresh loopback connection, half-close, read the answer until the server
 * closes (bounded). Returns the number of bytes read. */
size_t fuzz_http(const uint8_t *data, size_t size);
/* Write data to a scratch file (name under the scratch folder, created 0600); returns path. */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

#endif
