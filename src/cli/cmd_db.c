/* cli/cmd_db.c: the `sprout db ...` commands except generate: migrate, status, check, push,
 * rollback, baseline, reset, backup, restore, seed (docs/DATABASE.md describes each).
 *
 * Each command parses its flags (cli_parse), reads the migrations folder before it touches
 * the database, opens the database through db_open() (drizzle-compatible pragmas), prints
 * what it did on stdout and reports failures through cli_fail(). Exit codes as cli.h: 0 ok,
 * 1 failure, 2 usage, 3 drift / pending (status, check, baseline refusal).
 * On PostgreSQL (ctx->pg_url) the same commands run through db/pg.h and db/pgmigrate.h, with
 * the same output; backup and restore use pg_dump / pg_restore (db/pgbackup.h).
 * Ownership: everything a command allocates is released before it returns.
 * Thread model: main thread only.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "db/backup.h"
#include "db/diff.h"
#include "db/introspect.h"
#include "db/migrate.h"
#include "db/pg.h"
#include "db/pgbackup.h"
#include "db/pgdiff.h"
#include "db/pgintrospect.h"
#include "db/pgmigrate.h"
#include "db/pgsnap.h"
#include "db/schema.h"
#include "db/seed.h"
#include "db/snapshot.h"
#include "util/countof.h"

#define CLI_PATH_TEXT (PATH_MAX + 64) /* a path and a sentence around it */

static const struct cli_flag no_flags[] = { { 0 } };

/* Paths as the user would type them: "drizzle/meta/x" rather than "./drizzle/meta/x". */
static const char *shown(const char *path)
{
    return strncmp(path, "./", 2) == 0 ? path + 2 : path;
}

static int open_db(const struct cli_ctx *ctx, unsigned flags, struct db **db, struct sp_error *err)
{
    int rc = db_open(ctx->db_path, flags, db, err);
    if (rc == SP_EIO)
        sp_error_prefix(err, rc,
                        "cannot open database %s (does its directory exist, and may it be written?)",
                        ctx->db_path);
    return rc;
}

static int open_pg(const struct cli_ctx *ctx, struct pg **pg, struct sp_error *err)
{
    return pg_connect(ctx->pg_url, pg, err);
}

/* How the database is named in messages (a PostgreSQL URL without its password). */
static const char *db_label(const struct cli_ctx *ctx, char *buf, size_t size)
{
    if (!ctx->pg_url)
        return ctx->db_path;
    pg_hide_password(ctx->pg_url, buf, size);
    return buf;
}

/* Load snapshot rel ("meta/0003_snapshot.json") of the migrations source; name gets how it is
 * shown in messages. */
static int load_source_snapshot(const struct cli_ctx *ctx, const char *rel,
                                struct model_schema *out, char *name, size_t name_size,
                                struct sp_error *err)
{
    migsrc_file_name(&ctx->migrations, rel, name, name_size);
    char *text = NULL;
    size_t len = 0;
    int rc = migsrc_read(&ctx->migrations, rel, &text, &len, err);
    if (rc == SP_OK)
        rc = snapshot_load_text(name, text, len, out, NULL, err);
    free(text);
    return rc;
}

/* diff_ask_fn: never guess a rename; treat every added table/column as new. */
static int ask_create(void *ud, const char *question, const char *const *choices, size_t n_choices,
                      size_t *choice)
{
    (void)ud, (void)question, (void)choices, (void)n_choices;
    *choice = 0;
    return SP_OK;
}

/* ---- migrate ---- */

