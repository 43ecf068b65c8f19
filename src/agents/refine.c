/* agents/refine.c: the concept refinement agent (spec/agents.md §8.3) and its grading call
 * (§8.5): a tool loop (prompts/refine.md, 15 iterations, CLAUDE_MODEL) over nine tools that
 * grade the diagnostic, read the subconcept graph and the learner's history, and edit the
 * graph. Each tool's writes are one transaction (storage/store_learning.c) and its
 * node_* / edge_* events are emitted after the commit; remove_subconcept refuses, changing
 * nothing, while other rows reference the node (bug B4). A tool checks cancellation first
 * and writes nothing once the run is cancelled.
 * Differences from the original, for docs/AGENTS.md: the new concept of
 * add_prerequisite_concept / add_followup_concept is announced (node_created) before the edge
 * events that mention it; rewiring never creates a self-loop; tool inputs are checked (a
 * missing title is a tool error, not a crash).
 * Thread model: the calling (pool) thread and env's connection.
 */
#include "agents/concept.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/graph_text.h"
#include "agents/learning.h"
#include "storage/store_learning.h"
#include "storage/store_nodes.h"
#include "util/jsonw.h"

#define REFINE_MAX_TOKENS 4096
#define REFINE_ITERATIONS 15
#define GRADE_MAX_TOKENS 4096

#define NO_INPUT "{\"type\":\"object\",\"properties\":{},\"required\":[]}"
#define TITLE_DESC(what)                                                                   \
    "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\",\"description\":" \
    "\"Short title of the " what                                                           \
    "\"},\"desc\":{\"type\":\"string\",\"description\":"                                   \
    "\"One sentence on what the student learns in it\"}},\"required\":[\"title\",\"desc\"]}"

static const struct llm_tool TOOLS[] = {
    { "grade_student_answers",
      "Grade the student's diagnostic answers for this concept. Returns the overall score, "
      "strengths, gaps and feedback per question. Call this first.",
      NO_INPUT },
    { "get_current_subconcepts",
      "List the subconcepts of this concept (title and description) and the dependency edges "
      "between them.",
      NO_INPUT },
    { "add_subconcept",
      "Add a bridge or remedial subconcept to this concept, optionally placed after existing "
      "subconcepts it builds on.",
      "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\",\"description\":"
      "\"Short title of the new subconcept\"},\"desc\":{\"type\":\"string\",\"description\":"
      "\"One sentence on what it teaches\"},\"depends_on\":{\"type\":\"array\",\"items\":"
      "{\"type\":\"string\"},\"description\":\"Exact titles of existing subconcepts that must "
      "come before it\"}},\"required\":[\"title\",\"desc\"]}" },
    { "remove_subconcept",
      "Remove a subconcept the student already masters; the units before and after it are "
      "linked directly. Refused for a subconcept the student has already started.",
      "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\",\"description\":"
      "\"Exact title of the subconcept to remove\"}},\"required\":[\"title\"]}" },
    { "get_future_concepts", "List the concepts that come after this one in the learning path.",
      NO_INPUT },
    { "add_prerequisite_concept",
      "Insert a new concept right before this one in the learning path, for a missing "
      "foundation.",
      TITLE_DESC("prerequisite concept") },
    { "validate_graph",
      "Check the subconcept graph for orphan units, broken edges and units no entry point "
      "leads to. Use it after every change.",
      NO_INPUT },
    { "add_followup_concept",
      "Insert a new concept right after this one in the learning path, for reinforcement or "
      "enrichment.",
      TITLE_DESC("follow-up concept") },
    { "check_student_history",
      "Overview of the student's progress across all concepts: completed ones, average "
      "mastery and level.",
      NO_INPUT },
};
#define N_TOOLS (sizeof TOOLS / sizeof TOOLS[0])

struct refine {
    struct agent_env env; /* first: agent_loop_hooks() hands the tools this struct */
    const char *user_id;
    const json_t *concept;
    const char *assessment_id;
    const json_t *questions;
    json_t *latest;
};

static const char *concept_id(const struct refine *r)
{
    return learning_str(r->concept, "id");
}

static int put(struct buf *result, json_t *v, struct sp_error *err)
{
    int rc = v ? jsonw_dump(result, v, 0) : SP_ENOMEM;
    json_decref(v);
    return rc == SP_OK ? SP_OK : sp_error_set(err, rc, "building the tool result");
}

