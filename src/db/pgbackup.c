/* db/pgbackup.c: pg_dump / pg_restore runner (see db/pgbackup.h).
 * Thread model: blocking, caller's thread.
 */
#include "db/pgbackup.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The program by name on PATH, else the newest /usr/lib/postgresql/N/bin/name; out gets a path
 * or the bare name (execvp searches PATH). Returns 0 when found. */
static int find_tool(const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s", name);
    const char *dirs[] = { "/usr/bin", "/usr/local/bin" };
    for (size_t i = 0; i < 2; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dirs[i], name);
        if (access(p, X_OK) == 0) {
            snprintf(out, size, "%s", p);
            return 0;
        }
    }
    char pattern[256];
    snprintf(pattern, sizeof pattern, "/usr/lib/postgresql/*/bin/%s", name);
    glob_t g;
    int found = -1;
    if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
        snprintf(out, size, "%s", g.gl_pathv[g.gl_pathc - 1]); /* sorted: the newest version last */
        found = 0;
    }
    globfree(&g);
    return found;
}

static int run(const char *tool, char *const argv[], struct sp_error *err)
{
    char path[512];
    if (find_tool(tool, path, sizeof path) != 0)
        return sp_error_set(err, SP_EUNAVAILABLE,
                            "%s not found: install PostgreSQL's client programs (Debian: apt-get install "
                            "postgresql-client), or use your PostgreSQL host's own backups",
                            tool);
    pid_t pid = fork();
    if (pid < 0)
        return sp_error_set(err, SP_EIO, "cannot start %s: %s", tool, strerror(errno));
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        execv(path, argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return sp_error_set(err, SP_EDB, "%s failed (exit %d); its messages are above", tool,
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return SP_OK;
}

int pgbackup_dump(const char *url, const char *dest, struct sp_error *err)
{
    struct stat st;
    if (stat(dest, &st) == 0)
        return sp_error_set(err, SP_ECONFLICT, "%s already exists; choose another backup file",
                            dest);
    char file[4200], db[4200];
    snprintf(file, sizeof file, "--file=%s", dest);
    snprintf(db, sizeof db, "--dbname=%s", url);
    char *const argv[] = { "pg_dump", "--format=custom", "--no-password", file, db, NULL };
    int rc = run("pg_dump", argv, err);
    if (rc)
        unlink(dest);
    return rc;
}

int pgbackup_verify(const char *src, struct sp_error *err)
{
    FILE *f = fopen(src, "rb");
    if (!f)
        return errno == ENOENT
                   ? sp_error_set(err, SP_ENOTFOUND, "%s does not exist", src)
                   : sp_error_set(err, SP_EIO, "cannot read %s: %s", src, strerror(errno));
    char magic[5] = { 0 };
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (got != sizeof magic || memcmp(magic, "PGDMP", sizeof magic) != 0) /* pg_backup_archiver.c */
        return sp_error_set(err, SP_EDB,
                            "%s is not a usable PostgreSQL backup (a pg_dump --format=custom "
                            "archive, as `sprout db backup` writes)",
                            src);
    return SP_OK;
}

int pgbackup_restore(const char *url, const char *src, struct sp_error *err)
{
    int rc = pgbackup_verify(src, err);
    if (rc)
        return rc;
    char db[4200], file[4200];
    snprintf(db, sizeof db, "--dbname=%s", url);
    snprintf(file, sizeof file, "%s", src);
    char *const argv[] = { "pg_restore",
                           "--clean",
                           "--if-exists",
                           "--no-owner",
                           "--single-transaction",
                           "--exit-on-error",
                           "--no-password",
                           db,
                           file,
                           NULL };
    return run("pg_restore", argv, err);
}
