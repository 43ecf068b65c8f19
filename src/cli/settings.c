/* cli/settings.c: the one place where the environment (and ./.env, util/config.h) becomes the
 * lower layers' configuration: the database busy timeout, the document store, the server's
 * worker threads (one per core on SQLite, more on PostgreSQL), whether the listening address is shared (SO_REUSEPORT), the upload staging
 * folder. No layer below cli/ reads the environment; each
 * takes a config struct or a setter from here (see cli.h).
 * Thread model: main thread, before any worker thread starts.
 */
#include "cli/cli.h"

#include <unistd.h>

#include "agents/topic.h"
#include "db/conn.h"
#include "db/pg.h"
#include "objects/objstore.h"
#include "util/config.h"

void cli_settings_process(void)
{
    db_set_busy_timeout_ms(
        (int)config_get_long("SPROUT_BUSY_TIMEOUT_MS", DB_BUSY_TIMEOUT_MS_DEFAULT, 0, 600000));
}

void cli_settings_objstore(const struct cli_ctx *ctx, struct objstore_config *out)
{
    *out = (struct objstore_config){
        .db_path = ctx->db_path,
        .storage_dir = config_get("STORAGE_DIR", NULL),
        .s3 = {
            .bucket = config_get("AWS_S3_BUCKET", NULL),
            .region = config_get("AWS_REGION", NULL),
            .access_key = config_get("AWS_ACCESS_KEY_ID", NULL),
            .secret_key = config_get("AWS_SECRET_ACCESS_KEY", NULL),
            .session_token = config_get("AWS_SESSION_TOKEN", NULL),
            .endpoint = config_get("AWS_ENDPOINT_URL", NULL),
            .connect_timeout_ms = config_get_long("SPROUT_S3_CONNECT_TIMEOUT_MS", 5000, 100, 600000),
            .timeout_ms = config_get_long("SPROUT_S3_TIMEOUT_MS", 60000, 100, 3600000),
            .attempts = (int)config_get_long("SPROUT_S3_ATTEMPTS", 3, 1, 10),
            .sweep_page = config_get_long("SPROUT_S3_SWEEP_PAGE", 1000, 1, 1000),
            .sweep_max_keys = config_get_long("SPROUT_S3_SWEEP_MAX_KEYS", 10000, 1, 10000000),
        },
    };
}

unsigned cli_settings_pg_pool_default(unsigned agent_workers)
{
    return cli_settings_threads(true) + agent_workers * AGENT_TOPIC_PARALLEL + 2;
}

void cli_settings_pg(unsigned agent_workers, int *timeout_ms)
{
    /* the pool (docs/POSTGRESQL.md "The connection pool"): by default one connection for every
     * thread that can hold one at a time, so that no request waits for one: the HTTP workers,
     * each agent worker with its topic run's bootstrap threads, the sweeper and one spare
     * (16 on a 2-core server with the defaults); opened on demand */
    long def = (long)cli_settings_pg_pool_default(agent_workers);
    db_set_pg_pool((unsigned)config_get_long("SPROUT_PG_POOL", def, 1, 1000),
                   (unsigned)config_get_long("SPROUT_PG_POOL_WAIT_MS", DB_PG_POOL_WAIT_MS_DEFAULT,
                                             0, 600000));
    /* a statement running longer fails with 57014 -> SP_EBUSY -> 503; 0 = no limit */
    *timeout_ms = (int)config_get_long("SPROUT_PG_STATEMENT_TIMEOUT_MS", 30000, 0, 3600000);
    pg_set_statement_timeout_ms(*timeout_ms);
}

unsigned cli_settings_threads(bool pg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cores = cores < 1 ? 1 : cores > CLI_THREADS_MAX ? CLI_THREADS_MAX : cores;
    long def = cores; /* SQLite: one per core, its group-commit writer does the writes */
    if (pg) {
        /* PostgreSQL (docs/POSTGRESQL.md "Benchmarks"): a worker mostly waits, for each round
         * trip and for its commit's WAL flush, and the server flushes the commits that wait
         * together at once (group commit), so durable writes scale with the workers waiting */
        def = cores * CLI_PG_THREADS_PER_CORE;
        def = def < CLI_PG_THREADS_MIN ? CLI_PG_THREADS_MIN
              : def > CLI_THREADS_MAX  ? CLI_THREADS_MAX
                                       : def;
    }
    return (unsigned)config_get_long("SPROUT_THREADS", def, 1, CLI_THREADS_MAX);
}

const char *cli_settings_tmp_dir(void)
{
    return config_get("TMPDIR", "/tmp");
}

bool cli_settings_reuse_port(void)
{
    return config_get_long("SPROUT_REUSE_PORT", 0, 0, 1) == 1;
}
