/* db/pgmigrate.h: drizzle-orm's PostgreSQL migrator, reimplemented, plus status, rollback,
 * baseline, reset and seed on PostgreSQL (the SQLite side is db/migrate.h).
 *
 * Tracking as drizzle-orm's node-postgres migrator does it (tests/data/drizzle-kit-pg/README.md):
 * schema "drizzle", table "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL,
 * created_at bigint), created with drizzle's DDL outside the transaction; the newest row by
 * created_at decides what is pending (journal `when` > created_at); every pending migration
 * runs in ONE transaction, each chunk between `--> statement-breakpoint` markers sent as is, one
 * row (SHA-256 of the file, `when`) per migration. So drizzle's tools and ours accept each
 * other's databases.
 * Our addition: a session-level advisory lock (PGMIGRATE_LOCK_KEY) is held from before the
 * schema is created until after the commit, so that instances started together migrate once:
 * the others wait, then find nothing pending. drizzle's migrator takes no lock (it is not
 * blocked by ours either: run one migrator at a time when mixing tools).
 * Folders are read first (migrate_folder_load of db/migrate.h); errors leave the database as
 * it was.
 * Thread model: one connection, one caller.
 */
#ifndef SP_DB_PGMIGRATE_H
#define SP_DB_PGMIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "db/migrate.h"
#include "db/pg.h"
#include "util/err.h"

#define PGMIGRATE_SCHEMA "drizzle"
/* pg_advisory_lock key: the bytes of "sprout:m" as a big-endian bigint */
#define PGMIGRATE_LOCK_KEY "8318274334790793837"

/* All tracking rows by id (none when the table is missing). */
int pgmigrate_rows_load(struct pg *pg, struct migrate_row **rows, size_t *n, struct sp_error *err);
/* How many journal migrations pgmigrate_apply() would run now. */
int pgmigrate_count_pending(struct pg *pg, const struct migrate_folder *f, size_t *n_pending,
                            struct sp_error *err);
/* Apply pending migrations (see above). log gets one line per migration; *n_applied how many. */
int pgmigrate_apply(struct pg *pg, const struct migrate_folder *f, FILE *log, size_t *n_applied,
                    struct sp_error *err);
/* Undo the last `steps` migrations with their <tag>.down.sql, deleting their rows, in one
 * transaction (under the lock). */
int pgmigrate_rollback(struct pg *pg, const struct migrate_folder *f, size_t steps, FILE *log,
                       struct sp_error *err);
/* Record migrations 0..upto as applied without running them (one transaction). */
int pgmigrate_record_upto(struct pg *pg, const struct migrate_folder *f, size_t upto, FILE *log,
                          size_t *n_recorded, struct sp_error *err);
/* Drop every table, type and sequence of schema public and the schema "drizzle" (one
 * transaction); *n_dropped (may be NULL) gets how many tables there were. */
int pgmigrate_reset(struct pg *pg, size_t *n_dropped, struct sp_error *err);
/* Insert the default user (db/seed.h) when missing; race-free (ON CONFLICT (id) DO NOTHING). */
int pgmigrate_seed(struct pg *pg, bool *inserted, struct sp_error *err);
/* Run statements (each possibly several) in one transaction: all or nothing (db push). */
int pgmigrate_push_statements(struct pg *pg, char *const *sql, size_t n, struct sp_error *err);

#endif
