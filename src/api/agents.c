/* api/agents.c: the LLM-backed routes (spec/agents.md) answer 503 with a clear JSON error until
 * the agents exist in this server. Thread model: stateless. */
#include "api/handlers.h"

int api_agents_unavailable(struct api_req *req, struct api_resp *resp)
{
    return api_fail(resp, SP_EUNAVAILABLE,
                    "The agents are not available yet in this server (%s %s needs the LLM agents)",
                    req->method, req->path);
}
