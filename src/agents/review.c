/* agents/review.c: the learning-path review (spec/agents.md §7.4, §8.7): one single-shot model
 * call (prompts/review.md, 2048 tokens) decides whether to add up to maxAdditions nodes beside
 * a concept or subconcept; the additions are inserted deterministically (§9.4, §9.5, planned
 * by agents/learning.c) together with their node_generations record in ONE transaction.
 * Differences from the original: an addition without a title or description is skipped
 * instead of failing the whole request with a 500 (the spec's cleaning rules already skip
 * blank ones); a reply that is not a JSON object is a 502.
 * Thread model: the calling (pool) thread and its connection.
 */
#include "agents/concept.h"

#include <stdlib.h>
#include <string.h>

#include "agents/graph_text.h"
#include "agents/learning.h"
#include "storage/store_learning.h"
#include "storage/store_nodes.h"
#include "storage/store_progress.h"
#include "util/jsonw.h"

#define REVIEW_MAX_TOKENS 2048
#define REVIEW_DEFAULT_ADDITIONS 2
#define REVIEW_MAX_ADDITIONS 4

static json_t *get_node(struct db *db, const char *id)
{
    if (!id)
        return NULL;
    struct buf b = BUF_INIT(0);
    struct sp_error e = { 0 };
    json_t *n = store_nodes_get(db, id, &b, &e) == SP_OK ? learning_loads(buf_cstr(&b)) : NULL;
    buf_release(&b);
    return n;
}

static json_t *rows(int rc, struct buf *b)
{
    json_t *v;
    struct sp_error e = { 0 };
    agent_read_json(rc, b, &v, &e);
    return v;
}

static void number(struct buf *b, const json_t *v)
{
    if (json_is_number(v))
        jsonw_number(b, json_number_value(v));
    else
        buf_puts(b, "null");
}

