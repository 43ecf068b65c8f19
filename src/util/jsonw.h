/* util/jsonw.h: JSON text exactly as JavaScript's JSON.stringify writes it.
 *
 * drizzle-kit's snapshots and journals are JSON.stringify(value, null, 2) with no trailing
 * newline, and the original API's bodies are compact JSON.stringify; both must match byte for
 * byte. That means JavaScript number formatting (shortest round-trip, `1e+21` style for huge
 * and tiny values, integral doubles without a decimal point), escaping only `"`, `\` and
 * control characters, and non-ASCII written raw. jansson's own dumper differs on numbers, so
 * every JSON text we emit goes through here.
 * All functions append to a struct buf and return SP_OK or SP_ETOOBIG/SP_ENOMEM.
 * Thread model: stateless.
 */
#ifndef SP_UTIL_JSONW_H
#define SP_UTIL_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define JSONW_NUMBER_SIZE 32 /* the longest number text and its NUL */

/* Append the JavaScript String(x) of a double ("1", "0.1", "1e+21", "5e-7"); NaN/inf -> "null". */
int jsonw_number(struct buf *b, double x);
/* Format into a caller buffer of JSONW_NUMBER_SIZE bytes; returns the length. */
size_t jsonw_format_number(char out[JSONW_NUMBER_SIZE], double x);
/* Append a JSON string literal for UTF-8 bytes s[0..n). */
int jsonw_string(struct buf *b, const char *s, size_t n);
int jsonw_cstring(struct buf *b, const char *s);
/* Append a jansson value; indent 0 = compact, else that many spaces per level (2 for drizzle). */
int jsonw_dump(struct buf *b, const json_t *v, int indent);
/* JavaScript's Boolean(v) of a JSON value: false for NULL (absent: undefined), null, false, 0,
 * and ""; true otherwise (every object and array). */
bool jsonw_truthy(const json_t *v);

#endif
