/* cli/llm_config.h: the model client's configuration from the environment / .env (the only
 * place that reads the model variables; docs/AGENTS.md lists them).
 * Thread model: start-up only (main thread, before the server threads exist).
 */
#ifndef SP_CLI_LLM_CONFIG_H
#define SP_CLI_LLM_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "llm/llm.h"
#include "util/err.h"

/* Fill cfg from LLM_PROVIDER, ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN / ANTHROPIC_BASE_URL,
 * OPENAI_API_KEY / OPENAI_BASE_URL, CLAUDE_MODEL, CLAUDE_MODEL_SMALL and the tuning knobs
 * SPROUT_LLM_TIMEOUT_MS, SPROUT_LLM_CONNECT_TIMEOUT_MS, SPROUT_LLM_ATTEMPTS,
 * SPROUT_LLM_RATE_LIMIT_ATTEMPTS, SPROUT_LLM_BACKOFF_MS. Strings are borrowed (process
 * lifetime). SP_EINVAL when LLM_PROVIDER is neither "anthropic" nor "openai". */
int cli_llm_config(struct llm_config *cfg, bool log_usage, struct sp_error *err);

/* cli_llm_config + llm_client_new, and one start-up line on log: "model: anthropic <url>
 * (<model>, small <model>; key)" or "model: none: no model configured (set ...)". *out is
 * NULL (and SP_OK returned) when no model is configured; an error for a misconfiguration
 * (bad LLM_PROVIDER, base URL not http(s)). */
int cli_llm_open(bool log_usage, FILE *log, struct llm_client **out, struct sp_error *err);

#endif
