/* util/embed.c: look-ups in the table of embedded files (the table itself is generated, see
 * embed.h). Thread model: read-only. */
#include "util/embed.h"

#include <string.h>

const struct embed_file *embed_find(const char *path)
{
    size_t lo = 0, hi = embed_n_files;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(path, embed_files[mid].path);
        if (c == 0)
            return &embed_files[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
