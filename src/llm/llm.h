/* llm/llm.h: the provider-neutral model client: one Messages-style call, and the agent tool
 * loop of spec/agents.md §3 on top of it.
 *
 * The conversation is kept in ONE canonical shape, the Anthropic Messages shape, as jansson
 * values: messages = [{"role":"user"|"assistant","content": "text" | [blocks]}], where a block
 * is {"type":"text","text"}, {"type":"tool_use","id","name","input"},
 * {"type":"tool_result","tool_use_id","content": "text"} or
 * {"type":"image","source":{"type":"base64","media_type","data"}}.
 * Providers translate to and from it (llm/anthropic.c; llm/openai.c: tools as functions,
 * tool_calls arguments as JSON text, role "tool" results, images as image_url data URLs).
 *
 * Configuration is plain data built by cli/ from the environment (ANTHROPIC_API_KEY or
 * ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL, CLAUDE_MODEL, CLAUDE_MODEL_SMALL; LLM_PROVIDER=openai
 * with OPENAI_API_KEY, OPENAI_BASE_URL); nothing below cli/ reads the environment.
 * The key is never logged or put into an error message.
 *
 * Errors: SP_OK, or SP_EUPSTREAM with err->msg "<status> <body>" as spec §2.3 (e.g.
 * `429 {"type":"error",...}`), also for a connection failure or timeout ("model request
 * failed: ...", "model request timed out after N ms") and for a reply that cannot be
 * understood (not JSON, no content; for llm_call_json: no text, text not JSON);
 * SP_EUNAVAILABLE when no model is configured, SP_EABORT when cancelled.
 * Cancellation: every call takes a `const atomic_bool *cancel` (may be NULL); when it becomes
 * true the transfer in flight is aborted within ~100 ms (curl progress callback) and no
 * further request is made; retries' sleeps wake up too.
 * Thread model: a struct llm_client is immutable after llm_client_new() and shared by every
 * thread; each call uses its own curl handle.
 */
#ifndef SP_LLM_LLM_H
#define SP_LLM_LLM_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

enum llm_provider { LLM_ANTHROPIC = 0, LLM_OPENAI = 1 };

struct llm_config {
    enum llm_provider provider;
    const char *base_url;    /* default https://api.anthropic.com or https://api.openai.com/v1 */
    const char *api_key;     /* x-api-key (Anthropic) / Bearer (OpenAI); may be NULL */
    const char *auth_token;  /* ANTHROPIC_AUTH_TOKEN: Authorization: Bearer */
    const char *model;       /* CLAUDE_MODEL (trimmed; default claude-haiku-4-5-20251001) */
    const char *model_small; /* CLAUDE_MODEL_SMALL (default: model) */
    long timeout_ms;         /* per HTTP request; default 600000 */
    long connect_timeout_ms; /* default 10000 */
    int max_attempts;        /* per call on 5xx/529/408/409/connection errors, default 3 */
    int rate_limit_attempts; /* per call on 429, default 4 */
    long backoff_base_ms;    /* first retry delay, default 500 (doubling, cap 8000, jitter;
                                 * x 4 on 429 without retry-after: 2 s, 4 s, 8 s) */
    bool log_usage;          /* write one log line per call with tokens (cli: unless --quiet) */
};

struct llm_client;

/* Copies cfg (strings duplicated). Fails with SP_EUNAVAILABLE (message names the variables to
 * set) when no credential is configured and the base URL is the public default; a local base
 * URL (a model server on this machine) needs no key. */
int llm_client_new(const struct llm_config *cfg, struct llm_client **out, struct sp_error *err);
void llm_client_free(struct llm_client *c);
/* One line for the start-up log: "model: anthropic https://… (claude-…, small claude-…)". */
void llm_client_describe(const struct llm_client *c, struct buf *out);
const char *llm_model(const struct llm_client *c, bool small);