/* "Current node diagnostic: …" lines (§7.4 step 3) when the node has a diagnostic. */
static int diag_lines(struct db *db, const char *user_id, const json_t *node, bool parent,
                      struct buf *o, struct sp_error *err)
{
    struct diagnostic_bundle b;
    int rc = agent_diagnostic_load(db, user_id, learning_str(node, "id"), &b, err);
    if (rc == SP_ENOTFOUND)
        return SP_OK;
    if (rc != SP_OK)
        return rc;
    json_t *latest = learning_latest_answers(b.answers);
    json_t *sum =
        learning_diagnostic_summary(learning_str(b.assessment, "id"), b.questions, latest);
    if (!sum) {
        json_decref(latest);
        agent_diagnostic_clear(&b);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    json_t *gaps = json_object_get(sum, "gaps");
    if (parent) {
        buf_puts(o, "Parent concept diagnostic: overallScore=");
        number(o, json_object_get(sum, "overallScore"));
        buf_printf(o, ", gapsCount=%zu\n", json_array_size(gaps));
    } else {
        buf_puts(o, "Current node diagnostic: overallScore=");
        number(o, json_object_get(sum, "overallScore"));
        buf_printf(o, ", answered=%lld/%lld\n",
                   (long long)json_integer_value(json_object_get(sum, "answeredCount")),
                   (long long)json_integer_value(json_object_get(sum, "totalQuestions")));
        const char *names[] = { "strengths", "gaps" }, *labels[] = { "Strengths", "Gaps" };
        for (int k = 0; k < 2; k++) {
            json_t *list = json_object_get(sum, names[k]);
            if (!json_array_size(list))
                continue;
            buf_printf(o, "%s: ", labels[k]);
            size_t i;
            json_t *p;
            json_array_foreach(list, i, p)
                buf_printf(o, "%s%s", i ? " | " : "",
                           json_string_value(p) ? json_string_value(p) : "");
            buf_putc(o, '\n');
        }
    }
    json_decref(sum);
    json_decref(latest);
    agent_diagnostic_clear(&b);
    return SP_OK;
}

static int overview_text(struct db *db, const char *user_id, const json_t *node,
                         const json_t *parent, const char *overview, struct buf *o,
                         struct sp_error *err)
{
    size_t n = 0;
    const char *t = overview ? learning_trim(overview, &n) : NULL;
    if (n)
        buf_printf(o, "User overview: %.*s\n", (int)n, t);
    struct buf pb = BUF_INIT(0);
    json_t *prog = rows(store_progress_list(db, user_id, learning_str(node, "id"), &pb, err), &pb);
    json_t *p = json_array_get(prog, 0);
    if (p) {
        buf_puts(o, "Progress: masteryScore=");
        number(o, json_object_get(p, "masteryScore"));
        buf_puts(o, ", attempts=");
        number(o, json_object_get(p, "attemptsCount"));
        const char *c = learning_str(p, "completedAt");
        buf_printf(o, ", completedAt=%s\n", c ? c : "null");
    }
    json_decref(prog);
    int rc = diag_lines(db, user_id, node, false, o, err);
    const char *type = learning_str(node, "type");
    if (rc == SP_OK && parent && type && strcmp(type, "subconcept") == 0) {
        buf_printf(o, "Parent concept: %s\n", learning_str(parent, "title"));
        rc = diag_lines(db, user_id, parent, true, o, err);
    }
    if (rc == SP_OK && o->len == 0)
        buf_puts(o, "No additional overview available.");
    while (o->len && o->data[o->len - 1] == '\n')
        o->data[--o->len] = '\0';
    return rc;
}

static json_t *normalize(const json_t *d, int max)
{
    json_t *out = json_object();
    json_object_set_new(out, "should_add",
                        json_boolean(jsonw_truthy(json_object_get(d, "should_add"))));
    json_t *notes = json_object_get(d, "notes");
    json_object_set(out, "notes", notes ? notes : json_null());
    const char *keys[] = { "concept_additions", "subconcept_additions" };
    for (int k = 0; k < 2; k++) {
        json_t *src = json_object_get(d, keys[k]), *a = json_array();
        for (size_t i = 0; json_is_array(src) && i < json_array_size(src) && i < (size_t)max; i++)
            json_array_append(a, json_array_get(src, i));
        json_object_set_new(out, keys[k], a);
    }
    return out;
}

int agent_review_run(const struct llm_client *llm, struct db *db, const atomic_bool *cancel,
                     const char *user_id, const json_t *node, const char *overview,
                     int max_additions, struct buf *out, struct llm_usage *usage,
                     struct sp_error *err)
{
    if (max_additions < 0)
        max_additions = 0;
    if (max_additions > REVIEW_MAX_ADDITIONS)
        max_additions = REVIEW_MAX_ADDITIONS;
    const char *level = learning_str(node, "type"), *title = learning_str(node, "title");
    bool concept = level && strcmp(level, "concept") == 0;
    json_t *parent = get_node(db, learning_str(node, "parentId"));
    json_t *grand = parent ? get_node(db, learning_str(parent, "parentId")) : NULL;
    const char *topic = "Current Topic";
    if (concept && parent)
        topic = learning_str(parent, "title");
    else if (!concept && parent)
        topic = grand ? learning_str(grand, "title") : learning_str(parent, "title");

