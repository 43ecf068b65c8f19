/* agents/agent.c: what every agent shares (see agent.h): its environment, the SSE events it
 * emits with the agent label, the tool-loop hooks, tool_result summaries and the embedded
 * prompts. Thread model: an env belongs to its thread; run_event() is thread-safe.
 */
#include "agents/agent.h"

#include <stdio.h>
#include <string.h>

#include "agents/graph_text.h"
#include "storage/store.h"
#include "storage/store_graph.h"
#include "storage/store_nodes.h"
#include "util/embed.h"
#include "util/jsonw.h"

#define SUMMARY_MAX_CHARS 200

int agent_env_init(struct agent_env *env, const struct llm_client *llm, const char *db_path,
                   struct run *run, const char *agent, struct sp_error *err)
{
    memset(env, 0, sizeof *env);
    env->llm = llm;
    env->db_path = db_path;
    env->run = run;
    env->cancel = run ? run_cancel_flag(run) : NULL;
    env->agent = agent;
    return store_db_thread(db_path, &env->db, err);
}

bool agent_cancelled(const struct agent_env *env)
{
    return env->cancel && atomic_load(env->cancel);
}

/* Emit one event whose data is a compact JSON text. */
static void agent_emit_text(struct agent_env *env, const char *event, const char *json, size_t len)
{
    if (env->run)
        run_event(env->run, event, json, len);
}

void agent_emit(struct agent_env *env, const char *event, json_t *data)
{
    if (!env->run || !data)
        return;
    struct buf b = BUF_INIT(0);
    if (jsonw_dump(&b, data, 0) == SP_OK)
        run_event(env->run, event, b.data, b.len);
    buf_release(&b);
}

/* Emit {"agent": A, ...extra} (extra's keys appended in its order). */
static void emit_agent_object(struct agent_env *env, const char *event, json_t *extra)
{
    json_t *o = json_object();
    if (!o)
        return;
    json_object_set_new(o, "agent", json_string(env->agent ? env->agent : ""));
    if (extra)
        json_object_update(o, extra);
    agent_emit(env, event, o);
    json_decref(o);
}

void agent_emit_start(struct agent_env *env)
{
    emit_agent_object(env, "agent_start", NULL);
}

void agent_emit_done(struct agent_env *env, json_t *extra)
{
    json_t *o = extra ? json_deep_copy(extra) : json_object();
    struct buf u = BUF_INIT(0);
    if (o && llm_usage_json(&u, &env->usage) == SP_OK) {
        json_t *usage = json_loadb(u.data, u.len, 0, NULL);
        if (usage)
            json_object_set_new(o, "usage", usage);
    }
    buf_release(&u);
    emit_agent_object(env, "agent_done", o);
    json_decref(o);
}

void agent_emit_error(struct agent_env *env, const char *message)
{
    json_t *o = json_pack("{s:s}", "message", message ? message : "");
    emit_agent_object(env, "agent_error", o);
    json_decref(o);
}

int agent_emit_node(struct agent_env *env, const char *node_id, struct sp_error *err)
{
    if (!env->run)
        return SP_OK;
    struct buf b = BUF_INIT(0);
    int rc = buf_puts(&b, "{\"node\":");
    if (rc == SP_OK)
        rc = store_nodes_get(env->db, node_id, &b, err);
    if (rc == SP_OK)
        rc = buf_putc(&b, '}');
    if (rc == SP_OK)
        run_event(env->run, "node_created", b.data, b.len);
    buf_release(&b);
    return rc;
}

int agent_emit_node_row(struct agent_env *env, const json_t *row, struct sp_error *err)
{
    struct buf ev = BUF_INIT(0);
    int rc = SP_OK;
    if (buf_puts(&ev, "{\"node\":") || jsonw_dump(&ev, row, 0) || buf_putc(&ev, '}'))
        rc = agent_oom(err);
    else
        agent_emit_text(env, "node_created", ev.data, ev.len);
    buf_release(&ev);
    return rc;
}

