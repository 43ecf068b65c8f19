/* agents/tutor.c: the tutor agent and its six tools (see tutor.h; spec/agents.md §8.4).
 *
 * Differences from the original, each documented in docs/AGENTS.md:
 *  - the drawing reaches the model as an image block (B2);
 *  - the conversation always opens with a user message, and a turn without learner text on a
 *    conversation that ends with the tutor gets a short "continue" message (B9);
 *  - earlier turns' tool calls and results are kept (chat_messages rows of role "tool") and
 *    put back into the conversation (B9);
 *  - the reply is every text block of the final model reply; when the 5 iterations are used
 *    up, one more call without running tools asks for the reply (B9);
 *  - "reasoning" holds the texts that came with tool calls, not the final reply again (B9);
 *  - check_student_progress takes each question's latest answer and normalised scores (B10);
 *    record_exercise_result normalises the score it stores (0-100 -> 0-1).
 * Thread model: one turn on the calling (pool) thread; nothing shared.
 */
#include "agents/tutor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agents/learning.h"
#include "agents/tutor_text.h"
#include "storage/store_tutor.h"
#include "util/countof.h"
#include "util/ids.h"
#include "util/jsonw.h"

#define TUTOR_MAX_TOKENS 4096

static const char OPENING[] = "I'm ready to start this lesson. Please begin teaching.";
static const char CONTINUE[] = "I'm back and ready to continue the lesson.";
static const char NUDGE[] =
    "(You have used every tool call of this turn. Reply to the student now, without tools.)";

/* ---- tool definitions (names and schemas as spec Appendix A; our own descriptions) ---- */

static const struct llm_tool TOOLS[] = {
    { "generate_example",
      "Get guidance for presenting a concrete, step-by-step worked example of a topic. Use it "
      "for the first chunk or whenever an abstract idea needs a real case.",
      "{\"type\":\"object\",\"properties\":{"
      "\"topic\":{\"type\":\"string\",\"description\":\"What the example should show\"},"
      "\"difficulty\":{\"type\":\"string\",\"enum\":[\"simple\",\"moderate\",\"challenging\"],"
      "\"description\":\"How demanding the example is (default moderate)\"}},"
      "\"required\":[\"topic\"]}" },
    { "create_exercise",
      "Get guidance for setting a practice problem whose solution you keep to yourself to check "
      "the student's answer. Good at transitions between chunks.",
      "{\"type\":\"object\",\"properties\":{"
      "\"topic\":{\"type\":\"string\",\"description\":\"What the exercise practises\"},"
      "\"difficulty\":{\"type\":\"string\",\"enum\":[\"easy\",\"medium\",\"hard\"],"
      "\"description\":\"How hard the exercise is (default medium)\"}},"
      "\"required\":[\"topic\"]}" },
    { "visualize_concept",
      "Get guidance for drawing a small text (ASCII) visual: a diagram, table, flowchart or "
      "comparison, for processes, structures and relationships.",
      "{\"type\":\"object\",\"properties\":{"
      "\"what\":{\"type\":\"string\",\"description\":\"What the visual should show\"},"
      "\"style\":{\"type\":\"string\",\"enum\":[\"diagram\",\"table\",\"flowchart\","
      "\"comparison\"],\"description\":\"The kind of visual (default diagram)\"}},"
      "\"required\":[\"what\"]}" },
    { "check_student_progress",
      "See the student's diagnostic results for the parent concept: overall score, the "
      "questions they missed and their weak areas. Use it at the start of a session.",
      "{\"type\":\"object\",\"properties\":{},\"required\":[]}" },
    { "check_prerequisite_mastery",
      "See whether the student has mastered the units this one builds on, with their mastery "
      "scores. Use it before teaching.",
      "{\"type\":\"object\",\"properties\":{},\"required\":[]}" },
    { "record_exercise_result",
      "Save the outcome of an exercise or check question the student answered; this updates "
      "their mastery of the unit.",
      "{\"type\":\"object\",\"properties\":{"
      "\"exercise_prompt\":{\"type\":\"string\",\"description\":\"The question that was asked\"},"
      "\"student_answer\":{\"type\":\"string\",\"description\":\"What the student answered\"},"
      "\"is_correct\":{\"type\":\"boolean\",\"description\":\"Whether the answer is correct\"},"
      "\"score\":{\"type\":\"number\",\"description\":\"Score from 0 (wrong) to 1 (right)\"},"
      "\"feedback\":{\"type\":\"string\",\"description\":\"One sentence of feedback\"}},"
      "\"required\":[\"exercise_prompt\",\"student_answer\",\"is_correct\",\"score\"]}" },
};
#define N_TOOLS SP_COUNT(TOOLS)

