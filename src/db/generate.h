/* db/generate.h: `db generate` on a migrations folder (spec/drizzle-compat.md §1, §2, §6):
 * validate the folder, diff the latest snapshot against a schema, and write the next
 * NNNN_tag.sql, NNNN_tag.down.sql (the reverse migration, our addition), meta/NNNN_snapshot.json
 * and the journal entry. Files are written to temporary names first and renamed into place,
 * the journal last, so a failure never leaves a half-written migration.
 * Also generate_down_between(): the down SQL for two consecutive snapshots.
 * Ownership: struct generate_result owns its strings (generate_result_free()).
 * Thread model: one call at a time per folder (no locking against concurrent generators).
 */
#ifndef SP_DB_GENERATE_H
#define SP_DB_GENERATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "db/diff.h"
#include "db/model.h"
#include "util/err.h"

struct generate_options {
    const char *dir;                   /* migrations folder */
    const struct model_schema *schema; /* the wanted schema (SQLite) */
    const json_t *pg_schema;           /* or: the wanted PostgreSQL snapshot body (db/pgsnap.h);
                                           non-NULL selects the postgresql dialect */
    const char *name;                  /* --name (validated [a-z0-9_]+), or NULL for random words */
    const struct diff_answer *answers;
    size_t n_answers;
    diff_ask_fn ask; /* terminal prompt or NULL */
    void *ask_ud;
    long long now_ms; /* 0 = the wall clock */
};

struct generate_result {
    bool no_changes;
    char *tag;       /* "0004_brave_wolverine" */
    char *sql_path;  /* <dir>/<tag>.sql */
    char *down_path; /* <dir>/<tag>.down.sql */
    char *snapshot_path;
    long long when;
    bool when_bumped; /* the clock was not after the last entry: when = last + 1 */
    char **questions; /* with SP_EABORT: the open rename questions and their flags */
    size_t n_questions;
    char **changes; /* summary lines of what changed */
    size_t n_changes;
};

int generate_run(const struct generate_options *opt, struct generate_result *res,
                 struct sp_error *err);
void generate_result_free(struct generate_result *res);

/* true when name is a valid --name: [a-z0-9_]+, at most 100 bytes. */
bool generate_name_valid(const char *name);

#endif