static int need_text(const json_t *input, const char *key, const char **out, struct sp_error *err)
{
    *out = learning_str(input, key);
    size_t n = 0;
    if (*out)
        learning_trim(*out, &n);
    if (!n)
        return sp_error_set(err, SP_EINVAL, "%s must be a non-empty string", key);
    return SP_OK;
}

static int subconcepts(struct refine *r, json_t **out, struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    return agent_read_json(store_nodes_list(r->env.db, NULL, "subconcept", NULL, concept_id(r), &b,
                                            err),
                           &b, out, err);
}

static void emit_edges(struct agent_env *env, const struct learning_edges *e, bool removed)
{
    for (size_t i = 0; i < e->n; i++) {
        if (!removed) {
            agent_emit_edge(env, e->v[i].source, e->v[i].target);
            continue;
        }
        json_t *d =
            json_pack("{s:s,s:s}", "sourceNodeId", e->v[i].source, "targetNodeId", e->v[i].target);
        if (d)
            agent_emit(env, "edge_removed", d);
        json_decref(d);
    }
}

/* ---- the tools ---- */

static int tool_grade(struct refine *r, struct buf *result, struct sp_error *err)
{
    json_t *gradable = learning_gradable(r->questions, r->latest);
    if (!gradable)
        return agent_oom(err);
    if (json_array_size(gradable) == 0) {
        json_decref(gradable);
        return put(result,
                   json_pack("{s:s,s:i}", "message", "No gradable answers found.", "gradedCount",
                             0),
                   err);
    }
    size_t i;
    json_t *g;
    json_array_foreach(gradable, i, g)
        json_object_set_new(g, "index", json_integer((json_int_t)i + 1));
    json_t *items = json_array(); /* index first, as the prompt describes */
    json_array_foreach(gradable, i, g)
        json_array_append_new(items, json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "index",
                                               json_object_get(g, "index"), "questionId",
                                               json_object_get(g, "questionId"), "prompt",
                                               json_object_get(g, "prompt"), "format",
                                               json_object_get(g, "format"), "correctAnswer",
                                               json_object_get(g, "correctAnswer"), "studentAnswer",
                                               json_object_get(g, "studentAnswer")));
    json_decref(gradable);
    struct buf pretty = BUF_INIT(0), prompt = BUF_INIT(0);
    int rc = jsonw_dump(&pretty, items, 2);
    json_decref(items);
    const char *vars[] = { "concept_title", learning_str(r->concept, "title"), "items",
                           buf_cstr(&pretty) };
    if (rc == SP_OK)
        rc = agent_prompt_fill(&prompt, "grade.md", vars, AGENT_N_PAIRS(vars), err);
    json_t *grades = NULL;
    struct llm_usage u = { 0 };
    if (rc == SP_OK)
        rc = llm_call_json(r->env.llm, llm_model(r->env.llm, false), GRADE_MAX_TOKENS,
                           buf_cstr(&prompt), &grades, &u, r->env.cancel, err);
    llm_usage_add(&r->env.usage, &u);
    buf_release(&pretty);
    buf_release(&prompt);
    if (rc == SP_OK && !json_is_array(grades))
        rc = sp_error_set(err, SP_EUPSTREAM, "The grader did not return a JSON array");
    if (rc == SP_OK && agent_cancelled(&r->env))
        rc = sp_error_set(err, SP_EABORT, "cancelled");
    if (rc != SP_OK) {
        json_decref(grades);
        return rc;
    }
    size_t n = json_array_size(grades), k = 0;
    struct learning_grade *w = calloc(n + 1, sizeof *w);
    json_t **rows = calloc(n + 1, sizeof *rows);
    if (!w || !rows) {
        free(w);
        free(rows);
        json_decref(grades);
        return agent_oom(err);
    }
    json_array_foreach(grades, i, g)
    {
        json_t *ans = json_object_get(r->latest, learning_str(g, "questionId"));
        const char *aid = learning_str(ans, "id");
        if (!aid)
            continue;
        json_t *sc = json_object_get(g, "score");
        json_t *ic = json_object_get(g, "isCorrect");
        rows[k] = ans;
        w[k++] = (struct learning_grade){
            .answer_id = aid,
            .is_correct = json_is_true(ic)    ? 1
                          : json_is_false(ic) ? 0
                                              : -1,
            .has_score = json_is_number(sc),
            .score = json_is_number(sc) ? json_number_value(sc) : 0,
            .feedback = learning_str(g, "feedback"),
        };
    }
    rc = store_learning_grade(r->env.db, w, k, err);
    if (rc == SP_OK) /* the in-memory answers follow the database */
        for (size_t j = 0; j < k; j++) {
            json_t *ans = rows[j];
            json_object_set_new(ans, "isCorrect",
                                w[j].is_correct < 0 ? json_null() : json_boolean(w[j].is_correct));
            json_object_set_new(ans, "score", w[j].has_score ? json_real(w[j].score) : json_null());
            json_object_set_new(ans, "feedback",
                                w[j].feedback ? json_string(w[j].feedback) : json_null());
        }
    free(w);
    free(rows);
    if (rc != SP_OK) {
        json_decref(grades);
        return rc;
    }
    json_t *sum = learning_diagnostic_summary(r->assessment_id, r->questions, r->latest);
    json_t *out_items = json_array();
    json_array_foreach(grades, i, g)
    {
        json_t *item = json_object();
        const char *qid = learning_str(g, "questionId");
        size_t qi;
        json_t *q;
        json_array_foreach(r->questions, qi, q) if (qid && strcmp(learning_str(q, "id"), qid) == 0)
        {
            json_object_set(item, "prompt", json_object_get(q, "prompt"));
            break;
        }
        const char *keys[] = { "isCorrect", "score", "feedback" };
        for (int j = 0; j < 3; j++)
            if (json_object_get(g, keys[j]))
                json_object_set(item, keys[j], json_object_get(g, keys[j]));
        json_array_append_new(out_items, item);
    }
    json_decref(grades);
    rc = put(result,
             json_pack("{s:I,s:O,s:O,s:O,s:o}", "gradedCount", (json_int_t)k, "overallScore",
                       json_object_get(sum, "overallScore"), "strengths",
                       json_object_get(sum, "strengths"), "gaps", json_object_get(sum, "gaps"),
                       "items", out_items),
             err);
    json_decref(sum);
    return rc;
}

