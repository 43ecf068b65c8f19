/* cli/cmd_db_generate.c: `sprout db generate [--dialect sqlite|postgresql] [--name NAME]
 * [--rename KEY=VALUE]... [--schema FILE]`.
 * --dialect postgresql (or a PostgreSQL database selected) writes drizzle-kit's postgresql
 * folder (default ./drizzle-pg) from the schema's PostgreSQL dialect (db/pgsnap.h).
 *
 * Front end of db/generate: parses the flags, loads the wanted schema (compiled-in, or a
 * conformance case / snapshot file with --schema), asks rename questions on the terminal when
 * there is one (numbered choices on stderr, answer on stdin; end of input aborts), and prints
 * drizzle-kit's messages. Without a terminal an unanswered question fails (exit 1) listing the
 * --rename flags that answer it; nothing is written then.
 * Thread model: runs on the main thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "db/generate.h"
#include "db/pgsnap.h"
#include "db/schema.h"
#include "db/snapshot.h"

static int ask_terminal(void *ud, const char *question, const char *const *choices, size_t n,
                        size_t *choice)
{
    (void)ud;
    for (;;) {
        fprintf(stderr, "%s\n", question);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "  %zu) %s\n", i + 1, choices[i]);
        fprintf(stderr, "Choice [1-%zu, Enter = 1]: ", n);
        fflush(stderr);
        char line[64];
        if (!fgets(line, sizeof line, stdin))
            return SP_EABORT;
        if (line[0] == '\n') {
            *choice = 0;
            return SP_OK;
        }
        char *end;
        long v = strtol(line, &end, 10);
        if (v >= 1 && (size_t)v <= n && (*end == '\n' || *end == '\0')) {
            *choice = (size_t)v - 1;
            return SP_OK;
        }
        fprintf(stderr, "Please answer with a number between 1 and %zu.\n", n);
    }
}

static bool answer_valid(const char *key, const char *value)
{
    bool key_ok = (strncmp(key, "table:", 6) == 0 && key[6]) ||
                  (strncmp(key, "schema:", 7) == 0 && key[7]) || /* PostgreSQL */
                  (strncmp(key, "enum:", 5) == 0 && key[5]) ||
                  (strncmp(key, "column:", 7) == 0 && strchr(key + 7, '.') && key[7] != '.' &&
                   strchr(key + 7, '.')[1]);
    bool val_ok = strcmp(value, "create") == 0 || (strncmp(value, "rename:", 7) == 0 && value[7]);
    return key_ok && val_ok;
}

static const char *display_path(const char *p)
{
    return strncmp(p, "./", 2) == 0 ? p + 2 : p;
}

