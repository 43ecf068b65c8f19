/* agents/bootstrap.c: the subconcept bootstrap agent (spec/agents.md §8.2; behaviour and
 * decisions in bootstrap.h): its tools save_diagnostic_question, save_subconcept and
 * save_subconcept_edge, the replay of existing subconcepts, and the bookkeeping after the loop.
 * Thread model: the calling thread, with env's connection; no shared state.
 */
#include "agents/bootstrap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agents/graph_text.h"
#include "storage/store_graph.h"
#include "storage/store_nodes.h"
#include "util/jsonw.h"

#define BOOT_MAX_TOKENS 4096
#define BOOT_ITERATIONS 15
#define BOOT_ITERATIONS_SMALL 10

static const struct llm_tool QUESTION_TOOL = {
    "save_diagnostic_question",
    "Save one diagnostic question that finds out what the learner already knows before studying "
    "the concept. Multiple choice (mcq) needs exactly 4 options and correct_answer written "
    "exactly as one of them; difficulty goes from 1 (easy) to 5 (hard).",
    "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\",\"description\":"
    "\"The question.\"},\"format\":{\"type\":\"string\",\"enum\":[\"mcq\",\"open_ended\"],"
    "\"description\":\"mcq: four options; open_ended: a short written answer.\"},"
    "\"options\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":"
    "\"The four options (mcq only).\"},\"correct_answer\":{\"type\":\"string\",\"description\":"
    "\"The correct option's exact text, or a model answer.\"},\"difficulty\":{\"type\":"
    "\"integer\",\"description\":\"1 to 5.\"}},\"required\":[\"prompt\",\"format\","
    "\"correct_answer\",\"difficulty\"]}",
};
static const struct llm_tool STRUCTURE_TOOLS[] = {
    { "save_subconcept",
      "Save one subconcept (a small learning unit of the concept). The learner sees it appear "
      "at once.",
      "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\",\"description\":"
      "\"Short subconcept title.\"},\"desc\":{\"type\":\"string\",\"description\":"
      "\"One-sentence description.\"}},\"required\":[\"title\",\"desc\"]}" },
    { "save_subconcept_edge",
      "Link a prerequisite subconcept to a subconcept that builds on it. Both must already be "
      "saved in this run.",
      "{\"type\":\"object\",\"properties\":{\"source_title\":{\"type\":\"string\","
      "\"description\":\"Title of the prerequisite subconcept.\"},\"target_title\":{\"type\":"
      "\"string\",\"description\":\"Title of the subconcept that depends on it.\"}},"
      "\"required\":[\"source_title\",\"target_title\"]}" },
};

struct boot_state {
    const char *user_id;
    const char *concept_id;
    const char *concept_title;
    const char *branch_id;
    char assessment_id[37]; /* "" until the first question */
    json_t *saved;          /* title -> node id (a repeated title overwrites) */
    struct bootstrap_result *res;
};

struct boot_ctx {
    struct agent_env env; /* first member: agent_loop_hooks' ctx rule */
    struct boot_state *st;
};

int agent_bootstrap_label(struct buf *out, const char *concept_title)
{
    buf_reset(out);
    return buf_printf(out, AGENT_BOOTSTRAP_PREFIX "%s", concept_title ? concept_title : "");
}

/* difficulty: an integer, an integral real or an integer in a string. */
static bool as_integer(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
        fabs(json_real_value(v)) < 1e15) {
        *out = (int64_t)json_real_value(v);
        return true;
    }
    const char *s = json_string_value(v);
    if (s && *s) {
        char *end;
        long long x = strtoll(s, &end, 10);
        if (*end == '\0') {
            *out = x;
            return true;
        }
    }
    return false;
}

