/* agents/agent.h: what every agent shares: its environment, the SSE events it emits, and the
 * hooks that turn the tool loop's callbacks into agent_reasoning / tool_call / tool_result.
 *
 * An agent runs as a job of runs/ (a pool thread) with that thread's own database connection.
 * Events go to env->run (NULL for agents behind a JSON route: nothing is emitted). Every
 * event carries the agent label A of spec/agents.md §5 ("topic",
 * "subconcept_bootstrap:<title>", "concept_refinement", "tutor"); tool_call and tool_result
 * carry "agent" for every agent (the original only for bootstrap, bug B8).
 * Tool writes: each tool's writes are one transaction (store_txn_begin/end); a tool checks
 * env->cancel first and writes nothing once the run is cancelled.
 * Thread model: an agent_env belongs to one thread; several agents of one run (the topic's
 * bootstraps) each have their own env sharing the run, whose run_event() is thread-safe.
 */
#ifndef SP_AGENTS_AGENT_H
#define SP_AGENTS_AGENT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "llm/llm.h"
#include "runs/run.h"
#include "util/buf.h"
#include "util/countof.h"
#include "util/err.h"

struct db;

struct agent_env {
    const struct llm_client *llm; /* never NULL inside an agent */
    const char *db_path;
    struct db *db;             /* this thread's connection */
    struct run *run;           /* event sink; NULL: emit nothing */
    const atomic_bool *cancel; /* run_cancel_flag(run), or NULL */
    const char *agent;         /* the label A */
    struct llm_usage usage;    /* summed over this agent's model calls */
};

/* Set up env for the calling thread: db = db_thread(db_path). */
int agent_env_init(struct agent_env *env, const struct llm_client *llm, const char *db_path,
                   struct run *run, const char *agent, struct sp_error *err);
bool agent_cancelled(const struct agent_env *env);

/* Emit one event; data is a jansson object (borrowed) or a compact JSON text. */
void agent_emit(struct agent_env *env, const char *event, json_t *data);
/* {"agent": A} events: agent_start, agent_done (with "usage": llm_usage_json(env->usage)). */
void agent_emit_start(struct agent_env *env);
void agent_emit_done(struct agent_env *env, json_t *extra /* borrowed keys merged, or NULL */);
/* agent_error {"agent": A, "message": message} */
void agent_emit_error(struct agent_env *env, const char *message);
/* node_created {"node": <row as the API returns it>} from the node's id. */
int agent_emit_node(struct agent_env *env, const char *node_id, struct sp_error *err);
/* node_created from a node row already read (a jansson object). */
int agent_emit_node_row(struct agent_env *env, const json_t *row, struct sp_error *err);
/* edge_created {"edge":{"sourceNodeId","targetNodeId"}} */
void agent_emit_edge(struct agent_env *env, const char *source_id, const char *target_id);
/* edge_created for each edge between parent_id's children of type (store_graph_child_edges):
 * the replay of a graph saved before. */
int agent_emit_child_edges(struct agent_env *env, const char *parent_id, const char *type,
                           struct sp_error *err);

/* The save_concept / save_subconcept tools' input: *title a non-empty string (else SP_EINVAL
 * "<tool> needs a non-empty string title"), *desc a string or NULL for null/absent (else
 * SP_EINVAL "<tool>: desc must be a string"); a cancelled run SP_EABORT. Borrowed from input. */
int agent_tool_node_input(const struct agent_env *env, json_t *input, const char *tool,
                          const char **title, const char **desc, struct sp_error *err);
/* After such a tool saved node id: node_created emitted, and result gets the opening of its
 * answer, {"saved":true,"nodeId":"<id>","title":<title> (the caller adds any other keys and
 * the closing brace). */
int agent_tool_node_saved(struct agent_env *env, const char *id, const char *title,
                          struct buf *result, struct sp_error *err);
/* The save_concept_edge / save_subconcept_edge tools: input's source_title and target_title
 * (strings, else SP_EINVAL "<tool> needs string source_title and target_title"), resolved to
 * node ids by find(find_arg, title) (a miss: SP_ENOTFOUND "Could not find saved <what>:
 * source="<s>" target="<t>""); with distinct, one node for both is SP_EINVAL; a cancelled run
 * SP_EABORT. Then the edge is saved (store_graph_edge_ensure; *inserted, when not NULL, says
 * whether it is new), edge_created emitted and result gets {"saved":true}. */
int agent_tool_save_edge(struct agent_env *env, json_t *input, const char *tool, const char *what,
                         bool distinct,
                         const char *(*find)(const void *find_arg, const char *title),
                         const void *find_arg, bool *inserted, struct buf *result,
                         struct sp_error *err);

/* Loop hooks that emit agent_reasoning, tool_call and tool_result for env (ctx must be the
 * env, or a struct whose first member is the struct agent_env). exec is the agent's own. */
struct llm_loop_hooks agent_loop_hooks(struct agent_env *env, llm_tool_exec_fn exec);

/* Appends the JSON array of the "name" of each of tool_calls (an llm loop's tool_calls). */
int agent_tool_call_names(struct buf *out, const json_t *tool_calls);

/* SP_ENOMEM with "out of memory" in err. */
int agent_oom(struct sp_error *err);
/* After a storage read into b that returned rc: *out gets b's JSON (a new reference; NULL on
 * failure), b is released; rc comes back, or SP_ENOMEM when the JSON cannot be built. */
int agent_read_json(int rc, struct buf *b, json_t **out, struct sp_error *err);

/* The prompt text of prompts/<name> (embedded in the binary at build time), or NULL. */
const char *agent_prompt(const char *name);
/* n_vars of a vars array of (name, value) pairs: AGENT_N_PAIRS(vars). */
#define AGENT_N_PAIRS(v) (SP_COUNT(v) / 2)
/* prompts/<name> filled with vars (n_vars pairs, agents/graph_text.h graph_fill) into out, or
 * split into system and user (graph_fill_split). SP_EIO "prompt <name> is missing from the
 * binary"; SP_ENOMEM. */
int agent_prompt_fill(struct buf *out, const char *name, const char *const *vars, size_t n_vars,
                      struct sp_error *err);
int agent_prompt_fill_split(const char *name, const char *const *vars, size_t n_vars,
                            struct buf *system, struct buf *user, struct sp_error *err);

#endif
