/* api/agents.c: what the LLM-backed routes share: the answer when no model is configured.
 * Thread model: stateless.
 */
#include "api/handlers.h"

int api_agents_need_model(struct api_req *req, struct api_resp *resp)
{
    if (req->ctx && req->ctx->llm)
        return SP_OK;
    return api_fail(resp, SP_EUNAVAILABLE,
                    "No model is configured, so %s %s cannot run its agent. Set ANTHROPIC_API_KEY "
                    "(or ANTHROPIC_AUTH_TOKEN; ANTHROPIC_BASE_URL for another endpoint), or "
                    "LLM_PROVIDER=openai with OPENAI_BASE_URL (and OPENAI_API_KEY), then restart "
                    "sprout serve",
                    req->method, req->path);
}

int api_agents_unavailable(struct api_req *req, struct api_resp *resp)
{
    int rc = api_agents_need_model(req, resp);
    if (rc != SP_OK)
        return rc;
    return api_fail(resp, SP_EUNAVAILABLE, "%s %s is not available yet in this server",
                    req->method, req->path);
}