struct llm_usage {
    long input_tokens;
    long output_tokens;
    long cache_read_tokens;
    long cache_write_tokens;
    long calls;
};
void llm_usage_add(struct llm_usage *sum, const struct llm_usage *u);
/* {"inputTokens":…,"outputTokens":…,"cacheReadTokens":…,"cacheWriteTokens":…,"calls":…} */
int llm_usage_json(struct buf *out, const struct llm_usage *u);

struct llm_tool {
    const char *name;
    const char *description;
    const char *input_schema; /* JSON text of the schema object (static) */
};

struct llm_request {
    const char *model;
    int max_tokens;
    const char *system; /* NULL: single-shot call without system prompt */
    const struct llm_tool *tools;
    size_t n_tools;
    json_t *messages; /* borrowed; canonical shape */
};

struct llm_reply {
    json_t *content;   /* new reference: array of canonical blocks (text, tool_use) */
    char *stop_reason; /* malloc'd; "end_turn", "tool_use", "max_tokens", ... */
    struct llm_usage usage;
};
void llm_reply_clear(struct llm_reply *r);

/* One model call with the retry policy of spec §2.2 (429/408/409/5xx/529 and connection
 * errors retried with backoff + jitter, honouring retry-after / retry-after-ms up to 60 s;
 * other 4xx never retried). System prompt and tools are marked cacheable (Anthropic prompt
 * caching). */
int llm_call(const struct llm_client *c, const struct llm_request *req, struct llm_reply *out,
             const atomic_bool *cancel, struct sp_error *err);

/* Single-shot JSON call (spec §2.1 shape 2, §2.4): prompt as the only user message, first text
 * block, fenced ```json block unwrapped, parsed (any JSON value). *out is new. model NULL: the
 * main model. usage (may be NULL) gets this call's usage ADDED. SP_EUPSTREAM "No text response
 * from Claude" / "Claude reply is not JSON: ..." */
int llm_call_json(const struct llm_client *c, const char *model, int max_tokens, const char *prompt,
                  json_t **out, struct llm_usage *usage, const atomic_bool *cancel,
                  struct sp_error *err);

/* ---- the tool loop (spec §3) ---- */

/* A tool's executor: input is the model's input object (borrowed). It appends its compact
 * JSON result to result and returns SP_OK; or returns an error with err filled, and the loop
 * feeds {"error":"<message>"} back to the model (tool errors never end the loop). */
typedef int (*llm_tool_exec_fn)(void *ctx, const char *name, json_t *input, struct buf *result,
                                struct sp_error *err);

struct llm_loop_hooks {
    void *ctx; /* passed to every hook and executor */
    llm_tool_exec_fn exec;
    void (*on_text)(void *ctx, const char *text); /* non-blank text blocks */
    void (*on_tool_call)(void *ctx, const char *name, json_t *input);
    void (*on_tool_result)(void *ctx, const char *name, const char *result);
};

struct llm_loop {
    const char *model;
    int max_tokens; /* 4096 */
    const char *system;
    const struct llm_tool *tools;
    size_t n_tools;
    int max_iterations;
    json_t *messages; /* borrowed, in/out: the conversation, appended to */
};

struct llm_loop_result {
    char *final_text;       /* malloc'd, never NULL after SP_OK ("" when none) */
    json_t *tool_calls;     /* new: [{"name","input","result"}] in call order */
    struct llm_usage usage; /* summed over the run's calls */
};
void llm_loop_result_clear(struct llm_loop_result *r);

/* Run the loop: call, report texts, stop on end_turn or no tool_use, else run the tools in
 * order (unknown tool -> {"error":"Unknown tool: <name>"}), append assistant + tool_result
 * messages, repeat up to max_iterations. On error the usage so far is still in out->usage. */
int llm_run_loop(const struct llm_client *c, const struct llm_loop *loop,
                 const struct llm_loop_hooks *hooks, struct llm_loop_result *out,
                 const atomic_bool *cancel, struct sp_error *err);

#endif
