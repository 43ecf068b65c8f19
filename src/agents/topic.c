/* agents/topic.c: the topic agent (spec/agents.md §8.1): its three tools, the document context
 * and the extraction single-shot call, and the whole topic run of §7.1 with its bootstrap
 * phase (see topic.h for the behaviour and the decisions).
 * Thread model: agent_topic_run on the caller's thread; agent_topic_stream on a runs/ pool
 * thread, which starts up to AGENT_TOPIC_PARALLEL - 1 more threads for the bootstraps and joins
 * them before it returns.
 */
#include "agents/topic.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agents/bootstrap.h"
#include "agents/graph_text.h"
#include "storage/store_graph.h"
#include "storage/store_learning.h"
#include "storage/store_nodes.h"
#include "util/jsonw.h"

#define TOPIC_MAX_TOKENS 4096
#define TOPIC_ITERATIONS 15
#define TOPIC_ITERATIONS_SMALL 10
#define EXTRACT_MAX_TOKENS 4096

static const struct llm_tool TOPIC_TOOLS[] = {
    { "extract_all_concept_contexts",
      "Pull, in one call, the passage of the uploaded documents that belongs to each concept you "
      "chose. Use it once, after deciding the concepts, and only when documents were uploaded.",
      "{\"type\":\"object\",\"properties\":{\"concepts\":{\"type\":\"array\","
      "\"description\":\"Every concept of the path, in order.\",\"items\":{\"type\":\"object\","
      "\"properties\":{\"title\":{\"type\":\"string\",\"description\":\"Concept title.\"},"
      "\"desc\":{\"type\":\"string\",\"description\":\"One-sentence description.\"}},"
      "\"required\":[\"title\",\"desc\"]}}},\"required\":[\"concepts\"]}" },
    { "save_concept",
      "Save one concept of the path; call it once per concept, in learning order. The learner "
      "sees it appear at once.",
      "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\","
      "\"description\":\"Short concept title.\"},\"desc\":{\"type\":\"string\","
      "\"description\":\"One-sentence description.\"}},\"required\":[\"title\",\"desc\"]}" },
    { "save_concept_edge",
      "Link a prerequisite concept to the concept that builds on it. Both must already be saved "
      "(in this run, or earlier when the path was started before).",
      "{\"type\":\"object\",\"properties\":{\"source_title\":{\"type\":\"string\","
      "\"description\":\"Title of the prerequisite concept.\"},\"target_title\":{\"type\":"
      "\"string\",\"description\":\"Title of the concept that depends on it.\"}},"
      "\"required\":[\"source_title\",\"target_title\"]}" },
};
#define N_TOPIC_TOOLS (sizeof TOPIC_TOOLS / sizeof TOPIC_TOOLS[0])

struct topic_concept {
    char id[37];
    char *title;
    char *context; /* document excerpt or NULL */
};

struct topic_outcome {
    struct topic_concept *concepts; /* saved, in order */
    size_t n;
    char *rationale; /* the loop's final text ("" when none) */
};

struct topic_state {
    const char *user_id;
    const char *topic_id;
    const char *branch_id;
    const char *documents;     /* the documents' context, NULL when none */
    json_t *context_map;       /* title -> excerpt, from the last extraction */
    struct topic_outcome *out; /* out->concepts[0 .. n_before) were saved by an earlier run */
    size_t n_before;
    size_t cap;
};

/* agent_loop_hooks() wants ctx to be the env or a struct whose first member is the env; the
 * executor gets the same ctx, so the loop runs on this wrapper. */
struct topic_ctx {
    struct agent_env env;
    struct topic_state *st;
};

static void agent_topic_outcome_clear(struct topic_outcome *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->concepts[i].title);
        free(o->concepts[i].context);
    }
    free(o->concepts);
    free(o->rationale);
    memset(o, 0, sizeof *o);
}

/* ---- extract_all_concept_contexts ---- */

