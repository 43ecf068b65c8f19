/* agents/graph_text.h: the pure text helpers of the topic agent, the subconcept bootstrap agent
 * and the legacy generators: prompt templates, title keys, the documents' context string and
 * the legacy generators' reply normalisation. No model, no database: unit-tested on their own
 * (tests/unit/agents/test_graph_text.c).
 * Text is UTF-8; lengths are counted in code points (the original counted UTF-16 units), and a
 * cut never falls inside a UTF-8 sequence.
 * Thread model: stateless.
 */
#ifndef SP_AGENTS_GRAPH_TEXT_H
#define SP_AGENTS_GRAPH_TEXT_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Longest document context given to the topic agent, in characters (spec §8.1). */
#define GRAPH_DOC_CONTEXT_MAX 80000
/* Most subconcepts the legacy generator keeps (spec §8.8). */
#define GRAPH_LEGACY_MAX_SUBCONCEPTS 10

/* Append tmpl with every "{{name}}" replaced by its value: vars = {name0, value0, name1,
 * value1, ...} (n_vars pairs; a NULL value is ""). "{{if name}}...{{end}}" keeps its inside only
 * when the value is non-empty (no nesting). Unknown names are kept as written. */
int graph_fill(struct buf *out, const char *tmpl, const char *const *vars, size_t n_vars);

/* A prompt file holds the system prompt, then a line "<!-- user -->", then the first user
 * message. Fill both halves (graph_fill; each trimmed of surrounding white space) into system
 * and user (appended). Without the marker, everything is the system prompt. */
#define GRAPH_USER_MARK "<!-- user -->"
int graph_fill_split(const char *tmpl, const char *const *vars, size_t n_vars, struct buf *system,
                     struct buf *user);

/* The comparison key of a title, the one every agent uses (topic/bootstrap excerpt matching,
 * edge fall-backs, review insertions §9.3 via learning_title_key): white space as JavaScript's
 * trim() knows it (ASCII and Unicode spaces, tutor_is_space) removed at both ends and every
 * inner run of it one ASCII space; ASCII letters lower-cased, other bytes kept. Replaces out's
 * content. */
int graph_title_key(struct buf *out, const char *title);

/* The string value of map under title, else under the first key (in map's order) whose
 * graph_title_key() is title's; NULL when none. */
const char *graph_title_lookup(json_t *map, const char *title);

/* The topic's document context (spec §8.1) from a JSON array of {"originalFilename",
 * "extractedText"}: for each document a header line "=== Document: <name> ===" and its text,
 * documents separated by a blank line; longer than GRAPH_DOC_CONTEXT_MAX characters → cut
 * there and a notice line appended. Replaces out's content; out stays empty when no document
 * has text. */
int graph_document_context(struct buf *out, json_t *docs);

/* A new JSON string: s (NULL: "") trimmed of ASCII white space. */
json_t *graph_trimmed(const char *s);

/* Append the first max characters of s (all of it when shorter); *cut says whether it was. */
int graph_utf8_prefix(struct buf *out, const char *s, size_t max, int *cut);

/* The legacy subconcept generator's reply normalised (spec §8.8): *out becomes a new array of
 * {"title","desc","depends_on":[canonical titles]}; SP_EINVAL "Claude returned no valid
 * subconcepts" when none is left. */
int graph_legacy_subconcepts(json_t *reply, json_t **out, struct sp_error *err);

/* The legacy subconcept generator's diagnostic summary (spec §7.6: §9.2 with strengths capped
 * at 6, gaps at 8, the student answer not trimmed) from store_graph_diagnostic_data()'s object
 * {"assessmentId","questions","answers"}. *out is new:
 * {"assessmentId","answeredCount","totalQuestions","overallScore","strengths","gaps","items":[
 * {"questionId","prompt","format","difficulty","studentAnswer","correctAnswer","isCorrect",
 * "score","feedback"}]}. */
#define GRAPH_LEGACY_MAX_STRENGTHS 6
#define GRAPH_LEGACY_MAX_GAPS 8
int graph_legacy_diagnostic_summary(json_t *data, json_t **out);

#endif
