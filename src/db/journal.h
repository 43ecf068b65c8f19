/* db/journal.h: the migrations folder's meta/_journal.json (drizzle-kit format, version "7").
 *
 * journal_load() reads and validates the journal the way drizzle-orm's migrator needs it:
 * entries in array order, each with an integer `when` (the migration's identity for the
 * migrator) and a `tag` naming <dir>/<tag>.sql. Tags with '/', '\' or ".." are refused, so a
 * journal cannot point outside its folder. Error messages name the file and the entry.
 * Ownership: a struct journal owns its entries and the parsed JSON (raw, kept so that a
 * rewrite preserves unknown keys and their order); journal_free() releases them.
 * Thread model: plain data.
 */
#ifndef SP_DB_JOURNAL_H
#define SP_DB_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "db/migsrc.h"
#include "util/buf.h"
#include "util/err.h"

struct journal_entry {
    long long idx;
    const char *version; /* borrowed from raw */
    long long when;      /* milliseconds since the epoch */
    const char *tag;     /* borrowed from raw */
    bool breakpoints;
};

struct journal {
    struct journal_entry *entries;
    size_t n;
    json_t *raw;  /* the whole parsed file */
    bool missing; /* no _journal.json (journal_load with allow_missing) */
};

/* Load <dir>/meta/_journal.json. With allow_missing, a missing file gives an empty journal
 * (generate on a new folder); otherwise it is SP_ENOTFOUND "Can't find meta/_journal.json". */
int journal_load(const char *dir, bool allow_missing, struct journal *out, struct sp_error *err);
/* The same from a migrations source (a folder or the built-in set, db/migsrc.h). */
int journal_load_src(const struct migsrc *src, bool allow_missing, struct journal *out,
                     struct sp_error *err);
void journal_free(struct journal *j);
/* <tag>.sql of the source into a new string (free()); SP_ENOTFOUND names the file. */
int journal_read_sql(const struct migsrc *src, const char *tag, char **out, size_t *len,
                     struct sp_error *err);
/* The journal text with one more entry appended, as drizzle-kit rewrites it (spec §2): the
 * parsed file with unknown keys kept in place (or a new {"version":"7","dialect":"sqlite",
 * "entries":[]} when j->missing), entry {idx, version "6", when, tag, breakpoints}, idx =
 * last idx + 1 (0 when empty), 2-space JSON.stringify, no trailing newline. j->raw is
 * modified (the entry is added). */
int journal_render_append(struct journal *j, long long when, const char *tag, bool breakpoints,
                          struct buf *out);
/* The same for a dialect: "sqlite" (entry version "6") or "postgresql" (entry version "7"). */
int journal_render_append_dialect(struct journal *j, long long when, const char *tag,
                                  bool breakpoints, const char *dialect, struct buf *out);
/* Next idx for a new entry: last entry's idx + 1, or 0. */
long long journal_next_idx(const struct journal *j);
/* Read a whole file (new, free()); SP_ENOTFOUND / SP_EIO with the path in the message. */
int file_read_all(const char *path, char **out, size_t *len, struct sp_error *err);

#endif