static int tool_extract(struct topic_ctx *c, json_t *input, struct buf *result,
                        struct sp_error *err)
{
    struct topic_state *st = c->st;
    json_t *concepts = json_object_get(input, "concepts");
    if (!st->documents)
        return buf_puts(result, "{\"message\":\"No documents uploaded, skipping extraction.\"}")
                   ? agent_oom(err)
                   : SP_OK;
    if (!json_is_array(concepts))
        return sp_error_set(err, SP_EINVAL, "concepts must be an array of {title, desc}");
    struct buf list = BUF_INIT(0), prompt = BUF_INIT(0);
    size_t i;
    json_t *it;
    int rc = SP_OK;
    json_array_foreach(concepts, i, it)
    {
        const char *t = json_string_value(json_object_get(it, "title"));
        const char *d = json_string_value(json_object_get(it, "desc"));
        if (!t)
            continue;
        rc = buf_printf(&list, "%s%zu. %s%s%s", list.len ? "\n" : "", i + 1, t,
                        d && *d ? " — " : "", d && *d ? d : "");
        if (rc != SP_OK)
            break;
    }
    const char *vars[] = { "concept_list", buf_cstr(&list), "documents", st->documents };
    if (rc == SP_OK)
        rc = agent_prompt_fill(&prompt, "extract_contexts.md", vars, AGENT_N_PAIRS(vars), err);
    else
        rc = agent_oom(err);
    json_t *map = NULL;
    struct llm_usage usage = { 0 };
    if (rc == SP_OK)
        rc = llm_call_json(c->env.llm, llm_model(c->env.llm, false), EXTRACT_MAX_TOKENS,
                           buf_cstr(&prompt), &map, &usage, c->env.cancel, err);
    llm_usage_add(&c->env.usage, &usage);
    buf_release(&list);
    buf_release(&prompt);
    /* The model client reports a reply without text and a text that is not JSON as errors;
     * the original answered the first with an error result and turned the second into {}. */
    if (rc != SP_OK && rc != SP_EABORT && err && strncmp(err->msg, "No text response", 16) == 0)
        return buf_puts(result, "{\"error\":\"No response from extraction\"}") ? agent_oom(err)
                                                                               : SP_OK;
    if (rc != SP_OK && rc != SP_EABORT && err && strstr(err->msg, "is not JSON"))
        rc = SP_OK;
    if (rc != SP_OK)
        return rc;
    if (!json_is_object(map)) {
        json_decref(map);
        map = json_object();
    }
    json_decref(st->context_map);
    st->context_map = map;
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) n += jsonw_truthy(v);
    return buf_printf(result, "{\"extractedCount\":%zu,\"totalConcepts\":%zu}", n,
                      json_array_size(concepts))
               ? agent_oom(err)
               : SP_OK;
}

/* ---- save_concept / save_concept_edge ---- */

/* One of the first n concepts of the path (saved earlier or in this run): exact title first,
 * then by title key. */
static const struct topic_concept *find_saved(const struct topic_outcome *o, size_t n,
                                              const char *title)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(o->concepts[i].title, title) == 0)
            return &o->concepts[i];
    struct buf a = BUF_INIT(0), b = BUF_INIT(0);
    const struct topic_concept *hit = NULL;
    graph_title_key(&a, title);
    for (size_t i = 0; i < n && !hit; i++) {
        graph_title_key(&b, o->concepts[i].title);
        if (strcmp(buf_cstr(&a), buf_cstr(&b)) == 0)
            hit = &o->concepts[i];
    }
    buf_release(&a);
    buf_release(&b);
    return hit;
}

