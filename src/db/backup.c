/* db/backup.c: online backup and restore with sqlite3_backup_* (see backup.h).
 * Thread model: one caller per connection.
 */
#include "db/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BACKUP_STEP_PAGES 256   /* pages per sqlite3_backup_step */
#define BACKUP_RETRY_MS 20      /* pause before retrying a busy/locked step */
#define BACKUP_MAX_RETRIES 1500 /* 30 s of busy steps, then give up */

char *backup_default_path(const char *db_path)
{
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    if (!localtime_r(&now, &tm) || strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm) == 0)
        return NULL;
    size_t n = strlen(db_path) + strlen(stamp) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.%s", db_path, stamp);
    return p;
}

/* Copy every page of src ("main") into dst ("main"). what names the direction in errors. */
static int copy_pages(sqlite3 *dst, sqlite3 *src, struct db *err_db, const char *what,
                      struct sp_error *err)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b)
        return sp_error_set(err, SP_EDB, "%s: %s", what, sqlite3_errmsg(dst));
    int rc, retries = 0;
    for (;;) {
        rc = sqlite3_backup_step(b, BACKUP_STEP_PAGES);
        if (rc == SQLITE_OK)
            continue;
        if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++retries < BACKUP_MAX_RETRIES) {
            sqlite3_sleep(BACKUP_RETRY_MS);
            continue;
        }
        break;
    }
    int frc = sqlite3_backup_finish(b);
    if (rc == SQLITE_DONE && frc == SQLITE_OK)
        return SP_OK;
    if (rc == SQLITE_DONE)
        rc = frc;
    return db_error(err_db, rc, err, what);
}

int backup_to_path(struct db *db, const char *dest, struct sp_error *err)
{
    /* O_EXCL: refuse an existing file, atomically */
    int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return sp_error_set(err, errno == EEXIST ? SP_ECONFLICT : SP_EIO,
                            errno == EEXIST ? "backup file %s already exists; choose another path "
                                              "(nothing was written)"
                                            : "cannot create backup file %s: %s",
                            dest, strerror(errno));
    close(fd);
    sqlite3 *out = NULL;
    int rc = SP_OK;
    int src = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE, NULL);
    if (src != SQLITE_OK) {
        rc = sp_error_set(err, SP_EIO, "cannot open backup file %s: %s", dest,
                          out ? sqlite3_errmsg(out) : sqlite3_errstr(src));
        goto done;
    }
    /* one read transaction on the source for the whole copy: a consistent snapshot that
     * concurrent writers (WAL) do not invalidate, so the backup never restarts */
    rc = db_exec(db, "BEGIN", err);
    if (rc == SP_OK)
        rc = db_exec(db, "SELECT count(*) FROM sqlite_master", err);
    if (rc == SP_OK)
        rc = copy_pages(out, db_handle(db), db, "backup", err);
    db_rollback(db);
    if (rc == SP_OK &&
        sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
        rc = sp_error_set(err, SP_EIO, "finishing backup file %s: %s", dest, sqlite3_errmsg(out));
done:
    sqlite3_close_v2(out);
    if (rc != SP_OK)
        unlink(dest);
    return rc;
}

int backup_verify(const char *path, struct sp_error *err)
{
    struct db *db = NULL;
    int rc = db_open(path, DB_OPEN_READONLY, &db, err);
    if (rc != SP_OK)
        return rc == SP_ENOTFOUND ? sp_error_set(err, rc, "%s does not exist", path) : rc;
    sqlite3_stmt *st = NULL;
    rc = db_prepare(db, "PRAGMA integrity_check", &st, err);
    if (rc == SP_OK) {
        int s = sqlite3_step(st);
        if (s != SQLITE_ROW) {
            rc = db_error(db, s, err, "checking");
        } else {
            const unsigned char *v = sqlite3_column_text(st, 0);
            if (!v || strcmp((const char *)v, "ok") != 0)
                rc = sp_error_set(err, SP_EINVAL, "integrity_check failed: %s",
                                  v ? (const char *)v : "?");
        }
    }
    sqlite3_finalize(st);
    db_close(db);
    if (rc != SP_OK)
        sp_error_prefix(err, rc, "%s is not a usable SQLite database", path);
    return rc;
}

int backup_restore_from(struct db *db, const char *src_path, struct sp_error *err)
{
    int rc = backup_verify(src_path, err);
    if (rc != SP_OK)
        return rc;
    struct db *src = NULL;
    rc = db_open(src_path, DB_OPEN_READONLY, &src, err);
    if (rc != SP_OK)
        return rc;
    rc = copy_pages(db_handle(db), db_handle(src), db, "restore", err);
    db_close(src);
    return rc;
}
