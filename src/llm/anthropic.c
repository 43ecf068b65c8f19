/* llm/anthropic.c: the Anthropic Messages API wire format (POST {base}/v1/messages).
 *
 * The canonical conversation IS this format, so building is mostly assembling:
 * {"model","max_tokens","system":[{"type":"text","text",cache_control}],"tools":[...],
 *  "messages":[...]} with prompt-caching breakpoints (cache_control {"type":"ephemeral"}) on
 * the system prompt, on the last tool definition and, for tool-loop calls, on the last block
 * of the last message (so each loop turn reads the previous turn's prefix from the cache).
 * A tool_use block whose input is not an object (a malformed reply the loop answered with an
 * error) is sent back with input {} since the API only accepts objects there.
 * Thread model: pure functions.
 */
#include <string.h>

#include "llm/llm_internal.h"
#include "util/jsonw.h"

static json_t *ephemeral(void)
{
    return json_pack("{s:s}", "type", "ephemeral");
}

/* The block list of one message with its last block marked cacheable (new reference). */
static json_t *with_cache_mark(json_t *msg)
{
    json_t *content = json_object_get(msg, "content");
    json_t *blocks;
    if (json_is_string(content)) {
        blocks = json_pack("[{s:s, s:O}]", "type", "text", "text", content);
    } else if (json_is_array(content) && json_array_size(content) > 0) {
        blocks = json_copy(content);
    } else {
        return json_incref(msg);
    }
    json_t *out = json_copy(msg);
    size_t n = json_array_size(blocks);
    json_t *last = blocks ? json_copy(json_array_get(blocks, n - 1)) : NULL;
    if (!out || !blocks || !last || json_object_set_new(last, "cache_control", ephemeral()) ||
        json_array_set_new(blocks, n - 1, last) || json_object_set_new(out, "content", blocks)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* tool_use inputs must be objects: a shallow copy of msg with bad ones replaced by {}. */
static json_t *fix_tool_inputs(json_t *msg)
{
    json_t *content = json_object_get(msg, "content");
    bool bad = false;
    size_t i;
    json_t *b;
    if (json_is_array(content)) {
        json_array_foreach(content, i, b)
        {
            const char *type = json_string_value(json_object_get(b, "type"));
            if (type && strcmp(type, "tool_use") == 0 &&
                !json_is_object(json_object_get(b, "input")))
                bad = true;
        }
    }
    if (!bad)
        return json_incref(msg);
    json_t *out = json_copy(msg), *blocks = json_array();
    if (!out || !blocks)
        goto fail;
    json_array_foreach(content, i, b)
    {
        const char *type = json_string_value(json_object_get(b, "type"));
        if (type && strcmp(type, "tool_use") == 0 && !json_is_object(json_object_get(b, "input"))) {
            json_t *fixed = json_copy(b);
            if (!fixed || json_object_set_new(fixed, "input", json_object()) ||
                json_array_append_new(blocks, fixed))
                goto fail;
        } else if (json_array_append(blocks, b)) {
            goto fail;
        }
    }
    if (json_object_set_new(out, "content", blocks))
        goto fail_out;
    return out;
fail:
    json_decref(blocks);
fail_out:
    json_decref(out);
    return NULL;
}

static json_t *tool_def(const struct llm_tool *t, json_t *schema)
{
    return json_pack("{s:s, s:s, s:o}", "name", t->name, "description",
                     t->description ? t->description : "", "input_schema", schema);
}

int llm_anthropic_build(const struct llm_request *req, struct buf *out, struct sp_error *err)
{
    json_t *root = json_pack("{s:s, s:i}", "model", req->model, "max_tokens", req->max_tokens);
    json_t *msgs = json_array();
    if (!root || !msgs)
        goto oom;
    if (req->system) {
        json_t *sys = json_pack("[{s:s, s:s, s:o}]", "type", "text", "text", req->system,
                                "cache_control", ephemeral());
        if (!sys || json_object_set_new(root, "system", sys))
            goto oom;
    }
    if (req->n_tools) {
        json_t *tools;
        int rc = llm_tools_json(req, tool_def, &tools, err);
        if (rc != SP_OK) {
            json_decref(root);
            json_decref(msgs);
            return rc;
        }
        if (json_object_set_new(root, "tools", tools) ||
            json_object_set_new(json_array_get(tools, req->n_tools - 1), "cache_control",
                                ephemeral()))
            goto oom;
    }
    size_t n = json_array_size(req->messages), i;
    json_t *m;
    json_array_foreach(req->messages, i, m)
    {
        json_t *fixed = fix_tool_inputs(m);
        if (fixed && req->n_tools && i + 1 == n) {
            json_t *marked = with_cache_mark(fixed);
            json_decref(fixed);
            fixed = marked;
        }
        if (!fixed || json_array_append_new(msgs, fixed))
            goto oom;
    }
    if (json_object_set_new(root, "messages", msgs))
        goto oom_root;
    msgs = NULL;
    int rc = jsonw_dump(out, root, 0);
    json_decref(root);
    return rc == SP_OK ? SP_OK : sp_error_set(err, rc, "request body too large");
oom:
    json_decref(msgs);
oom_root:
    json_decref(root);
    return sp_error_set(err, SP_ENOMEM, "out of memory");
}

int llm_anthropic_parse(const char *body, size_t len, struct llm_reply *out, struct sp_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(body ? body : "", len, 0, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return sp_error_set(err, SP_EUPSTREAM, "model reply is not a JSON object: %.200s",
                            body ? body : "");
    }
    json_t *content = json_object_get(root, "content");
    if (!json_is_array(content)) {
        int rc = sp_error_set(err, SP_EUPSTREAM, "model reply has no content: %.300s", body);
        json_decref(root);
        return rc;
    }
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b)
    {
        if (!json_is_object(b) || !json_is_string(json_object_get(b, "type"))) {
            int rc = sp_error_set(err, SP_EUPSTREAM, "model reply has a malformed content block");
            json_decref(root);
            return rc;
        }
    }
    const char *stop = json_string_value(json_object_get(root, "stop_reason"));
    out->content = json_incref(content);
    out->stop_reason = strdup(stop ? stop : "");
    json_t *u = json_object_get(root, "usage");
    out->usage.input_tokens = llm_usage_field(u, "input_tokens");
    out->usage.output_tokens = llm_usage_field(u, "output_tokens");
    out->usage.cache_read_tokens = llm_usage_field(u, "cache_read_input_tokens");
    out->usage.cache_write_tokens = llm_usage_field(u, "cache_creation_input_tokens");
    json_decref(root);
    if (!out->stop_reason) {
        llm_reply_clear(out);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    return SP_OK;
}