static int tool_save_concept(struct topic_ctx *c, json_t *input, struct buf *result,
                             struct sp_error *err)
{
    struct topic_state *st = c->st;
    const char *title, *desc;
    int rc = agent_tool_node_input(&c->env, input, "save_concept", &title, &desc, err);
    if (rc != SP_OK)
        return rc;
    struct topic_outcome *o = st->out;
    const struct topic_concept *old = find_saved(o, st->n_before, title);
    if (old) {
        /* resuming: the model saves again a concept of the earlier run; keep the one saved */
        rc = buf_printf(result,
                        "{\"saved\":true,\"alreadySaved\":true,\"nodeId\":\"%s\","
                        "\"title\":",
                        old->id);
        if (rc == SP_OK)
            rc = jsonw_cstring(result, old->title);
        if (rc == SP_OK)
            rc = buf_printf(result, ",\"position\":%zu}", (size_t)(old - o->concepts) + 1);
        return rc ? agent_oom(err) : SP_OK;
    }
    if (o->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 8;
        struct topic_concept *p = realloc(o->concepts, cap * sizeof *p);
        if (!p)
            return agent_oom(err);
        o->concepts = p;
        st->cap = cap;
    }
    struct topic_concept *tc = &o->concepts[o->n];
    memset(tc, 0, sizeof *tc);
    tc->title = strdup(title);
    if (!tc->title)
        return agent_oom(err);
    rc = store_graph_node_insert(c->env.db, st->user_id, "concept", st->branch_id, st->topic_id,
                                 title, desc, tc->id, NULL, err);
    if (rc != SP_OK) {
        free(tc->title);
        return rc;
    }
    o->n++;
    rc = agent_tool_node_saved(&c->env, tc->id, title, result, err);
    if (rc == SP_OK && buf_printf(result, ",\"position\":%zu}", o->n))
        rc = agent_oom(err);
    return rc;
}

static const char *find_saved_id(const void *o, const char *title)
{
    const struct topic_outcome *out = o;
    const struct topic_concept *hit = find_saved(out, out->n, title);
    return hit ? hit->id : NULL;
}

static int tool_save_edge(struct topic_ctx *c, json_t *input, struct buf *result,
                          struct sp_error *err)
{
    return agent_tool_save_edge(&c->env, input, "save_concept_edge", "nodes", false, find_saved_id,
                                c->st->out, NULL, result, err);
}

static int topic_exec(void *ctx, const char *name, json_t *input, struct buf *result,
                      struct sp_error *err)
{
    struct topic_ctx *c = ctx;
    if (strcmp(name, "extract_all_concept_contexts") == 0)
        return tool_extract(c, input, result, err);
    if (strcmp(name, "save_concept") == 0)
        return tool_save_concept(c, input, result, err);
    if (strcmp(name, "save_concept_edge") == 0)
        return tool_save_edge(c, input, result, err);
    return sp_error_set(err, SP_EINVAL, "Unknown tool: %s", name);
}

/* ---- the agent ---- */

/* The node's row as a new jansson object (SP_ENOTFOUND "Node not found"). */
static int load_node(struct db *db, const char *id, json_t **out, struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    return agent_read_json(store_nodes_get(db, id, &b, err), &b, out, err);
}

static int load_documents(struct db *db, const char *node_id, struct buf *ctx_out,
                          struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    json_t *docs = NULL;
    int rc = agent_read_json(store_graph_documents(db, node_id, &b, err), &b, &docs, err);
    if (rc == SP_OK && graph_document_context(ctx_out, docs) != SP_OK)
        rc = agent_oom(err);
    json_decref(docs);
    return rc;
}

/* Attach the extraction's excerpts to the saved concepts by title key (B13). */
static int attach_contexts(struct topic_outcome *o, json_t *map)
{
    for (size_t i = 0; i < o->n; i++) {
        const char *exact = graph_title_lookup(map, o->concepts[i].title);
        if (exact && *exact && !(o->concepts[i].context = strdup(exact)))
            return SP_ENOMEM;
    }
    return SP_OK;
}

/* The path saved by an earlier run, for the resume message: "1. Title — desc" lines into
 * concepts, "Source → Target" lines into edges (titles of o's concepts). */
