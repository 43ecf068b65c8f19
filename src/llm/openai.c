/* llm/openai.c: the OpenAI Chat Completions wire format (POST {base}/chat/completions), spoken
 * by OpenAI and by local model servers (Ollama, llama.cpp's server, vLLM, LM Studio).
 *
 * Canonical (Anthropic-shaped) conversation -> Chat Completions:
 *   system prompt            -> first message {"role":"system"}
 *   tools                    -> [{"type":"function","function":{"name","description","parameters"}}]
 *   assistant text/tool_use  -> {"role":"assistant","content": texts joined or null,
 *                                "tool_calls":[{"id","type":"function","function":{"name",
 *                                "arguments": input as JSON text}}]}  (a non-object input that
 *                                came from a malformed reply is sent back as it came)
 *   user tool_result blocks  -> one {"role":"tool","tool_call_id","content"} each, first
 *   user text/image blocks   -> {"role":"user","content": text, or parts with images as
 *                                {"type":"image_url","image_url":{"url":"data:<type>;base64,…"}}}
 * Reply -> canonical: message.content -> one text block; tool_calls -> tool_use blocks (input
 * parsed from the arguments text; when that is not a JSON object the input is the raw text as a
 * JSON string, which the tool loop answers with an error); finish_reason stop -> end_turn,
 * tool_calls (or any reply carrying tool calls) -> tool_use, length -> max_tokens,
 * content_filter -> refusal; usage prompt_tokens (minus cached) / completion_tokens /
 * prompt_tokens_details.cached_tokens -> input / output / cache read.
 * Thread model: pure functions.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "llm/llm_internal.h"
#include "util/jsonw.h"

/* The string value of key in o, or "" */
static const char *jstr(json_t *o, const char *key)
{
    const char *t = json_string_value(json_object_get(o, key));
    return t ? t : "";
}

static const char *block_type(json_t *b)
{
    return jstr(b, "type");
}

/* {"role": role, "content": content} with a string or array content kept as it is. */
static json_t *plain_message(const char *role, json_t *content)
{
    if (json_is_string(content) || json_is_array(content))
        return json_pack("{s:s, s:O}", "role", role, "content", content);
    return json_pack("{s:s, s:s}", "role", role, "content", "");
}

/* The text of a tool_result's content: a string, or the texts of its blocks. */
static int result_text(json_t *content, struct buf *out)
{
    if (json_is_string(content))
        return buf_puts(out, json_string_value(content));
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b)
    {
        if (strcmp(block_type(b), "text") == 0 && buf_puts(out, jstr(b, "text")))
            return SP_ENOMEM;
    }
    return SP_OK;
}

static json_t *image_part(json_t *b)
{
    json_t *src = json_object_get(b, "source");
    const char *kind = json_string_value(json_object_get(src, "type"));
    struct buf url = BUF_INIT(0);
    if (kind && strcmp(kind, "url") == 0) {
        buf_puts(&url, jstr(src, "url"));
    } else {
        const char *mt = json_string_value(json_object_get(src, "media_type"));
        const char *data = json_string_value(json_object_get(src, "data"));
        buf_printf(&url, "data:%s;base64,%s", mt ? mt : "image/png", data ? data : "");
    }
    json_t *part =
        url.data ? json_pack("{s:s, s:{s:s}}", "type", "image_url", "image_url", "url", url.data)
                 : NULL;
    buf_release(&url);
    return part;
}

