/* util/buf.h: a growable byte buffer with a hard size limit.
 *
 * struct buf owns its bytes; buf_release() frees them, buf_detach() hands them to the caller
 * (free() them). The data is always NUL-terminated after any successful append, so b->data can
 * be used as a C string when the content has no NUL. Appending past b->limit (0 = no limit)
 * fails with SP_ETOOBIG and leaves the buffer unchanged.
 * Thread model: a buffer belongs to one thread at a time.
 */
#ifndef SP_UTIL_BUF_H
#define SP_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;
};

#define BUF_INIT(lim)     \
    {                     \
        NULL, 0, 0, (lim) \
    }

int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);       /* len = 0, keeps memory */
void buf_release(struct buf *b);     /* frees; NULL-safe; buffer reusable afterwards */
char *buf_detach(struct buf *b);     /* returns new (free()), never NULL: "" when empty */
const char *buf_cstr(struct buf *b); /* borrowed; "" when empty */

#endif
