/* agents/legacy.c: the legacy concept and subconcept generators (spec/agents.md §7.6, §8.8;
 * decisions in legacy.h): prompt, one single-shot model call, normalisation, one transaction.
 * Thread model: the calling thread with its own connection.
 */
#include "agents/legacy.h"

#include <stdlib.h>
#include <string.h>

#include "agents/agent.h"
#include "agents/graph_text.h"
#include "storage/store_graph.h"
#include "storage/store_nodes.h"
#include "util/jsonw.h"

/* {"generated":false,"<key>":<rows>,"edges":<legacy edges of children of node (type)>} */
static int existing_reply(struct db *db, const char *node_id, const char *type, const char *key,
                          struct buf *body, struct sp_error *err)
{
    int rc = buf_printf(body, "{\"generated\":false,\"%s\":", key) ? agent_oom(err) : SP_OK;
    if (rc == SP_OK)
        rc = store_graph_children(db, node_id, type, body, err);
    if (rc == SP_OK)
        rc = buf_puts(body, ",\"edges\":") ? agent_oom(err) : SP_OK;
    if (rc == SP_OK)
        rc = store_graph_legacy_edges(db, node_id, type, body, err);
    if (rc == SP_OK)
        rc = buf_putc(body, '}') ? agent_oom(err) : SP_OK;
    return rc;
}

int agent_legacy_concepts_existing(struct db *db, const char *node_id, bool *answered, int *status,
                                   struct buf *body, struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    json_t *rows = NULL;
    int rc = agent_read_json(store_graph_children(db, node_id, "concept", &b, err), &b, &rows, err);
    buf_release(&b);
    *answered = rc == SP_OK && json_array_size(rows) > 0;
    json_decref(rows);
    if (!*answered)
        return rc;
    *status = 200;
    return existing_reply(db, node_id, "concept", "concepts", body, err);
}

int agent_legacy_subconcepts_existing(struct db *db, const char *user_id, const char *node_id,
                                      bool *answered, int *status, struct buf *body,
                                      struct sp_error *err)
{
    int rc = store_graph_has_generated_subnodes(db, user_id, node_id, answered, err);
    if (rc != SP_OK || !*answered)
        return rc;
    *status = 200;
    return existing_reply(db, node_id, NULL, "subconcepts", body, err);
}

/* A model reply that cannot be used is the model's failure (502), not the client's. */
static int model_call(const struct llm_client *llm, const char *prompt, json_t **out,
                      const atomic_bool *cancel, struct sp_error *err)
{
    struct llm_usage usage = { 0 };
    int rc = llm_call_json(llm, llm_model(llm, false), AGENT_LEGACY_MAX_TOKENS, prompt, out, &usage,
                           cancel, err);
    if (rc == SP_EINVAL && err)
        err->code = rc = SP_EUPSTREAM;
    return rc;
}

static int node_and_prompt(struct db *db, const char *node_id, const char *prompt_name,
                           const char *const *extra, size_t n_extra, json_t **node,
                           struct buf *prompt, struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    int rc = agent_read_json(store_nodes_get(db, node_id, &b, err), &b, node, err);
    buf_release(&b);
    if (rc != SP_OK)
        return rc;
    const char *vars[16] = {
        "topic_title",   json_string_value(json_object_get(*node, "title")),
        "concept_title", json_string_value(json_object_get(*node, "title")),
        "topic_desc",    json_string_value(json_object_get(*node, "desc")),
        "concept_desc",  json_string_value(json_object_get(*node, "desc")),
    };
    size_t n = 4;
    for (size_t i = 0; i < n_extra && n < 8; i++, n++) {
        vars[2 * n] = extra[2 * i];
        vars[2 * n + 1] = extra[2 * i + 1];
    }
    return agent_prompt_fill(prompt, prompt_name, vars, n, err);
}

/* The last step of both generators: unless the run was cancelled, store batch in node's branch
 * with the prompt "<what> for: <node's title>" and answer 201. */
