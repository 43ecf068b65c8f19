/* db/migrate.h: drizzle-orm's SQLite migrator, reimplemented (spec/drizzle-compat.md §3),
 * plus status, rollback (down migrations) and baseline.
 *
 * migrate_apply() reads the whole folder first (journal + every SQL file; errors leave the
 * database untouched), creates "__drizzle_migrations" with drizzle's exact DDL outside the
 * transaction, then applies every pending migration (journal `when` > newest created_at) in one
 * transaction, recording SHA-256 hash and `when`. On failure everything of the run is rolled
 * back and err names the migration, the statement and SQLite's message.
 * Thread model: one connection, one caller.
 */
#ifndef SP_DB_MIGRATE_H
#define SP_DB_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

#include "db/conn.h"
#include "util/err.h"

#define MIGRATE_TABLE "__drizzle_migrations"

/* Number of journal migrations that migrate_apply() would run now. */
int migrate_count_pending(struct db *db, const char *dir, size_t *n_pending, struct sp_error *err);
/* Apply pending migrations. log (may be NULL) gets one line per applied migration.
 * *n_applied (may be NULL) gets how many ran. */
int migrate_apply(struct db *db, const char *dir, FILE *log, size_t *n_applied, struct sp_error *err);

#endif