/* ---- the turn's state, shared with the loop hooks ---- */

struct turn {
    struct agent_env *env;
    const struct tutor_request *req;
    struct store_tutor_node node;
    const char *concept_id; /* parent, or the node itself */
    json_t *texts;          /* every non-blank text block, in order */
    size_t n_before_tools;  /* texts[0..n) came with tool calls */
    json_t *tools_used;     /* tool names in call order */
};

static int dump(struct buf *out, json_t *v, struct sp_error *err)
{
    if (!v)
        return agent_oom(err);
    int rc = jsonw_dump(out, v, 0);
    json_decref(v);
    return rc == SP_OK ? SP_OK : agent_oom(err);
}

/* §9.1 (learning_normalize) as JSON: a number, or null. */
static json_t *normalize_score(json_t *raw, json_t *is_correct)
{
    double x;
    int correct = json_is_boolean(is_correct) ? json_is_true(is_correct) : -1;
    return learning_normalize(raw, correct, &x) ? json_real(x) : json_null();
}

/* ---- the tools ---- */

static int tool_echo(json_t *input, const char *key, const char *type, const char *dkey,
                     const char *ddefault, const char *instruction, struct buf *result,
                     struct sp_error *err)
{
    const char *v = learning_str(input, key);
    if (!v)
        return sp_error_set(err, SP_EINVAL, "%s is required (a string)", key);
    const char *d = learning_str(input, dkey);
    return dump(result,
                json_pack("{s:s, s:s, s:s, s:s}", "type", type, key, v, dkey, d ? d : ddefault,
                          "instruction", instruction),
                err);
}

static int tool_progress(struct turn *t, struct buf *result, struct sp_error *err)
{
    json_t *diag = NULL;
    int rc = store_tutor_diagnostic(t->env->db, t->req->user_id, t->concept_id, &diag, err);
    if (rc != SP_OK)
        return rc;
    if (!diag)
        return dump(result,
                    json_pack("{s:n, s:s}", "diagnosticScore", "message",
                              "No diagnostic found for this concept."),
                    err);
    json_t *items = json_object_get(diag, "items");
    json_t *incorrect = json_array(), *weak = json_array();
    double sum = 0;
    size_t n_scores = 0, i;
    json_t *it;
    rc = incorrect && weak ? SP_OK : agent_oom(err);
    json_array_foreach(items, i, it)
    {
        if (rc != SP_OK)
            break;
        /* isCorrect: stored, else an MCQ's selected option against its correct answer */
        json_t *ic = json_object_get(it, "isCorrect");
        json_t *is_correct =
            json_is_integer(ic) ? json_boolean(json_integer_value(ic) == 1) : json_null();
        const char *sel = learning_str(it, "selectedOption");
        const char *ca = learning_str(it, "correctAnswer");
        const char *fmt = learning_str(it, "format");
        if (json_is_null(is_correct) && fmt && strcmp(fmt, "mcq") == 0 && sel && ca)
            is_correct = json_boolean(strcmp(sel, ca) == 0);
        json_t *score = normalize_score(json_object_get(it, "score"), is_correct);
        if (!score) {
            rc = agent_oom(err);
            break;
        }
        if (json_is_number(score)) {
            sum += json_number_value(score);
            n_scores++;
        }
        if (json_is_false(is_correct) ||
            (json_is_number(score) && json_number_value(score) < 0.7)) {
            json_t *fb = json_object_get(it, "feedback");
            json_t *prompt = json_object_get(it, "prompt");
            if (json_array_append_new(incorrect, json_pack("{s:O, s:O}", "prompt",
                                                           prompt ? prompt : json_null(),
                                                           "feedback", fb ? fb : json_null())) ||
                (json_array_size(weak) < 5 &&
                 json_array_append(weak, prompt ? prompt : json_null())))
                rc = agent_oom(err);
        }
        json_decref(score);
    }
    if (rc == SP_OK) {
        json_t *ds = n_scores ? json_real(learning_round3(sum / (double)n_scores)) : json_null();
        rc = dump(result,
                  json_pack("{s:o, s:I, s:O, s:O}", "diagnosticScore", ds, "totalQuestions",
                            (json_int_t)json_array_size(items), "incorrectQuestions", incorrect,
                            "weakAreas", weak),
                  err);
    }
    json_decref(incorrect);
    json_decref(weak);
    json_decref(diag);
    return rc;
}