static int tool_question(struct boot_ctx *c, json_t *input, struct buf *result,
                         struct sp_error *err)
{
    struct boot_state *st = c->st;
    struct store_question q = {
        .format = json_string_value(json_object_get(input, "format")),
        .prompt = json_string_value(json_object_get(input, "prompt")),
        .correct_answer = json_string_value(json_object_get(input, "correct_answer")),
    };
    json_t *options = json_object_get(input, "options");
    if (!q.prompt || !*q.prompt)
        return sp_error_set(err, SP_EINVAL, "save_diagnostic_question needs a string prompt");
    if (!q.format || (strcmp(q.format, "mcq") != 0 && strcmp(q.format, "open_ended") != 0))
        return sp_error_set(err, SP_EINVAL, "format must be \"mcq\" or \"open_ended\"");
    if (!q.correct_answer)
        return sp_error_set(err, SP_EINVAL, "correct_answer must be a string");
    if (!as_integer(json_object_get(input, "difficulty"), &q.difficulty))
        return sp_error_set(err, SP_EINVAL, "difficulty must be an integer from 1 to 5");
    if (options && !json_is_array(options) && !json_is_null(options))
        return sp_error_set(err, SP_EINVAL, "options must be an array of strings");
    struct buf opts = BUF_INIT(0);
    if (json_is_array(options) && jsonw_dump(&opts, options, 0) != SP_OK) {
        buf_release(&opts);
        return agent_oom(err);
    }
    q.options_json = json_is_array(options) ? buf_cstr(&opts) : NULL;
    int rc =
        agent_cancelled(&c->env)
            ? sp_error_set(err, SP_EABORT, "the run was cancelled")
            : store_graph_add_diagnostic_question(c->env.db, st->user_id, st->concept_id,
                                                  st->concept_title, st->assessment_id, &q, err);
    buf_release(&opts);
    if (rc != SP_OK)
        return rc;
    st->res->questions++;
    rc = buf_puts(result, "{\"saved\":true,\"format\":");
    if (rc == SP_OK)
        rc = jsonw_cstring(result, q.format);
    if (rc == SP_OK)
        rc = buf_printf(result, ",\"difficulty\":%lld}", (long long)q.difficulty);
    return rc ? agent_oom(err) : SP_OK;
}

static int tool_subconcept(struct boot_ctx *c, json_t *input, struct buf *result,
                           struct sp_error *err)
{
    struct boot_state *st = c->st;
    const char *title, *desc;
    int rc = agent_tool_node_input(&c->env, input, "save_subconcept", &title, &desc, err);
    if (rc != SP_OK)
        return rc;
    char id[37];
    rc = store_graph_node_insert(c->env.db, st->user_id, "subconcept", st->branch_id,
                                 st->concept_id, title, desc, id, NULL, err);
    if (rc != SP_OK)
        return rc;
    st->res->subconcepts++;
    json_object_set_new(st->saved, title, json_string(id));
    rc = agent_tool_node_saved(&c->env, id, title, result, err);
    if (rc == SP_OK && buf_putc(result, '}'))
        rc = agent_oom(err);
    return rc;
}

/* A subconcept saved in this run: exact title, then by title key. */
static const char *find_saved(const void *saved, const char *title)
{
    return graph_title_lookup((json_t *)saved, title);
}

static int tool_edge(struct boot_ctx *c, json_t *input, struct buf *result, struct sp_error *err)
{
    bool inserted = false;
    int rc = agent_tool_save_edge(&c->env, input, "save_subconcept_edge", "subconcepts", true,
                                  find_saved, c->st->saved, &inserted, result, err);
    c->st->res->edges += inserted;
    return rc;
}

static int boot_exec(void *ctx, const char *name, json_t *input, struct buf *result,
                     struct sp_error *err)
{
    struct boot_ctx *c = ctx;
    if (strcmp(name, "save_diagnostic_question") == 0)
        return tool_question(c, input, result, err);
    if (strcmp(name, "save_subconcept") == 0)
        return tool_subconcept(c, input, result, err);
    if (strcmp(name, "save_subconcept_edge") == 0)
        return tool_edge(c, input, result, err);
    return sp_error_set(err, SP_EINVAL, "Unknown tool: %s", name);
}

/* The concept already has subconcepts: node_created for each, edge_created for their edges. */
static int replay(struct agent_env *env, const char *concept_id, json_t *rows, struct sp_error *err)
{
    size_t i;
    json_t *row;
    int rc = SP_OK;
    json_array_foreach(rows, i, row)
    {
        if (rc == SP_OK)
            rc = agent_emit_node_row(env, row, err);
    }
    if (rc == SP_OK)
        rc = agent_emit_child_edges(env, concept_id, "subconcept", err);
    return rc;
}

static int finish(struct agent_env *env, const struct boot_state *st, const char *model,
                  json_t *tool_calls, struct sp_error *err)
{
    struct buf meta = BUF_INIT(0), prompt = BUF_INIT(0);
    int rc = buf_printf(&meta,
                        "{\"count\":%d,\"mode\":\"subconcept_bootstrap_agent\","
                        "\"toolCalls\":",
                        st->res->subconcepts);
    if (rc == SP_OK)
        rc = agent_tool_call_names(&meta, tool_calls);
    if (rc == SP_OK)
        rc = buf_putc(&meta, '}');
    if (rc == SP_OK)
        rc = buf_printf(&prompt, "Subconcept bootstrap for: %s", st->concept_title);
    if (rc == SP_OK)
        rc = store_graph_bootstrap_done(env->db, st->user_id, st->concept_id, model,
                                        buf_cstr(&prompt), buf_cstr(&meta),
                                        st->res->subconcepts > 0, err);
    else
        rc = agent_oom(err);
    buf_release(&meta);
    buf_release(&prompt);
    return rc;
}

