/* db/migrate.h: drizzle-orm's SQLite migrator, reimplemented (spec/drizzle-compat.md §3),
 * plus status, rollback (down migrations) and baseline.
 *
 * migrate_apply() reads the whole folder first (journal + every SQL file; errors leave the
 * database untouched), creates "__drizzle_migrations" with drizzle's exact DDL outside the
 * transaction, then applies every pending migration (journal `when` > newest created_at) in one
 * transaction, recording SHA-256 hash and `when`. On failure everything of the run is rolled
 * back and err names the migration, the statement and SQLite's message.
 * One deliberate leniency: a chunk (text between `--> statement-breakpoint` markers) holding
 * several statements is run statement by statement (drizzle refuses it); a chunk without any
 * statement is an error as in drizzle. Down migrations (rollback) are `<tag>.down.sql` beside
 * `<tag>.sql`, chunked and executed the same way.
 * Ownership: a struct migrate_folder owns its journal and file contents (migrate_folder_free);
 * tracking rows from migrate_rows_load are owned by the caller (migrate_rows_free).
 * Thread model: one connection, one caller.
 */
#ifndef SP_DB_MIGRATE_H
#define SP_DB_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "db/conn.h"
#include "db/journal.h"
#include "db/migsrc.h"
#include "util/err.h"

#define MIGRATE_TABLE "__drizzle_migrations"
#define MIGRATE_BREAKPOINT "--> statement-breakpoint"

struct migrate_file {
    const char *tag; /* borrowed from the journal */
    long long when;
    char *sql; /* whole file, owned */
    size_t len;
    char hash[65]; /* SHA-256, lowercase hex */
};

struct migrate_folder {
    struct migsrc src; /* where it was read from (a folder or the built-in set) */
    struct journal journal;
    struct migrate_file *files;
    size_t n;
};

/* One row of the tracking table, in rowid order. */
struct migrate_row {
    long long rowid;
    char *hash;        /* owned */
    double created_at; /* Number(created_at), as drizzle compares it */
};

/* Read the journal and every migration file of a source, hash them. Touches no database. */
int migrate_folder_load(const struct migsrc *src, struct migrate_folder *out, struct sp_error *err);
void migrate_folder_free(struct migrate_folder *f);

/* SHA-256 of data as 64 lowercase hex digits + NUL. */
int migrate_sha256_hex(const void *data, size_t len, char out[65]);

/* Execute a migration text the migrator's way: split on the breakpoint marker, each chunk
 * statement by statement. what names the migration in error messages. No transaction here. */
int migrate_exec_script(struct db *db, const char *sql, const char *what, struct sp_error *err);

/* Create the tracking table with drizzle's exact DDL (autocommit). */
int migrate_table_ensure(struct db *db, struct sp_error *err);
/* Does the tracking table exist? */
int migrate_table_exists(struct db *db, bool *exists, struct sp_error *err);
/* All tracking rows in rowid order (none when the table is missing). */
int migrate_rows_load(struct db *db, struct migrate_row **rows, size_t *n, struct sp_error *err);
void migrate_rows_free(struct migrate_row *rows, size_t n);
/* qsort comparator on struct migrate_row: newest created_at first, then highest rowid. */
int migrate_cmp_newest_first(const void *a, const void *b);
/* The folder's migration whose journal "when" equals r's created_at; NULL when none. */
const struct migrate_file *migrate_file_for_row(const struct migrate_folder *f,
                                                const struct migrate_row *r);
/* The newest created_at (drizzle's "last" row); *have = false when none. */
int migrate_last_created(struct db *db, bool *have, double *created_at, struct sp_error *err);
/* drizzle's pending rule: no last row, or last < when. */
bool migrate_is_pending(bool have_last, double last, long long when);

/* Number of journal migrations that migrate_apply() would run now. */
int migrate_count_pending(struct db *db, const struct migrate_folder *f, size_t *n_pending,
                          struct sp_error *err);
/* Apply pending migrations of a loaded folder. log (may be NULL) gets one line per applied
 * migration. *n_applied (may be NULL) gets how many ran. */
int migrate_apply_folder(struct db *db, const struct migrate_folder *f, FILE *log,
                         size_t *n_applied, struct sp_error *err);
/* Load a source, then migrate_apply_folder. */
int migrate_apply(struct db *db, const struct migsrc *src, FILE *log, size_t *n_applied,
                  struct sp_error *err);

/* Undo the last `steps` applied migrations (newest first) with their <tag>.down.sql files (from
 * the folder's source) and
 * delete their tracking rows, in one transaction. Missing down files or tracking rows that
 * match no journal entry fail before anything runs. log gets one line per migration. */
int migrate_rollback(struct db *db, const struct migrate_folder *f, size_t steps, FILE *log,
                     struct sp_error *err);

/* Record migrations 0..upto (journal indexes) as applied without running them: inserts the
 * missing tracking rows (real hash, `when`) in one transaction. log lists what was recorded. */
int migrate_record_upto(struct db *db, const struct migrate_folder *f, size_t upto, FILE *log,
                        size_t *n_recorded, struct sp_error *err);

/* db push: run statements (each possibly several) in one transaction with foreign keys off
 * around it, and PRAGMA foreign_key_check before COMMIT. All or nothing. */
int migrate_push_statements(struct db *db, char *const *sql, size_t n, struct sp_error *err);

#endif
