/* util/embed.h: files built into the binary (the migrations folder drizzle/ and the agents'
 * prompts src/agents/prompts/), so that an installed `sprout` needs no files beside it.
 *
 * scripts/embed.sh writes build/gen/embedded.c at build time: one entry per file, its path
 * relative to the repository root ("drizzle/meta/_journal.json", "src/agents/prompts/tutor.md"),
 * its bytes followed by a NUL (so text files are C strings) and its length without that NUL.
 * Entries are sorted by path.
 * Thread model: read-only data.
 */
#ifndef SP_UTIL_EMBED_H
#define SP_UTIL_EMBED_H

#include <stddef.h>

struct embed_file {
    const char *path;
    const unsigned char *data;
    size_t len;
};

extern const struct embed_file embed_files[];
extern const size_t embed_n_files;

/* The entry for path, or NULL. */
const struct embed_file *embed_find(const char *path);

#endif
