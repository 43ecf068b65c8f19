/* llm/loop.c: the agent tool loop of spec §3 (runAgentLoop).
 *
 * Per iteration: one llm_call(); every non-blank text block goes to on_text at once; the loop
 * ends on stop_reason end_turn or a reply without tool_use (final text = the reply's first text
 * block). Otherwise the reply's content is appended as the assistant message exactly as
 * received, the tools run in order (on_tool_call, executor, on_tool_result) and one user message
 * with a tool_result per tool_use follows. Results fed back:
 *   unknown tool          -> {"error":"Unknown tool: <name>"}
 *   input not an object   -> {"error":"Invalid tool input: expected a JSON object"} (the
 *                            executor is not called)
 *   executor error        -> {"error":"<message>"} ("Tool execution failed" when empty)
 * When max_iterations calls were made and the last one still asked for tools (its tools were
 * run), the final text is the first text block of the last assistant message.
 * Cancellation: checked before every call and every tool; returns SP_EABORT.
 * Thread model: runs on the caller's thread; the conversation is the caller's.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_internal.h"

void llm_loop_result_clear(struct llm_loop_result *r)
{
    free(r->final_text);
    json_decref(r->tool_calls);
    memset(r, 0, sizeof *r);
}

static const char *btype(json_t *b)
{
    const char *t = json_string_value(json_object_get(b, "type"));
    return t ? t : "";
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

static char *first_text(json_t *content)
{
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b)
    {
        if (strcmp(btype(b), "text") == 0) {
            const char *t = json_string_value(json_object_get(b, "text"));
            return strdup(t ? t : "");
        }
    }
    return strdup("");
}

static bool known_tool(const struct llm_loop *loop, const char *name)
{
    for (size_t i = 0; i < loop->n_tools; i++)
        if (strcmp(loop->tools[i].name, name) == 0)
            return true;
    return false;
}

static int error_result(struct buf *out, const char *msg)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int rc = s ? buf_puts(out, s) : SP_ENOMEM;
    free(s);
    return rc;
}

/* Run one tool_use block; its result text goes into result. */
static int run_tool(const struct llm_loop *loop, const struct llm_loop_hooks *hooks, json_t *block,
                    struct buf *result)
{
    const char *name = json_string_value(json_object_get(block, "name"));
    json_t *input = json_object_get(block, "input");
    if (!name)
        name = "";
    if (!input)
        input = json_null(); /* hooks always get a value */
    if (hooks && hooks->on_tool_call)
        hooks->on_tool_call(hooks->ctx, name, input);
    if (!known_tool(loop, name) || !hooks || !hooks->exec) {
        struct buf msg = BUF_INIT(0);
        int rc = buf_printf(&msg, "Unknown tool: %s", name);
        if (rc == SP_OK)
            rc = error_result(result, msg.data);
        buf_release(&msg);
        return rc;
    }
    if (!json_is_object(input))
        return error_result(result, "Invalid tool input: expected a JSON object");
    struct sp_error terr = { 0 };
    int rc = hooks->exec(hooks->ctx, name, input, result, &terr);
    if (rc == SP_OK)
        return SP_OK;
    if (rc == SP_ENOMEM)
        return rc;
    buf_reset(result);
    return error_result(result, terr.msg[0] ? terr.msg : "Tool execution failed");
}

int llm_run_loop(const struct llm_client *c, const struct llm_loop *loop,
                 const struct llm_loop_hooks *hooks, struct llm_loop_result *out,
                 const atomic_bool *cancel, struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    out->tool_calls = json_array();
    if (!out->tool_calls)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    int max_iter = loop->max_iterations > 0 ? loop->max_iterations : 15;
    struct llm_request req = { .model = loop->model,
                               .max_tokens = loop->max_tokens > 0 ? loop->max_tokens : 4096,
                               .system = loop->system,
                               .tools = loop->tools,
                               .n_tools = loop->n_tools,
                               .messages = loop->messages };
    json_t *last_assistant = NULL; /* borrowed from the conversation */
    struct buf result = BUF_INIT(0);
    int rc = SP_OK;
    for (int iter = 0; iter < max_iter; iter++) {
        if (cancel && atomic_load(cancel)) {
            rc = sp_error_set(err, SP_EABORT, "cancelled");
            break;
        }
        struct llm_reply reply;
        rc = llm_call(c, &req, &reply, cancel, err);
        if (rc != SP_OK)
            break;
        llm_usage_add(&out->usage, &reply.usage);
        size_t i, n_tools = 0;
        json_t *b;
        json_array_foreach(reply.content, i, b)
        {
            const char *t = btype(b);
            if (strcmp(t, "text") == 0) {
                const char *text = json_string_value(json_object_get(b, "text"));
                if (text && !blank(text) && hooks && hooks->on_text)
                    hooks->on_text(hooks->ctx, text);
            } else if (strcmp(t, "tool_use") == 0) {
                n_tools++;
            }
        }
        if (strcmp(reply.stop_reason, "end_turn") == 0 || n_tools == 0) {
            out->final_text = first_text(reply.content);
            llm_reply_clear(&reply);
            if (!out->final_text)
                rc = sp_error_set(err, SP_ENOMEM, "out of memory");
            goto done;
        }
        json_t *amsg = json_pack("{s:s, s:O}", "role", "assistant", "content", reply.content);
        json_t *results = json_array();
        if (!amsg || !results || json_array_append_new(loop->messages, amsg)) {
            json_decref(results);
            llm_reply_clear(&reply);
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
            break;
        }
        last_assistant = amsg;
        json_array_foreach(reply.content, i, b)
        {
            if (strcmp(btype(b), "tool_use") != 0)
                continue;
            if (cancel && atomic_load(cancel)) {
                rc = sp_error_set(err, SP_EABORT, "cancelled");
                break;
            }
            buf_reset(&result);
            rc = run_tool(loop, hooks, b, &result);
            if (rc != SP_OK) {
                sp_error_set(err, rc, "out of memory");
                break;
            }
            const char *name = json_string_value(json_object_get(b, "name"));
            const char *id = json_string_value(json_object_get(b, "id"));
            if (hooks && hooks->on_tool_result)
                hooks->on_tool_result(hooks->ctx, name ? name : "", buf_cstr(&result));
            json_t *input = json_object_get(b, "input");
            json_t *rec = json_pack("{s:s, s:O, s:s}", "name", name ? name : "", "input",
                                    input ? input : json_null(), "result", buf_cstr(&result));
            json_t *tr = json_pack("{s:s, s:s, s:s}", "type", "tool_result", "tool_use_id",
                                   id ? id : "", "content", buf_cstr(&result));
            if (!rec || !tr || json_array_append_new(out->tool_calls, rec) ||
                json_array_append_new(results, tr)) {
                rc = sp_error_set(err, SP_ENOMEM, "out of memory");
                break;
            }
        }
        llm_reply_clear(&reply);
        if (rc == SP_OK) {
            json_t *umsg = json_pack("{s:s, s:o}", "role", "user", "content", results);
            if (!umsg || json_array_append_new(loop->messages, umsg))
                rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        } else {
            json_decref(results);
        }
        if (rc != SP_OK)
            break;
    }
    if (rc == SP_OK) {
        /* budget exhausted: the last assistant message's first text */
        out->final_text =
            first_text(last_assistant ? json_object_get(last_assistant, "content") : NULL);
        if (!out->final_text)
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
    }
done:
    buf_release(&result);
    if (rc != SP_OK) {
        free(out->final_text);
        out->final_text = NULL;
    }
    return rc;
}
