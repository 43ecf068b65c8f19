/* agents/legacy.h: the two legacy generators (spec/agents.md §7.6, §8.8), single-shot model
 * calls behind POST /api/nodes/:id/generate-concepts and /generate-subconcepts (JSON routes,
 * unused by the current client).
 *
 * Decisions (bug B11 fixed, see docs/AGENTS.md): the concept generator gets the topic's
 * uploaded documents; the model logged in node_generations is the one actually called; both
 * branches of both routes return the same edge shape, a superset of the original's two:
 * {"id","sourceNodeId","targetNodeId","createdAt","source": title,"target": title}.
 * A reply that cannot be used (not a JSON array, no valid item) is SP_EUPSTREAM (the model's
 * fault, 502), never a half-written change: every generator writes its nodes, edges,
 * generation row (and progress) in one transaction.
 * Thread model: the calling thread with its own connection (a runs/ pool thread).
 */
#ifndef SP_AGENTS_LEGACY_H
#define SP_AGENTS_LEGACY_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "llm/llm.h"
#include "util/buf.h"
#include "util/err.h"

struct db;

#define AGENT_LEGACY_MAX_TOKENS 2048

/* The answer without a model when there is one: the node's concept children exist →
 * *answered = true, *status 200 and body {"generated":false,"concepts":[rows],"edges":[…]}. */
int agent_legacy_concepts_existing(struct db *db, const char *node_id, bool *answered, int *status,
                                   struct buf *body, struct sp_error *err);
/* Generate: *status 201 and body {"generated":true,"concepts":[rows],"edges":[…]}. */
int agent_legacy_concepts(const struct llm_client *llm, struct db *db, const char *user_id,
                          const char *node_id, const atomic_bool *cancel, int *status,
                          struct buf *body, struct sp_error *err);

/* The user's progress for the node says its subnodes were generated → *answered, 200
 * {"generated":false,"subconcepts":[all children],"edges":[edges whose source is a child]}. */
int agent_legacy_subconcepts_existing(struct db *db, const char *user_id, const char *node_id,
                                      bool *answered, int *status, struct buf *body,
                                      struct sp_error *err);
/* Generate with diagnostic (the body's "diagnostic" or "diagnosticSummary" object, borrowed,
 * or NULL: the newest diagnostic of the database): 201 {"generated":true,"subconcepts":[rows],
 * "edges":[…]}. */
int agent_legacy_subconcepts(const struct llm_client *llm, struct db *db, const char *user_id,
                             const char *node_id, json_t *diagnostic, const atomic_bool *cancel,
                             int *status, struct buf *body, struct sp_error *err);

#endif
