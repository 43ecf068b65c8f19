/* api/agents.c: what the LLM-backed routes share: the answer when no model is configured,
 * the body's userId, starting a run under its join key, a run's JSON error answer.
 * Thread model: stateless (handlers on the HTTP workers, api_agents_error_body in the jobs).
 */
#include <stdarg.h>
#include <stdint.h>

#include "api/handlers.h"
#include "util/jsonw.h"

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

int api_agents_body_user(struct api_req *req, struct api_resp *resp, json_t **body,
                         const char **user_id)
{
    int rc = api_body_object(req, resp, body);
    if (rc != SP_OK)
        return rc;
    *user_id = json_string_value(json_object_get(*body, "userId"));
    if (!*user_id || !**user_id)
        return api_fail(resp, SP_EINVAL, "userId is required");
    return SP_OK;
}

int api_agents_start(struct api_resp *resp, run_job_fn fn, void *job, void (*job_free)(void *),
                     const char *key_fmt, ...)
{
    if (!job)
        return api_fail(resp, SP_ENOMEM, "out of memory");
    struct buf key = BUF_INIT(0);
    va_list ap;
    va_start(ap, key_fmt);
    int rc = buf_vprintf(&key, key_fmt, ap);
    va_end(ap);
    if (rc != SP_OK) {
        job_free(job);
        buf_release(&key);
        return api_fail(resp, SP_ENOMEM, "out of memory");
    }
    rc = api_start_run(resp, buf_cstr(&key), fn, job, job_free);
    buf_release(&key);
    return rc;
}

int api_agents_error_body(struct buf *out, int rc, const struct sp_error *err)
{
    buf_reset(out);
    if (buf_puts(out, "{\"error\":") != SP_OK ||
        jsonw_cstring(out, sp_error_text(err, rc)) != SP_OK || buf_putc(out, '}') != SP_OK) {
        buf_reset(out);
        buf_puts(out, "{\"error\":\"out of memory\"}");
        return 500;
    }
    return api_status_from_err(rc);
}

uint64_t api_agents_key_hash(const char *const *parts, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        for (const unsigned char *p = (const unsigned char *)(parts[i] ? parts[i] : "");; p++) {
            h = (h ^ *p) * 1099511628211ULL;
            if (!*p)
                break;
        }
    return h;
}
