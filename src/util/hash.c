/* util/hash.c: FNV-1a, 64 bits (see hash.h). */
#include "util/hash.h"

uint64_t hash_fnv1a(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}
