/* util/ids.c: UUID v4 generation through libuuid (see ids.h). */
#include "util/ids.h"

#include <ctype.h>
#include <string.h>
#include <uuid/uuid.h>

void ids_uuid_v4(char out[37])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

bool ids_is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}
