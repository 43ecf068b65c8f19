/* agents/diagnostic.c: the learner's diagnostic of a concept (spec/agents.md §7.3.1, §8.6):
 * found in the database, or generated with one single-shot model call (prompt
 * prompts/diagnostic.md) and written with its questions in ONE transaction afterwards, so a
 * failed call leaves nothing behind and two concurrent requests keep one diagnostic (bug B6:
 * the original inserted the assessment first and reused it empty forever after a failure).
 * The model's questions are cleaned before they are stored: a question needs a prompt; "mcq"
 * needs at least two string options (else it is stored as open_ended); difficulty is an
 * integer clamped to 1..5 (default 3). A reply without a usable question is an error.
 * Thread model: the calling thread and its connection.
 */
#include "agents/concept.h"

#include <stdlib.h>
#include <string.h>

#include "agents/graph_text.h"
#include "agents/learning.h"
#include "storage/store_assessments.h"
#include "storage/store_learning.h"
#include "util/jsonw.h"

#define DIAG_MAX_TOKENS 4096
#define DIAG_MAX_QUESTIONS 20

void agent_diagnostic_clear(struct diagnostic_bundle *b)
{
    if (!b)
        return;
    json_decref(b->assessment);
    json_decref(b->questions);
    json_decref(b->answers);
    *b = (struct diagnostic_bundle){ 0 };
}

/* Fill b from the assessment row text (questions and this user's answers read now). */
static int load_rest(struct db *db, const char *user_id, const char *assessment_text,
                     struct diagnostic_bundle *b, struct sp_error *err)
{
    b->assessment = learning_loads(assessment_text);
    const char *aid = learning_str(b->assessment, "id");
    if (!aid)
        return sp_error_set(err, SP_EDB, "reading the diagnostic: bad row");
    struct buf qs = BUF_INIT(0), as = BUF_INIT(0);
    int rc = store_questions_list(db, aid, &qs, err);
    if (rc == SP_OK)
        rc = store_answers_list(db, aid, user_id, &as, err);
    if (rc == SP_OK) {
        b->questions = learning_loads(buf_cstr(&qs));
        b->answers = learning_loads(buf_cstr(&as));
        if (!b->questions || !b->answers)
            rc = sp_error_set(err, SP_ENOMEM, "reading the diagnostic");
    }
    buf_release(&qs);
    buf_release(&as);
    if (rc != SP_OK)
        agent_diagnostic_clear(b);
    return rc;
}

int agent_diagnostic_load(struct db *db, const char *user_id, const char *concept_id,
                          struct diagnostic_bundle *out, struct sp_error *err)
{
    *out = (struct diagnostic_bundle){ 0 };
    struct buf a = BUF_INIT(0);
    int rc = store_learning_diagnostic(db, user_id, concept_id, &a, err);
    if (rc == SP_OK)
        rc = load_rest(db, user_id, buf_cstr(&a), out, err);
    buf_release(&a);
    return rc;
}