static int run_migrations(struct cli_ctx *ctx)
{
    struct sp_error err = { 0 };
    struct migrate_folder f;
    struct db *db = NULL;
    size_t n = 0;
    puts("Running migrations...");
    fflush(stdout);
    int rc = cli_migrations_load(ctx, &f, &err);
    if (rc != SP_OK)
        return cli_fail(rc, &err);
    struct pg *pg = NULL;
    rc = ctx->pg_url ? open_pg(ctx, &pg, &err) : open_db(ctx, DB_OPEN_CREATE, &db, &err);
    bool opened = rc == SP_OK;
    if (rc == SP_OK)
        rc = pg ? pgmigrate_apply(pg, &f, stdout, &n, &err)
                : migrate_apply_folder(db, &f, stdout, &n, &err);
    db_close(db);
    pg_close(pg);
    migrate_folder_free(&f);
    char dbl[600];
    if (rc != SP_OK) {
        int code = cli_fail(rc, &err);
        if (opened)
            fprintf(stderr,
                    "sprout: nothing was applied; the database is as it was before this run.\n");
        return code;
    }
    if (n == 0)
        printf("No pending migrations: %s is up to date.\n", db_label(ctx, dbl, sizeof dbl));
    else
        printf("Applied %zu migration%s to %s.\n", n, n == 1 ? "" : "s",
               db_label(ctx, dbl, sizeof dbl));
    puts("Migrations complete.");
    return CLI_EXIT_OK;
}

int cmd_db_migrate(struct cli_ctx *ctx)
{
    int prc = cli_parse(ctx, no_flags, NULL, 0, NULL);
    return prc ? prc : run_migrations(ctx);
}

/* ---- status ---- */

static const struct migrate_row *row_for(const struct migrate_row *rows, size_t n, long long when)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].created_at == (double)when)
            return &rows[i];
    return NULL;
}

int cmd_db_status(struct cli_ctx *ctx)
{
    int prc = cli_parse(ctx, no_flags, NULL, 0, NULL);
    if (prc)
        return prc;
    struct sp_error err = { 0 };
    struct migrate_folder f;
    int rc = cli_migrations_load(ctx, &f, &err);
    if (rc != SP_OK)
        return cli_fail(rc, &err);
    struct db *db = NULL;
    struct migrate_row *rows = NULL;
    size_t n_rows = 0;
    struct pg *pg = NULL;
    rc = ctx->pg_url ? open_pg(ctx, &pg, &err) : open_db(ctx, 0, &db, &err);
    bool missing = rc == SP_ENOTFOUND && !ctx->pg_url;
    if (rc == SP_OK)
        rc = pg ? pgmigrate_rows_load(pg, &rows, &n_rows, &err)
                : migrate_rows_load(db, &rows, &n_rows, &err);
    db_close(db);
    pg_close(pg);
    if (rc != SP_OK && !missing) {
        migrate_folder_free(&f);
        return cli_fail(rc, &err);
    }
    bool have = n_rows > 0;
    double last = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (rows[i].created_at > last || i == 0)
            last = rows[i].created_at;
    char label[512], dbl[600];
    printf("Database %s%s; migrations from %s:\n", db_label(ctx, dbl, sizeof dbl),
           missing ? " (does not exist yet)" : "", cli_migrations_label(ctx, label, sizeof label));
    size_t pending = 0, applied = 0, warnings = 0;
    for (size_t i = 0; i < f.n; i++) {
        const struct migrate_file *mf = &f.files[i];
        const struct migrate_row *r = row_for(rows, n_rows, mf->when);
        if (migrate_is_pending(have, last, mf->when)) {
            printf("  pending  %s\n", mf->tag);
            pending++;
        } else if (!r) {
            printf(
                "  skipped  %s  (older than the newest applied migration and never recorded: "
                "the migrator will not run it)\n",
                mf->tag);
            warnings++;
        } else if (strcmp(r->hash, mf->hash) != 0) {
            printf("  applied  %s  (EDITED after applying: file hash %.12s..., recorded %.12s...)\n",
                   mf->tag, mf->hash, r->hash);
            applied++;
            warnings++;
        } else {
            printf("  applied  %s\n", mf->tag);
            applied++;
        }
    }
    for (size_t i = 0; i < n_rows; i++) {
        bool known = false;
        for (size_t k = 0; k < f.n && !known; k++)
            known = rows[i].created_at == (double)f.files[k].when;
        if (!known) {
            printf("  unknown  tracking row %lld (created_at %.0f, hash %.12s...) matches no journal entry\n",
                   rows[i].rowid, rows[i].created_at, rows[i].hash);
            warnings++;
        }
    }
    printf("%zu applied, %zu pending%s.\n", applied, pending,
           warnings ? ", see the notes above" : "");
    if (pending)
        printf("Run `sprout db migrate` to apply the pending migrations.\n");
    migrate_rows_free(rows, n_rows);
    migrate_folder_free(&f);
    return pending ? CLI_EXIT_DRIFT : CLI_EXIT_OK;
}