static int tool_current(struct refine *r, struct buf *result, struct sp_error *err)
{
    json_t *subs = NULL, *edges = NULL;
    struct buf b = BUF_INIT(0);
    int rc = subconcepts(r, &subs, err);
    if (rc == SP_OK)
        rc = agent_read_json(store_nodes_edges(r->env.db, concept_id(r), "subconcept", &b, err), &b,
                             &edges, err);
    if (rc == SP_OK) {
        json_t *list, *pairs;
        learning_level_json(subs, edges, &list, &pairs);
        rc = put(result,
                 json_pack("{s:I,s:o,s:o}", "count", (json_int_t)json_array_size(subs),
                           "subconcepts", list, "edges", pairs),
                 err);
    }
    json_decref(subs);
    json_decref(edges);
    return rc;
}

static int tool_add(struct refine *r, const json_t *input, struct buf *result, struct sp_error *err)
{
    const char *title, *desc;
    int rc = need_text(input, "title", &title, err);
    if (rc == SP_OK)
        rc = need_text(input, "desc", &desc, err);
    json_t *subs = NULL;
    if (rc == SP_OK)
        rc = subconcepts(r, &subs, err);
    if (rc != SP_OK)
        return rc;
    const json_t *deps_in = json_object_get(input, "depends_on");
    size_t n = json_array_size(deps_in), nd = 0, i;
    const char **deps = calloc(n + 1, sizeof *deps);
    json_t *t;
    json_array_foreach(deps_in, i, t)
    {
        const char *want = json_string_value(t), *id = NULL;
        size_t k;
        json_t *s;
        json_array_foreach(subs, k, s) /* exact title; a later duplicate wins */
            if (want && learning_str(s, "title") && strcmp(learning_str(s, "title"), want) == 0)
                id = learning_str(s, "id");
        if (!id || strcmp(want, title) == 0)
            continue; /* unknown titles are skipped, as the original; never a self-loop */
        bool dup = false;
        for (size_t j = 0; j < nd; j++)
            dup |= strcmp(deps[j], id) == 0;
        if (!dup && deps)
            deps[nd++] = id;
    }
    struct learning_node node = {
        .user_id = r->user_id,
        .type = "subconcept",
        .branch_id = learning_str(r->concept, "branchId"),
        .parent_id = concept_id(r),
        .title = title,
        .desc = desc,
    };
    char id[37];
    struct buf row = BUF_INIT(0);
    rc = !deps ? agent_oom(err)
         : agent_cancelled(&r->env)
             ? sp_error_set(err, SP_EABORT, "cancelled")
             : store_learning_add_node(r->env.db, &node, deps, nd, id, &row, err);
    if (rc == SP_OK) {
        struct sp_error e2 = { 0 };
        agent_emit_node(&r->env, id, &e2);
        for (size_t j = 0; j < nd; j++)
            agent_emit_edge(&r->env, deps[j], id);
        rc = put(result, json_pack("{s:b,s:s,s:s}", "saved", 1, "nodeId", id, "title", title), err);
    }
    buf_release(&row);
    free(deps);
    json_decref(subs);
    return rc;
}