static int saved_path_text(struct db *db, const char *topic_id, const struct topic_outcome *o,
                           struct buf *concepts, struct buf *edges, struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    int rc = store_graph_children(db, topic_id, "concept", &b, err);
    json_t *rows = rc == SP_OK ? json_loads(buf_cstr(&b), 0, NULL) : NULL;
    if (rc == SP_OK && !rows)
        rc = agent_oom(err);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *t = json_string_value(json_object_get(row, "title"));
        const char *d = json_string_value(json_object_get(row, "desc"));
        if (rc == SP_OK && buf_printf(concepts, "%s%zu. %s%s%s", i ? "\n" : "", i + 1, t ? t : "",
                                      d && *d ? " — " : "", d && *d ? d : ""))
            rc = agent_oom(err);
    }
    json_decref(rows);
    buf_reset(&b);
    if (rc == SP_OK)
        rc = store_graph_child_edges(db, topic_id, "concept", &b, err);
    json_t *list = rc == SP_OK ? json_loads(buf_cstr(&b), 0, NULL) : NULL;
    json_array_foreach(list, i, row)
    {
        const char *src = json_string_value(json_object_get(row, "sourceNodeId"));
        const char *dst = json_string_value(json_object_get(row, "targetNodeId"));
        const char *ts = NULL, *td = NULL;
        for (size_t k = 0; k < o->n && src && dst; k++) {
            if (strcmp(o->concepts[k].id, src) == 0)
                ts = o->concepts[k].title;
            if (strcmp(o->concepts[k].id, dst) == 0)
                td = o->concepts[k].title;
        }
        if (rc == SP_OK && ts && td &&
            buf_printf(edges, "%s%s → %s", edges->len ? "\n" : "", ts, td))
            rc = agent_oom(err);
    }
    json_decref(list);
    buf_release(&b);
    return rc;
}

static int record_generation(struct agent_env *env, const char *topic_id, const char *title,
                             const char *model, size_t count, size_t n_before, json_t *tool_calls,
                             struct sp_error *err)
{
    struct buf meta = BUF_INIT(0), prompt = BUF_INIT(0);
    int rc = buf_printf(&meta, "{\"count\":%zu,\"mode\":\"topic_agent\",", count);
    if (rc == SP_OK && n_before)
        rc = buf_printf(&meta, "\"resumedWith\":%zu,", n_before);
    if (rc == SP_OK)
        rc = buf_puts(&meta, "\"toolCalls\":");
    if (rc == SP_OK)
        rc = agent_tool_call_names(&meta, tool_calls);
    if (rc == SP_OK)
        rc = buf_putc(&meta, '}');
    if (rc == SP_OK)
        rc = buf_printf(&prompt, "Topic agent bootstrap for: %s", title);
    if (rc == SP_OK)
        rc = store_learning_generation(env->db,
                                       &(struct learning_generation){ .node_id = topic_id,
                                                                      .trigger = "on_first_enter",
                                                                      .model = model,
                                                                      .prompt = buf_cstr(&prompt),
                                                                      .response_meta =
                                                                          buf_cstr(&meta) },
                                       err);
    else
        rc = agent_oom(err);
    buf_release(&meta);
    buf_release(&prompt);
    return rc;
}

/* Run the topic agent on topic_id for user_id. env->agent is "topic". out is either zeroed
 * (Case B: a new path) or holds the concepts an earlier run saved, in order (resuming: the
 * model is given them and their edges, save_concept of one of them writes nothing, edges may
 * use them); the new concepts are appended. On error the concepts saved so far are still in
 * out. Runs on the calling thread with env's connection. */