void agent_emit_edge(struct agent_env *env, const char *source_id, const char *target_id)
{
    json_t *o =
        json_pack("{s:{s:s,s:s}}", "edge", "sourceNodeId", source_id, "targetNodeId", target_id);
    agent_emit(env, "edge_created", o);
    json_decref(o);
}

int agent_emit_child_edges(struct agent_env *env, const char *parent_id, const char *type,
                           struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    json_t *edges = NULL, *e;
    size_t i;
    int rc = agent_read_json(store_graph_child_edges(env->db, parent_id, type, &b, err), &b, &edges,
                             err);
    json_array_foreach(edges, i, e)
        agent_emit_edge(env, json_string_value(json_object_get(e, "sourceNodeId")),
                        json_string_value(json_object_get(e, "targetNodeId")));
    json_decref(edges);
    return rc;
}

/* tool_result summary: result itself if at most 200 characters (code points), else its first
 * 200 characters (never cutting a UTF-8 sequence) followed by "...". */
static int agent_summary(struct buf *out, const char *result)
{
    size_t chars = 0, i = 0;
    const unsigned char *s = (const unsigned char *)result;
    while (s[i]) {
        if (chars == SUMMARY_MAX_CHARS) {
            int rc = buf_append(out, result, i);
            return rc == SP_OK ? buf_puts(out, "...") : rc;
        }
        i++;
        while ((s[i] & 0xC0) == 0x80) /* continuation bytes belong to the same character */
            i++;
        chars++;
    }
    return buf_append(out, result, i);
}

/* ---- loop hooks ---- */

static void hook_text(void *ctx, const char *text)
{
    struct agent_env *env = ctx;
    json_t *o = json_pack("{s:s}", "text", text);
    emit_agent_object(env, "agent_reasoning", o);
    json_decref(o);
}

static void hook_tool_call(void *ctx, const char *name, json_t *input)
{
    struct agent_env *env = ctx;
    json_t *o = json_pack("{s:s,s:s,s:O}", "tool", name, "agent", env->agent ? env->agent : "",
                          "input", input ? input : json_null());
    agent_emit(env, "tool_call", o);
    json_decref(o);
}

static void hook_tool_result(void *ctx, const char *name, const char *result)
{
    struct agent_env *env = ctx;
    struct buf s = BUF_INIT(0);
    if (agent_summary(&s, result ? result : "") == SP_OK) {
        json_t *o = json_pack("{s:s,s:s,s:s}", "tool", name, "agent", env->agent ? env->agent : "",
                              "summary", buf_cstr(&s));
        agent_emit(env, "tool_result", o);
        json_decref(o);
    }
    buf_release(&s);
}

struct llm_loop_hooks agent_loop_hooks(struct agent_env *env, llm_tool_exec_fn exec)
{
    return (struct llm_loop_hooks){
        .ctx = env,
        .exec = exec,
        .on_text = hook_text,
        .on_tool_call = hook_tool_call,
        .on_tool_result = hook_tool_result,
    };
}

const char *agent_prompt(const char *name)
{
    char path[256];
    int n = snprintf(path, sizeof path, "src/agents/prompts/%s", name);
    if (n < 0 || (size_t)n >= sizeof path)
        return NULL;
    const struct embed_file *f = embed_find(path);
    return f ? (const char *)f->data : NULL;
}

int agent_tool_call_names(struct buf *out, const json_t *tool_calls)
{
    int rc = buf_putc(out, '[');
    for (size_t i = 0; rc == SP_OK && i < json_array_size(tool_calls); i++) {
        if (i)
            rc = buf_putc(out, ',');
        if (rc == SP_OK)
            rc = jsonw_cstring(out, json_string_value(
                                        json_object_get(json_array_get(tool_calls, i), "name")));
    }
    return rc == SP_OK ? buf_putc(out, ']') : rc;
}

