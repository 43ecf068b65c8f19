/* db/snapshot.h: drizzle-kit snapshot files (meta/NNNN_snapshot.json, version "6") and the
 * conformance case files (tests/data/drizzle-kit/cases/stepNN.json), to and from
 * struct model_schema.
 *
 * Writing follows spec/drizzle-compat.md §4 byte for byte (key order, defaults as JSON
 * numbers/booleans/strings, 2-space JSON.stringify, no trailing newline).
 * Ownership: a loaded schema owns its memory (model_schema_free()).
 * Thread model: pure functions.
 */
#ifndef SP_DB_SNAPSHOT_H
#define SP_DB_SNAPSHOT_H

#include <stddef.h>

#include "db/diff.h"
#include "db/model.h"
#include "util/buf.h"
#include "util/err.h"

#define SNAPSHOT_ORIGIN_ID "00000000-0000-0000-0000-000000000000"

struct snapshot_meta {
    char id[64];
    char prev_id[64];
    char version[16];
};

/* Load a snapshot file; meta may be NULL. Malformed files fail with SP_EINVAL naming the file
 * and what is wrong ("... data is malformed: tables.nodes.columns missing"). */
int snapshot_load_file(const char *path, struct model_schema *out, struct snapshot_meta *meta,
                       struct sp_error *err);
/* The same from a snapshot's text (len bytes); name stands for the file in messages. */
int snapshot_load_text(const char *name, const char *text, size_t len, struct model_schema *out,
                       struct snapshot_meta *meta, struct sp_error *err);
/* Load a conformance case file (`cases/stepNN.json` format) as a schema. */
int snapshot_load_case(const char *path, struct model_schema *out, struct sp_error *err);
/* Serialise s as a drizzle-kit snapshot with the given ids and this migration's renames. */
int snapshot_write(struct buf *out, const struct model_schema *s, const char *id,
                   const char *prev_id, const struct diff_rename *renames, size_t n_renames);
/* Path of the newest snapshot in <dir>/meta by drizzle-kit's rule (names not starting with
 * '_', sorted as strings, last one). *path = NULL (and SP_OK) when there is none. new string. */
int snapshot_latest_path(const char *dir, char **path, struct sp_error *err);
/* All snapshot paths of <dir>/meta (names not starting with '_' or '.'), sorted as strings.
 * A missing meta folder gives none. Free with snapshot_list_free(). */
int snapshot_list(const char *dir, char ***paths, size_t *n, struct sp_error *err);
void snapshot_list_free(char **paths, size_t n);
/* drizzle-kit's folder validation (generate and check, spec §6.1/§7): every snapshot loads
 * (version 6, well formed) and no two share a prevId. The message lists every problem. */
int snapshot_validate_dir(const char *dir, struct sp_error *err);

#endif
