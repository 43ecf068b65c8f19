/* agents/learning.h: the deterministic helpers of the concept agents (spec/agents.md §7.3.1,
 * §8.3, §9): latest answers, the diagnostic summary, score rounding and normalisation, the
 * refinement tools' pure computations (validate_graph, future concepts, learner history) and
 * the path review's insertion plans (§9.4, §9.5). No I/O: rows come in as the REST routes'
 * JSON (jansson values), results go out as jansson values or plans for storage.
 * Text is UTF-8: trimming removes the whitespace JavaScript's trim() removes (ASCII and the
 * Unicode space characters); title keys lower-case ASCII letters only.
 * Ownership: functions returning json_t * return a new reference (NULL only when out of
 * memory); arguments are borrowed. A struct learning_plan owns everything in it.
 * Thread model: stateless.
 */
#ifndef SP_AGENTS_LEARNING_H
#define SP_AGENTS_LEARNING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "storage/store_learning.h"
#include "util/buf.h"
#include "util/err.h"

/* JavaScript Math.round(x * 1000) / 1000. */
double learning_round3(double x);
/* §9.1: raw score (number or NULL/null) and isCorrect (-1 null, 0, 1) -> [0, 1] or none
 * (returns false). Scores above 1 are percentages. */
bool learning_normalize(const json_t *raw, int is_correct, double *out);
/* JavaScript trim() of a C string (tutor_trim): *len gets the trimmed length; returns the first
 * kept byte of s. */
const char *learning_trim(const char *s, size_t *len);
/* §9.3 title key: graph_title_key() (agents/graph_text.h) as a new string; NULL when s is NULL
 * (or out of memory). */
char *learning_title_key(const char *s);

/* §7.3.1 step 4: questionId -> latest answer row (answers in insertion order; by createdAt,
 * a tie goes to the later row). */
json_t *learning_latest_answers(const json_t *answers);
/* Questions whose latest answer has a student answer. */
size_t learning_answered_count(const json_t *questions, const json_t *latest);
/* The diagnostic reply of GET …/diagnostic and diagnostic_status's counts (§7.2, §7.3.1):
 * {"answeredCount","requiredAnswers","isComplete"} merged into obj. */
int learning_diagnostic_counts(json_t *obj, const json_t *assessment, const json_t *questions,
                               const json_t *answers);
/* §9.2 diagnostic summary over the questions with their latest answers. */
json_t *learning_diagnostic_summary(const char *assessment_id, const json_t *questions,
                                    const json_t *latest);
/* §8.3: [{questionId, prompt, format, correctAnswer, studentAnswer}] of the answered
 * questions that have a correct answer. */
json_t *learning_gradable(const json_t *questions, const json_t *latest);

/* §8.3 validate_graph over the concept's subconcept rows and the edge rows leaving them. */
json_t *learning_validate_graph(const json_t *subconcepts, const json_t *edges);
/* §8.3 get_future_concepts: {"futureConcepts":[titles]} by breadth-first search from
 * concept_id along edges among the sibling concept rows. */
json_t *learning_future_concepts(const char *concept_id, const json_t *siblings,
                                 const json_t *edges);
/* §8.3 check_student_history from store_learning_history()'s rows. */
json_t *learning_history_summary(const json_t *history);

/* The path review's insertion (§9.4 concept level, §9.5 subconcept level). */
struct learning_plan {
    struct learning_node *nodes; /* to insert, ids set; strings owned by the plan */
    size_t n_nodes;
    struct learning_edges ops; /* in order: deletions (remove) and creations */
    json_t *created_edges;     /* [{"source": title, "target": title}] */
    json_t *titles;            /* inserted titles */
};
void learning_plan_free(struct learning_plan *p);
/* current: the reviewed node's row; siblings: rows of the same parent and type (with
 * current); edges: edge rows among them; additions: the decision's array; user_id: the new
 * nodes' owner. An empty plan when nothing is to be inserted. */
int learning_plan_concepts(struct learning_plan *p, const json_t *current, const json_t *siblings,
                           const json_t *edges, const json_t *additions, const char *user_id,
                           struct sp_error *err);
int learning_plan_subconcepts(struct learning_plan *p, const json_t *current,
                              const json_t *siblings, const json_t *edges, const json_t *additions,
                              const char *user_id, struct sp_error *err);

/* Parse JSON text (any value); NULL when malformed. New reference. */
json_t *learning_loads(const char *text);

/* Small jansson helpers: the string member key of obj, or NULL. */
const char *learning_str(const json_t *obj, const char *key);
/* A level for a prompt or tool result: *list gets [{title, desc}] of nodes, *pairs the
 * [{source, target}] titles of the edges whose ends are both among nodes (new references). */
void learning_level_json(const json_t *nodes, const json_t *edges, json_t **list, json_t **pairs);

#endif