/* ---- check / baseline: live schema vs a snapshot ---- */

static int diff_live(struct db *db, const struct model_schema *target, bool push,
                     struct diff_result *out, struct sp_error *err)
{
    struct model_schema live;
    int rc = introspect_schema(db, &live, err);
    if (rc != SP_OK)
        return rc;
    struct diff_options opt = { .ask = ask_create, .push = push };
    rc = diff_schemas(&live, target, &opt, out, err);
    model_schema_free(&live);
    return rc;
}

/* PostgreSQL: the live database against a wanted body, both in the server's spelling. */
static int pg_diff_live(struct pg *pg, const json_t *target, bool push, struct diff_result *out,
                        struct sp_error *err)
{
    json_t *live = NULL, *canon = NULL;
    int rc = pgintrospect_body(pg, &live, err);
    if (rc == SP_OK)
        rc = pgintrospect_canonical(pg, target, live, &canon, err);
    struct diff_options opt = { .ask = ask_create,
                                .push = push,
                                .old_label = "database",
                                .new_label = "schema" };
    if (rc == SP_OK)
        rc = pgdiff_bodies(live, canon, &opt, out, err);
    json_decref(live);
    json_decref(canon);
    return rc;
}

/* A snapshot of the migrations source as a PostgreSQL body. */
static int load_source_pg_snapshot(const struct cli_ctx *ctx, const char *rel, json_t **out,
                                   char *name, size_t name_size, struct sp_error *err)
{
    migsrc_file_name(&ctx->migrations, rel, name, name_size);
    char *text = NULL;
    size_t len = 0;
    int rc = migsrc_read(&ctx->migrations, rel, &text, &len, err);
    if (rc == SP_OK)
        rc = pgsnap_load_text(name, text, len, out, NULL, err);
    free(text);
    return rc;
}

/* The database (SQLite or PostgreSQL) against a snapshot of the source: pending migrations and
 * differences. */
static int check_against(const struct cli_ctx *ctx, const char *snap_rel,
                         const struct migrate_folder *f, char *snap_path, size_t snap_size,
                         size_t *pending, struct diff_result *d, struct sp_error *err)
{
    if (ctx->pg_url) {
        json_t *body = NULL;
        struct pg *pg = NULL;
        int rc = load_source_pg_snapshot(ctx, snap_rel, &body, snap_path, snap_size, err);
        if (rc == SP_OK)
            rc = open_pg(ctx, &pg, err);
        if (rc == SP_OK && pending)
            rc = pgmigrate_count_pending(pg, f, pending, err);
        if (rc == SP_OK)
            rc = pg_diff_live(pg, body, false, d, err);
        pg_close(pg);
        json_decref(body);
        return rc;
    }
    struct model_schema snap = { 0 };
    struct db *db = NULL;
    int rc = load_source_snapshot(ctx, snap_rel, &snap, snap_path, snap_size, err);
    if (rc == SP_OK)
        rc = open_db(ctx, 0, &db, err);
    if (rc == SP_OK && pending)
        rc = migrate_count_pending(db, f, pending, err);
    if (rc == SP_OK)
        rc = diff_live(db, &snap, false, d, err);
    db_close(db);
    model_schema_free(&snap);
    return rc;
}