int agent_bootstrap_run(struct agent_env *env, const char *user_id, const char *concept_id,
                        const char *topic_title, const char *document_context, bool small,
                        bool generate_questions, struct bootstrap_result *out, struct sp_error *err)
{
    struct bootstrap_result local = { 0 };
    struct bootstrap_result *res = out ? out : &local;
    memset(res, 0, sizeof *res);
    struct buf b = BUF_INIT(0);
    json_t *concept = NULL, *existing = NULL;
    int rc = agent_read_json(store_nodes_get(env->db, concept_id, &b, err), &b, &concept, err);
    if (rc == SP_OK)
        rc = agent_read_json(store_graph_children(env->db, concept_id, "subconcept", &b, err), &b,
                             &existing, err);
    if (rc == SP_OK && json_array_size(existing) > 0) {
        res->subconcepts = (int)json_array_size(existing);
        rc = replay(env, concept_id, existing, err);
        json_decref(existing);
        json_decref(concept);
        return rc;
    }
    json_decref(existing);
    int64_t have = 0;
    if (rc == SP_OK && generate_questions) /* B7: never a second batch of questions */
        rc = store_graph_diagnostic_question_count(env->db, user_id, concept_id, &have, err);
    const bool questions = generate_questions && have == 0;

    struct boot_state st = {
        .user_id = user_id,
        .concept_id = concept_id,
        .concept_title = json_string_value(json_object_get(concept, "title")),
        .branch_id = json_string_value(json_object_get(concept, "branchId")),
        .saved = json_object(),
        .res = res,
    };
    const char *desc = json_string_value(json_object_get(concept, "desc"));
    const char *vars[] = {
        "concept_title",    st.concept_title,
        "concept_desc",     desc,
        "topic_title",      topic_title ? topic_title : "Topic",
        "document_context", document_context,
        "questions",        questions ? "yes" : "",
        "no_questions",     questions ? "" : "yes",
        "question_range",   small ? "2 to 3" : "5 to 10",
        "subconcept_range", small ? "2 to 3" : "8 to 12",
    };
    struct buf system = BUF_INIT(0), user = BUF_INIT(0);
    if (rc == SP_OK && !st.saved)
        rc = agent_oom(err);
    if (rc == SP_OK)
        rc =
            agent_prompt_fill_split("bootstrap.md", vars, AGENT_N_PAIRS(vars), &system, &user, err);
    struct llm_tool tools[3];
    size_t n_tools = 0;
    if (questions)
        tools[n_tools++] = QUESTION_TOOL;
    tools[n_tools++] = STRUCTURE_TOOLS[0];
    tools[n_tools++] = STRUCTURE_TOOLS[1];

    const char *model = llm_model(env->llm, small);
    json_t *messages = json_pack("[{s:s,s:s}]", "role", "user", "content", buf_cstr(&user));
    struct llm_loop_result lr = { 0 };
    if (rc == SP_OK && !messages)
        rc = agent_oom(err);
    if (rc == SP_OK && agent_cancelled(env))
        rc = sp_error_set(err, SP_EABORT, "the run was cancelled");
    if (rc == SP_OK) {
        struct boot_ctx ctx = { .env = *env, .st = &st };
        struct llm_loop loop = { .model = model,
                                 .max_tokens = BOOT_MAX_TOKENS,
                                 .system = buf_cstr(&system),
                                 .tools = tools,
                                 .n_tools = n_tools,
                                 .max_iterations = small ? BOOT_ITERATIONS_SMALL : BOOT_ITERATIONS,
                                 .messages = messages };
        struct llm_loop_hooks hooks = agent_loop_hooks(&ctx.env, boot_exec);
        res->ran = true;
        agent_emit_start(env);
        rc = llm_run_loop(env->llm, &loop, &hooks, &lr, env->cancel, err);
        llm_usage_add(&env->usage, &lr.usage);
    }
    if (rc == SP_OK && agent_cancelled(env))
        rc = sp_error_set(err, SP_EABORT, "the run was cancelled");
    if (rc == SP_OK)
        rc = finish(env, &st, model, lr.tool_calls, err);
    llm_loop_result_clear(&lr);
    json_decref(messages);
    json_decref(st.saved);
    json_decref(concept);
    buf_release(&system);
    buf_release(&user);
    return rc;
}