json_t *agent_diagnostic_counts(const struct diagnostic_bundle *b)
{
    json_t *o = json_object();
    if (o && learning_diagnostic_counts(o, b->assessment, b->questions, b->answers) != SP_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The model's array -> cleaned questions (strings borrowed from items / owned by opts). */
static size_t clean_questions(const json_t *items, struct learning_question *q, char **opts)
{
    size_t n = 0, i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (n == DIAG_MAX_QUESTIONS)
            break;
        const char *prompt = learning_str(it, "prompt");
        size_t plen;
        if (!prompt || (learning_trim(prompt, &plen), plen == 0))
            continue;
        const char *fmt = learning_str(it, "format");
        json_t *o = json_object_get(it, "options");
        size_t n_str = 0, k;
        json_t *x;
        json_array_foreach(o, k, x) n_str += json_is_string(x) != 0;
        bool mcq = fmt && strcmp(fmt, "mcq") == 0 && n_str >= 2 && n_str == json_array_size(o);
        opts[n] = NULL;
        if (mcq) {
            struct buf b = BUF_INIT(0);
            if (jsonw_dump(&b, o, 0) != SP_OK) {
                buf_release(&b);
                continue;
            }
            opts[n] = buf_detach(&b);
        }
        json_t *d = json_object_get(it, "difficulty");
        json_int_t diff = json_is_number(d) ? (json_int_t)json_number_value(d) : 3;
        q[n] = (struct learning_question){
            .format = mcq ? "mcq" : "open_ended",
            .prompt = prompt,
            .options = opts[n],
            .correct_answer = learning_str(it, "correctAnswer"),
            .difficulty = diff < 1   ? 1
                          : diff > 5 ? 5
                                     : diff,
        };
        n++;
    }
    return n;
}

static int generate(const struct llm_client *llm, const atomic_bool *cancel, const json_t *concept,
                    const char *topic_title, json_t **items, struct llm_usage *usage,
                    struct sp_error *err)
{
    const char *desc = learning_str(concept, "desc");
    const char *vars[] = { "concept_title", learning_str(concept, "title"),
                           "concept_desc",  desc && *desc ? desc : "(no description)",
                           "topic_title",   topic_title ? topic_title : "(none)" };
    struct buf prompt = BUF_INIT(0);
    int rc = agent_prompt_fill(&prompt, "diagnostic.md", vars, AGENT_N_PAIRS(vars), err);
    struct llm_usage u = { 0 };
    if (rc == SP_OK)
        rc = llm_call_json(llm, llm_model(llm, false), DIAG_MAX_TOKENS, buf_cstr(&prompt), items,
                           &u, cancel, err);
    buf_release(&prompt);
    if (usage)
        llm_usage_add(usage, &u);
    if (rc == SP_OK && !json_is_array(*items)) {
        json_decref(*items);
        *items = NULL;
        rc = sp_error_set(err, SP_EUPSTREAM, "The model did not return a JSON array of questions");
    }
    return rc;
}

int agent_diagnostic_ensure(const struct llm_client *llm, struct db *db, const atomic_bool *cancel,
                            const char *user_id, const json_t *concept, const char *topic_title,
                            struct diagnostic_bundle *out, struct llm_usage *usage,
                            struct sp_error *err)
{
    const char *cid = learning_str(concept, "id");
    int rc = agent_diagnostic_load(db, user_id, cid, out, err);
    if (rc != SP_ENOTFOUND)
        return rc;
    if (!llm)
        return sp_error_set(err, SP_EUNAVAILABLE, "no model is configured");
    json_t *items = NULL;
    rc = generate(llm, cancel, concept, topic_title, &items, usage, err);
    if (rc != SP_OK)
        return rc;
    if (cancel && atomic_load(cancel)) {
        json_decref(items);
        return sp_error_set(err, SP_EABORT, "cancelled");
    }
    size_t cap =
        json_array_size(items) < DIAG_MAX_QUESTIONS ? json_array_size(items) : DIAG_MAX_QUESTIONS;
    struct learning_question *q = calloc(cap + 1, sizeof *q);
    char **opts = calloc(cap + 1, sizeof *opts);
    size_t n = q && opts ? clean_questions(items, q, opts) : 0;
    if (!q || !opts)
        rc = agent_oom(err);
    else if (n == 0)
        rc = sp_error_set(err, SP_EUPSTREAM, "The model returned no usable diagnostic question");
    struct buf title = BUF_INIT(0), a = BUF_INIT(0);
    bool created = false;
    if (rc == SP_OK && buf_printf(&title, "Diagnostic for %s", learning_str(concept, "title")))
        rc = agent_oom(err);
    if (rc == SP_OK)
        rc = store_learning_diagnostic_create(db, user_id, cid, buf_cstr(&title), q, n, &created,
                                              &a, err);
    if (rc == SP_OK)
        rc = load_rest(db, user_id, buf_cstr(&a), out, err);
    for (size_t i = 0; opts && i < n; i++)
        free(opts[i]);
    free(opts);
    free(q);
    buf_release(&title);
    buf_release(&a);
    json_decref(items);
    return rc;
}
