/* agents/bootstrap.h: the subconcept bootstrap agent (spec/agents.md §8.2): for one concept,
 * diagnostic questions (optional) and a DAG of subconcepts, written as the model calls its tools
 * save_diagnostic_question / save_subconcept / save_subconcept_edge.
 *
 * Used by the topic run (agents_topic.c, up to 3 at once, generate_questions = true) and by the
 * concept run (generate_questions = false, small = false).
 * What it emits on env->run, all labelled env->agent:
 *   - the concept already has subconcepts: node_created for each, then edge_created for each
 *     edge among them (the original replayed nodes only); no model call, no agent_start;
 *   - else agent_start, the loop's agent_reasoning / tool_call / tool_result, and node_created /
 *     edge_created between a tool's tool_call and tool_result.
 * It never emits agent_done or agent_error: the caller does (agent_emit_done with
 * env->usage, or agent_emit_error with err's message), so that routes decide.
 * Questions (bug B7 fixed): save_diagnostic_question is offered only when generate_questions is
 * set AND the learner has no diagnostic question for the concept yet, so a re-bootstrap never
 * appends a second batch.
 * After the loop (one transaction): a node_generations row (model = the model actually used,
 * bug B11) and the learner's user_node_progress upsert (hasGeneratedSubnodes = count > 0).
 * Cancellation: returns SP_EABORT as soon as env->cancel is set; nothing is written after it.
 * Errors: SP_ENOTFOUND (concept), SP_EUPSTREAM (model; err->msg "<status> <body>"), SP_EABORT,
 * SP_EDB. Tool failures are fed back to the model and never end the run.
 * Thread model: runs on the calling thread with env's connection; any number of bootstraps may
 * run at once on different threads, each with its own env.
 */
#ifndef SP_AGENTS_BOOTSTRAP_H
#define SP_AGENTS_BOOTSTRAP_H

#include <stdbool.h>

#include "agents/agent.h"
#include "util/buf.h"
#include "util/err.h"

#define AGENT_BOOTSTRAP_PREFIX "subconcept_bootstrap:"

struct bootstrap_result {
    bool ran;        /* the model was called (agent_start was emitted) */
    int subconcepts; /* saved by this run (or found, when it did not run) */
    int edges;       /* saved by this run */
    int questions;   /* saved by this run */
};

/* The agent label "subconcept_bootstrap:<concept title>" into out (replaces its content). */
int agent_bootstrap_label(struct buf *out, const char *concept_title);

/* Run the agent for concept_id on behalf of user_id. env is initialised by the caller with
 * env->agent = agent_bootstrap_label(concept title). topic_title: the parent topic's title
 * ("Topic" when unknown); document_context: excerpt from the topic's documents or NULL.
 * small: CLAUDE_MODEL_SMALL and 10 iterations (else CLAUDE_MODEL, 15). out may be NULL. */
int agent_bootstrap_run(struct agent_env *env, const char *user_id, const char *concept_id,
                        const char *topic_title, const char *document_context, bool small,
                        bool generate_questions, struct bootstrap_result *out,
                        struct sp_error *err);

#endif
