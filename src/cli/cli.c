/* cli/cli.c: command table, global options, usage text, exit codes (see cli.h). */
#include "cli/cli.h"
#include "db/conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/migrate.h"
#include "db/pg.h"
#include "util/config.h"
#include "util/countof.h"

struct cli_cmd {
    const char *name;
    cli_fn fn;
    const char *args;
    const char *help;
};

static const struct cli_cmd cli_commands[] = {
    { "serve", cmd_serve, "[--port N] [--host ADDR] [--no-migrate] [--quiet] [--web DIR]",
      "run the HTTP API (PORT, default 8000) on the database, and the learner's web page at / "
      "(built in; --web DIR serves it from a folder)" },
    { "db migrate", cmd_db_migrate, "",
      "apply pending migrations (built in, or ./drizzle, or --migrations DIR)" },
    { "db generate", cmd_db_generate,
      "[--dialect sqlite|postgresql] [--name NAME] [--rename KEY=VALUE]... [--schema FILE.json]",
      "write the next migration from the difference between the schema and the last snapshot" },
    { "db push", cmd_db_push, "[--force]",
      "bring the database straight to the schema (development)" },
    { "db status", cmd_db_status, "", "list applied and pending migrations" },
    { "db check", cmd_db_check, "", "compare the live database with the latest snapshot" },
    { "db rollback", cmd_db_rollback, "[--steps N]",
      "undo the last N applied migrations (default 1)" },
    { "db baseline", cmd_db_baseline, "--to TAG",
      "record migrations up to TAG as applied without running them" },
    { "db reset", cmd_db_reset, "[--yes]", "delete the database and migrate again" },
    { "db backup", cmd_db_backup, "[PATH]",
      "consistent online copy (default sprout.db.YYYYMMDD_HHMMSS)" },
    { "db restore", cmd_db_restore, "PATH [--yes]", "replace the database with a backup" },
    { "db seed", cmd_db_seed, "", "insert the default user if missing" },
};
#define N_COMMANDS SP_COUNT(cli_commands)

/* Options and environment, listed by --help and in the man page (--man) alike. */
struct cli_doc {
    const char *name;
    const char *help;
};

static const struct cli_doc cli_globals[] = {
    { "--db PATH|URL",
      "the SQLite database (default: $DB_PATH, .env DB_PATH, ./sprout.db), or a "
      "postgres://... URL for PostgreSQL (default: $DATABASE_URL when it is one)" },
    { "--migrations DIR",
      "read migrations from DIR (default: ./drizzle when it exists, else the "
      "migrations built into the binary; db generate writes to DIR or ./drizzle)" },
    { "--version", "print the version" },
    { "--help", "this text" },
};

static const struct cli_doc cli_environment[] = {
    { "DB_PATH", "the SQLite database (default ./sprout.db)" },
    { "DATABASE_URL",
      "postgres://user@host/db selects PostgreSQL (libpq); other values are ignored" },
    { "PORT, HOST", "where serve listens (default 8000 on 127.0.0.1)" },
    { "STORAGE_DIR", "uploaded documents (default: uploads/ beside the database)" },
    { "AWS_S3_BUCKET",
      "keep documents in this S3 bucket instead (with AWS_REGION, AWS_ACCESS_KEY_ID, "
      "AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL)" },
    { "SPROUT_THREADS",
      "HTTP worker threads (default one per core; on PostgreSQL 4 per core, at least 16)" },
    { "SPROUT_BUSY_TIMEOUT_MS", "how long a locked database is waited for (default 5000)" },
    { "SPROUT_PG_POOL",
      "PostgreSQL: connections per serve process (default: HTTP threads + 3 x agent workers + 2, "
      "30 on 2 cores; a request takes one and gives it back)" },
    { "SPROUT_PG_POOL_WAIT_MS",
      "PostgreSQL: how long a request waits when all are in use, then 503 (default 5000)" },
    { "SPROUT_PG_STATEMENT_TIMEOUT_MS",
      "PostgreSQL: longest statement of a request, then 503 (default 30000, 0 = none)" },
};

/* build/gen/version.c, written by the Makefile from VERSION and git describe. */
extern const char sprout_build_version[];

