/* cli/cmd_serve.c: `sprout serve`: prepare the database, start the HTTP server, wait for
 * SIGINT/SIGTERM, stop cleanly (docs/SERVER.md).
 *
 * Start-up, in order, and nothing else (time to the first answer matters):
 *   0. glibc's malloc keeps freed memory per arena (malloc_settings below);
 *   1. options: --port N > $PORT > 8000 (0 = any free port), --host ADDR > $HOST > 127.0.0.1,
 *      --quiet (no request log), --no-migrate, --web DIR (serve the page from DIR, not the
 *      copy built into the binary); the database is ctx->pg_url (--db or DATABASE_URL
 *      postgres://...) or else the SQLite file ctx->db_path (--db, DB_PATH, .env);
 *   2. the model client (cli/llm_config.c: prints the provider, base URL and models, or that
 *      none is configured; a bad LLM_PROVIDER stops here, before the database is touched);
 *   3. load the migrations (ctx->migrations: --migrations DIR, ./drizzle or ./drizzle-pg, or
 *      the set built into the binary; cli_migrations_load refuses the other dialect's folder);
 *      a missing --migrations folder is refused unless --no-migrate;
 *   4. open the database (a SQLite file is created when missing; PostgreSQL: db/pgmigrate.h),
 *      say which migrations ("Migrations: ..."); unless --no-migrate: count the pending
 *      ones; if some and the database already has tables, back it up first
 *      (<db>.YYYYMMDD_HHMMSS) and say where; apply them. With
 *      --no-migrate and pending migrations: refuse (exit 1) and name `sprout db migrate`;
 *   5. seed the default user when missing; open the document store;
 *   6. start the agent run pool (SPROUT_AGENT_WORKERS threads, default 4, 1..64; at most
 *      SPROUT_AGENT_QUEUE runs waiting, default 64, 1..100000; runs/run.h);
 *   7. start the daemon, print "Sprout backend running on http://localhost:PORT".
 * Shutdown: SIGINT/SIGTERM are blocked in every thread and taken by sigwait() in the main
 * thread; every agent run is cancelled and its job waited for (up to SERVE_RUNS_DRAIN_MS), so
 * open streams end; the server stops accepting, in-flight requests finish (up to
 * SERVE_DRAIN_MS), then every per-thread connection is closed (the last close checkpoints the
 * WAL).
 * A -shm truncated under the server (SQLite, db/shm_guard.h): the thread that touched it is
 * parked by the SIGBUS guard, which sends SERVE_SHM_SIGNAL (blocked everywhere, taken by the
 * same sigwait); the main thread then re-executes this binary in place, the listening socket
 * handed across, at most once per 3 s (cli/serve_restart.h); SIGINT/SIGTERM while waiting (or
 * once a thread is parked) stop the process at once: a parked thread would never let the drain
 * finish, and every acknowledged write is in the WAL or the database.
 * Ownership: everything opened here is closed here. Thread model: main thread; the HTTP worker
 * threads are started by http_server_start() with the signals already blocked.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/llm_config.h"
#include "cli/serve_restart.h"
#include "db/backup.h"
#include "db/conn.h"
#include "db/introspect.h"
#include "db/migrate.h"
#include "db/pg.h"
#include "db/pgmigrate.h"
#include "db/seed.h"
#include "db/shm_guard.h"
#include "http/guard.h"
#include "http/server.h"
#include "objects/objstore.h"
#include "runs/run.h"
#include "storage/store_writer.h"
#include "util/config.h"

#define SERVE_DRAIN_MS 10000u
#define SERVE_RUNS_DRAIN_MS 5000u
#define SERVE_SHM_SIGNAL SIGUSR2
/* An unsigned tuning variable in [min,max]; unset = def. SP_EINVAL (message set) otherwise. */
static int env_count(const char *name, unsigned def, unsigned min, unsigned max, unsigned *out,
                     struct sp_error *err)
{
    const char *v = config_get(name, NULL);
    *out = def;
    if (!v)
        return SP_OK;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < (long)min || x > (long)max)
        return sp_error_set(err, SP_EINVAL, "%s='%s' must be a number from %u to %u", name, v, min,
                            max);
    *out = (unsigned)x;
    return SP_OK;
}

static int parse_port(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 65535)
        return SP_EINVAL;
    *out = (unsigned)v;
    return SP_OK;
}

