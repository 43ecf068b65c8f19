/* util/hash.h: FNV-1a, 64 bits: a fast, stable hash of bytes (the same on every machine and in
 * every process), for cache validators and orderings; never for security.
 * Chain pieces by passing the previous result as h (start with HASH_FNV1A_INIT).
 */
#ifndef SP_UTIL_HASH_H
#define SP_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A_INIT 1469598103934665603ull

uint64_t hash_fnv1a(const void *data, size_t n, uint64_t h);

#endif