static int tool_remove(struct refine *r, const json_t *input, struct buf *result,
                       struct sp_error *err)
{
    const char *title;
    json_t *subs = NULL;
    int rc = need_text(input, "title", &title, err);
    if (rc == SP_OK)
        rc = subconcepts(r, &subs, err);
    if (rc != SP_OK)
        return rc;
    const char *id = NULL;
    size_t i;
    json_t *s;
    json_array_foreach(subs, i, s) if (!id && learning_str(s, "title") &&
                                       strcmp(learning_str(s, "title"), title) == 0) id =
        learning_str(s, "id");
    struct learning_edges removed = { 0 }, created = { 0 };
    if (!id)
        rc = sp_error_set(err, SP_ENOTFOUND, "Subconcept not found: \"%s\"", title);
    else if (agent_cancelled(&r->env))
        rc = sp_error_set(err, SP_EABORT, "cancelled");
    else
        rc = store_learning_remove_node(r->env.db, id, &removed, &created, err);
    if (rc == SP_ECONFLICT) {
        char why[SP_ERR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        sp_error_set(err, rc, "Cannot remove \"%s\": the learner has started it; it %s", title,
                     why);
    }
    if (rc == SP_OK) {
        emit_edges(&r->env, &removed, true);
        emit_edges(&r->env, &created, false);
        json_t *d = json_pack("{s:s}", "nodeId", id);
        if (d)
            agent_emit(&r->env, "node_removed", d);
        json_decref(d);
        rc = put(result, json_pack("{s:b,s:s}", "removed", 1, "title", title), err);
    }
    store_learning_edges_free(&removed);
    store_learning_edges_free(&created);
    json_decref(subs);
    return rc;
}

static int siblings(struct refine *r, json_t **nodes, json_t **edges, struct sp_error *err)
{
    const char *parent = learning_str(r->concept, "parentId");
    struct buf b = BUF_INIT(0);
    int rc = agent_read_json(store_nodes_list(r->env.db, NULL, "concept", NULL, parent, &b, err),
                             &b, nodes, err);
    if (rc == SP_OK)
        rc = agent_read_json(store_nodes_edges(r->env.db, parent, "concept", &b, err), &b, edges,
                             err);
    return rc;
}

static int tool_future(struct refine *r, struct buf *result, struct sp_error *err)
{
    if (!learning_str(r->concept, "parentId"))
        return put(result, json_pack("{s:[]}", "futureConcepts"), err);
    json_t *nodes = NULL, *edges = NULL;
    int rc = siblings(r, &nodes, &edges, err);
    if (rc == SP_OK)
        rc = put(result, learning_future_concepts(concept_id(r), nodes, edges), err);
    json_decref(nodes);
    json_decref(edges);
    return rc;
}

static int tool_insert_concept(struct refine *r, const json_t *input, enum learning_side side,
                               struct buf *result, struct sp_error *err)
{
    if (!learning_str(r->concept, "parentId"))
        return sp_error_set(err, SP_EINVAL,
                            side == LEARNING_BEFORE
                                ? "Cannot add prerequisite \xe2\x80\x94 no parent topic"
                                : "Cannot add follow-up \xe2\x80\x94 no parent topic");
    const char *title, *desc;
    int rc = need_text(input, "title", &title, err);
    if (rc == SP_OK)
        rc = need_text(input, "desc", &desc, err);
    if (rc != SP_OK)
        return rc;
    struct learning_node node = {
        .user_id = r->user_id,
        .type = "concept",
        .branch_id = learning_str(r->concept, "branchId"),
        .parent_id = learning_str(r->concept, "parentId"),
        .title = title,
        .desc = desc,
    };
    char id[37];
    struct buf row = BUF_INIT(0);
    struct learning_edges removed = { 0 }, created = { 0 };
    rc = agent_cancelled(&r->env)
             ? sp_error_set(err, SP_EABORT, "cancelled")
             : store_learning_insert_concept(r->env.db, &node, concept_id(r), side, id, &row,
                                             &removed, &created, err);
    if (rc == SP_OK) {
        struct sp_error e2 = { 0 };
        agent_emit_node(&r->env, id, &e2);
        emit_edges(&r->env, &removed, true);
        emit_edges(&r->env, &created, false);
        rc = put(result, json_pack("{s:b,s:s,s:s}", "saved", 1, "nodeId", id, "title", title), err);
    }
    buf_release(&row);
    store_learning_edges_free(&removed);
    store_learning_edges_free(&created);
    return rc;
}

static int tool_validate(struct refine *r, struct buf *result, struct sp_error *err)
{
    json_t *subs = NULL, *edges = NULL;
    struct buf b = BUF_INIT(0);
    int rc = subconcepts(r, &subs, err);
    if (rc == SP_OK)
        rc = agent_read_json(store_learning_edges_from_children(r->env.db, concept_id(r),
                                                                "subconcept", &b, err),
                             &b, &edges, err);
    if (rc == SP_OK)
        rc = put(result, learning_validate_graph(subs, edges), err);
    json_decref(subs);
    json_decref(edges);
    return rc;
}

static int tool_history(struct refine *r, struct buf *result, struct sp_error *err)
{
    json_t *rows = NULL;
    struct buf b = BUF_INIT(0);
    int rc =
        agent_read_json(store_learning_history(r->env.db, r->user_id, &b, err), &b, &rows, err);
    if (rc == SP_OK)
        rc = put(result, learning_history_summary(rows), err);
    json_decref(rows);
    return rc;
}

static int exec(void *ctx, const char *name, json_t *input, struct buf *result,
                struct sp_error *err)
{
    struct refine *r = ctx;
    if (agent_cancelled(&r->env))
        return sp_error_set(err, SP_EABORT, "cancelled");
    if (strcmp(name, "grade_student_answers") == 0)
        return tool_grade(r, result, err);
    if (strcmp(name, "get_current_subconcepts") == 0)
        return tool_current(r, result, err);
    if (strcmp(name, "add_subconcept") == 0)
        return tool_add(r, input, result, err);
    if (strcmp(name, "remove_subconcept") == 0)
        return tool_remove(r, input, result, err);
    if (strcmp(name, "get_future_concepts") == 0)
        return tool_future(r, result, err);
    if (strcmp(name, "add_prerequisite_concept") == 0)
        return tool_insert_concept(r, input, LEARNING_BEFORE, result, err);
    if (strcmp(name, "validate_graph") == 0)
        return tool_validate(r, result, err);
    if (strcmp(name, "add_followup_concept") == 0)
        return tool_insert_concept(r, input, LEARNING_AFTER, result, err);
    if (strcmp(name, "check_student_history") == 0)
        return tool_history(r, result, err);
    return sp_error_set(err, SP_ENOTFOUND, "Unknown tool: %s", name);
}

/* ---- the run ---- */

int agent_refine_needed(struct db *db, const char *user_id, const json_t *concept,
                        const struct diagnostic_bundle *b, const char **reason,
                        struct sp_error *err)
{
    *reason = NULL;
    json_t *latest = learning_latest_answers(b->answers);
    if (!latest)
        return agent_oom(err);
    size_t answered = learning_answered_count(b->questions, latest);
    json_decref(latest);
    if (answered == 0) {
        *reason = "no_answers";
        return SP_OK;
    }
    long last = -1;
    int rc = store_learning_last_refinement(db, learning_str(concept, "id"),
                                            learning_str(b->assessment, "id"), user_id, &last, err);
    if (rc == SP_OK && last >= 0 && (long)json_array_size(b->answers) <= last)
        *reason = "no_new_answers";
    return rc;
}

int agent_refine_run(struct agent_env *env, const char *user_id, const json_t *concept,
                     const char *topic_title, const struct diagnostic_bundle *b,
                     struct sp_error *err)
{
    struct refine r = {
        .env = *env,
        .user_id = user_id,
        .concept = concept,
        .assessment_id = learning_str(b->assessment, "id"),
        .questions = b->questions,
        .latest = learning_latest_answers(b->answers),
    };
    const char *title = learning_str(concept, "title");
    const char *desc = learning_str(concept, "desc");
    struct buf sys = BUF_INIT(0), start = BUF_INIT(0), answered = BUF_INIT(0), total = BUF_INIT(0),
               meta = BUF_INIT(0);
    json_t *messages = NULL;
    struct llm_loop_result res = { 0 };
    int rc = SP_OK;
    if (!r.latest || !r.assessment_id)
        rc = agent_oom(err);
    if (rc == SP_OK) {
        buf_printf(&answered, "%zu", learning_answered_count(b->questions, r.latest));
        buf_printf(&total, "%zu", json_array_size(b->questions));
        const char *vars[] = { "concept_title", title,
                               "concept_desc",  desc && *desc ? desc : "(no description)",
                               "topic_title",   topic_title ? topic_title : "(none)",
                               "answered",      buf_cstr(&answered),
                               "total",         buf_cstr(&total) };
        rc = agent_prompt_fill(&sys, "refine.md", vars, AGENT_N_PAIRS(vars), err);
        if (rc == SP_OK)
            rc = agent_prompt_fill(&start, "refine-start.md", vars, AGENT_N_PAIRS(vars), err);
        if (rc == SP_OK &&
            !(messages = json_pack("[{s:s,s:s}]", "role", "user", "content", buf_cstr(&start))))
            rc = agent_oom(err);
    }
    if (rc == SP_OK) {
        agent_emit_start(&r.env);
        struct llm_loop loop = {
            .model = llm_model(r.env.llm, false),
            .max_tokens = REFINE_MAX_TOKENS,
            .system = buf_cstr(&sys),
            .tools = TOOLS,
            .n_tools = N_TOOLS,
            .max_iterations = REFINE_ITERATIONS,
            .messages = messages,
        };
        struct llm_loop_hooks hooks = agent_loop_hooks(&r.env, exec);
        rc = llm_run_loop(r.env.llm, &loop, &hooks, &res, r.env.cancel, err);
        llm_usage_add(&r.env.usage, &res.usage);
    }
    if (rc == SP_OK && agent_cancelled(&r.env))
        rc = sp_error_set(err, SP_EABORT, "cancelled");
    if (rc == SP_OK) { /* the record that makes the next run wait for new answers (B5) */
        json_t *names = json_array();
        size_t i;
        json_t *c;
        json_array_foreach(res.tool_calls, i, c)
            json_array_append(names, json_object_get(c, "name"));
        json_t *m = json_pack("{s:s,s:s,s:o,s:s,s:I}", "mode", "concept_refinement_agent",
                              "assessmentId", r.assessment_id, "toolCalls", names, "userId",
                              user_id, "answerCount", (json_int_t)json_array_size(b->answers));
        struct buf prompt = BUF_INIT(0);
        buf_printf(&prompt, "Concept refinement for: %s", title);
        if (!m || jsonw_dump(&meta, m, 0) != SP_OK)
            rc = agent_oom(err);
        json_decref(m);
        struct learning_generation gen = {
            .node_id = learning_str(concept, "id"),
            .trigger = "manual_regenerate",
            .model = llm_model(r.env.llm, false),
            .prompt = buf_cstr(&prompt),
            .response_meta = buf_cstr(&meta),
        };
        if (rc == SP_OK)
            rc = store_learning_generation(r.env.db, &gen, err);
        buf_release(&prompt);
    }
    env->usage = r.env.usage;
    llm_loop_result_clear(&res);
    json_decref(messages);
    json_decref(r.latest);
    buf_release(&sys);
    buf_release(&start);
    buf_release(&answered);
    buf_release(&total);
    buf_release(&meta);
    return rc;
}