/* Does the database hold any table of its own (not just the migrator's)? */
static int has_tables(struct db *db, bool *out, struct sp_error *err)
{
    struct model_schema live;
    int rc = introspect_schema(db, &live, err);
    if (rc != SP_OK)
        return rc;
    *out = live.n_tables > 0;
    model_schema_free(&live);
    return SP_OK;
}

/* Apply the pending migrations of f: refused with --no-migrate; a database that holds tables is
 * backed up first. */
static int apply_pending(struct cli_ctx *ctx, struct db *db, const struct migrate_folder *f,
                         size_t pending, bool no_migrate, struct sp_error *err)
{
    if (no_migrate)
        return sp_error_set(err, SP_EDRIFT,
                            "%s has %zu pending migration%s and --no-migrate was given: run "
                            "`sprout db migrate` first (or start without --no-migrate)",
                            ctx->db_path, pending, pending == 1 ? "" : "s");
    bool tables = false;
    int rc = has_tables(db, &tables, err);
    if (rc != SP_OK)
        return rc;
    if (tables) {
        char *dest = backup_default_path(ctx->db_path);
        if (!dest)
            return sp_error_set(err, SP_ENOMEM, "out of memory");
        rc = backup_to_path(db, dest, err);
        if (rc == SP_OK)
            printf("Backed up %s to %s before migrating.\n", ctx->db_path, dest);
        else
            sp_error_prefix(err, rc, "backup before migrating failed (nothing was migrated)");
        free(dest);
        if (rc != SP_OK)
            return rc;
    }
    size_t applied = 0;
    rc = migrate_apply_folder(db, f, stdout, &applied, err);
    if (rc != SP_OK)
        return sp_error_prefix(err, rc, "migrating %s failed, nothing was applied", ctx->db_path);
    printf("Applied %zu migration%s.\n", applied, applied == 1 ? "" : "s");
    return SP_OK;
}

/* The migrations serve applies, read before the database is opened (a SQLite file is not
 * created, nothing is written, when they are unusable): --migrations naming no folder is
 * refused, unless --no-migrate (serve the database as it is: *have = false); a journal that
 * cannot be read or a folder of the other dialect (cli_migrations_load) is refused. */