static int save_batch(struct db *db, const atomic_bool *cancel, const char *what, json_t *node,
                      struct store_legacy_batch *batch, int *status, struct buf *body,
                      struct sp_error *err)
{
    struct buf prompt = BUF_INIT(0);
    int rc = SP_OK;
    if (buf_printf(&prompt, "%s for: %s", what, json_string_value(json_object_get(node, "title"))))
        rc = agent_oom(err);
    if (rc == SP_OK && cancel && atomic_load(cancel))
        rc = sp_error_set(err, SP_EABORT, "cancelled");
    if (rc == SP_OK) {
        batch->branch_id = json_string_value(json_object_get(node, "branchId"));
        batch->prompt = buf_cstr(&prompt);
        rc = store_graph_legacy_save(db, batch, body, err);
        *status = 201;
    }
    buf_release(&prompt);
    return rc;
}

int agent_legacy_concepts(const struct llm_client *llm, struct db *db, const char *user_id,
                          const char *node_id, const atomic_bool *cancel, int *status,
                          struct buf *body, struct sp_error *err)
{
    json_t *node = NULL, *reply = NULL, *docs = NULL, *kept = json_array(); /* owns the texts */
    struct buf b = BUF_INIT(0), docs_text = BUF_INIT(0), prompt = BUF_INIT(0);
    /* B11: the uploaded documents reach the prompt */
    int rc = agent_read_json(store_graph_documents(db, node_id, &b, err), &b, &docs, err);
    if (rc == SP_OK && graph_document_context(&docs_text, docs) != SP_OK)
        rc = agent_oom(err);
    const char *extra[] = { "documents", buf_cstr(&docs_text) };
    if (rc == SP_OK)
        rc = node_and_prompt(db, node_id, "legacy_concepts.md", extra, 1, &node, &prompt, err);
    if (rc == SP_OK)
        rc = model_call(llm, buf_cstr(&prompt), &reply, cancel, err);
    if (rc == SP_OK && !json_is_array(reply))
        rc = sp_error_set(err, SP_EUPSTREAM, "Claude did not return a JSON array");
    size_t n = 0, cap = json_array_size(reply);
    const char **titles = calloc(cap ? cap : 1, sizeof *titles);
    const char **descs = calloc(cap ? cap : 1, sizeof *descs);
    size_t *from = calloc(cap ? cap : 1, sizeof *from), *to = calloc(cap ? cap : 1, sizeof *to);
    if (rc == SP_OK && (!titles || !descs || !from || !to || !kept))
        rc = agent_oom(err);
    size_t i;
    json_t *it;
    json_array_foreach(reply, i, it)
    {
        if (rc != SP_OK)
            break;
        json_t *t = graph_trimmed(json_string_value(json_object_get(it, "title")));
        json_t *d = graph_trimmed(json_string_value(json_object_get(it, "desc")));
        if (json_string_length(t) > 0) {
            json_array_append(kept, t);
            json_array_append(kept, d);
            titles[n] = json_string_value(t);
            descs[n] = json_string_value(d);
            n++;
        }
        json_decref(t);
        json_decref(d);
    }
    if (rc == SP_OK && n == 0)
        rc = sp_error_set(err, SP_EUPSTREAM, "Claude returned no valid concepts");
    for (size_t k = 0; k + 1 < n; k++) {
        from[k] = k;
        to[k] = k + 1;
    }
    char meta[48];
    snprintf(meta, sizeof meta, "{\"count\":%zu}", n);
    if (rc == SP_OK) {
        struct store_legacy_batch batch = {
            .user_id = user_id,
            .parent_id = node_id,
            .type = "concept",
            .reply_key = "concepts",
            .n = n,
            .titles = titles,
            .descs = descs,
            .n_edges = n ? n - 1 : 0,
            .edge_from = from,
            .edge_to = to,
            .model = llm_model(llm, false),
            .response_meta = meta,
        };
        rc = save_batch(db, cancel, "Generate educational path", node, &batch, status, body, err);
    }
    free(titles);
    free(descs);
    free(from);
    free(to);
    json_decref(node);
    json_decref(reply);
    json_decref(docs);
    json_decref(kept);
    buf_release(&b);
    buf_release(&docs_text);
    buf_release(&prompt);
    return rc;
}

