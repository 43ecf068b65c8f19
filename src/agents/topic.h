/* agents/topic.h: the topic agent (spec/agents.md §8.1) and the whole topic run of §7.1.
 *
 * The topic agent designs a topic's ordered concept path with three tools
 * (extract_all_concept_contexts, save_concept, save_concept_edge), saving each concept as a
 * node and emitting node_created / edge_created as it goes, then writes a node_generations row.
 * Document excerpts (bug B13 fixed): the extraction call's map title -> excerpt is matched to
 * the saved concepts AFTER the loop by title key (trim, lower case, white space collapsed), so
 * the excerpts reach the bootstrap agents whether the model extracted before or after saving
 * and whatever the case or spacing of the titles.
 *
 * agent_topic_stream() is the job of POST /api/agents/topics/:id/run: Case A (the topic already
 * has concepts: replay nodes and edges, no model call for the topic) or Case B (the topic
 * agent). A topic with concepts but no "on_first_enter" node_generations row (the topic
 * agent's completion record, also written by the original backend and the legacy generator)
 * is unfinished (cancelled or failed): it is replayed as Case A and then the topic agent runs
 * again, told what is saved, to save only what is missing. Then the bootstrap phase: one subconcept bootstrap agent per concept, at most
 * AGENT_TOPIC_PARALLEL at once on threads this job starts and joins, each with its own
 * agent_env (and so its own database connection); each bootstrap that ran ends with its own
 * agent_done or agent_error (bug B8 fixed); finally agent_done {"agent":"topic",
 * "conceptCount","rationale","usage"}.
 * Cancellation (the last reader left): no further model request, bootstraps not yet started are
 * skipped, nothing is written after it.
 * Thread model: agent_topic_stream runs on a runs/ pool thread and starts its own bootstrap
 * threads.
 */
#ifndef SP_AGENTS_TOPIC_H
#define SP_AGENTS_TOPIC_H

#include <stdbool.h>

#include "agents/agent.h"
#include "llm/llm.h"
#include "runs/run.h"
#include "util/err.h"

#define AGENT_TOPIC_PARALLEL 3 /* bootstraps at once per topic run (p-limit 3) */
#define AGENT_TOPIC_FALLBACK_RATIONALE "Learning path generated via agentic topic agent."
#define AGENT_TOPIC_REPLAY_RATIONALE "Existing concepts loaded."

struct topic_run_args {
    const struct llm_client *llm;
    const char *db_path;
    const char *user_id;
    const char *topic_id;
    bool small;
};
/* The whole SSE run of §7.1 on run (see above). */
void agent_topic_stream(struct run *run, const struct topic_run_args *args);

#endif