static int load_migrations(struct cli_ctx *ctx, bool no_migrate, struct migrate_folder *f,
                           bool *have, struct sp_error *err)
{
    *have = false;
    struct stat st;
    if (!migsrc_is_builtin(&ctx->migrations) &&
        (stat(ctx->migrations_dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        if (no_migrate)
            return SP_OK;
        return sp_error_set(err, SP_ENOTFOUND,
                            "migrations folder %s not found: pass --migrations DIR with an existing "
                            "folder, or use --no-migrate to serve the database as it is",
                            ctx->migrations_dir);
    }
    int rc = cli_migrations_load(ctx, f, err);
    *have = rc == SP_OK;
    return rc;
}

/* PostgreSQL: apply what is pending of f (NULL: no folder, --no-migrate; pgmigrate_apply takes
 * the advisory lock, so instances started together migrate once; there is no file to back up:
 * pg_dump is the operator's), then seed the default user. */
static int prepare_pg(struct cli_ctx *ctx, const struct migrate_folder *f, bool no_migrate,
                      struct sp_error *err)
{
    struct pg *pg = NULL;
    int rc = pg_connect(ctx->pg_url, &pg, err);
    char label[512];
    if (rc == SP_OK && f)
        printf("Migrations: %s\n", cli_migrations_label(ctx, label, sizeof label));
    size_t pending = 0, applied = 0;
    if (rc == SP_OK && f)
        rc = pgmigrate_count_pending(pg, f, &pending, err);
    if (rc == SP_OK && pending && no_migrate)
        rc = sp_error_set(err, SP_EDRIFT,
                          "%s has %zu pending migration%s and --no-migrate was given: run "
                          "`sprout db migrate` first (or start without --no-migrate)",
                          pg_display_url(pg), pending, pending == 1 ? "" : "s");
    if (rc == SP_OK && pending && (rc = pgmigrate_apply(pg, f, stdout, &applied, err)) == SP_OK)
        printf("Applied %zu migration%s.\n", applied, applied == 1 ? "" : "s");
    bool inserted = false;
    if (rc == SP_OK && (rc = pgmigrate_seed(pg, &inserted, err)) != SP_OK)
        sp_error_prefix(err, rc, "seeding the default user failed");
    if (rc == SP_OK && inserted)
        puts("Default user seeded.");
    pg_close(pg);
    return rc;
}

/* SQLite: apply what is pending of f (NULL: no folder, --no-migrate). */
static int prepare_schema(struct cli_ctx *ctx, struct db *db, const struct migrate_folder *f,
                          bool no_migrate, struct sp_error *err)
{
    if (!f)
        return SP_OK;
    char label[512];
    printf("Migrations: %s\n", cli_migrations_label(ctx, label, sizeof label));
    size_t pending = 0;
    int rc = migrate_count_pending(db, f, &pending, err);
    if (rc == SP_OK && pending > 0)
        rc = apply_pending(ctx, db, f, pending, no_migrate, err);
    return rc;
}

/* glibc's malloc gives memory back to the kernel when more than 128 KiB is free at the top of
 * an arena (madvise(MADV_DONTNEED), which also flushes the TLB of every core running the
 * process), and a request's reply plus libpq's result of a list (nodes_list: ~62 KB + ~70 KB)
 * leave that much behind in the worker thread's arena: the next request faulted the same pages
 * back in. Measured under nodes_list on PostgreSQL: 1 madvise and 6 page faults per request
 * before, none after (docs/POSTGRESQL.md, "Reads"). So each arena keeps up to
 * SERVE_MALLOC_TRIM free bytes; blocks of SERVE_MALLOC_MMAP or more are mapped on their own
 * (setting the trim threshold fixes glibc's otherwise adaptive mmap threshold, 128 KiB). */
#define SERVE_MALLOC_TRIM (2u << 20)
#define SERVE_MALLOC_MMAP (1u << 20)

static void malloc_settings(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, (int)SERVE_MALLOC_MMAP);
    mallopt(M_TRIM_THRESHOLD, (int)SERVE_MALLOC_TRIM);
#endif
}

int cmd_serve(struct cli_ctx *ctx)
{
    const char *port_s = NULL, *host = NULL, *web_dir = NULL;
    bool no_migrate = false, quiet = false;
    const struct cli_flag flags[] = {
        { .name = "--port", .value = &port_s },         { .name = "--host", .value = &host },
        { .name = "--no-migrate", .set = &no_migrate }, { .name = "--quiet", .set = &quiet },
        { .name = "--web", .value = &web_dir },         { 0 },
    };
    int prc = cli_parse(ctx, flags, NULL, 0, NULL);
    if (prc)
        return prc;
    unsigned port = HTTP_DEFAULT_PORT;
    if (port_s) {
        if (parse_port(port_s, &port) != SP_OK)
            return cli_usage(ctx, "--port needs a number from 0 to 65535, not '%s'", port_s);
    } else {
        const char *env = config_get("PORT", NULL);
        if (env && parse_port(env, &port) != SP_OK) {
            fprintf(stderr, "sprout: error: PORT='%s' is not a port number (0-65535)\n", env);
            return CLI_EXIT_USAGE;
        }
    }
    if (!host)
        host = config_get("HOST", HTTP_DEFAULT_HOST);
    struct stat web_st;
    if (web_dir && (stat(web_dir, &web_st) != 0 || !S_ISDIR(web_st.st_mode)))
        return cli_usage(ctx, "--web needs a folder, and '%s' is not one", web_dir);

    malloc_settings(); /* before any thread, so before any arena but the main one */
    struct serve_reexec prev =
        serve_reexec_take(); /* before any thread: it changes the environment */

    /* Block the stop signals (and the -shm guard's) before any thread exists, so only sigwait()
     * below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SERVE_SHM_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!ctx->pg_url) { /* SQLite: a truncated -shm restarts the server instead of killing it */
        struct sp_error gerr = { 0 };
        if (!serve_restart_prepare(ctx->process_argv, &prev, &stop))
            sp_error_set(&gerr, SP_ENOMEM, "out of memory");
        else
            shm_guard_install(SERVE_SHM_SIGNAL, serve_restart_from_main_fault, &gerr);
        if (gerr.code)
            fprintf(stderr, "warning: a truncated -shm file will stop the server (SIGBUS): %s\n",
                    gerr.msg);
    }

    struct sp_error err = { 0 };
    unsigned workers = RUNS_DEFAULT_WORKERS, queue_max = RUNS_DEFAULT_QUEUE;
    if (env_count("SPROUT_AGENT_WORKERS", RUNS_DEFAULT_WORKERS, 1, 64, &workers, &err) != SP_OK ||
        env_count("SPROUT_AGENT_QUEUE", RUNS_DEFAULT_QUEUE, 1, 100000, &queue_max, &err) != SP_OK) {
        fprintf(stderr, "sprout: error: %s\n", err.msg);
        return CLI_EXIT_USAGE;
    }
    struct db *db = NULL;
    struct objstore *store = NULL;
    struct http_server *srv = NULL;
    struct llm_client *llm = NULL;
    int rc = cli_llm_open(!quiet, stdout, &llm, &err);
    const char *db_name = ctx->pg_url ? ctx->pg_url : ctx->db_path; /* what the workers open */
    struct migrate_folder mig;
    bool have_mig = false;
    if (rc == SP_OK)
        rc = load_migrations(ctx, no_migrate, &mig, &have_mig, &err);
    if (rc == SP_OK && ctx->pg_url)
        rc = prepare_pg(ctx, have_mig ? &mig : NULL, no_migrate, &err);
    /* the request connections (opened after the migrations, which have no limit) */
    if (rc == SP_OK && ctx->pg_url) {
        int timeout_ms = 0;
        unsigned pool = 0, wait_ms = 0;
        cli_settings_pg(workers, &timeout_ms);
        db_pg_pool_get(&pool, &wait_ms);
        printf(
            "PostgreSQL: a pool of %u connection%s (SPROUT_PG_POOL), a request waits up to "
            "%u ms for one (SPROUT_PG_POOL_WAIT_MS), statement timeout %d ms%s "
            "(SPROUT_PG_STATEMENT_TIMEOUT_MS)\n",
            pool, pool == 1 ? "" : "s", wait_ms, timeout_ms, timeout_ms ? "" : " (none)");
    } else if (rc == SP_OK && (rc = db_check_wal_files(ctx->db_path, &err)) == SP_OK &&
               (rc = db_open(ctx->db_path, DB_OPEN_CREATE, &db, &err)) == SP_EIO)
        sp_error_prefix(&err, rc,
                        "cannot open database %s (does its directory exist, and may it be written?)",
                        ctx->db_path);
    if (rc == SP_OK && db)
        rc = prepare_schema(ctx, db, have_mig ? &mig : NULL, no_migrate, &err);
    if (have_mig)
        migrate_folder_free(&mig);
    bool inserted = false;
    if (rc == SP_OK && db && (rc = seed_default_user(db, &inserted, &err)) != SP_OK)
        sp_error_prefix(
            &err, rc,
            "seeding the default user failed (is the schema there? run `sprout db migrate`)");
    if (rc == SP_OK && inserted)
        puts("Default user seeded.");
    db_close(db); /* the workers open their own connections */
    struct objstore_config ocfg;
    cli_settings_objstore(ctx, &ocfg);
    if (rc == SP_OK)
        rc = objstore_open(&ocfg, &store, &err);

    struct api_ctx actx = { .db_path = db_name,
                            .store = store,
                            .llm = llm,
                            .tmp_dir = cli_settings_tmp_dir() };
    const char *cors = config_get("SPROUT_CORS_ORIGINS", HTTP_CORS_DEFAULT);
    struct http_server_config cfg = { .host = host,
                                      .port = port,
                                      .quiet = quiet,
                                      .ctx = &actx,
                                      .web_dir = web_dir,
                                      .threads = cli_settings_threads(ctx->pg_url != NULL),
                                      .reuse_port = cli_settings_reuse_port(),
                                      .cors_origins = cors,
                                      .listen_fd = prev.listen_fd };
    cfg.conns.per_client =
        (unsigned)config_get_long("SPROUT_MAX_CONNECTIONS_PER_CLIENT", 0, 1, 4096);
    cfg.conns.header_s = (unsigned)config_get_long("SPROUT_HEADER_TIMEOUT_S", 0, 1, 3600);
    cfg.conns.idle_s = (unsigned)config_get_long("SPROUT_IDLE_TIMEOUT_S", 0, 1, 3600);
    /* Crash leftovers (docs/SERVER.md): swept now and every SPROUT_SWEEP_INTERVAL_S. */
    long grace = config_get_long("SPROUT_SWEEP_GRACE_S", 3600, 0, 30L * 86400);
    if (rc == SP_OK) {
        size_t objects = 0, staged = 0;
        struct sp_error serr = { 0 };
        int src = api_sweep_once(&actx, actx.tmp_dir, grace, false, &objects, &staged, &serr);
        if (src != SP_OK)
            fprintf(stderr, "sweep: %s\n", sp_error_text(&serr, src));
        else
            printf("Swept %zu stored file%s without a row and %zu stale upload file%s.\n", objects,
                   objects == 1 ? "" : "s", staged, staged == 1 ? "" : "s");
        rc = api_sweeper_start(&actx, actx.tmp_dir, grace,
                               config_get_long("SPROUT_SWEEP_INTERVAL_S", 3600, 1, 30L * 86400),
                               &err);
    }
    store_writer_set_wal_max(config_get_long("SPROUT_WAL_MAX_MB", 1024, 1, 1L << 20) << 20);
    long ckpt = config_get_long("SPROUT_WAL_CHECKPOINT_FRAMES", 10000, 10, 1000000);
    long restart_at = config_get_long("SPROUT_WAL_RESTART_FRAMES", ckpt * 2, ckpt + 1, 5000000);
    store_writer_set_checkpoint_frames((int)ckpt, (int)restart_at);
    if (rc == SP_OK) /* group commit (SQLite: store_writer.c, PostgreSQL: store_pgwriter.c) */
        rc = api_writer_start(actx.db_path, &err);
    bool runs_up = false;
    if (rc == SP_OK && (rc = runs_init(workers, queue_max, &err)) == SP_OK)
        runs_up = true;
    if (rc == SP_OK)
        rc = http_server_start(&cfg, &srv, &err);
    if (rc != SP_OK) {
        if (runs_up)
            runs_shutdown(SERVE_RUNS_DRAIN_MS);
        api_writer_stop();
        api_sweeper_stop();
        llm_client_free(llm);
        objstore_close(store);
        int code = cli_fail(rc, &err);
        return code == CLI_EXIT_DRIFT ? CLI_EXIT_FAIL : code;
    }
    if (prev.count)
        printf("Restarted after a truncated -shm file (restart %u of this process, %s).\n",
               prev.count,
               prev.listen_fd ? "listening socket kept" : "listening socket bound again");
    printf("Allowed browser origins (SPROUT_CORS_ORIGINS): %s\n", cors);
    if (ctx->pg_url)
        printf(
            "HTTP worker threads (SPROUT_THREADS): %u (default on PostgreSQL: %u per core, at "
            "least %u)\n",
            cfg.threads, CLI_PG_THREADS_PER_CORE, CLI_PG_THREADS_MIN);
    else
        printf("HTTP worker threads (SPROUT_THREADS): %u (default: one per core)\n", cfg.threads);
    printf("Sprout backend running on http://localhost:%u\n", http_server_port(srv));
    printf("Open http://localhost:%u/ in a browser to learn with Sprout.\n", http_server_port(srv));
    fflush(stdout);

    int sig = 0;
    for (;;) {
        while (sigwait(&stop, &sig) != 0)
            ;
        if (sig != SERVE_SHM_SIGNAL)
            break;
        if (!shm_guard_tripped())
            continue;                       /* sent by someone else: nothing to do */
        serve_restart_after_shm_fault(srv); /* returns only when exec failed (said why) */
        fflush(stderr);
        _exit(CLI_EXIT_FAIL); /* not exit(): a thread is parked inside SQLite */
    }
    /* From now on a -shm fault ends the process at once (nobody waits for the signal); one
     * that happened already leaves a parked thread the drain would wait for for ever. */
    shm_guard_exit_on_fault(CLI_EXIT_OK);
    if (shm_guard_tripped())
        serve_stop_now(sig);
    printf("%s received, finishing in-flight requests...\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(stdout);
    unsigned jobs_left = runs_shutdown(SERVE_RUNS_DRAIN_MS);
    if (jobs_left)
        fprintf(stderr, "%u agent run%s did not stop within %u s.\n", jobs_left,
                jobs_left == 1 ? "" : "s", SERVE_RUNS_DRAIN_MS / 1000);
    unsigned left = http_server_stop(srv, SERVE_DRAIN_MS);
    api_writer_stop();
    api_sweeper_stop();
    if (!jobs_left) { /* a job still running uses these: leave them to the exit */
        db_thread_close_all();
        objstore_close(store);
        llm_client_free(llm);
    }
    if (left)
        fprintf(stderr, "Stopped: %u request%s were cut off after %u s.\n", left,
                left == 1 ? "" : "s", SERVE_DRAIN_MS / 1000);
    else
        puts("Sprout backend stopped.");
    return CLI_EXIT_OK;
}
