/* cli/settings.c: the one place where the environment (and ./.env, util/config.h) becomes the
 * lower layers' configuration: the database busy timeout, the document store, the server's
 * worker threads, the upload staging folder. No layer below cli/ reads the environment; each
 * takes a config struct or a setter from here (see cli.h).
 * Thread model: main thread, before any worker thread starts.
 */
#include "cli/cli.h"

#include "db/conn.h"
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

unsigned cli_settings_threads(void)
{
    return (unsigned)config_get_long("SPROUT_THREADS", 0, 1, 64); /* 0: one per core */
}

const char *cli_settings_tmp_dir(void)
{
    return config_get("TMPDIR", "/tmp");
}