static int tool_prerequisites(struct turn *t, struct buf *result, struct sp_error *err)
{
    json_t *rows = NULL;
    long n_edges = 0;
    int rc =
        store_tutor_prerequisites(t->env->db, t->req->user_id, t->node.id, &rows, &n_edges, err);
    if (rc != SP_OK)
        return rc;
    if (n_edges == 0) {
        json_decref(rows);
        return dump(result,
                    json_pack("{s:[], s:b, s:s}", "prerequisites", "allMastered", 1, "message",
                              "No prerequisites for this subconcept."),
                    err);
    }
    json_t *list = json_array();
    bool all = true;
    size_t i;
    json_t *r;
    rc = list ? SP_OK : agent_oom(err);
    json_array_foreach(rows, i, r)
    {
        if (rc != SP_OK)
            break;
        json_t *m = json_object_get(r, "masteryScore");
        double score = json_is_number(m) ? json_number_value(m) : 0;
        bool mastered = score >= 0.7;
        all = all && mastered;
        if (json_array_append_new(list,
                                  json_pack("{s:O, s:b, s:O}", "title", json_object_get(r, "title"),
                                            "mastered", mastered, "masteryScore", m)))
            rc = agent_oom(err);
    }
    if (rc == SP_OK)
        rc = dump(result, json_pack("{s:O, s:b}", "prerequisites", list, "allMastered", all), err);
    json_decref(list);
    json_decref(rows);
    return rc;
}

static int tool_record(struct turn *t, json_t *input, struct buf *result, struct sp_error *err)
{
    const char *prompt = learning_str(input, "exercise_prompt");
    const char *answer = learning_str(input, "student_answer");
    json_t *ic = json_object_get(input, "is_correct");
    json_t *score = json_object_get(input, "score");
    json_t *fb = json_object_get(input, "feedback");
    if (!prompt)
        return sp_error_set(err, SP_EINVAL, "exercise_prompt is required (a string)");
    if (!answer)
        return sp_error_set(err, SP_EINVAL, "student_answer is required (a string)");
    if (!json_is_boolean(ic))
        return sp_error_set(err, SP_EINVAL, "is_correct is required (a boolean)");
    if (!json_is_number(score) || !isfinite(json_number_value(score)))
        return sp_error_set(err, SP_EINVAL, "score is required (a number from 0 to 1)");
    if (fb && !json_is_null(fb) && !json_is_string(fb))
        return sp_error_set(err, SP_EINVAL, "feedback must be a string");
    if (agent_cancelled(t->env))
        return sp_error_set(err, SP_EABORT, "cancelled");
    json_t *ns = normalize_score(score, ic);
    struct store_tutor_exercise ex = {
        .user_id = t->req->user_id,
        .node_id = t->node.id,
        .node_title = t->node.title,
        .prompt = prompt,
        .answer = answer,
        .is_correct = json_is_true(ic),
        .score = ns ? json_number_value(ns) : 0,
        .feedback = json_string_value(fb),
    };
    json_decref(ns);
    struct store_tutor_exercise_stats st;
    int rc = store_tutor_record_exercise(t->env->db, &ex, &st, err);
    if (rc != SP_OK)
        return rc;
    return dump(result,
                json_pack("{s:b, s:I, s:I, s:f, s:b}", "recorded", 1, "totalAttempts",
                          (json_int_t)st.total_attempts, "correctCount",
                          (json_int_t)st.correct_count, "averageScore", st.average_score,
                          "shouldMoveOn", st.average_score >= 0.7 && st.total_attempts >= 2),
                err);
}