/* The version string ("0.1.0", or "0.1.0 (git 1a2b3c4)" when built from a git checkout). */
static const char *cli_version(void)
{
    return sprout_build_version;
}

static void print_help(FILE *f)
{
    fprintf(f,
            "sprout %s: the Sprout adaptive-learning backend\n\n"
            "usage: sprout <command> [options]\n\nCommands:\n",
            cli_version());
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %-55s %s\n", cli_commands[i].name, cli_commands[i].args,
                cli_commands[i].help);
    fprintf(f, "\nGlobal options (any command):\n");
    for (size_t i = 0; i < SP_COUNT(cli_globals); i++)
        fprintf(f, "  %-18s %s\n", cli_globals[i].name, cli_globals[i].help);
    fprintf(f, "\nEnvironment (or a .env file in the working directory):\n");
    for (size_t i = 0; i < SP_COUNT(cli_environment); i++)
        fprintf(f, "  %-30s %s\n", cli_environment[i].name, cli_environment[i].help);
}

/* Text for roff: a backslash as \e, '-' as \- (a literal minus), a leading '.' or '\'' escaped. */
static void roff(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

static void man_item(FILE *f, const char *bold, const char *args, const char *help)
{
    fputs(".TP\n\\fB", f);
    roff(f, bold);
    fputs("\\fR", f);
    if (args && *args) {
        fputs(" ", f);
        roff(f, args);
    }
    fputs("\n", f);
    roff(f, help);
    fputs("\n", f);
}

/* The man page sprout(1), from the same tables as --help (make writes it to build/sprout.1). */
static void print_man(FILE *f)
{
    fprintf(f, ".TH SPROUT 1 \"\" \"sprout %s\" \"User Commands\"\n", cli_version());
    fputs(
        ".SH NAME\nsprout \\- the Sprout adaptive-learning backend: HTTP API and database tool\n"
        ".SH SYNOPSIS\n.B sprout\n.I command\n[\\fIoptions\\fR]\n"
        ".SH DESCRIPTION\n"
        "\\fBsprout serve\\fR runs the HTTP API under /api on a SQLite database, and the "
        "learner's web page at / (open http://localhost:8000/ in a browser). At start it "
        "applies pending migrations (after a backup when the database holds data) and seeds the "
        "default user. The migrations are built into the binary; a \\fI./drizzle\\fR folder in the "
        "working directory, or \\fB\\-\\-migrations\\fR \\fIDIR\\fR, is used instead when present. "
        "\\fBsprout db\\fR \\fIcommand\\fR manages the database, interchangeably with drizzle\\-kit "
        "and drizzle\\-orm.\n.SH COMMANDS\n",
        f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        man_item(f, cli_commands[i].name, cli_commands[i].args, cli_commands[i].help);
    fputs(".SH OPTIONS\n", f);
    for (size_t i = 0; i < SP_COUNT(cli_globals); i++)
        man_item(f, cli_globals[i].name, NULL, cli_globals[i].help);
    fputs(
        ".SH ENVIRONMENT\nRead from the environment, or from a \\fI.env\\fR file in the working "
        "directory (the environment wins).\n",
        f);
    for (size_t i = 0; i < SP_COUNT(cli_environment); i++)
        man_item(f, cli_environment[i].name, NULL, cli_environment[i].help);
    fputs(
        ".SH EXIT STATUS\n0 success, 1 failure, 2 usage error, 3 the database is out of sync "
        "(\\fBdb status\\fR, \\fBdb check\\fR).\n"
        ".SH FILES\n.TP\n\\fIsprout.db\\fR\nthe database (\\fBDB_PATH\\fR)\n"
        ".TP\n\\fIuploads/\\fR\nuploaded documents, beside the database (\\fBSTORAGE_DIR\\fR)\n"
        ".TP\n\\fIdrizzle/\\fR\na migrations folder that overrides the built-in migrations\n"
        ".SH SEE ALSO\nThe project's README.md and docs/ (API, database, migrations, server).\n",
        f);
}


const char *cli_migrations_label(const struct cli_ctx *ctx, char *buf, size_t size)
{
    if (migsrc_is_builtin(&ctx->migrations))
        snprintf(buf, size, "the migrations built into sprout %s", cli_version());
    else
        snprintf(buf, size, "the folder %s", migsrc_name(&ctx->migrations));
    return buf;
}

/* The journal's "dialect" must match the selected database: a folder of the other dialect
 * would fail half-way, or worse, run. */
int cli_migrations_load(const struct cli_ctx *ctx, struct migrate_folder *f, struct sp_error *err)
{
    int rc = migrate_folder_load(&ctx->migrations, f, err);
    if (rc != SP_OK)
        return rc;
    const char *d = json_string_value(json_object_get(f->journal.raw, "dialect"));
    const char *want = ctx->pg_url ? "postgresql" : "sqlite";
    if (d && strcmp(d, want) != 0) {
        rc = sp_error_set(err, SP_EINVAL,
                          "the migrations in %s are for %s, but the database is %s: use %s",
                          migsrc_name(&ctx->migrations), d, ctx->pg_url ? "PostgreSQL" : "SQLite",
                          ctx->pg_url
                              ? "a PostgreSQL folder (drizzle-pg, written by `sprout db generate "
                                "--dialect postgresql`)"
                              : "a SQLite folder (drizzle)");
        migrate_folder_free(f);
    }
    return rc;
}

/* The exit code for an SP_* code (CLI_EXIT_*). */
static int cli_exit_code(int code)
{
    switch (code) {
    case SP_OK: return CLI_EXIT_OK;
    case SP_EINVAL: return CLI_EXIT_USAGE;
    case SP_EDRIFT: return CLI_EXIT_DRIFT;
    default: return CLI_EXIT_FAIL;
    }
}

int cli_fail(int code, const struct sp_error *err)
{
    fprintf(stderr, "sprout: error: %s\n", sp_error_text(err, code));
    int x = cli_exit_code(code);
    return x == CLI_EXIT_OK ? CLI_EXIT_FAIL : x;
}

int cli_usage(const struct cli_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sprout %s: ", ctx->command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(cli_commands[i].name, ctx->command) == 0)
            fprintf(stderr, "\nusage: sprout %s %s\n", ctx->command, cli_commands[i].args);
    fprintf(stderr, "Run 'sprout --help' for all commands.\n");
    return CLI_EXIT_USAGE;
}

int cli_parse(struct cli_ctx *ctx, const struct cli_flag *flags, const char **pos, int max_pos,
              int *n_pos)
{
    int np = 0;
    for (int i = 0; i < ctx->argc; i++) {
        const char *a = ctx->argv[i];
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            const char *eq = strchr(a, '=');
            size_t nl = eq ? (size_t)(eq - a) : strlen(a);
            const struct cli_flag *f = flags;
            for (; f && f->name; f++)
                if (strlen(f->name) == nl && strncmp(f->name, a, nl) == 0)
                    break;
            if (!f || !f->name)
                return cli_usage(ctx, "unknown option '%.*s'", (int)nl, a);
            if (f->value || f->values) {
                const char *v = eq ? eq + 1 : i + 1 < ctx->argc ? ctx->argv[++i] : NULL;
                if (!v)
                    return cli_usage(ctx, "option '%s' needs a value", f->name);
                if (f->value)
                    *f->value = v;
                if (f->values)
                    f->values[(*f->n_values)++] = v; /* at most argc values: room by contract */
            } else if (eq) {
                return cli_usage(ctx, "option '%s' takes no value", f->name);
            }
            if (f->set)
                *f->set = true;
        } else {
            if (np >= max_pos)
                return cli_usage(ctx, "unexpected argument '%s'", a);
            pos[np++] = a;
        }
    }
    if (n_pos)
        *n_pos = np;
    return 0;
}

bool cli_confirm(const struct cli_ctx *ctx, const char *question)
{
    if (!ctx->interactive)
        return false;
    fprintf(stderr, "%s [y/N] ", question);
    fflush(stderr);
    char line[32];
    if (!fgets(line, sizeof line, stdin))
        return false;
    return line[0] == 'y' || line[0] == 'Y';
}

int cli_main(int argc, char **argv)
{
    struct cli_ctx ctx = { .process_argv = argv };
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return CLI_EXIT_FAIL;
    int nrest = 0;
    const char *db = NULL, *mig = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--db") == 0 || strcmp(a, "--migrations") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "sprout: option '%s' needs a value\n", a);
                free(rest);
                return CLI_EXIT_USAGE;
            }
            *(a[2] == 'd' ? &db : &mig) = argv[++i];
        } else if (strncmp(a, "--db=", 5) == 0) {
            db = a + 5;
        } else if (strncmp(a, "--migrations=", 13) == 0) {
            mig = a + 13;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("sprout %s\n", cli_version());
            free(rest);
            return CLI_EXIT_OK;
        } else if (strcmp(a, "--man") == 0) { /* hidden: the build writes build/sprout.1 with it */
            print_man(stdout);
            free(rest);
            return CLI_EXIT_OK;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
            print_help(stdout);
            free(rest);
            return CLI_EXIT_OK;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    config_load(NULL);
    cli_settings_process();
    const char *url = db ? db : config_get("DATABASE_URL", NULL);
    if (pg_is_url(url))
        ctx.pg_url = url;
    ctx.db_path = db && !ctx.pg_url ? db : config_get("DB_PATH", "./sprout.db");
    ctx.migrations_set = mig != NULL;
    ctx.migrations_dir = mig ? mig : ctx.pg_url ? "./drizzle-pg" : "./drizzle";
    /* Durability (docs/SERVER.md): FULL unless SPROUT_SYNC=normal. */
    const char *sync = config_get("SPROUT_SYNC", "full");
    if (strcasecmp(sync, "normal") == 0) {
        db_set_sync_normal(true);
    } else if (strcasecmp(sync, "full") != 0) {
        fprintf(stderr, "sprout: SPROUT_SYNC must be 'full' (the default) or 'normal', not '%s'\n",
                sync);
        free(rest);
        return CLI_EXIT_USAGE;
    }
    /* -shm faults (docs/SERVER.md): "shared" (the default: other programs may open the
     * database meanwhile) or "exclusive" (the WAL index in process memory, no -shm). */
    const char *lock = config_get("SPROUT_DB_LOCK", "shared");
    if (strcasecmp(lock, "exclusive") == 0) {
        db_set_lock_exclusive(true);
    } else if (strcasecmp(lock, "shared") != 0) {
        fprintf(stderr,
                "sprout: SPROUT_DB_LOCK must be 'shared' (the default) or 'exclusive', not '%s'\n",
                lock);
        free(rest);
        return CLI_EXIT_USAGE;
    }
    ctx.migrations = migsrc_folder(ctx.migrations_dir);
    struct stat st;
    if (!mig && (stat(ctx.migrations_dir, &st) != 0 || !S_ISDIR(st.st_mode)) &&
        (ctx.pg_url ? migsrc_builtin_pg_available() : migsrc_builtin_available()))
        ctx.migrations = ctx.pg_url ? migsrc_builtin_pg() : migsrc_builtin();
    ctx.interactive = isatty(0) && isatty(2);

    const struct cli_cmd *cmd = NULL;
    int words = 0;
    for (size_t i = 0; i < N_COMMANDS && nrest > 0; i++) {
        const char *name = cli_commands[i].name;
        const char *sp = strchr(name, ' ');
        if (!sp && strcmp(name, rest[0]) == 0) {
            cmd = &cli_commands[i];
            words = 1;
        } else if (sp && nrest > 1 && strncmp(name, rest[0], (size_t)(sp - name)) == 0 &&
                   rest[0][sp - name] == '\0' && strcmp(sp + 1, rest[1]) == 0) {
            cmd = &cli_commands[i];
            words = 2;
        }
        if (cmd)
            break;
    }
    if (!cmd) {
        if (nrest == 0)
            print_help(stderr);
        else if (nrest > 1 && strcmp(rest[0], "db") == 0)
            fprintf(stderr, "sprout: unknown command 'db %s'. Run 'sprout --help' for the list.\n",
                    rest[1]);
        else
            fprintf(stderr, "sprout: unknown command '%s'. Run 'sprout --help' for the list.\n",
                    rest[0]);
        free(rest);
        return CLI_EXIT_USAGE;
    }
    ctx.command = cmd->name;
    ctx.argc = nrest - words;
    ctx.argv = rest + words;
    int code = cmd->fn(&ctx);
    free(rest);
    return code;
}
