/* agents/concept.h: the agents of one concept (spec/agents.md §7.2–7.4, §8.3, §8.5–8.7):
 * the learner's diagnostic (agents/diagnostic.c), the concept refinement agent with its
 * grading call (agents/refine.c) and the learning-path review (agents/review.c).
 *
 * Nodes, assessments, questions and answers are passed as the REST routes' JSON rows
 * (jansson values, borrowed). All writes go through storage/store_learning.h, one transaction
 * per tool; events are emitted after the commit.
 * Thread model: each function runs on the calling thread (a runs/ pool thread, or an HTTP
 * worker for agent_diagnostic_load) with that thread's connection.
 */
#ifndef SP_AGENTS_CONCEPT_H
#define SP_AGENTS_CONCEPT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "agents/agent.h"
#include "llm/llm.h"
#include "util/buf.h"
#include "util/err.h"

struct db;

#define AGENT_REFINE_LABEL "concept_refinement"

/* The learner's diagnostic of a concept: {"assessment": row, "questions": [rows],
 * "answers": [the learner's answer rows]}. */
struct diagnostic_bundle {
    json_t *assessment;
    json_t *questions;
    json_t *answers;
};
void agent_diagnostic_clear(struct diagnostic_bundle *b);

/* Load the newest diagnostic of (user, concept) that has questions. SP_ENOTFOUND (err
 * untouched) when there is none. No model call. */
int agent_diagnostic_load(struct db *db, const char *user_id, const char *concept_id,
                          struct diagnostic_bundle *out, struct sp_error *err);

/* ensureDiagnosticBundle (§7.3.1, bug B6 fixed): load it, or generate the questions with one
 * model call and write the assessment and its questions in one transaction (nothing is
 * written when the call fails; when another request wrote a diagnostic meanwhile, that one is
 * used and the generated questions are dropped). concept: the node row. usage may be NULL. */
int agent_diagnostic_ensure(const struct llm_client *llm, struct db *db, const atomic_bool *cancel,
                            const char *user_id, const json_t *concept, const char *topic_title,
                            struct diagnostic_bundle *out, struct llm_usage *usage,
                            struct sp_error *err);

/* The JSON answers of §7.2 / §7.3: the counts {"answeredCount","requiredAnswers",
 * "isComplete"} of the bundle, new object. */
json_t *agent_diagnostic_counts(const struct diagnostic_bundle *b);

/* Whether the refinement should run (bug B5): *reason = NULL to run, else why not
 * ("no_answers": nothing answered; "no_new_answers": no answer since the last refinement). */
int agent_refine_needed(struct db *db, const char *user_id, const json_t *concept,
                        const struct diagnostic_bundle *b, const char **reason,
                        struct sp_error *err);

/* The concept refinement agent (§8.3) on env (label AGENT_REFINE_LABEL): agent_start, the
 * loop's events and the tools' graph events; then its node_generations record. Emits no
 * agent_done / agent_error (the route does). */
int agent_refine_run(struct agent_env *env, const char *user_id, const json_t *concept,
                     const char *topic_title, const struct diagnostic_bundle *b,
                     struct sp_error *err);

/* The learning-path review (§7.4, §8.7, §9.4, §9.5) of node for user: appends the route's
 * JSON reply to out. max_additions is clamped to 0..4. */
int agent_review_run(const struct llm_client *llm, struct db *db, const atomic_bool *cancel,
                     const char *user_id, const json_t *node, const char *overview,
                     int max_additions, struct buf *out, struct llm_usage *usage,
                     struct sp_error *err);

#endif