int cmd_db_check(struct cli_ctx *ctx)
{
    int prc = cli_parse(ctx, no_flags, NULL, 0, NULL);
    if (prc)
        return prc;
    struct sp_error err = { 0 };
    char *snap_rel = NULL, snap_path[4200] = "", dbl[600];
    struct diff_result d = { 0 };
    struct migrate_folder f;
    size_t pending = 0;
    int rc = cli_migrations_load(ctx, &f, &err);
    if (rc != SP_OK)
        return cli_fail(rc, &err);
    rc = migsrc_latest_snapshot(&ctx->migrations, &snap_rel, &err);
    if (rc == SP_OK && !snap_rel)
        rc = sp_error_set(&err, SP_ENOTFOUND, "no snapshot in %s/meta: nothing to compare with",
                          migsrc_name(&ctx->migrations));
    if (rc == SP_OK)
        rc = check_against(ctx, snap_rel, &f, snap_path, sizeof snap_path, &pending, &d, &err);
    int code = CLI_EXIT_OK;
    if (rc != SP_OK) {
        code = cli_fail(rc, &err);
    } else if (d.n_changes == 0 && pending == 0) {
        printf("Database schema matches %s\n", shown(snap_path));
    } else {
        code = CLI_EXIT_DRIFT;
        printf("Database %s is out of sync with %s (old = the database, new = the snapshot):\n",
               db_label(ctx, dbl, sizeof dbl), shown(snap_path));
        for (size_t i = 0; i < d.n_changes; i++)
            printf("  - %s\n", d.changes[i]);
        if (pending)
            printf("  - %zu migration%s not applied yet\n", pending, pending == 1 ? "" : "s");
        printf("What to do:\n");
        if (pending)
            printf(
                "  - run `sprout db migrate` to apply the pending migrations, then check again;\n");
        printf(
            "  - if the SQL of the migrations was applied by hand, `sprout db baseline --to TAG` "
            "records them without running them;\n"
            "  - otherwise keep your data with `sprout db backup`, then `sprout db reset` "
            "rebuilds the database from the migrations.\n");
    }
    diff_result_free(&d);
    free(snap_rel);
    migrate_folder_free(&f);
    return code;
}

static long journal_index(const struct migrate_folder *f, const char *tag)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->files[i].tag, tag) == 0)
            return (long)i;
    size_t tl = strlen(tag);
    for (size_t i = 0; i < f->n; i++) /* the NNNN prefix alone */
        if (strncmp(f->files[i].tag, tag, tl) == 0 && f->files[i].tag[tl] == '_')
            return (long)i;
    return -1;
}

int cmd_db_baseline(struct cli_ctx *ctx)
{
    const char *to = NULL;
    const struct cli_flag flags[] = { { .name = "--to", .value = &to }, { 0 } };
    int prc = cli_parse(ctx, flags, NULL, 0, NULL);
    if (prc)
        return prc;
    if (!to)
        return cli_usage(ctx, "--to TAG is required");
    struct sp_error err = { 0 };
    struct migrate_folder f;
    int rc = cli_migrations_load(ctx, &f, &err);
    if (rc != SP_OK)
        return cli_fail(rc, &err);
    long idx = journal_index(&f, to);
    struct diff_result d = { 0 };
    struct db *db = NULL;
    struct pg *pg = NULL;
    char snap_rel[1024], snap_path[4200] = "";
    size_t n = 0;
    int code = CLI_EXIT_OK;
    if (idx < 0)
        rc = sp_error_set(&err, SP_ENOTFOUND, "no migration %s in %s/meta/_journal.json", to,
                          migsrc_name(&ctx->migrations));
    if (rc == SP_OK) {
        snprintf(snap_rel, sizeof snap_rel, "meta/%.*s_snapshot.json",
                 (int)strcspn(f.files[idx].tag, "_"), f.files[idx].tag);
        rc = check_against(ctx, snap_rel, &f, snap_path, sizeof snap_path, NULL, &d, &err);
    }
    if (rc == SP_OK && d.n_changes > 0) {
        printf("Refusing to baseline: the database does not match %s:\n", shown(snap_path));
        for (size_t i = 0; i < d.n_changes; i++)
            printf("  - %s\n", d.changes[i]);
        rc = sp_error_set(&err, SP_EDRIFT,
                          "the live schema differs from %s (%zu difference%s); nothing "
                          "was recorded",
                          f.files[idx].tag, d.n_changes, d.n_changes == 1 ? "" : "s");
    }
    if (rc == SP_OK)
        rc = ctx->pg_url ? open_pg(ctx, &pg, &err) : open_db(ctx, 0, &db, &err);
    if (rc == SP_OK)
        rc = pg ? pgmigrate_record_upto(pg, &f, (size_t)idx, stdout, &n, &err)
                : migrate_record_upto(db, &f, (size_t)idx, stdout, &n, &err);
    if (rc == SP_OK) {
        printf("Baseline: %zu migration%s recorded as applied, up to and including %s.\n", n,
               n == 1 ? "" : "s", f.files[idx].tag);
        if ((size_t)idx + 1 < f.n)
            printf("%zu later migration%s will run with `sprout db migrate`.\n",
                   f.n - (size_t)idx - 1, f.n - (size_t)idx - 1 == 1 ? "" : "s");
    } else {
        code = cli_fail(rc, &err);
    }
    db_close(db);
    pg_close(pg);
    diff_result_free(&d);
    migrate_folder_free(&f);
    return code;
}

