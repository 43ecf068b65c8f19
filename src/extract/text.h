/* extract/text.h: bytes -> UTF-8 text the way the original (Node's TextDecoder / Buffer
 * toString('utf8')) sees them, and JavaScript string lengths.
 *
 * Decoding follows the WHATWG UTF-8 decoder: every maximal subpart of an ill-formed sequence
 * becomes one U+FFFD; a leading BOM is kept (as U+FEFF); valid input comes out byte-identical.
 * Ownership: text_decode_utf8() returns new memory (free()). Thread model: stateless.
 */
#ifndef SP_EXTRACT_TEXT_H
#define SP_EXTRACT_TEXT_H

#include <stddef.h>

#include "util/err.h"

/* Decode in[0..n) into *out (NUL-terminated, new) with *out_len bytes. SP_ENOMEM only. */
int text_decode_utf8(const char *in, size_t n, char **out, size_t *out_len);
/* Length in UTF-16 code units (JavaScript .length) of valid UTF-8 s[0..n). */
size_t text_utf16_len(const char *s, size_t n);
/* Read the file at path and decode it (text/plain, text/markdown). SP_EIO with a message. */
int text_extract_file(const char *path, char **out, size_t *out_len, struct sp_error *err);

#endif
