/* db/pgbackup.h: backup and restore of a PostgreSQL database with PostgreSQL's own tools.
 *
 * A consistent online copy of PostgreSQL is pg_dump's job (one snapshot transaction, any size,
 * restorable into another server version); reimplementing it over libpq would be worse. So
 * `sprout db backup` runs `pg_dump --format=custom` and `sprout db restore` runs `pg_restore
 * --clean --if-exists --no-owner` (Debian: postgresql-client), found on PATH or in
 * /usr/lib/postgresql/<version>/bin. Without them the error says what to install or use
 * instead (the host's managed backups, PITR). Programs are run directly (fork + exec, no shell).
 * Thread model: blocking calls on the caller's thread.
 */
#ifndef SP_DB_PGBACKUP_H
#define SP_DB_PGBACKUP_H

#include "util/err.h"

/* pg_dump url into dest (must not exist). */
int pgbackup_dump(const char *url, const char *dest, struct sp_error *err);
/* Is src a file pg_restore can read: it exists (else SP_ENOTFOUND "... does not exist") and
 * starts like a pg_dump custom archive (else SP_EDB "... is not a usable PostgreSQL backup").
 * Checked before restore asks or touches anything, as backup_verify() does for SQLite. */
int pgbackup_verify(const char *src, struct sp_error *err);
/* pg_restore src (a pg_dump custom archive) into url, replacing the objects it holds. */
int pgbackup_restore(const char *url, const char *src, struct sp_error *err);

#endif