/* ---- push ---- */

int cmd_db_push(struct cli_ctx *ctx)
{
    bool force = false;
    const struct cli_flag flags[] = { { .name = "--force", .set = &force }, { 0 } };
    int prc = cli_parse(ctx, flags, NULL, 0, NULL);
    if (prc)
        return prc;
    struct sp_error err = { 0 };
    struct db *db = NULL;
    struct diff_result d = { 0 };
    struct pg *pg = NULL;
    json_t *want = NULL;
    int code = CLI_EXIT_OK;
    char dbl[600];
    int rc = ctx->pg_url ? open_pg(ctx, &pg, &err) : open_db(ctx, DB_OPEN_CREATE, &db, &err);
    if (rc == SP_OK && pg && (rc = pgsnap_from_model(&schema_sprout, &want, &err)) == SP_OK)
        rc = pg_diff_live(pg, want, true, &d, &err);
    else if (rc == SP_OK && !pg)
        rc = diff_live(db, &schema_sprout, true, &d, &err);
    if (rc == SP_OK && d.n_sql == 0) {
        puts("No changes detected");
    } else if (rc == SP_OK) {
        printf("Statements to bring %s to the schema:\n", db_label(ctx, dbl, sizeof dbl));
        for (size_t i = 0; i < d.n_sql; i++)
            printf("  %s\n", d.sql[i]);
        if (d.n_data_loss > 0 && !force) {
            fprintf(stderr, "These statements would lose data:\n");
            for (size_t i = 0; i < d.n_data_loss; i++)
                fprintf(stderr, "  %s\n", d.data_loss[i]);
            rc =
                sp_error_set(&err, SP_EABORT,
                             "push refused because data would be lost; nothing was "
                             "changed. Back up (`sprout db backup`) and pass --force to push anyway");
        } else {
            rc = pg ? pgmigrate_push_statements(pg, d.sql, d.n_sql, &err)
                    : migrate_push_statements(db, d.sql, d.n_sql, &err);
            if (rc == SP_OK)
                printf("Pushed %zu statement%s in one transaction.\n", d.n_sql,
                       d.n_sql == 1 ? "" : "s");
        }
    }
    if (rc != SP_OK)
        code = cli_fail(rc, &err);
    diff_result_free(&d);
    db_close(db);
    pg_close(pg);
    json_decref(want);
    return code;
}

/* ---- rollback ---- */

int cmd_db_rollback(struct cli_ctx *ctx)
{
    const char *steps_s = NULL;
    const struct cli_flag flags[] = { { .name = "--steps", .value = &steps_s }, { 0 } };
    int prc = cli_parse(ctx, flags, NULL, 0, NULL);
    if (prc)
        return prc;
    long steps = 1;
    if (steps_s) {
        char *end = NULL;
        errno = 0;
        steps = strtol(steps_s, &end, 10);
        if (errno || !*steps_s || *end || steps < 1 || steps > 100000)
            return cli_usage(ctx, "--steps needs a whole number of at least 1, not '%s'", steps_s);
    }
    struct sp_error err = { 0 };
    struct migrate_folder f;
    int rc = cli_migrations_load(ctx, &f, &err);
    if (rc != SP_OK)
        return cli_fail(rc, &err);
    struct db *db = NULL;
    struct pg *pg = NULL;
    rc = ctx->pg_url ? open_pg(ctx, &pg, &err) : open_db(ctx, 0, &db, &err);
    if (rc == SP_OK)
        rc = pg ? pgmigrate_rollback(pg, &f, (size_t)steps, stdout, &err)
                : migrate_rollback(db, &f, (size_t)steps, stdout, &err);
    db_close(db);
    pg_close(pg);
    migrate_folder_free(&f);
    if (rc != SP_OK)
        return cli_fail(rc, &err);
    printf("Rolled back %ld migration%s in one transaction.\n", steps, steps == 1 ? "" : "s");
    return CLI_EXIT_OK;
}

