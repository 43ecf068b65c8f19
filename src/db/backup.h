/* db/backup.h: consistent online copies with SQLite's backup API, and restore.
 *
 * backup_to_path() copies page by page while holding one read transaction on the source, so
 * the copy is the consistent state of one moment even while other connections (the server)
 * keep writing; busy/locked steps are retried. The copy is switched to journal_mode=DELETE so
 * that it is one self-contained file. restore is the same copy in the other direction, after
 * the source file passed PRAGMA integrity_check.
 * Ownership: the caller owns the struct db; strings returned are new (free()).
 * Thread model: one caller per connection.
 */
#ifndef SP_DB_BACKUP_H
#define SP_DB_BACKUP_H

#include "db/conn.h"
#include "util/err.h"

/* Copy the live database to dest (must not exist), safe while other connections write. */
int backup_to_path(struct db *db, const char *dest, struct sp_error *err);
/* "<db_path>.YYYYMMDD_HHMMSS" (local time). New string (free()), NULL when out of memory. */
char *backup_default_path(const char *db_path);
/* Is path a readable SQLite database that passes integrity_check? */
int backup_verify(const char *path, struct sp_error *err);
/* Replace the contents of db with the database at src (verified first). */
int backup_restore_from(struct db *db, const char *src, struct sp_error *err);

#endif
