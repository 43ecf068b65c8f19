/* llm/llm_internal.h: what the files of llm/ share and nobody else uses: the client's private
 * struct, the two provider translations (canonical Anthropic shape <-> wire format) and the
 * JSON-in-text extraction of spec §2.4 (exposed for the unit tests).
 * Thread model: the client is immutable after creation; the functions below keep no state.
 */
#ifndef SP_LLM_INTERNAL_H
#define SP_LLM_INTERNAL_H

#include "llm/llm.h"

struct llm_client {
    enum llm_provider provider;
    char *base_url;   /* without trailing '/' */
    char *url;        /* the endpoint: <base>/v1/messages or <base>/chat/completions */
    char *api_key;    /* NULL or non-empty */
    char *auth_token; /* NULL or non-empty */
    char *model;
    char *model_small;
    long timeout_ms;
    long connect_timeout_ms;
    int max_attempts;
    int rate_limit_attempts;
    long backoff_base_ms;
    bool log_usage;
};

/* Request body for one call (compact JSON text into out). */
int llm_anthropic_build(const struct llm_request *req, struct buf *out, struct sp_error *err);
int llm_openai_build(const struct llm_request *req, struct buf *out, struct sp_error *err);
/* The request's tools as a JSON array (*out, new reference), one def(tool, schema) per tool;
 * def steals schema and returns the provider's definition (NULL: out of memory). SP_EINVAL from
 * llm_tool_schema or SP_ENOMEM, with *out NULL (in client.c). */
int llm_tools_json(const struct llm_request *req,
                   json_t *(*def)(const struct llm_tool *t, json_t *schema), json_t **out,
                   struct sp_error *err);
/* A reply's usage count u[k] (0 when absent or not an integer; in client.c). */
long llm_usage_field(json_t *u, const char *k);
/* Parse a 2xx reply body into the canonical reply (SP_EUPSTREAM when it cannot be understood). */
int llm_anthropic_parse(const char *body, size_t len, struct llm_reply *out, struct sp_error *err);
int llm_openai_parse(const char *body, size_t len, struct llm_reply *out, struct sp_error *err);

/* Spec §2.4: trim text; if it holds a ```[json] fenced block, keep the trimmed inside of the
 * first one; parse as JSON (any value). *out is new. SP_EUPSTREAM "... is not JSON: ..." */
int llm_extract_json(const char *text, json_t **out, struct sp_error *err);

#endif
