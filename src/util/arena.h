/* util/arena.h: a bump allocator for memory that lives and dies together
 * (a loaded schema, one request). Nothing is freed individually; arena_free() releases all.
 * Allocation failure returns NULL. Thread model: one thread at a time.
 */
#ifndef SP_UTIL_ARENA_H
#define SP_UTIL_ARENA_H

#include <stddef.h>

struct arena_block;
struct arena {
    struct arena_block *head;
};

#define ARENA_INIT \
    {              \
        NULL       \
    }

void *arena_alloc(struct arena *a, size_t n);       /* zeroed, 16-byte aligned */
char *arena_strdup(struct arena *a, const char *s); /* NULL s -> NULL */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(struct arena *a); /* NULL-safe; arena reusable after */

#endif