static int exec_tool(void *ctx, const char *name, json_t *input, struct buf *result,
                     struct sp_error *err)
{
    struct turn *t = ctx;
    if (strcmp(name, "generate_example") == 0)
        return tool_echo(input, "topic", "worked_example", "difficulty", "moderate",
                         "Present a concrete worked example of this topic step by step, with "
                         "real numbers or a realistic scenario, showing the reasoning at each "
                         "step.",
                         result, err);
    if (strcmp(name, "create_exercise") == 0)
        return tool_echo(input, "topic", "practice_exercise", "difficulty", "medium",
                         "Show the student only the problem. Keep the solution to yourself to "
                         "check their answer, and ask them to solve it.",
                         result, err);
    if (strcmp(name, "visualize_concept") == 0)
        return tool_echo(input, "what", "visualization", "style", "diagram",
                         "Draw a compact, readable text diagram (boxes, arrows, aligned "
                         "columns) that shows this clearly.",
                         result, err);
    if (strcmp(name, "check_student_progress") == 0)
        return tool_progress(t, result, err);
    if (strcmp(name, "check_prerequisite_mastery") == 0)
        return tool_prerequisites(t, result, err);
    if (strcmp(name, "record_exercise_result") == 0)
        return tool_record(t, input, result, err);
    return sp_error_set(err, SP_EINVAL, "Unknown tool: %s", name);
}

static void on_text(void *ctx, const char *text)
{
    struct turn *t = ctx;
    json_array_append_new(t->texts, json_string(text));
}

static void on_tool_call(void *ctx, const char *name, json_t *input)
{
    (void)input;
    struct turn *t = ctx;
    t->n_before_tools = json_array_size(t->texts);
    json_array_append_new(t->tools_used, json_string(name));
}

/* ---- the conversation ---- */

/* content as an array of blocks (new reference). */
static json_t *as_blocks(json_t *content)
{
    if (json_is_array(content))
        return json_incref(content);
    return json_pack("[{s:s, s:O}]", "type", "text", "text", content);
}

/* Append a message, merging it into the previous one when the role is the same. */
static int push(json_t *msgs, const char *role, json_t *content /* stolen */)
{
    if (!content)
        return SP_ENOMEM;
    size_t n = json_array_size(msgs);
    json_t *last = n ? json_array_get(msgs, n - 1) : NULL;
    const char *lr = last ? json_string_value(json_object_get(last, "role")) : NULL;
    if (lr && strcmp(lr, role) == 0) {
        json_t *a = as_blocks(json_object_get(last, "content")), *b = as_blocks(content);
        json_decref(content);
        int rc = a && b && json_array_extend(a, b) == 0 ? SP_OK : SP_ENOMEM;
        json_decref(b);
        if (rc != SP_OK) {
            json_decref(a);
            return rc;
        }
        return json_object_set_new(last, "content", a) == 0 ? SP_OK : SP_ENOMEM; /* steals a */
    }
    json_t *m = json_pack("{s:s, s:o}", "role", role, "content", content);
    return m && json_array_append_new(msgs, m) == 0 ? SP_OK : SP_ENOMEM;
}

/* Append a stored message. Two tutor messages in a row come from a turn without learner text,
 * which asked the tutor to go on (CONTINUE): that request is put back between them, so the
 * conversation reads as the model saw it. Two learner messages in a row (a failed turn, then a
 * new message) are merged. */
static int push_stored(json_t *msgs, const char *role, json_t *content /* stolen */)
{
    json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
    const char *lr = last ? json_string_value(json_object_get(last, "role")) : NULL;
    if (lr && strcmp(lr, "assistant") == 0 && strcmp(role, "assistant") == 0 &&
        push(msgs, "user", json_string(CONTINUE)) != SP_OK) {
        json_decref(content);
        return SP_ENOMEM;
    }
    return push(msgs, role, content);
}

