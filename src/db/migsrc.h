/* db/migsrc.h: where migrations are read from: a folder in drizzle-kit's layout, or the
 * drizzle/ folder built into the binary at build time (util/embed.h).
 *
 * Readers of a migrations folder (the journal, NNNN_tag.sql, NNNN_tag.down.sql, snapshots) go
 * through one interface so that `sprout serve` and `sprout db migrate|status|check|rollback|
 * baseline|reset` work from any working directory. The choice is made in cli/ (--migrations DIR
 * > ./drizzle when it exists > built in); writers (`db generate`) always use a folder.
 * A relative name is given as in the folder: "meta/_journal.json", "0001_x.sql".
 * Ownership: a struct migsrc borrows its dir string. Thread model: read-only, any thread.
 */
#ifndef SP_DB_MIGSRC_H
#define SP_DB_MIGSRC_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* The prefix of the built-in migrations in the embedded table (SQLite, PostgreSQL). */
#define MIGSRC_EMBED_PREFIX "drizzle/"
#define MIGSRC_EMBED_PREFIX_PG "drizzle-pg/"

struct migsrc {
    const char *dir; /* the folder; NULL = the built-in set */
    bool pg;         /* built-in set: drizzle-pg/ (PostgreSQL) instead of drizzle/ */
};

static inline struct migsrc migsrc_folder(const char *dir)
{
    return (struct migsrc){ .dir = dir };
}
static inline struct migsrc migsrc_builtin(void)
{
    return (struct migsrc){ .dir = NULL };
}
static inline struct migsrc migsrc_builtin_pg(void)
{
    return (struct migsrc){ .dir = NULL, .pg = true };
}
static inline bool migsrc_is_builtin(const struct migsrc *s)
{
    return s->dir == NULL;
}

/* How the source is named in messages: the folder as given without a leading "./", or
 * "built-in". */
const char *migsrc_name(const struct migsrc *s);
/* The full name of a file of the source, for messages: "drizzle/meta/_journal.json" or
 * "built-in:meta/_journal.json". Written into buf (always NUL-terminated). */
const char *migsrc_file_name(const struct migsrc *s, const char *rel, char *buf, size_t size);
/* Does the built-in set hold a journal (false in a binary built without drizzle/)? */
bool migsrc_builtin_available(void);
bool migsrc_builtin_pg_available(void); /* the same for drizzle-pg/ */
/* Read a file of the source into a new NUL-terminated string (free()); *len (may be NULL) gets
 * its length. A missing file is SP_ENOTFOUND naming it. */
int migsrc_read(const struct migsrc *s, const char *rel, char **out, size_t *len,
                struct sp_error *err);
/* The newest snapshot by drizzle-kit's rule (names in meta/ not starting with '_' or '.',
 * sorted as strings, the last): a new string "meta/NNNN_snapshot.json", or NULL (SP_OK) when
 * there is none. */
int migsrc_latest_snapshot(const struct migsrc *s, char **rel, struct sp_error *err);

#endif