/* ---- reset / backup / restore ---- */

/* Ask, or require --yes when there is no terminal. */
static int confirm(struct cli_ctx *ctx, bool yes, const char *question, struct sp_error *err)
{
    if (yes)
        return SP_OK;
    if (!ctx->interactive)
        return sp_error_set(err, SP_EABORT,
                            "'sprout %s' replaces data and there is no terminal to ask: "
                            "pass --yes to confirm",
                            ctx->command);
    if (!cli_confirm(ctx, question))
        return sp_error_set(err, SP_EABORT, "aborted; nothing was changed");
    return SP_OK;
}

static int remove_file(const char *path, bool *removed, struct sp_error *err)
{
    if (unlink(path) == 0) {
        *removed = true;
        return SP_OK;
    }
    if (errno == ENOENT)
        return SP_OK;
    return sp_error_set(err, SP_EIO, "cannot remove %s: %s", path, strerror(errno));
}

int cmd_db_reset(struct cli_ctx *ctx)
{
    bool yes = false;
    const struct cli_flag flags[] = { { .name = "--yes", .set = &yes }, { 0 } };
    int prc = cli_parse(ctx, flags, NULL, 0, NULL);
    if (prc)
        return prc;
    struct sp_error err = { 0 };
    char q[CLI_PATH_TEXT], dbl[600];
    snprintf(q, sizeof q, "Delete %s and all its data, then migrate again?",
             db_label(ctx, dbl, sizeof dbl));
    int rc = confirm(ctx, yes, q, &err);
    struct migrate_folder f; /* the folder must be readable before anything is deleted */
    if (rc == SP_OK && (rc = cli_migrations_load(ctx, &f, &err)) == SP_OK)
        migrate_folder_free(&f);
    if (ctx->pg_url) {
        struct pg *pg = NULL;
        size_t n = 0;
        if (rc == SP_OK)
            rc = open_pg(ctx, &pg, &err);
        if (rc == SP_OK)
            rc = pgmigrate_reset(pg, &n, &err);
        pg_close(pg);
        if (rc != SP_OK)
            return cli_fail(rc, &err);
        printf("Dropped %zu table%s, the types and sequences of schema public and the schema drizzle of %s.\n",
               n, n == 1 ? "" : "s", dbl);
        return run_migrations(ctx);
    }
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
    bool any = false;
    for (size_t i = 0; rc == SP_OK && i < SP_COUNT(suffix); i++) {
        char path[CLI_PATH_TEXT];
        if (snprintf(path, sizeof path, "%s%s", ctx->db_path, suffix[i]) >= (int)sizeof path) {
            rc = sp_error_set(&err, SP_EINVAL, "the database path is too long");
            break;
        }
        bool removed = false;
        rc = remove_file(path, &removed, &err);
        if (removed)
            printf("Removed %s\n", path);
        any = any || removed;
    }
    if (rc != SP_OK)
        return cli_fail(rc, &err);
    if (!any)
        printf("%s did not exist.\n", ctx->db_path);
    return run_migrations(ctx);
}