/* The canonical conversation from the stored messages. */
static int build_conversation(json_t *rows, const struct tutor_request *req, json_t **out)
{
    json_t *msgs = json_array();
    int rc = msgs ? SP_OK : SP_ENOMEM;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        if (rc != SP_OK)
            break;
        const char *role = json_string_value(json_object_get(r, "role"));
        const char *content = json_string_value(json_object_get(r, "content"));
        if (!role || !content)
            continue;
        if (strcmp(role, "user") == 0 || strcmp(role, "assistant") == 0) {
            size_t o, l;
            tutor_trim(content, strlen(content), &o, &l);
            if (l) /* the API refuses empty text blocks */
                rc = push_stored(msgs, role, json_string(content));
        } else if (strcmp(role, "tool") == 0) {
            json_t *x = json_loads(content, 0, NULL);
            json_t *a = json_object_get(x, "assistant"), *res = json_object_get(x, "results");
            if (json_is_array(a) && json_is_array(res) && json_array_size(a) &&
                json_array_size(res)) {
                rc = push_stored(msgs, "assistant", json_incref(a));
                if (rc == SP_OK)
                    rc = push(msgs, "user", json_incref(res));
            }
            json_decref(x);
        }
    }
    /* the conversation opens with the learner, and a turn without learner text on a
     * conversation the tutor spoke last asks it to go on */
    json_t *first = json_array_get(msgs, 0);
    const char *fr = first ? json_string_value(json_object_get(first, "role")) : NULL;
    if (rc == SP_OK && (!fr || strcmp(fr, "user") != 0)) {
        json_t *m = json_pack("{s:s, s:s}", "role", "user", "content", OPENING);
        rc = m && json_array_insert_new(msgs, 0, m) == 0 ? SP_OK : SP_ENOMEM;
    }
    json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
    const char *lr = last ? json_string_value(json_object_get(last, "role")) : NULL;
    if (rc == SP_OK && lr && strcmp(lr, "assistant") == 0)
        rc = push(msgs, "user", json_string(CONTINUE));
    /* the drawing goes with the learner's last message */
    if (rc == SP_OK && req->image_media_type) {
        last = json_array_get(msgs, json_array_size(msgs) - 1);
        json_t *blocks = as_blocks(json_object_get(last, "content"));
        json_t *img =
            json_pack("{s:s, s:{s:s, s:s, s:s}}", "type", "image", "source", "type", "base64",
                      "media_type", req->image_media_type, "data", req->image_data);
        if (!blocks || !img) {
            json_decref(blocks);
            json_decref(img);
            rc = SP_ENOMEM;
        } else if (json_array_append_new(blocks, img)) { /* steals img */
            json_decref(blocks);
            rc = SP_ENOMEM;
        } else if (json_object_set_new(last, "content", blocks)) { /* steals blocks */
            rc = SP_ENOMEM;
        }
    }
    if (rc != SP_OK) {
        json_decref(msgs);
        return rc;
    }
    *out = msgs;
    return SP_OK;
}

static bool has_block(json_t *msg, const char *type)
{
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(msg, "content"), i, b)
    {
        const char *t = json_string_value(json_object_get(b, "type"));
        if (t && strcmp(t, type) == 0)
            return true;
    }
    return false;
}

/* The tool rounds the loop appended after the first `from` messages, as the JSON texts of
 * role "tool" rows: {"assistant": [blocks], "results": [tool_result blocks]}. */
static int tool_rows(json_t *msgs, size_t from, json_t **out)
{
    json_t *rows = json_array();
    if (!rows)
        return SP_ENOMEM;
    for (size_t i = from; i + 1 < json_array_size(msgs); i++) {
        json_t *a = json_array_get(msgs, i), *u = json_array_get(msgs, i + 1);
        if (!has_block(a, "tool_use") || !has_block(u, "tool_result"))
            continue;
        json_t *x = json_pack("{s:O, s:O}", "assistant", json_object_get(a, "content"), "results",
                              json_object_get(u, "content"));
        struct buf b = BUF_INIT(0);
        int rc = x ? jsonw_dump(&b, x, 0) : SP_ENOMEM;
        json_decref(x);
        if (rc == SP_OK)
            rc = json_array_append_new(rows, json_stringn(b.data, b.len)) ? SP_ENOMEM : SP_OK;
        buf_release(&b);
        if (rc != SP_OK) {
            json_decref(rows);
            return rc;
        }
        i++;
    }
    *out = rows;
    return SP_OK;
}

