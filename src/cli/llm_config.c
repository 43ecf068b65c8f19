/* cli/llm_config.c: struct llm_config from the environment / .env (util/config.h), and the
 * model client of `sprout serve` with its start-up line. The key is never printed.
 * Thread model: start-up only (main thread).
 */
#include <string.h>
#include <strings.h>

#include "cli/llm_config.h"
#include "util/buf.h"
#include "util/config.h"

int cli_llm_config(struct llm_config *cfg, bool log_usage, struct sp_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    const char *provider = config_get("LLM_PROVIDER", "anthropic");
    if (strcasecmp(provider, "openai") == 0) {
        cfg->provider = LLM_OPENAI;
        cfg->base_url = config_get("OPENAI_BASE_URL", NULL);
        cfg->api_key = config_get("OPENAI_API_KEY", NULL);
    } else if (strcasecmp(provider, "anthropic") == 0) {
        cfg->provider = LLM_ANTHROPIC;
        cfg->base_url = config_get("ANTHROPIC_BASE_URL", NULL);
        cfg->api_key = config_get("ANTHROPIC_API_KEY", NULL);
        cfg->auth_token = config_get("ANTHROPIC_AUTH_TOKEN", NULL);
    } else {
        return sp_error_set(err, SP_EINVAL, "LLM_PROVIDER='%.100s' is neither anthropic nor openai",
                            provider);
    }
    cfg->model = config_get("CLAUDE_MODEL", NULL);
    cfg->model_small = config_get("CLAUDE_MODEL_SMALL", NULL);
    cfg->timeout_ms = config_get_long("SPROUT_LLM_TIMEOUT_MS", 600000, 1, 3600000);
    cfg->connect_timeout_ms = config_get_long("SPROUT_LLM_CONNECT_TIMEOUT_MS", 10000, 1, 600000);
    cfg->max_attempts = (int)config_get_long("SPROUT_LLM_ATTEMPTS", 3, 1, 20);
    cfg->rate_limit_attempts = (int)config_get_long("SPROUT_LLM_RATE_LIMIT_ATTEMPTS", 4, 1, 20);
    cfg->backoff_base_ms = config_get_long("SPROUT_LLM_BACKOFF_MS", 500, 1, 60000);
    cfg->log_usage = log_usage;
    return SP_OK;
}

int cli_llm_open(bool log_usage, FILE *log, struct llm_client **out, struct sp_error *err)
{
    *out = NULL;
    struct llm_config cfg;
    int rc = cli_llm_config(&cfg, log_usage, err);
    if (rc != SP_OK)
        return rc;
    rc = llm_client_new(&cfg, out, err);
    if (rc == SP_EUNAVAILABLE) {
        fprintf(log, "model: none: %s\n", err ? err->msg : "no model configured");
        return SP_OK;
    }
    if (rc != SP_OK)
        return rc;
    struct buf line = BUF_INIT(0);
    llm_client_describe(*out, &line);
    fprintf(log, "%s\n", buf_cstr(&line));
    buf_release(&line);
    return SP_OK;
}
