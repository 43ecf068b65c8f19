/* cli/cli.h: the command-line front end: the command table, shared options, exit codes.
 *
 * main() hands argv to cli_main(), which finds the command (one row of cli_commands[] in
 * cli/cli.c: "serve", "db migrate", ...), removes the global options --db PATH and
 * --migrations DIR (allowed anywhere), and calls the command with the rest. A command parses
 * its own flags with cli_parse() and returns the process exit code. --help, --version and the
 * hidden --man (the man page sprout(1), which the build writes to build/sprout.1) print from the
 * same tables (commands, global options, environment) and exit.
 * The migrations source (ctx->migrations) is chosen here: --migrations DIR > ./drizzle when it
 * is a folder > the drizzle/ folder built into the binary (db/migsrc.h); on PostgreSQL the same
 * with ./drizzle-pg and the built-in drizzle-pg/.
 * The database is chosen here too: --db > $DATABASE_URL > $DB_PATH > ./sprout.db; a value
 * starting with postgres:// or postgresql:// selects PostgreSQL (ctx->pg_url), anything else is
 * a SQLite file.
 * Errors: a command reports failure with cli_fail(), the one place that turns an SP_* code
 * into a message on stderr ("sprout: error: ...") and an exit code (cli_exit_code in cli.c).
 * Exit codes: 0 ok, 1 failure, 2 usage error, 3 drift / out of sync (db check, db status).
 */
#ifndef SP_CLI_CLI_H
#define SP_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "db/migsrc.h"
#include "util/err.h"

struct cli_ctx {
    const char *command;        /* "db migrate" */
    const char *db_path;        /* --db > $DB_PATH > .env DB_PATH > ./sprout.db */
    const char *migrations_dir; /* the folder: --migrations > ./drizzle (db generate writes here) */
    bool migrations_set;        /* --migrations was given */
    const char *pg_url;         /* PostgreSQL selected: --db or $DATABASE_URL "postgres://..." /
                                   "postgresql://..." (libpq's URI); NULL = SQLite at db_path */
    struct migsrc migrations; /* what is read: --migrations DIR > ./drizzle if it exists > built in */
    int argc;                 /* arguments after the command words, globals removed */
    char **argv;
    char **process_argv; /* main()'s argv as given (serve re-executes itself with it) */
    bool interactive;    /* stdin and stderr are terminals */
};

typedef int (*cli_fn)(struct cli_ctx *ctx);

struct cli_flag {
    const char *name;    /* "--steps" */
    const char **value;  /* for flags taking a value (the last one given wins) */
    bool *set;           /* set to true when present (may be NULL) */
    const char **values; /* a repeatable flag: every value in order (room for argc) */
    int *n_values;       /* with values: how many were given */
};

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_DRIFT = 3 };

int cli_main(int argc, char **argv);
/* Parse ctx->argv against flags ({ 0 }-terminated; "--flag VALUE" or "--flag=VALUE").
 * Positional arguments are collected into pos (at most max_pos). Unknown flags, missing values
 * and extra positionals print a usage error and return CLI_EXIT_USAGE; SP_OK (0) on success. */
int cli_parse(struct cli_ctx *ctx, const struct cli_flag *flags, const char **pos, int max_pos,
              int *n_pos);
/* Print "sprout: error: <message>" (err text, or sp_strerror(code)) and return the exit code. */
int cli_fail(int code, const struct sp_error *err);
/* Print a usage error for ctx->command and return CLI_EXIT_USAGE. */
int cli_usage(const struct cli_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* How the migrations source is named for a person: "the folder drizzle" or "the migrations
 * built into sprout 0.1.0". */
const char *cli_migrations_label(const struct cli_ctx *ctx, char *buf, size_t size);
/* Read the migrations source ctx->migrations into f (db/migrate.h), refusing a folder of the
 * other dialect: its journal's "dialect" must be "postgresql" when PostgreSQL is selected and
 * "sqlite" otherwise (SP_EINVAL naming the folder to use). Every command that applies or
 * compares migrations (db *, serve) reads them through here. */
struct migrate_folder;
int cli_migrations_load(const struct cli_ctx *ctx, struct migrate_folder *f, struct sp_error *err);
/* Ask a yes/no question on the terminal (stderr prompt, stdin answer); false when not interactive. */
bool cli_confirm(const struct cli_ctx *ctx, const char *question);

/* Settings from the environment / .env for the layers below (cli/settings.c, the only reader):
 * cli_settings_process() applies the process-wide ones (the database busy timeout) and runs
 * before any command; the others fill what a command hands down. */
struct objstore_config;
void cli_settings_process(void);
void cli_settings_objstore(const struct cli_ctx *ctx, struct objstore_config *out);
/* The HTTP worker threads (serve): SPROUT_THREADS (1-64), else one per online core on SQLite and
 * CLI_PG_THREADS_PER_CORE per core, at least CLI_PG_THREADS_MIN, on PostgreSQL (pg). */
#define CLI_THREADS_MAX 64
#define CLI_PG_THREADS_PER_CORE 4
#define CLI_PG_THREADS_MIN 16
unsigned cli_settings_threads(bool pg);
/* PostgreSQL request connections (serve): the pool (SPROUT_PG_POOL, SPROUT_PG_POOL_WAIT_MS) and
 * the statement timeout (SPROUT_PG_STATEMENT_TIMEOUT_MS); *timeout_ms gets the latter. Call
 * after the start-up migrations (which run without a timeout), before the workers start. */
void cli_settings_pg(unsigned agent_workers, int *timeout_ms);
/* SPROUT_PG_POOL's default: the HTTP worker threads (cli_settings_threads(true)) +
 * agent_workers x AGENT_TOPIC_PARALLEL (a topic run's bootstraps) + 2 (sweeper, spare). */
unsigned cli_settings_pg_pool_default(unsigned agent_workers);
const char *cli_settings_tmp_dir(void); /* TMPDIR, default /tmp */
/* SPROUT_REUSE_PORT=1: several `sprout serve` share one address (SO_REUSEPORT), default 0 */
bool cli_settings_reuse_port(void);

/* Commands (one file each under cli/). */
int cmd_serve(struct cli_ctx *ctx);
int cmd_db_migrate(struct cli_ctx *ctx);
int cmd_db_generate(struct cli_ctx *ctx);
int cmd_db_push(struct cli_ctx *ctx);
int cmd_db_status(struct cli_ctx *ctx);
int cmd_db_check(struct cli_ctx *ctx);
int cmd_db_rollback(struct cli_ctx *ctx);
int cmd_db_baseline(struct cli_ctx *ctx);
int cmd_db_reset(struct cli_ctx *ctx);
int cmd_db_backup(struct cli_ctx *ctx);
int cmd_db_restore(struct cli_ctx *ctx);
int cmd_db_seed(struct cli_ctx *ctx);

#endif
