/* util/ids.c: UUID v4 generation through libuuid (see ids.h). */
#include "util/ids.h"

#include <uuid/uuid.h>

void ids_uuid_v4(char out[IDS_UUID_SIZE])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}
