/* db/backup.h: consistent online copies with SQLite's backup API, and restore. */
#ifndef SP_DB_BACKUP_H
#define SP_DB_BACKUP_H

#include "db/conn.h"
#include "util/err.h"

/* Copy the live database to dest (must not exist), safe while other connections write. */
int backup_to_path(struct db *db, const char *dest, struct sp_error *err);
/* "<db_path>.YYYYMMDD_HHMMSS" (local time). New string (free()). */
char *backup_default_path(const char *db_path);

#endif