/* The tool budget ran out: one more call, with the tools declared (the conversation holds
 * tool blocks) but none run, asks for the reply. Its non-blank texts become the final ones. */
static int final_reply(struct turn *t, const char *system, json_t *msgs, struct sp_error *err)
{
    json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
    json_t *blocks = json_object_get(last, "content");
    if (!json_is_array(blocks) ||
        json_array_append_new(blocks, json_pack("{s:s, s:s}", "type", "text", "text", NUDGE)))
        return agent_oom(err);
    struct llm_request rq = {
        .model = llm_model(t->env->llm, false),
        .max_tokens = TUTOR_MAX_TOKENS,
        .system = system,
        .tools = TOOLS,
        .n_tools = N_TOOLS,
        .messages = msgs,
    };
    struct llm_reply reply = { 0 };
    int rc = llm_call(t->env->llm, &rq, &reply, t->env->cancel, err);
    if (rc != SP_OK)
        return rc;
    llm_usage_add(&t->env->usage, &reply.usage);
    size_t i;
    json_t *b;
    t->n_before_tools = json_array_size(t->texts);
    json_array_foreach(reply.content, i, b)
    {
        const char *type = json_string_value(json_object_get(b, "type"));
        const char *text = json_string_value(json_object_get(b, "text"));
        size_t o, l;
        if (!type || strcmp(type, "text") != 0 || !text)
            continue;
        tutor_trim(text, strlen(text), &o, &l);
        if (l && json_array_append_new(t->texts, json_string(text))) {
            rc = agent_oom(err);
            break;
        }
    }
    llm_reply_clear(&reply);
    return rc;
}

/* ---- post-processing and persistence ---- */

struct cards_ctx {
    enum tutor_chunk chunk;
    const char *explanation;
    const char *question; /* NULL: none */
    const char *qtype;    /* NULL: none */
};

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* 10.6: update the last card in place on [SAME_CHUNK], else append one. */
static int apply_cards(void *ctx, const char *old, struct buf *out, struct sp_error *err)
{
    const struct cards_ctx *c = ctx;
    json_t *cards = old ? json_loads(old, 0, NULL) : NULL;
    if (!json_is_array(cards)) {
        json_decref(cards);
        cards = json_array();
    }
    if (!cards)
        return agent_oom(err);
    size_t n = json_array_size(cards);
    json_t *last = n ? json_array_get(cards, n - 1) : NULL;
    int rc = SP_OK;
    if (c->chunk == TUTOR_CHUNK_SAME && json_is_object(last)) {
        if (c->explanation[0] &&
            json_object_set_new(last, "explanation", json_string(c->explanation)))
            rc = agent_oom(err);
        if (rc == SP_OK && c->question &&
            json_object_set_new(last, "question", json_string(c->question)))
            rc = agent_oom(err);
        if (rc == SP_OK && c->qtype &&
            json_object_set_new(last, "questionType", json_string(c->qtype)))
            rc = agent_oom(err);
    } else {
        char id[IDS_UUID_SIZE];
        ids_uuid_v4(id);
        json_t *card = json_pack("{s:s, s:I, s:s, s:o, s:o}", "id", id, "index", (json_int_t)n,
                                 "explanation", c->explanation, "question",
                                 str_or_null(c->question), "questionType", str_or_null(c->qtype));
        if (!card || json_array_append_new(cards, card))
            rc = agent_oom(err);
    }
    if (rc == SP_OK && jsonw_dump(out, cards, 0) != SP_OK)
        rc = agent_oom(err);
    json_decref(cards);
    return rc;
}