static int add_user(json_t *msgs, json_t *content)
{
    if (!json_is_array(content))
        return json_array_append_new(msgs, plain_message("user", content));
    size_t i;
    json_t *b;
    bool image = false, other = false;
    json_array_foreach(content, i, b)
    {
        const char *t = block_type(b);
        if (strcmp(t, "tool_result") == 0) {
            struct buf text = BUF_INIT(0);
            const char *id = json_string_value(json_object_get(b, "tool_use_id"));
            int rc = result_text(json_object_get(b, "content"), &text);
            json_t *m = rc == SP_OK ? json_pack("{s:s, s:s, s:s}", "role", "tool", "tool_call_id",
                                                id ? id : "", "content", buf_cstr(&text))
                                    : NULL;
            buf_release(&text);
            if (!m || json_array_append_new(msgs, m))
                return -1;
        } else if (strcmp(t, "image") == 0) {
            image = true;
        } else if (strcmp(t, "text") == 0) {
            other = true;
        }
    }
    if (!image && !other)
        return 0;
    json_t *msg;
    if (image) {
        json_t *parts = json_array();
        if (!parts)
            return -1;
        json_array_foreach(content, i, b)
        {
            const char *t = block_type(b);
            json_t *p = NULL;
            if (strcmp(t, "text") == 0)
                p = json_pack("{s:s, s:O}", "type", "text", "text", json_object_get(b, "text"));
            else if (strcmp(t, "image") == 0)
                p = image_part(b);
            else
                continue;
            if (!p || json_array_append_new(parts, p)) {
                json_decref(parts);
                return -1;
            }
        }
        msg = json_pack("{s:s, s:o}", "role", "user", "content", parts);
    } else {
        struct buf text = BUF_INIT(0);
        json_array_foreach(content, i, b)
        {
            if (strcmp(block_type(b), "text") != 0)
                continue;
            if (text.len)
                buf_putc(&text, '\n');
            buf_puts(&text, jstr(b, "text"));
        }
        msg = json_pack("{s:s, s:s}", "role", "user", "content", buf_cstr(&text));
        buf_release(&text);
    }
    return msg ? json_array_append_new(msgs, msg) : -1;
}

static int add_assistant(json_t *msgs, json_t *content)
{
    if (!json_is_array(content))
        return json_array_append_new(msgs, plain_message("assistant", content));
    struct buf text = BUF_INIT(0);
    json_t *calls = json_array();
    size_t i;
    json_t *b;
    bool any_text = false;
    json_array_foreach(content, i, b)
    {
        const char *t = block_type(b);
        if (strcmp(t, "text") == 0) {
            any_text = true;
            buf_puts(&text, jstr(b, "text"));
        } else if (strcmp(t, "tool_use") == 0) {
            json_t *input = json_object_get(b, "input");
            char *args = json_is_string(input) ? strdup(json_string_value(input))
                         : input               ? json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY)
                                               : strdup("{}");
            const char *id = json_string_value(json_object_get(b, "id"));
            const char *name = json_string_value(json_object_get(b, "name"));
            json_t *call =
                args ? json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", id ? id : "", "type", "function",
                                 "function", "name", name ? name : "", "arguments", args)
                     : NULL;
            free(args);
            if (!call || json_array_append_new(calls, call)) {
                buf_release(&text);
                json_decref(calls);
                return -1;
            }
        }
    }
    json_t *msg = json_pack("{s:s}", "role", "assistant");
    int rc = msg ? 0 : -1;
    if (!rc)
        rc = json_object_set_new(msg, "content",
                                 any_text || !json_array_size(calls) ? json_string(buf_cstr(&text))
                                                                     : json_null());
    if (!rc && json_array_size(calls))
        rc = json_object_set(msg, "tool_calls", calls);
    if (!rc)
        rc = json_array_append(msgs, msg);
    json_decref(msg);
    json_decref(calls);
    buf_release(&text);
    return rc;
}

static json_t *tool_def(const struct llm_tool *t, json_t *schema)
{
    return json_pack("{s:s, s:{s:s, s:s, s:o}}", "type", "function", "function", "name", t->name,
                     "description", t->description ? t->description : "", "parameters", schema);
}

int llm_openai_build(const struct llm_request *req, struct buf *out, struct sp_error *err)
{
    json_t *root = json_pack("{s:s, s:i}", "model", req->model, "max_tokens", req->max_tokens);
    json_t *msgs = json_array();
    if (!root || !msgs || json_object_set(root, "messages", msgs))
        goto oom;
    if (req->system && json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system",
                                                             "content", req->system)))
        goto oom;
    if (req->n_tools) {
        json_t *tools;
        int rc = llm_tools_json(req, tool_def, &tools, err);
        if (rc != SP_OK) {
            json_decref(msgs);
            json_decref(root);
            return rc;
        }
        if (json_object_set_new(root, "tools", tools))
            goto oom;
    }
    size_t i;
    json_t *m;
    json_array_foreach(req->messages, i, m)
    {
        const char *role = json_string_value(json_object_get(m, "role"));
        json_t *content = json_object_get(m, "content");
        int rc;
        if (role && strcmp(role, "assistant") == 0)
            rc = add_assistant(msgs, content);
        else if (role && strcmp(role, "user") == 0)
            rc = add_user(msgs, content);
        else
            rc = json_array_append(msgs, m);
        if (rc)
            goto oom;
    }
    json_decref(msgs);
    int rc = jsonw_dump(out, root, 0);
    json_decref(root);
    return rc == SP_OK ? SP_OK : sp_error_set(err, rc, "request body too large");
