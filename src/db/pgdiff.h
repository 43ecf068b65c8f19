/* db/pgdiff.h: the PostgreSQL diff engine: old snapshot body -> new body as the statements
 * drizzle-kit 0.31 writes for dialect postgresql (db/pgsnap.h for bodies).
 *
 * Same contract as db/diff.h (answers / ask / default_create for rename questions, a
 * struct diff_result with sql, changes, questions, renames), with drizzle-kit's PostgreSQL
 * rules: statements grouped by kind in its fixed order (schemas, enums, new tables, drops,
 * renames, constraint drops, column changes, new columns, foreign keys and indexes, dropped
 * columns, new constraints, enum and schema drops), `--> statement-breakpoint` joins them.
 * Renames are asked, like drizzle-kit, for schemas ("schema:<name>"), enums ("enum:<name>",
 * "enum:<schema>.<name>" outside public), tables ("table:<name>", "table:<schema>.<name>") and
 * columns ("column:<table>.<column>"); only table and column renames are recorded in `renames`
 * (the down migration answers "create" for schemas and enums).
 * data_loss lists DROP TABLE / DROP COLUMN statements (db push asks for --force).
 * Not handled (drizzle-kit does them): sequences, roles, policies, views, moving a table or
 * enum to another schema, identity changes of an existing column.
 * Thread model: pure function of its inputs.
 */
#ifndef SP_DB_PGDIFF_H
#define SP_DB_PGDIFF_H

#include <jansson.h>

#include "db/diff.h"
#include "util/err.h"

/* The SQL text of a snapshot default (strings as is, numbers and booleans as JSON) and of a
 * column's type (enums as "schema"."name", public ones as "name"). New strings. */
char *pgdiff_default_text(const json_t *d);
char *pgdiff_type_text(const json_t *col);

int pgdiff_bodies(const json_t *old_body, const json_t *new_body, const struct diff_options *opt,
                  struct diff_result *out, struct sp_error *err);

#endif