int cmd_db_backup(struct cli_ctx *ctx)
{
    const char *pos[1] = { NULL };
    int np = 0;
    int prc = cli_parse(ctx, no_flags, pos, 1, &np);
    if (prc)
        return prc;
    struct sp_error err = { 0 };
    char *dest =
        np ? strdup(pos[0]) : backup_default_path(ctx->pg_url ? "sprout-pg.dump" : ctx->db_path);
    if (!dest)
        return cli_fail(SP_ENOMEM, NULL);
    if (ctx->pg_url) {
        char dbl[600];
        int prc2 = pgbackup_dump(ctx->pg_url, dest, &err);
        struct stat pst;
        if (prc2 == SP_OK)
            printf("Backed up %s to %s with pg_dump --format=custom (%lld bytes).\n",
                   db_label(ctx, dbl, sizeof dbl), dest,
                   stat(dest, &pst) == 0 ? (long long)pst.st_size : 0LL);
        free(dest);
        return prc2 == SP_OK ? CLI_EXIT_OK : cli_fail(prc2, &err);
    }
    struct db *db = NULL;
    int rc = open_db(ctx, 0, &db, &err);
    if (rc == SP_OK)
        rc = backup_to_path(db, dest, &err);
    db_close(db);
    int code = CLI_EXIT_OK;
    struct stat st;
    if (rc == SP_OK)
        printf("Backed up %s to %s (%lld bytes).\n", ctx->db_path, dest,
               stat(dest, &st) == 0 ? (long long)st.st_size : 0LL);
    else
        code = cli_fail(rc, &err);
    free(dest);
    return code;
}

int cmd_db_restore(struct cli_ctx *ctx)
{
    bool yes = false;
    const struct cli_flag flags[] = { { .name = "--yes", .set = &yes }, { 0 } };
    const char *pos[1] = { NULL };
    int np = 0;
    int prc = cli_parse(ctx, flags, pos, 1, &np);
    if (prc)
        return prc;
    if (np != 1)
        return cli_usage(ctx, "the backup file to restore is required");
    struct sp_error err = { 0 };
    char q[2 * CLI_PATH_TEXT], dbl[600];
    snprintf(q, sizeof q, "Replace %s with %s (its current data is lost)?",
             db_label(ctx, dbl, sizeof dbl), pos[0]);
    if (ctx->pg_url) { /* like SQLite: a file that cannot be restored is refused before asking */
        int prc2 = pgbackup_verify(pos[0], &err);
        if (prc2 == SP_OK)
            prc2 = confirm(ctx, yes, q, &err);
        if (prc2 == SP_OK)
            prc2 = pgbackup_restore(ctx->pg_url, pos[0], &err);
        if (prc2 != SP_OK)
            return cli_fail(prc2, &err);
        printf("Restored %s from %s with pg_restore.\n", dbl, pos[0]);
        return CLI_EXIT_OK;
    }
    int rc = backup_verify(pos[0], &err);
    if (rc == SP_OK)
        rc = confirm(ctx, yes, q, &err);
    struct db *db = NULL;
    if (rc == SP_OK)
        rc = open_db(ctx, DB_OPEN_CREATE, &db, &err);
    if (rc == SP_OK)
        rc = backup_restore_from(db, pos[0], &err);
    db_close(db);
    if (rc != SP_OK)
        return cli_fail(rc, &err);
    printf("Restored %s from %s.\n", ctx->db_path, pos[0]);
    return CLI_EXIT_OK;
}

/* ---- seed ---- */

int cmd_db_seed(struct cli_ctx *ctx)
{
    int prc = cli_parse(ctx, no_flags, NULL, 0, NULL);
    if (prc)
        return prc;
    struct sp_error err = { 0 };
    struct db *db = NULL;
    struct pg *pg = NULL;
    bool inserted = false;
    int rc = ctx->pg_url ? open_pg(ctx, &pg, &err) : open_db(ctx, 0, &db, &err);
    if (rc == SP_OK && (rc = pg ? pgmigrate_seed(pg, &inserted, &err)
                                : seed_default_user(db, &inserted, &err)) == SP_EDB)
        sp_error_prefix(&err, rc, "run `sprout db migrate` first");
    db_close(db);
    pg_close(pg);
    if (rc != SP_OK)
        return cli_fail(rc, &err);
    if (inserted)
        puts("Default user seeded.");
    else
        printf("Default user %s (%s) already present; nothing to do.\n", SEED_USER_ID,
               SEED_USER_EMAIL);
    return CLI_EXIT_OK;
}