oom:
    json_decref(msgs);
    json_decref(root);
    return sp_error_set(err, SP_ENOMEM, "out of memory");
}

/* ---- the reply ---- */

static json_t *parse_arguments(json_t *args)
{
    if (json_is_object(args))
        return json_incref(args);
    if (!json_is_string(args))
        return args ? json_incref(args) : json_object();
    const char *s = json_string_value(args);
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p)
        return json_object(); /* some servers send "" for a call without arguments */
    json_error_t je;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &je);
    if (json_is_object(v))
        return v;
    json_decref(v);
    return json_incref(args); /* malformed: the loop answers with an error */
}

int llm_openai_parse(const char *body, size_t len, struct llm_reply *out, struct sp_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(body ? body : "", len, 0, &je);
    json_t *msg = json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message");
    if (!json_is_object(msg)) {
        int rc = sp_error_set(err, SP_EUPSTREAM, "model reply has no choices[0].message: %.300s",
                              body ? body : "");
        json_decref(root);
        return rc;
    }
    json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
    json_t *blocks = json_array();
    if (!blocks)
        goto oom;
    json_t *content = json_object_get(msg, "content");
    if (json_is_string(content) && json_string_length(content) > 0) {
        if (json_array_append_new(blocks, json_pack("{s:s, s:O}", "type", "text", "text", content)))
            goto oom;
    } else if (json_is_array(content)) {
        size_t i;
        json_t *p;
        json_array_foreach(content, i, p)
        {
            json_t *t = json_object_get(p, "text");
            if (json_is_string(t) &&
                json_array_append_new(blocks, json_pack("{s:s, s:O}", "type", "text", "text", t)))
                goto oom;
        }
    }
    json_t *calls = json_object_get(msg, "tool_calls");
    size_t i, ncalls = 0;
    json_t *call;
    json_array_foreach(calls, i, call)
    {
        json_t *fn = json_object_get(call, "function");
        const char *name = json_string_value(json_object_get(fn, "name"));
        const char *id = json_string_value(json_object_get(call, "id"));
        char gen[32];
        if (!id || !*id) {
            snprintf(gen, sizeof gen, "call_%zu", i);
            id = gen;
        }
        json_t *input = parse_arguments(json_object_get(fn, "arguments"));
        json_t *b = input ? json_pack("{s:s, s:s, s:s, s:o}", "type", "tool_use", "id", id, "name",
                                      name ? name : "", "input", input)
                          : NULL;
        if (!b || json_array_append_new(blocks, b))
            goto oom;
        ncalls++;
    }
    const char *finish = json_string_value(json_object_get(choice, "finish_reason"));
    const char *stop = ncalls                                   ? "tool_use"
                       : !finish || strcmp(finish, "stop") == 0 ? "end_turn"
                       : strcmp(finish, "length") == 0          ? "max_tokens"
                       : strcmp(finish, "content_filter") == 0  ? "refusal"
                       : strcmp(finish, "tool_calls") == 0      ? "end_turn"
                                                                : finish;
    out->stop_reason = strdup(stop);
    if (!out->stop_reason)
        goto oom;
    out->content = blocks;
    json_t *u = json_object_get(root, "usage");
    long cached = llm_usage_field(json_object_get(u, "prompt_tokens_details"), "cached_tokens");
    out->usage.input_tokens = llm_usage_field(u, "prompt_tokens") - cached;
    out->usage.output_tokens = llm_usage_field(u, "completion_tokens");
    out->usage.cache_read_tokens = cached;
    json_decref(root);
    return SP_OK;
oom:
    json_decref(blocks);
    json_decref(root);
    return sp_error_set(err, SP_ENOMEM, "out of memory");
}
