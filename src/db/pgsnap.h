/* db/pgsnap.h: drizzle-kit's PostgreSQL snapshots (meta/NNNN_snapshot.json, version "7",
 * dialect "postgresql") as jansson values.
 *
 * The PostgreSQL side of the generator works on the snapshot JSON itself (no struct
 * model_schema): a "body" is a snapshot without id/prevId/version/dialect/_meta, i.e. the
 * objects tables ("schema.name" keys), enums, schemas, sequences, roles, policies, views, with
 * drizzle-kit's key order. Bodies come from the compiled-in schema (its PostgreSQL facts:
 * pg_type, pg_def_sql, pg_constraint, see db/schema.c), from a conformance case file
 * (tests/data/drizzle-kit-pg/cases/stepNN.json) or from a snapshot file; pgdiff compares two.
 * Ownership: every json_t * returned is a new reference (json_decref()).
 * Thread model: pure functions.
 */
#ifndef SP_DB_PGSNAP_H
#define SP_DB_PGSNAP_H

#include <jansson.h>

#include "db/model.h"
#include "db/snapshot.h"
#include "util/buf.h"
#include "util/err.h"

/* An empty table object (name, schema, the empty object maps, isRLSEnabled false) in
 * drizzle-kit's key order; schema NULL means "". */
json_t *pgsnap_table_shell(const char *name, const char *schema);
/* The body of s in PostgreSQL (every table in schema public). */
int pgsnap_from_model(const struct model_schema *s, json_t **out, struct sp_error *err);
/* Load a snapshot file: the body in *out, ids in meta (may be NULL). Fails with SP_EINVAL on
 * malformed files, on another dialect and on a version other than "7". */
int pgsnap_load_file(const char *path, json_t **out, struct snapshot_meta *meta,
                     struct sp_error *err);
int pgsnap_load_text(const char *name, const char *text, size_t len, json_t **out,
                     struct snapshot_meta *meta, struct sp_error *err);
/* A case file or a snapshot file, whichever path is (by its "dialect"/"version" keys). */
int pgsnap_load_any(const char *path, json_t **out, struct sp_error *err);
/* The snapshot text: body with ids, 2-space JSON.stringify, no trailing newline. */
int pgsnap_write(struct buf *out, const json_t *body, const char *id, const char *prev_id);
/* drizzle-kit's folder check for a PostgreSQL folder: every snapshot loads and no two share a
 * prevId. */
int pgsnap_validate_dir(const char *dir, struct sp_error *err);

#endif