int cmd_db_generate(struct cli_ctx *ctx)
{
    const char *name = NULL, *schema_file = NULL, *dialect = NULL;
    const char **renames = calloc((size_t)ctx->argc + 1, sizeof *renames);
    struct diff_answer *ans = calloc((size_t)ctx->argc + 1, sizeof *ans);
    char **owned = calloc((size_t)ctx->argc + 1, sizeof *owned);
    int n_renames = 0;
    size_t n_ans = 0;
    int exit_code = CLI_EXIT_OK;
    if (!renames || !ans || !owned) {
        exit_code = cli_fail(SP_ENOMEM, NULL);
        goto out;
    }
    const struct cli_flag flags[] = {
        { .name = "--name", .value = &name },
        { .name = "--schema", .value = &schema_file },
        { .name = "--dialect", .value = &dialect },
        { .name = "--rename", .values = renames, .n_values = &n_renames },
        { 0 },
    };
    if ((exit_code = cli_parse(ctx, flags, NULL, 0, NULL)) != CLI_EXIT_OK)
        goto out;
    for (int i = 0; i < n_renames; i++) {
        const char *val = renames[i], *eq = strchr(val, '=');
        char *key = eq ? strndup(val, (size_t)(eq - val)) : NULL;
        if (!key || !answer_valid(key, eq + 1)) {
            free(key);
            exit_code = cli_usage(ctx,
                                  "invalid --rename '%s': expected table:<new>=create|rename:<old> "
                                  "or column:<table>.<new>=create|rename:<old> (PostgreSQL also "
                                  "schema:<new>=... and enum:<new>=...)",
                                  val);
            goto out;
        }
        owned[n_ans] = key;
        ans[n_ans].key = key;
        ans[n_ans++].value = eq + 1;
    }
    if (name && !generate_name_valid(name)) {
        exit_code =
            cli_usage(ctx, "invalid --name '%s': use lowercase letters, digits and '_'", name);
        goto out;
    }

    if (dialect && strcmp(dialect, "sqlite") != 0 && strcmp(dialect, "postgresql") != 0) {
        exit_code =
            cli_usage(ctx, "invalid --dialect '%s': expected sqlite or postgresql", dialect);
        goto out;
    }
    bool pg = dialect ? strcmp(dialect, "postgresql") == 0 : ctx->pg_url != NULL;
    struct sp_error err = { 0 };
    struct model_schema loaded = { 0 };
    const struct model_schema *schema = &schema_sprout;
    json_t *pg_schema = NULL;
    if (pg) {
        int rc = schema_file ? pgsnap_load_any(schema_file, &pg_schema, &err)
                             : pgsnap_from_model(&schema_sprout, &pg_schema, &err);
        if (rc) {
            cli_fail(rc, &err);
            exit_code = CLI_EXIT_FAIL;
            goto out;
        }
    } else if (schema_file) {
        int rc = snapshot_load_case(schema_file, &loaded, &err);
        if (rc) {
            cli_fail(rc, &err);
            exit_code = CLI_EXIT_FAIL;
            goto out;
        }
        schema = &loaded;
    }
    struct generate_options go = { .dir = pg && !ctx->migrations_set ? "./drizzle-pg"
                                                                     : ctx->migrations_dir,
                                   .schema = schema,
                                   .pg_schema = pg_schema,
                                   .name = name,
                                   .answers = ans,
                                   .n_answers = n_ans,
                                   .ask = ctx->interactive ? ask_terminal : NULL };
    struct generate_result res;
    int rc = generate_run(&go, &res, &err);
    if (rc == SP_EABORT && res.n_questions) {
        fprintf(stderr,
                "sprout: error: %zu rename question%s need%s an answer (no terminal to ask); "
                "nothing was written. Answer with one of the flags below each question:\n",
                res.n_questions, res.n_questions == 1 ? "" : "s", res.n_questions == 1 ? "s" : "");
        for (size_t i = 0; i < res.n_questions; i++)
            fprintf(stderr, "  %s\n", res.questions[i]);
        exit_code = CLI_EXIT_FAIL;
    } else if (rc) {
        cli_fail(rc, &err);
        exit_code = CLI_EXIT_FAIL; /* bad folder contents are failures, not usage errors */
    } else if (res.no_changes) {
        printf("No schema changes, nothing to migrate \xf0\x9f\x98\xb4\n");
    } else {
        for (size_t i = 0; i < res.n_changes; i++)
            printf("  %s\n", res.changes[i]);
        if (res.when_bumped)
            printf(
                "[!] The clock is not after the last migration's \"when\"; using %lld (last + 1) "
                "so that migrated databases do not skip this migration\n",
                res.when);
        printf("[\xe2\x9c\x93] Your SQL migration file \xe2\x9e\x9c %s \xf0\x9f\x9a\x80\n",
               display_path(res.sql_path));
        printf("[\xe2\x9c\x93] Your down migration file \xe2\x9e\x9c %s\n",
               display_path(res.down_path));
    }
    generate_result_free(&res);
    model_schema_free(&loaded);
    json_decref(pg_schema);
out:
    for (size_t i = 0; i < n_ans; i++)
        free(owned[i]);
    free(owned);
    free(ans);
    free(renames);
    return exit_code;
}