static int diagnostic_context(struct db *db, const char *user_id, const char *node_id,
                              json_t *given, json_t **summary, struct sp_error *err)
{
    *summary = NULL;
    if (json_is_object(given)) {
        *summary = json_incref(given);
        return SP_OK;
    }
    struct buf b = BUF_INIT(0);
    json_t *data = NULL;
    int rc =
        agent_read_json(store_graph_diagnostic_data(db, user_id, node_id, &b, err), &b, &data, err);
    buf_release(&b);
    if (rc == SP_OK && json_is_object(data) && graph_legacy_diagnostic_summary(data, summary))
        rc = agent_oom(err);
    json_decref(data);
    return rc;
}

int agent_legacy_subconcepts(const struct llm_client *llm, struct db *db, const char *user_id,
                             const char *node_id, json_t *diagnostic, const atomic_bool *cancel,
                             int *status, struct buf *body, struct sp_error *err)
{
    json_t *node = NULL, *reply = NULL, *items = NULL, *summary = NULL;
    struct buf pretty = BUF_INIT(0), prompt = BUF_INIT(0);
    int rc = diagnostic_context(db, user_id, node_id, diagnostic, &summary, err);
    if (rc == SP_OK && summary && jsonw_dump(&pretty, summary, 2))
        rc = agent_oom(err);
    const char *extra[] = { "diagnostic", buf_cstr(&pretty) };
    if (rc == SP_OK)
        rc = node_and_prompt(db, node_id, "legacy_subconcepts.md", extra, 1, &node, &prompt, err);
    if (rc == SP_OK)
        rc = model_call(llm, buf_cstr(&prompt), &reply, cancel, err);
    if (rc == SP_OK && graph_legacy_subconcepts(reply, &items, err) != SP_OK)
        rc = err ? (err->code = SP_EUPSTREAM) : SP_EUPSTREAM;
    size_t n = json_array_size(items), n_edges = 0;
    const char **titles = calloc(n ? n : 1, sizeof *titles);
    const char **descs = calloc(n ? n : 1, sizeof *descs);
    size_t max_edges = n * n + 1;
    size_t *from = calloc(max_edges, sizeof *from), *to = calloc(max_edges, sizeof *to);
    if (rc == SP_OK && (!titles || !descs || !from || !to))
        rc = agent_oom(err);
    for (size_t i = 0; rc == SP_OK && i < n; i++) {
        json_t *it = json_array_get(items, i);
        titles[i] = json_string_value(json_object_get(it, "title"));
        descs[i] = json_string_value(json_object_get(it, "desc"));
    }
    for (size_t i = 0; rc == SP_OK && i < n; i++) { /* dep -> subconcept */
        size_t j;
        json_t *d;
        json_array_foreach(json_object_get(json_array_get(items, i), "depends_on"), j, d)
        {
            for (size_t k = 0; k < n; k++)
                if (strcmp(titles[k], json_string_value(d)) == 0) {
                    from[n_edges] = k;
                    to[n_edges++] = i;
                    break;
                }
        }
    }
    json_t *aid = json_object_get(summary, "assessmentId");
    json_t *meta =
        json_pack("{s:I,s:b,s:O}", "count", (json_int_t)n, "usedDiagnostic", summary != NULL,
                  "diagnosticAssessmentId", json_is_string(aid) ? aid : json_null());
    struct buf meta_text = BUF_INIT(0);
    if (rc == SP_OK && (!meta || jsonw_dump(&meta_text, meta, 0)))
        rc = agent_oom(err);
    if (rc == SP_OK) {
        struct store_legacy_batch batch = {
            .user_id = user_id,
            .parent_id = node_id,
            .type = "subconcept",
            .reply_key = "subconcepts",
            .n = n,
            .titles = titles,
            .descs = descs,
            .n_edges = n_edges,
            .edge_from = from,
            .edge_to = to,
            .model = llm_model(llm, false),
            .response_meta = buf_cstr(&meta_text),
            .mark_progress = true,
        };
        rc = save_batch(db, cancel, "Generate subconcepts", node, &batch, status, body, err);
    }
    free(titles);
    free(descs);
    free(from);
    free(to);
    json_decref(meta);
    json_decref(node);
    json_decref(reply);
    json_decref(items);
    json_decref(summary);
    buf_release(&meta_text);
    buf_release(&pretty);
    buf_release(&prompt);
    return rc;
}
