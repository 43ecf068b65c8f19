/* util/ids.h: random UUID v4 ids (libuuid), lower-case with hyphens, as the original's
 * crypto.randomUUID(). Thread model: thread-safe. */
#ifndef SP_UTIL_IDS_H
#define SP_UTIL_IDS_H

#define IDS_UUID_LEN 36                  /* characters, without the NUL */
#define IDS_UUID_SIZE (IDS_UUID_LEN + 1) /* a buffer for one id */

void ids_uuid_v4(char out[IDS_UUID_SIZE]);

#endif
