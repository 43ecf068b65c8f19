/* llm/parse.c: single-shot JSON calls (spec §2.1 shape 2) and the extraction of JSON from a
 * reply's text (spec §2.4): first text block, trimmed, first ```[json] fence unwrapped
 * (non-greedy), parsed as any JSON value; no search for JSON inside prose.
 * Thread model: no state; safe from any thread.
 */
#include <ctype.h>
#include <string.h>

#include "llm/llm_internal.h"

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

int llm_extract_json(const char *text, json_t **out, struct sp_error *err)
{
    *out = NULL;
    const char *s = text ? text : "";
    size_t n = strlen(s);
    trim(&s, &n);
    const char *open = memmem(s, n, "```", 3);
    if (open) {
        const char *p = open + 3, *end = s + n;
        if ((size_t)(end - p) >= 4 && memcmp(p, "json", 4) == 0)
            p += 4;
        while (p < end && isspace((unsigned char)*p))
            p++;
        const char *close = memmem(p, (size_t)(end - p), "```", 3);
        if (close) {
            s = p;
            n = (size_t)(close - p);
            trim(&s, &n);
        }
    }
    json_error_t je;
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &je);
    if (!v)
        return sp_error_set(err, SP_EUPSTREAM, "Claude reply is not JSON: %s (at %d:%d)", je.text,
                            je.line, je.column);
    *out = v;
    return SP_OK;
}

int llm_call_json(const struct llm_client *c, const char *model, int max_tokens, const char *prompt,
                  json_t **out, struct llm_usage *usage, const atomic_bool *cancel,
                  struct sp_error *err)
{
    *out = NULL;
    json_t *msgs = json_pack("[{s:s, s:s}]", "role", "user", "content", prompt ? prompt : "");
    if (!msgs)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    struct llm_request req = { .model = model, .max_tokens = max_tokens, .messages = msgs };
    struct llm_reply reply;
    int rc = llm_call(c, &req, &reply, cancel, err);
    json_decref(msgs);
    if (rc != SP_OK)
        return rc;
    if (usage)
        llm_usage_add(usage, &reply.usage);
    const char *text = NULL;
    size_t i;
    json_t *b;
    json_array_foreach(reply.content, i, b)
    {
        const char *type = json_string_value(json_object_get(b, "type"));
        if (type && strcmp(type, "text") == 0) {
            text = json_string_value(json_object_get(b, "text"));
            break;
        }
    }
    if (!text)
        rc = sp_error_set(err, SP_EUPSTREAM, "No text response from Claude");
    else
        rc = llm_extract_json(text, out, err);
    llm_reply_clear(&reply);
    return rc;
}
