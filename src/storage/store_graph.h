/* storage/store_graph.h: the SQL of the topic agent, the subconcept bootstrap agent and the two
 * legacy generators (spec/agents.md §7.1, §7.6, §8.1, §8.2, §8.8): node and edge inserts,
 * concept/subconcept children, the documents' extracted text, node_generations rows, the
 * bootstrap's diagnostic questions and the learner's progress flag.
 *
 * Every function that writes more than one row does it in ONE transaction (store_txn_begin/end)
 * so that a tool's writes are all or nothing. JSON replies are the row JSON of the REST routes
 * (storage/rowjson.c), appended to out (see storage/store.h for values, errors, ownership).
 * Thread model: the caller's connection; reads take no transaction.
 */
#ifndef SP_STORAGE_STORE_GRAPH_H
#define SP_STORAGE_STORE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct db;

/* Whether the user exists. */
int store_graph_user_exists(struct db *db, const char *user_id, bool *exists, struct sp_error *err);

/* Insert one node {userId, type, branchId, parentId, title, desc}; its id into id (37 bytes);
 * its row JSON appended to row when row is not NULL. */
int store_graph_node_insert(struct db *db, const char *user_id, const char *type,
                            const char *branch_id, const char *parent_id, const char *title,
                            const char *desc, char id[37], struct buf *row, struct sp_error *err);

/* Insert the edge source -> target unless it exists; *inserted (may be NULL) says which.
 * edge_id (37 bytes, may be NULL) gets the id of the (new or existing) edge. */
int store_graph_edge_ensure(struct db *db, const char *source_id, const char *target_id,
                            bool *inserted, char edge_id[37], struct sp_error *err);

/* JSON array of the children of parent_id of type (NULL: every type), in insertion order. */
int store_graph_children(struct db *db, const char *parent_id, const char *type, struct buf *out,
                         struct sp_error *err);

/* JSON array of the edge rows whose source AND target are children of parent_id of type, in
 * insertion order (the topic replay and the bootstrap replay). */
int store_graph_child_edges(struct db *db, const char *parent_id, const char *type, struct buf *out,
                            struct sp_error *err);

/* The legacy routes' edges: JSON array of {"id","sourceNodeId","targetNodeId","createdAt",
 * "source": source title, "target": target title} for every edge whose source is a child of
 * parent_id (of type, NULL: any), in insertion order. */
int store_graph_legacy_edges(struct db *db, const char *parent_id, const char *type,
                             struct buf *out, struct sp_error *err);

/* JSON array [{"originalFilename","extractedText"}] of the node's documents whose extraction
 * completed with text, in upload order. */
int store_graph_documents(struct db *db, const char *node_id, struct buf *out,
                          struct sp_error *err);

/* Whether node_id has a node_generations row with this trigger (the topic run's "finished"
 * record, see agents/topic.h). */
int store_graph_has_generation(struct db *db, const char *node_id, const char *trigger, bool *found,
                               struct sp_error *err);

/* Number of questions in the user's diagnostic assessments of node_id. */
int store_graph_diagnostic_question_count(struct db *db, const char *user_id, const char *node_id,
                                          int64_t *count, struct sp_error *err);

/* A question of the bootstrap's save_diagnostic_question, in one transaction: when
 * assessment_id is "" the user's newest diagnostic assessment of node_id is reused, or one is
 * created {type "diagnostic", title "Diagnostic for <node_title>"}, and its id is written to
 * assessment_id; then the question {assessmentId, nodeId, format, prompt, options (JSON text or
 * NULL), correctAnswer, difficulty} is inserted. */
struct store_question {
    const char *format;
    const char *prompt;
    const char *options_json;
    const char *correct_answer;
    int64_t difficulty;
};
int store_graph_add_diagnostic_question(struct db *db, const char *user_id, const char *node_id,
                                        const char *node_title, char assessment_id[37],
                                        const struct store_question *q, struct sp_error *err);

/* The end of a bootstrap, in one transaction: the node_generations row, then the user's
 * progress for node_id: an existing row gets has_generated_subnodes = generated and updated_at
 * = now; a new one first/last_entered_at = now, attempts_count 0. */
int store_graph_bootstrap_done(struct db *db, const char *user_id, const char *node_id,
                               const char *model, const char *prompt, const char *response_meta,
                               bool generated, struct sp_error *err);

/* Whether the user's progress row for node_id says its subnodes were generated. */
int store_graph_has_generated_subnodes(struct db *db, const char *user_id, const char *node_id,
                                       bool *generated, struct sp_error *err);

/* The legacy generators' writes, in one transaction. Nodes n[i] = {title[i], desc[i]} of type
 * under parent (userId user_id, branch of the parent); edges (edge_from[k] -> edge_to[k], indices
 * into the new nodes); a node_generations row for parent (trigger "on_first_enter"); when
 * mark_progress, the user's progress for parent gets has_generated_subnodes = true (new rows:
 * first/last_entered_at = now, attempts_count 1). Appends the reply
 * {"generated":true,"<reply_key>":[node rows],"edges":[legacy edge objects]} to out. */
struct store_legacy_batch {
    const char *user_id;
    const char *parent_id;
    const char *branch_id;
    const char *type;
    const char *reply_key; /* "concepts" or "subconcepts" */
    size_t n;
    const char *const *titles;
    const char *const *descs;
    size_t n_edges;
    const size_t *edge_from;
    const size_t *edge_to;
    const char *model;
    const char *prompt;
    const char *response_meta;
    bool mark_progress;
};
int store_graph_legacy_save(struct db *db, const struct store_legacy_batch *b, struct buf *out,
                            struct sp_error *err);

/* For the legacy subconcept generator: the user's newest diagnostic assessment of node_id as
 * {"assessmentId", "questions":[question rows], "answers":[the user's answer rows, oldest
 * first]}, or "null" when there is none. */
int store_graph_diagnostic_data(struct db *db, const char *user_id, const char *node_id,
                                struct buf *out, struct sp_error *err);

#endif