static int agent_topic_run(struct agent_env *env, const char *user_id, const char *topic_id,
                           bool small, struct topic_outcome *out, struct sp_error *err)
{
    const size_t n_before = out->n;
    free(out->rationale);
    out->rationale = NULL;
    json_t *topic = NULL;
    int rc = load_node(env->db, topic_id, &topic, err);
    if (rc != SP_OK)
        return rc;
    const char *title = json_string_value(json_object_get(topic, "title"));
    const char *desc = json_string_value(json_object_get(topic, "desc"));
    struct buf docs = BUF_INIT(0), system = BUF_INIT(0), user = BUF_INIT(0);
    struct buf saved = BUF_INIT(0), saved_edges = BUF_INIT(0);
    rc = load_documents(env->db, topic_id, &docs, err);
    if (rc == SP_OK && n_before)
        rc = saved_path_text(env->db, topic_id, out, &saved, &saved_edges, err);
    const bool has_docs = docs.len > 0;
    const char *vars[] = {
        "topic_title",    title,
        "topic_desc",     desc,
        "concept_range",  small ? "1 to 2" : "6 to 10",
        "has_documents",  has_docs ? "yes" : "",
        "no_documents",   has_docs ? "" : "yes",
        "documents",      buf_cstr(&docs),
        "saved_concepts", buf_cstr(&saved),
        "saved_edges",    buf_cstr(&saved_edges),
        "no_saved_edges", saved.len && !saved_edges.len ? "yes" : "",
    };
    if (rc == SP_OK)
        rc = agent_prompt_fill_split("topic.md", vars, AGENT_N_PAIRS(vars), &system, &user, err);

    struct topic_state st = { .user_id = user_id,
                              .topic_id = topic_id,
                              .branch_id = json_string_value(json_object_get(topic, "branchId")),
                              .documents = has_docs ? buf_cstr(&docs) : NULL,
                              .out = out,
                              .n_before = n_before,
                              .cap = n_before };
    struct topic_ctx ctx = { .env = *env, .st = &st };
    const char *model = llm_model(env->llm, small);
    json_t *messages = json_pack("[{s:s,s:s}]", "role", "user", "content", buf_cstr(&user));
    struct llm_loop_result res = { 0 };
    if (rc == SP_OK && !messages)
        rc = agent_oom(err);
    if (rc == SP_OK) {
        struct llm_loop loop = { .model = model,
                                 .max_tokens = TOPIC_MAX_TOKENS,
                                 .system = buf_cstr(&system),
                                 .tools = TOPIC_TOOLS,
                                 .n_tools = N_TOPIC_TOOLS,
                                 .max_iterations =
                                     small ? TOPIC_ITERATIONS_SMALL : TOPIC_ITERATIONS,
                                 .messages = messages };
        struct llm_loop_hooks hooks = agent_loop_hooks(&ctx.env, topic_exec);
        rc = llm_run_loop(env->llm, &loop, &hooks, &res, env->cancel, err);
        llm_usage_add(&ctx.env.usage, &res.usage);
    }
    env->usage = ctx.env.usage;
    if (rc == SP_OK && agent_cancelled(env))
        rc = sp_error_set(err, SP_EABORT, "the run was cancelled");
    if (rc == SP_OK && st.context_map && attach_contexts(out, st.context_map) != SP_OK)
        rc = agent_oom(err);
    if (rc == SP_OK)
        rc = record_generation(env, topic_id, title, model, out->n, n_before, res.tool_calls, err);
    if (rc == SP_OK && !(out->rationale = strdup(res.final_text ? res.final_text : "")))
        rc = agent_oom(err);
    llm_loop_result_clear(&res);
    json_decref(messages);
    json_decref(st.context_map);
    json_decref(topic);
    buf_release(&docs);
    buf_release(&system);
    buf_release(&user);
    buf_release(&saved);
    buf_release(&saved_edges);
    return rc;
}

/* ---- the run of §7.1 ---- */

struct boot_pool {
    pthread_mutex_t mu;
    size_t next;
    struct run *run;
    const struct topic_run_args *args;
    const struct topic_outcome *concepts;
    const char *topic_title;
};

static void *boot_worker(void *p)
{
    struct boot_pool *pool = p;
    struct buf label = BUF_INIT(0);
    for (;;) {
        pthread_mutex_lock(&pool->mu);
        size_t i = pool->next++;
        pthread_mutex_unlock(&pool->mu);
        if (i >= pool->concepts->n || run_cancelled(pool->run))
            break;
        const struct topic_concept *tc = &pool->concepts->concepts[i];
        struct agent_env env;
        struct sp_error err = { 0 };
        struct bootstrap_result res = { 0 };
        if (agent_bootstrap_label(&label, tc->title) != SP_OK)
            break;
        int rc = agent_env_init(&env, pool->args->llm, pool->args->db_path, pool->run,
                                buf_cstr(&label), &err);
        if (rc == SP_OK)
            rc = agent_bootstrap_run(&env, pool->args->user_id, tc->id, pool->topic_title,
                                     tc->context, pool->args->small, true, &res, &err);
        else
            env = (struct agent_env){ .run = pool->run, .agent = buf_cstr(&label) };
        if (rc == SP_OK && res.ran)
            agent_emit_done(&env, NULL);
        else if (rc != SP_OK && rc != SP_EABORT)
            agent_emit_error(&env, err.msg[0] ? err.msg : "Bootstrap agent failed");
    }
    buf_release(&label);
    return NULL;
}