int agent_oom(struct sp_error *err)
{
    return sp_error_set(err, SP_ENOMEM, "out of memory");
}

int agent_read_json(int rc, struct buf *b, json_t **out, struct sp_error *err)
{
    *out = rc == SP_OK ? json_loads(buf_cstr(b), JSON_DECODE_ANY, NULL) : NULL;
    buf_release(b);
    if (rc == SP_OK && !*out)
        rc = agent_oom(err);
    return rc;
}

static int prompt_missing(const char *name, struct sp_error *err)
{
    return sp_error_set(err, SP_EIO, "prompt %s is missing from the binary", name);
}

int agent_prompt_fill(struct buf *out, const char *name, const char *const *vars, size_t n_vars,
                      struct sp_error *err)
{
    const char *tmpl = agent_prompt(name);
    if (!tmpl)
        return prompt_missing(name, err);
    int rc = graph_fill(out, tmpl, vars, n_vars);
    return rc == SP_OK ? SP_OK : agent_oom(err);
}

int agent_prompt_fill_split(const char *name, const char *const *vars, size_t n_vars,
                            struct buf *system, struct buf *user, struct sp_error *err)
{
    const char *tmpl = agent_prompt(name);
    if (!tmpl)
        return prompt_missing(name, err);
    int rc = graph_fill_split(tmpl, vars, n_vars, system, user);
    return rc == SP_OK ? SP_OK : agent_oom(err);
}

int agent_tool_node_input(const struct agent_env *env, json_t *input, const char *tool,
                          const char **title, const char **desc, struct sp_error *err)
{
    json_t *jdesc = json_object_get(input, "desc");
    *title = json_string_value(json_object_get(input, "title"));
    *desc = json_string_value(jdesc);
    if (!*title || !**title)
        return sp_error_set(err, SP_EINVAL, "%s needs a non-empty string title", tool);
    if (jdesc && !json_is_string(jdesc) && !json_is_null(jdesc))
        return sp_error_set(err, SP_EINVAL, "%s: desc must be a string", tool);
    if (agent_cancelled(env))
        return sp_error_set(err, SP_EABORT, "the run was cancelled");
    return SP_OK;
}

int agent_tool_node_saved(struct agent_env *env, const char *id, const char *title,
                          struct buf *result, struct sp_error *err)
{
    struct sp_error e2 = { 0 };
    agent_emit_node(env, id, &e2);
    int rc = buf_printf(result, "{\"saved\":true,\"nodeId\":\"%s\",\"title\":", id);
    if (rc == SP_OK)
        rc = jsonw_cstring(result, title);
    return rc ? agent_oom(err) : SP_OK;
}

int agent_tool_save_edge(struct agent_env *env, json_t *input, const char *tool, const char *what,
                         bool distinct,
                         const char *(*find)(const void *find_arg, const char *title),
                         const void *find_arg, bool *inserted, struct buf *result,
                         struct sp_error *err)
{
    const char *s = json_string_value(json_object_get(input, "source_title"));
    const char *t = json_string_value(json_object_get(input, "target_title"));
    if (!s || !t)
        return sp_error_set(err, SP_EINVAL, "%s needs string source_title and target_title", tool);
    const char *src = find(find_arg, s), *dst = find(find_arg, t);
    if (!src || !dst)
        return sp_error_set(err, SP_ENOTFOUND,
                            "Could not find saved %s: source=\"%s\" target=\"%s\"", what, s, t);
    if (distinct && strcmp(src, dst) == 0)
        return sp_error_set(err, SP_EINVAL, "an edge needs two different %s", what);
    if (agent_cancelled(env))
        return sp_error_set(err, SP_EABORT, "the run was cancelled");
    int rc = store_graph_edge_ensure(env->db, src, dst, inserted, NULL, err);
    if (rc != SP_OK)
        return rc;
    agent_emit_edge(env, src, dst);
    return buf_puts(result, "{\"saved\":true}") ? agent_oom(err) : SP_OK;
}