/* The question and type of the newest earlier tutor message that has one (each on its own). */
static int fallbacks(json_t *rows, char **q, enum tutor_qtype *type)
{
    *q = NULL;
    *type = TUTOR_QTYPE_NONE;
    for (size_t i = json_array_size(rows); i-- > 0;) {
        json_t *r = json_array_get(rows, i);
        const char *role = json_string_value(json_object_get(r, "role"));
        const char *content = json_string_value(json_object_get(r, "content"));
        if (!role || !content || strcmp(role, "assistant") != 0)
            continue;
        if (!*q && tutor_extract_question(content, q) != SP_OK)
            return SP_ENOMEM;
        if (*type == TUTOR_QTYPE_NONE)
            *type = tutor_extract_question_type(content);
        if (*q && *type != TUTOR_QTYPE_NONE)
            break;
    }
    return SP_OK;
}

static char *join_texts(json_t *texts, size_t from)
{
    struct buf b = BUF_INIT(0);
    for (size_t i = from; i < json_array_size(texts); i++) {
        if (b.len && buf_puts(&b, "\n\n") != SP_OK)
            goto fail;
        if (buf_puts(&b, json_string_value(json_array_get(texts, i))) != SP_OK)
            goto fail;
    }
    return buf_detach(&b);
fail:
    buf_release(&b);
    return NULL;
}

static int system_prompt(const struct store_tutor_node *node, struct buf *out)
{
    const char *base = agent_prompt("tutor.md");
    if (!base)
        return SP_ENOTFOUND;
    int rc = buf_printf(out, "%s\n## This lesson\n\nSubconcept: %s\n", base, node->title);
    if (rc == SP_OK && node->parent_title)
        rc = buf_printf(out, "Part of the concept: %s\n", node->parent_title);
    if (rc == SP_OK)
        rc = buf_printf(out, "Description: %s\n",
                        node->desc && node->desc[0] ? node->desc : "(no description given)");
    return rc;
}