static void bootstrap_phase(struct run *run, const struct topic_run_args *a,
                            const struct topic_outcome *o, const char *topic_title)
{
    struct boot_pool pool = { .run = run,
                              .args = a,
                              .concepts = o,
                              .topic_title = topic_title ? topic_title : "Topic" };
    pthread_mutex_init(&pool.mu, NULL);
    pthread_t th[AGENT_TOPIC_PARALLEL];
    size_t started = 0, want = o->n < AGENT_TOPIC_PARALLEL ? o->n : AGENT_TOPIC_PARALLEL;
    /* this thread is one of the workers; the others are started here and joined below */
    for (size_t k = 1; k < want; k++)
        if (pthread_create(&th[started], NULL, boot_worker, &pool) == 0)
            started++;
    boot_worker(&pool);
    for (size_t k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    pthread_mutex_destroy(&pool.mu);
}

/* Case A: the existing concepts, replayed as node_created + edge_created. */
static int replay_concepts(struct agent_env *env, const char *topic_id, struct topic_outcome *o,
                           struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    json_t *rows = NULL;
    int rc = agent_read_json(store_graph_children(env->db, topic_id, "concept", &b, err), &b, &rows,
                             err);
    size_t n = json_array_size(rows);
    if (rc == SP_OK && n) {
        o->concepts = calloc(n, sizeof *o->concepts);
        if (!o->concepts)
            rc = agent_oom(err);
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        if (rc != SP_OK)
            break;
        struct topic_concept *tc = &o->concepts[o->n];
        snprintf(tc->id, sizeof tc->id, "%s", json_string_value(json_object_get(row, "id")));
        tc->title = strdup(json_string_value(json_object_get(row, "title")));
        if (!tc->title) {
            rc = agent_oom(err);
            break;
        }
        o->n++;
        rc = agent_emit_node_row(env, row, err);
    }
    json_decref(rows);
    if (rc == SP_OK && o->n)
        rc = agent_emit_child_edges(env, topic_id, "concept", err);
    return rc;
}

void agent_topic_stream(struct run *run, const struct topic_run_args *a)
{
    struct agent_env env;
    struct sp_error err = { 0 };
    struct topic_outcome o = { 0 };
    json_t *topic = NULL;
    int rc = agent_env_init(&env, a->llm, a->db_path, run, "topic", &err);
    if (rc != SP_OK)
        env = (struct agent_env){ .run = run, .agent = "topic" };
    if (rc == SP_OK)
        rc = load_node(env.db, a->topic_id, &topic, &err);
    const char *title = json_string_value(json_object_get(topic, "title"));
    if (rc == SP_OK)
        rc = replay_concepts(&env, a->topic_id, &o, &err);
    const char *rationale = AGENT_TOPIC_REPLAY_RATIONALE;
    /* Case A on a path whose topic agent never finished (cancelled, or its model failed):
     * resume it. The path is finished once the topic has its "on_first_enter" generation row. */
    bool finished = true;
    if (rc == SP_OK && o.n)
        rc = store_graph_has_generation(env.db, a->topic_id, "on_first_enter", &finished, &err);
    if (rc == SP_OK && (o.n == 0 || !finished)) {
        if (o.n == 0)
            agent_topic_outcome_clear(&o);
        agent_emit_start(&env);
        rc = agent_topic_run(&env, a->user_id, a->topic_id, a->small, &o, &err);
        rationale = o.rationale && *o.rationale ? o.rationale : AGENT_TOPIC_FALLBACK_RATIONALE;
    }
    if (rc != SP_OK) {
        if (rc != SP_EABORT && !run_cancelled(run))
            agent_emit_error(&env, err.msg[0] ? err.msg : "Topic agent failed");
        agent_topic_outcome_clear(&o);
        json_decref(topic);
        return;
    }
    bootstrap_phase(run, a, &o, title);
    if (!run_cancelled(run)) {
        json_t *extra =
            json_pack("{s:I,s:s}", "conceptCount", (json_int_t)o.n, "rationale", rationale);
        agent_emit_done(&env, extra);
        json_decref(extra);
    }
    agent_topic_outcome_clear(&o);
    json_decref(topic);
}