    json_t *sibs = NULL, *edges = NULL, *decision = NULL, *reply = NULL, *inserted = NULL;
    struct learning_plan plan = { 0 };
    struct buf ov = BUF_INIT(0), sj = BUF_INIT(0), ej = BUF_INIT(0), prompt = BUF_INIT(0),
               b = BUF_INIT(0), meta = BUF_INIT(0), gprompt = BUF_INIT(0), maxs = BUF_INIT(0);
    int rc = SP_OK;
    if (learning_str(node, "parentId")) {
        sibs =
            rows(store_nodes_list(db, NULL, level, NULL, learning_str(node, "parentId"), &b, err),
                 &b);
        edges = rows(store_nodes_edges(db, learning_str(node, "parentId"), level, &b, err), &b);
    } else {
        sibs = json_pack("[O]", node);
        edges = json_array();
    }
    if (!sibs || !edges)
        rc = err->code ? err->code : sp_error_set(err, SP_ENOMEM, "out of memory");
    if (rc == SP_OK)
        rc = overview_text(db, user_id, node, parent, overview, &ov, err);
    if (rc == SP_OK) { /* the prompt's pretty JSON of the level */
        json_t *list, *pairs;
        learning_level_json(sibs, edges, &list, &pairs);
        jsonw_dump(&sj, list, 2);
        jsonw_dump(&ej, pairs, 2);
        json_decref(list);
        json_decref(pairs);
        buf_printf(&maxs, "%d", max_additions);
        const char *fmt = agent_prompt(concept ? "review-concept.md" : "review-subconcept.md");
        const char *vars[] = { "topic_title", topic,         "level",         level,
                               "node_title",  title,         "max_additions", buf_cstr(&maxs),
                               "overview",    buf_cstr(&ov), "siblings",      buf_cstr(&sj),
                               "edges",       buf_cstr(&ej), "format",        fmt };
        if (!fmt)
            rc = sp_error_set(err, SP_EIO, "the review prompt is missing from the binary");
        else
            rc = agent_prompt_fill(&prompt, "review.md", vars, AGENT_N_PAIRS(vars), err);
    }
    json_t *raw = NULL;
    if (rc == SP_OK) {
        struct llm_usage u = { 0 };
        rc = llm_call_json(llm, llm_model(llm, false), REVIEW_MAX_TOKENS, buf_cstr(&prompt), &raw,
                           &u, cancel, err);
        if (usage)
            llm_usage_add(usage, &u);
    }
    if (rc == SP_OK && !json_is_object(raw))
        rc = sp_error_set(err, SP_EUPSTREAM, "The reviewer did not return a JSON object");
    if (rc == SP_OK && cancel && atomic_load(cancel))
        rc = sp_error_set(err, SP_EABORT, "cancelled");
    if (rc == SP_OK)
        decision = normalize(raw, max_additions);
    json_decref(raw);
    if (rc == SP_OK && json_is_true(json_object_get(decision, "should_add"))) {
        json_t *adds =
            json_object_get(decision, concept ? "concept_additions" : "subconcept_additions");
        rc = concept ? learning_plan_concepts(&plan, node, sibs, edges, adds, user_id, err)
                     : learning_plan_subconcepts(&plan, node, sibs, edges, adds, user_id, err);
    }
    if (rc == SP_OK && plan.n_nodes) {
        json_t *m = json_pack("{s:s,s:s,s:I,s:O,s:O}", "mode", "path_review_agent", "level", level,
                              "insertedCount", (json_int_t)plan.n_nodes, "insertedTitles",
                              plan.titles, "notes", json_object_get(decision, "notes"));
        buf_printf(&gprompt, "Post-completion %s review for: %s", level, title);
        if (!m || jsonw_dump(&meta, m, 0) != SP_OK)
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        json_decref(m);
        struct learning_generation gen = {
            .node_id = learning_str(node, "id"),
            .trigger = "manual_regenerate",
            .model = llm_model(llm, false),
            .prompt = buf_cstr(&gprompt),
            .response_meta = buf_cstr(&meta),
        };
        if (rc == SP_OK)
            rc = store_learning_apply(db, plan.nodes, plan.n_nodes, &plan.ops, &gen, &b, err);
        if (rc == SP_OK && !(inserted = learning_loads(buf_cstr(&b))))
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    if (rc == SP_OK) {
        bool updated = plan.n_nodes > 0;
        reply = json_pack("{s:s,s:s,s:s,s:s,s:O,s:o,s:o}", "agent", "path_review", "status",
                          updated ? "updated" : "no_change", "nodeId", learning_str(node, "id"),
                          "level", level, "decision", decision, "insertedNodes",
                          updated ? json_incref(inserted) : json_array(), "createdEdges",
                          updated ? json_incref(plan.created_edges) : json_array());
        if (!reply || jsonw_dump(out, reply, 0) != SP_OK)
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    learning_plan_free(&plan);
    json_decref(reply);
    json_decref(inserted);
    json_decref(decision);
    json_decref(sibs);
    json_decref(edges);
    json_decref(parent);
    json_decref(grand);
    buf_release(&ov);
    buf_release(&sj);
    buf_release(&ej);
    buf_release(&prompt);
    buf_release(&b);
    buf_release(&meta);
    buf_release(&gprompt);
    buf_release(&maxs);
    return rc;
}