int tutor_turn(struct agent_env *env, const struct tutor_request *req, struct buf *reply,
               struct sp_error *err)
{
    struct turn t = { .env = env, .req = req };
    struct buf system = BUF_INIT(0);
    json_t *rows = NULL, *msgs = NULL, *trows = NULL;
    char *fq = NULL, *raw = NULL, *content = NULL, *expl = NULL, *question = NULL;
    struct tutor_markers mk = { 0 };
    struct llm_loop_result lr = { 0 };
    enum tutor_qtype ftype;
    bool clarification = strncmp(req->content, "[CLARIFICATION]", 15) == 0;
    bool answer = strncmp(req->content, "[ANSWER]", 8) == 0;
    int rc = store_tutor_node_get(env->db, req->node_id, &t.node, err);
    if (rc != SP_OK)
        goto done;
    t.concept_id = t.node.parent_id ? t.node.parent_id : t.node.id;
    t.texts = json_array();
    t.tools_used = json_array();
    if (!t.texts || !t.tools_used) {
        rc = agent_oom(err);
        goto done;
    }
    if (system_prompt(&t.node, &system) != SP_OK) {
        rc = sp_error_set(err, SP_ENOTFOUND, "the tutor prompt is missing from this build");
        goto done;
    }
    if (agent_cancelled(env)) {
        rc = sp_error_set(err, SP_EABORT, "cancelled");
        goto done;
    }
    /* 1. the learner's message (not twice when the turn is retried) */
    if (req->content[0]) {
        bool inserted;
        rc = store_tutor_add_user_message(env->db, req->session_id, req->user_id,
                                          clarification ? "hint_request"
                                          : answer      ? "evaluation"
                                                        : "learning",
                                          req->content, &inserted, err);
        if (rc != SP_OK)
            goto done;
    }
    /* 2. the conversation */
    rc = store_tutor_messages(env->db, req->session_id, &rows, err);
    if (rc != SP_OK)
        goto done;
    if (fallbacks(rows, &fq, &ftype) != SP_OK || build_conversation(rows, req, &msgs) != SP_OK) {
        rc = agent_oom(err);
        goto done;
    }
    size_t history = json_array_size(msgs);
    /* 3. the tool loop */
    struct llm_loop loop = {
        .model = llm_model(env->llm, false),
        .max_tokens = TUTOR_MAX_TOKENS,
        .system = system.data,
        .tools = TOOLS,
        .n_tools = N_TOOLS,
        .max_iterations = TUTOR_MAX_ITERATIONS,
        .messages = msgs,
    };
    struct llm_loop_hooks hooks = { .ctx = &t,
                                    .exec = exec_tool,
                                    .on_text = on_text,
                                    .on_tool_call = on_tool_call };
    rc = llm_run_loop(env->llm, &loop, &hooks, &lr, env->cancel, err);
    llm_usage_add(&env->usage, &lr.usage);
    if (rc != SP_OK)
        goto done;
    if (tool_rows(msgs, history, &trows) != SP_OK) {
        rc = agent_oom(err);
        goto done;
    }
    /* every iteration asked for tools (the loop appends no message for a final reply) */
    if (json_array_size(trows) >= TUTOR_MAX_ITERATIONS) {
        rc = final_reply(&t, system.data, msgs, err);
        if (rc != SP_OK)
            goto done;
    }
    /* 4. post-processing (§8.4 result, §10) */
    raw = join_texts(t.texts, t.n_before_tools);
    if (!raw || tutor_parse_markers(raw, &mk) != SP_OK) {
        rc = agent_oom(err);
        goto done;
    }
    bool complete = !clarification && mk.complete;
    rc = clarification ? tutor_strip_question(mk.content, &content)
                       : tutor_ensure_question(mk.content, fq, ftype, complete, &content);
    struct cards_ctx cc = { .chunk = mk.chunk };
    bool cards = false;
    if (rc == SP_OK && !clarification && !complete) {
        rc = tutor_strip_question(content, &expl);
        if (rc == SP_OK)
            rc = tutor_extract_question(content, &question);
        cc.explanation = expl;
        cc.question = question;
        cc.qtype = tutor_qtype_name(tutor_extract_question_type(content));
        cards = rc == SP_OK && (expl[0] || question);
    }
    if (rc != SP_OK) {
        rc = agent_oom(err);
        goto done;
    }
    /* 5. everything the turn writes, at once */
    if (agent_cancelled(env)) {
        rc = sp_error_set(err, SP_EABORT, "cancelled");
        goto done;
    }
    struct store_tutor_turn st = {
        .session_id = req->session_id,
        .user_id = req->user_id,
        .node_id = t.node.id,
        .tool_rows = trows,
        .reply_kind = clarification ? "hint_response" : "learning",
        .reply = content,
        .cards = cards ? apply_cards : NULL,
        .cards_ctx = &cc,
        .new_explanation = expl,
        .end_session = complete,
    };
    rc = store_tutor_finish(env->db, &st, err);
    if (rc != SP_OK)
        goto done;
    /* 6. the answer */
    json_t *reasoning = json_array();
    for (size_t i = 0; reasoning && i < t.n_before_tools; i++)
        json_array_append(reasoning, json_array_get(t.texts, i));
    rc = dump(reply,
              json_pack("{s:s, s:b, s:O, s:o}", "message", content, "isComplete", complete,
                        "toolsUsed", t.tools_used, "reasoning", reasoning),
              err);
done:
    llm_loop_result_clear(&lr);
    tutor_markers_clear(&mk);
    store_tutor_node_clear(&t.node);
    buf_release(&system);
    json_decref(t.texts);
    json_decref(t.tools_used);
    json_decref(rows);
    json_decref(msgs);
    json_decref(trows);
    free(fq);
    free(raw);
    free(content);
    free(expl);
    free(question);
    return rc;
}

bool tutor_parse_drawing(const char *url, const char **media_type, const char **data)
{
    static const char *const types[] = { "image/png", "image/jpeg" };
    if (!url || strncasecmp(url, "data:", 5) != 0)
        return false;
    const char *p = url + 5;
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(types[i]);
        if (strncasecmp(p, types[i], n) != 0 || strncasecmp(p + n, ";base64,", 8) != 0)
            continue;
        const char *d = p + n + 8;
        size_t len = strspn(d, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
        if (len == 0 || d[len] != '\0' || len > TUTOR_MAX_DRAWING_CHARS)
            return false;
        *media_type = types[i];
        *data = d;
        return true;
    }
    return false;
}
