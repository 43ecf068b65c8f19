/* util/ids.h: random UUID v4 ids (libuuid), lower-case with hyphens, as the original's
 * crypto.randomUUID(). Thread model: thread-safe. */
#ifndef SP_UTIL_IDS_H
#define SP_UTIL_IDS_H

#include <stdbool.h>

#define IDS_UUID_LEN 36

void ids_uuid_v4(char out[37]);
/* true when s looks like a canonical UUID (36 chars, hex and hyphens). */
bool ids_is_uuid(const char *s);

#endif
