/* db/schema.c: the Sprout schema, defined once. THE source of truth for the data layer.
 *
 * Fourteen tables exactly as drizzle/meta/0003_snapshot.json describes them (columns, types,
 * defaults, NOT NULL, primary keys, foreign keys, indexes), in drizzle-kit's table order,
 * plus what the API needs: the camelCase JSON key of every column, which integer columns are
 * booleans, which text columns hold JSON, and the allowed values of enum-like columns.
 * Everything else is derived from this file: DDL and snapshots (db generate / push / check),
 * row -> JSON (storage/rowjson.c), and input validation (api/validate.c).
 * `sprout db generate` reporting "nothing to generate" proves this file equals the last
 * snapshot. To change the schema: edit this file, then run `sprout db generate`; storage's
 * column lists (storage/columns.h) are regenerated from this file by the build, so a new
 * column is stored (by its default), returned and listed with no other edit.
 *
 * A column is one line of designated initialisers: { COL(sql name, DDL type, JSON key), facts }
 * with the facts PRIMARY_KEY, NOT_NULL, DEFAULT_*, AS_BOOLEAN, AS_JSON_TEXT, ONE_OF(...);
 * anything not said is false / none / NULL. tables[] is indexed by enum schema_table_id.
 * The PostgreSQL dialect (drizzle-pg/, docs/POSTGRESQL.md) is the same schema with three
 * facts: AS_BOOLEAN columns are `boolean`, REAL_DOUBLE columns `double precision`, DEFAULT_NOW
 * is PG_NOW (SQLite's datetime('now') text, UTC, whole seconds); a COLUMN_UNIQUE index is a
 * UNIQUE constraint there. Everything else (text ids, integer, text JSON) is the same type.
 * And every table has there a last column of its own, rowid (pg_rowid below), which an
 * INDEX_PG_ROWID index has as its last key there.
 * Thread model: static const data.
 */
#include "db/schema.h"

#include <stddef.h>

#include "util/countof.h"

#define L(...) ((const char *const[]){ __VA_ARGS__ })

/* ---- columns ---- */
#define COL(name_, type_, json_key_) .name = name_, .type = type_, .json_key = json_key_
#define PRIMARY_KEY .primary_key = true, .not_null = true
#define NOT_NULL .not_null = true
#define DEFAULT_SQL(sql_) .def_kind = MODEL_DEF_SQL, .def_sql = sql_ /* raw SQL: "'draft'" */
#define PG_NOW "to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS')"
#define DEFAULT_NOW DEFAULT_SQL("(datetime('now'))"), .pg_def_sql = PG_NOW
#define DEFAULT_NUMBER(js_) .def_kind = MODEL_DEF_NUMBER, .def_sql = js_ /* JavaScript text */
#define DEFAULT_BOOL(js_) .def_kind = MODEL_DEF_BOOL, .def_sql = js_     /* "true" / "false" */
#define AS_BOOLEAN \
    .json_kind = MODEL_JSON_BOOL, .pg_type = "boolean" /* integer 0/1 <-> false/true */
#define REAL_DOUBLE .pg_type = "double precision" /* SQLite REAL is 8 bytes; PostgreSQL real is 4 */
#define AS_JSON_TEXT .json_kind = MODEL_JSON_TEXT /* JSON kept as text, returned as the string */
#define ONE_OF(...) .enum_values = L(__VA_ARGS__, NULL)
/* ---- indexes and foreign keys (all single-column, "no action", named as drizzle-kit does) ---- */
#define INDEX(name_, ...)                                                               \
    {                                                                                   \
        .name = name_, .columns = L(__VA_ARGS__), .n_columns = SP_COUNT(L(__VA_ARGS__)) \
    }
/* PostgreSQL: rowid appended as the last key (SQLite's indexes end with it implicitly), for a list
 * whose ORDER BY is the index's columns then rowid: the index then gives the order and
 * PostgreSQL does not sort (docs/POSTGRESQL.md, "Reads"). SQLite's DDL is INDEX's. */
#define INDEX_PG_ROWID(name_, ...)                                                       \
    {                                                                                    \
        .name = name_, .columns = L(__VA_ARGS__), .n_columns = SP_COUNT(L(__VA_ARGS__)), \
        .pg_rowid = true                                                                 \
    }
#define UNIQUE_INDEX(name_, ...)                                                         \
    {                                                                                    \
        .name = name_, .columns = L(__VA_ARGS__), .n_columns = SP_COUNT(L(__VA_ARGS__)), \
        .unique = true                                                                   \
    }
#define COLUMN_UNIQUE(name_, col_) /* drizzle's column .unique() */                              \
    {                                                                                            \
        .name = name_, .columns = L(col_), .n_columns = 1, .unique = true, .pg_constraint = true \
    }
#define FK(from_, col_, to_, to_col_)                                                    \
    {                                                                                    \
        .name = from_ "_" col_ "_" to_ "_" to_col_ "_fk", .table_from = from_,           \
        .columns_from = L(col_), .n_from = 1, .table_to = to_, .columns_to = L(to_col_), \
        .n_to = 1, .on_update = "no action", .on_delete = "no action"                    \
    }
/* ---- tables: v_ is the prefix of the arrays above ---- */
#define TABLE_NO_FKS(name_, v_)                                                           \
    .name = name_, .columns = v_##_columns, .n_columns = SP_COUNT(v_##_columns),          \
    .indexes = v_##_indexes, .n_indexes = SP_COUNT(v_##_indexes), .pg_columns = pg_rowid, \
    .n_pg_columns = SP_COUNT(pg_rowid)
#define TABLE(name_, v_)                                                      \
    {                                                                         \
        TABLE_NO_FKS(name_, v_), .fks = v_##_fks, .n_fks = SP_COUNT(v_##_fks) \
    }

/* ---- PostgreSQL only: every table's insertion order ----
 * SQLite's lists end their ORDER BY with the implicit rowid (insertion order, as the original's
 * table scans). PostgreSQL has no such column, so its dialect gives every table a real one of
 * that name, last: bigint GENERATED ALWAYS AS IDENTITY (drizzle: bigint("rowid", { mode:
 * "number" }).generatedAlwaysAsIdentity()). `ORDER BY rowid` then means the same on both
 * engines; nothing inserts it (ALWAYS refuses a value) and no column list names it. */
static const struct model_column pg_rowid[] = {
    { .name = "rowid", .type = "bigint", .not_null = true, .pg_identity = "always" },
};

/* ---- answers ---- */
static const struct model_column answers_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("user_id", "text", "userId"), NOT_NULL },
    { COL("assessment_id", "text", "assessmentId"), NOT_NULL },
    { COL("question_id", "text", "questionId"), NOT_NULL },
    { COL("answer_text", "text", "answerText") },
    { COL("selected_option", "text", "selectedOption") },
    { COL("is_correct", "integer", "isCorrect"), AS_BOOLEAN },
    { COL("score", "real", "score"), REAL_DOUBLE },
    { COL("feedback", "text", "feedback") },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index answers_indexes[] = {
    INDEX("answers_user_assessment_idx", "user_id", "assessment_id"),
    INDEX("answers_question_id_idx", "question_id"),
};
static const struct model_fk answers_fks[] = {
    FK("answers", "user_id", "users", "id"),
    FK("answers", "assessment_id", "assessments", "id"),
    FK("answers", "question_id", "questions", "id"),
};
/* ---- assessments ---- */
static const struct model_column assessments_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("user_id", "text", "userId"), NOT_NULL },
    { COL("target_node_id", "text", "targetNodeId"), NOT_NULL },
    { COL("type", "text", "type"), NOT_NULL, DEFAULT_SQL("'diagnostic'"),
      ONE_OF("diagnostic", "quiz", "recall") },
    { COL("title", "text", "title") },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
    { COL("completed_at", "text", "completedAt") },
};
static const struct model_index assessments_indexes[] = {
    INDEX("assessments_user_node_type_idx", "user_id", "target_node_id", "type"),
};
static const struct model_fk assessments_fks[] = {
    FK("assessments", "user_id", "users", "id"),
    FK("assessments", "target_node_id", "nodes", "id"),
};
/* ---- branches ---- */
static const struct model_column branches_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("title", "text", "title"), NOT_NULL },
    { COL("user_id", "text", "userId"), NOT_NULL },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
    { COL("updated_at", "text", "updatedAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index branches_indexes[] = {
    INDEX("branches_user_id_idx", "user_id"),
};
static const struct model_fk branches_fks[] = {
    FK("branches", "user_id", "users", "id"),
};
/* ---- chat_messages ---- */
static const struct model_column chat_messages_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("session_id", "text", "sessionId"), NOT_NULL },
    { COL("user_id", "text", "userId"), NOT_NULL },
    { COL("role", "text", "role"), NOT_NULL, ONE_OF("system", "user", "assistant") },
    { COL("kind", "text", "kind"), NOT_NULL, DEFAULT_SQL("'learning'"),
      ONE_OF("learning", "hint_request", "hint_response", "evaluation") },
    { COL("content", "text", "content"), NOT_NULL },
    { COL("was_successful", "integer", "wasSuccessful"), AS_BOOLEAN },
    { COL("success_signal", "text", "successSignal"), AS_JSON_TEXT },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index chat_messages_indexes[] = {
    INDEX_PG_ROWID("chat_messages_session_created_idx", "session_id", "created_at"),
    INDEX("chat_messages_user_successful_idx", "user_id", "was_successful"),
};
static const struct model_fk chat_messages_fks[] = {
    FK("chat_messages", "session_id", "chat_sessions", "id"),
    FK("chat_messages", "user_id", "users", "id"),
};
/* ---- chat_sessions ---- */
static const struct model_column chat_sessions_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("user_id", "text", "userId"), NOT_NULL },
    { COL("node_id", "text", "nodeId") },
    { COL("started_at", "text", "startedAt"), NOT_NULL, DEFAULT_NOW },
    { COL("ended_at", "text", "endedAt") },
};
static const struct model_index chat_sessions_indexes[] = {
    INDEX("chat_sessions_user_started_idx", "user_id", "started_at"),
    INDEX("chat_sessions_node_started_idx", "node_id", "started_at"),
};
static const struct model_fk chat_sessions_fks[] = {
    FK("chat_sessions", "user_id", "users", "id"),
    FK("chat_sessions", "node_id", "nodes", "id"),
};
/* ---- hint_events ---- */
static const struct model_column hint_events_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("user_id", "text", "userId"), NOT_NULL },
    { COL("node_id", "text", "nodeId"), NOT_NULL },
    { COL("session_id", "text", "sessionId") },
    { COL("request_message_id", "text", "requestMessageId") },
    { COL("response_message_id", "text", "responseMessageId") },
    { COL("referenced_success_message_ids", "text", "referencedSuccessMessageIds"), AS_JSON_TEXT },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index hint_events_indexes[] = {
    INDEX("hint_events_user_node_created_idx", "user_id", "node_id", "created_at"),
};
static const struct model_fk hint_events_fks[] = {
    FK("hint_events", "user_id", "users", "id"),
    FK("hint_events", "node_id", "nodes", "id"),
    FK("hint_events", "session_id", "chat_sessions", "id"),
    FK("hint_events", "request_message_id", "chat_messages", "id"),
    FK("hint_events", "response_message_id", "chat_messages", "id"),
};
/* ---- node_contents ---- */
static const struct model_column node_contents_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("node_id", "text", "nodeId"), NOT_NULL },
    { COL("explanation_md", "text", "explanationMd"), NOT_NULL },
    { COL("visualization_kind", "text", "visualizationKind"), ONE_OF("mermaid", "svg", "json") },
    { COL("visualization_payload", "text", "visualizationPayload") },
    { COL("cards", "text", "cards"), AS_JSON_TEXT },
    { COL("generated_by_model", "text", "generatedByModel") },
    { COL("generation_prompt_hash", "text", "generationPromptHash") },
    { COL("status", "text", "status"), NOT_NULL, DEFAULT_SQL("'active'"),
      ONE_OF("draft", "active", "archived") },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index node_contents_indexes[] = {
    INDEX("node_contents_node_status_idx", "node_id", "status"),
};
static const struct model_fk node_contents_fks[] = {
    FK("node_contents", "node_id", "nodes", "id"),
};
/* ---- node_edges ---- */
static const struct model_column node_edges_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("source_node_id", "text", "sourceNodeId"), NOT_NULL },
    { COL("target_node_id", "text", "targetNodeId"), NOT_NULL },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index node_edges_indexes[] = {
    INDEX("node_edges_source_idx", "source_node_id"),
    INDEX("node_edges_target_idx", "target_node_id"),
    UNIQUE_INDEX("node_edges_source_target_idx", "source_node_id", "target_node_id"),
};
static const struct model_fk node_edges_fks[] = {
    FK("node_edges", "source_node_id", "nodes", "id"),
    FK("node_edges", "target_node_id", "nodes", "id"),
};
/* ---- node_generations ---- */
static const struct model_column node_generations_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("node_id", "text", "nodeId"), NOT_NULL },
    { COL("trigger", "text", "trigger"), NOT_NULL,
      ONE_OF("on_first_enter", "manual_regenerate", "system_refresh") },
    { COL("model", "text", "model") },
    { COL("prompt", "text", "prompt") },
    { COL("response_meta", "text", "responseMeta"), AS_JSON_TEXT },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index node_generations_indexes[] = {
    INDEX("node_generations_node_created_idx", "node_id", "created_at"),
};
static const struct model_fk node_generations_fks[] = {
    FK("node_generations", "node_id", "nodes", "id"),
};
/* ---- nodes ---- */
static const struct model_column nodes_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("user_id", "text", "userId"), NOT_NULL },
    { COL("type", "text", "type"), NOT_NULL, ONE_OF("root", "concept", "subconcept") },
    { COL("branch_id", "text", "branchId") },
    { COL("parent_id", "text", "parentId") },
    { COL("title", "text", "title"), NOT_NULL },
    { COL("desc", "text", "desc") },
    { COL("accuracy_score", "real", "accuracyScore"), REAL_DOUBLE, NOT_NULL, DEFAULT_NUMBER("0") },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
    { COL("updated_at", "text", "updatedAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index nodes_indexes[] = {
    INDEX("nodes_user_type_idx", "user_id", "type"),
    INDEX("nodes_branch_id_idx", "branch_id"),
    INDEX("nodes_parent_id_idx", "parent_id"),
};
static const struct model_fk nodes_fks[] = {
    FK("nodes", "user_id", "users", "id"),
    FK("nodes", "branch_id", "branches", "id"),
    FK("nodes", "parent_id", "nodes", "id"),
};
/* ---- questions ---- */
static const struct model_column questions_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("assessment_id", "text", "assessmentId"), NOT_NULL },
    { COL("node_id", "text", "nodeId") },
    { COL("format", "text", "format"), NOT_NULL, ONE_OF("mcq", "open_ended") },
    { COL("prompt", "text", "prompt"), NOT_NULL },
    { COL("options", "text", "options"), AS_JSON_TEXT },
    { COL("correct_answer", "text", "correctAnswer") },
    { COL("grading_rubric", "text", "gradingRubric"), AS_JSON_TEXT },
    { COL("difficulty", "integer", "difficulty"), NOT_NULL, DEFAULT_NUMBER("1") },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index questions_indexes[] = {
    INDEX("questions_assessment_id_idx", "assessment_id"),
    INDEX("questions_node_id_idx", "node_id"),
};
static const struct model_fk questions_fks[] = {
    FK("questions", "assessment_id", "assessments", "id"),
    FK("questions", "node_id", "nodes", "id"),
};
/* ---- topic_documents ---- */
static const struct model_column topic_documents_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("node_id", "text", "nodeId"), NOT_NULL },
    { COL("original_filename", "text", "originalFilename"), NOT_NULL },
    { COL("s3_key", "text", "s3Key"), NOT_NULL },
    { COL("mime_type", "text", "mimeType"), NOT_NULL },
    { COL("file_size_bytes", "integer", "fileSizeBytes"), NOT_NULL },
    { COL("extracted_text", "text", "extractedText") },
    { COL("extraction_status", "text", "extractionStatus"), NOT_NULL, DEFAULT_SQL("'pending'"),
      ONE_OF("pending", "completed", "failed") },
    { COL("extraction_error", "text", "extractionError") },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index topic_documents_indexes[] = {
    INDEX("topic_documents_node_id_idx", "node_id"),
};
static const struct model_fk topic_documents_fks[] = {
    FK("topic_documents", "node_id", "nodes", "id"),
};
/* ---- user_node_progress ---- */
static const struct model_column user_node_progress_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("user_id", "text", "userId"), NOT_NULL },
    { COL("node_id", "text", "nodeId"), NOT_NULL },
    { COL("first_entered_at", "text", "firstEnteredAt") },
    { COL("last_entered_at", "text", "lastEnteredAt") },
    { COL("completed_at", "text", "completedAt") },
    { COL("mastery_score", "real", "masteryScore"), REAL_DOUBLE, NOT_NULL, DEFAULT_NUMBER("0") },
    { COL("attempts_count", "integer", "attemptsCount"), NOT_NULL, DEFAULT_NUMBER("0") },
    { COL("has_generated_subnodes", "integer", "hasGeneratedSubnodes"), NOT_NULL,
      DEFAULT_BOOL("false"), AS_BOOLEAN },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
    { COL("updated_at", "text", "updatedAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index user_node_progress_indexes[] = {
    UNIQUE_INDEX("user_node_progress_user_node_idx", "user_id", "node_id"),
    INDEX("user_node_progress_node_mastery_idx", "node_id", "mastery_score"),
};
static const struct model_fk user_node_progress_fks[] = {
    FK("user_node_progress", "user_id", "users", "id"),
    FK("user_node_progress", "node_id", "nodes", "id"),
};
/* ---- users ---- */
static const struct model_column users_columns[] = {
    { COL("id", "text", "id"), PRIMARY_KEY },
    { COL("email", "text", "email"), NOT_NULL },
    { COL("title", "text", "title") },
    { COL("desc", "text", "desc") },
    { COL("updated_at", "text", "updatedAt"), NOT_NULL, DEFAULT_NOW },
    { COL("created_at", "text", "createdAt"), NOT_NULL, DEFAULT_NOW },
};
static const struct model_index users_indexes[] = {
    COLUMN_UNIQUE("users_email_unique", "email"),
};
static const struct model_table tables[] = {
    [SCHEMA_ANSWERS] = TABLE("answers", answers),
    [SCHEMA_ASSESSMENTS] = TABLE("assessments", assessments),
    [SCHEMA_BRANCHES] = TABLE("branches", branches),
    [SCHEMA_CHAT_MESSAGES] = TABLE("chat_messages", chat_messages),
    [SCHEMA_CHAT_SESSIONS] = TABLE("chat_sessions", chat_sessions),
    [SCHEMA_HINT_EVENTS] = TABLE("hint_events", hint_events),
    [SCHEMA_NODE_CONTENTS] = TABLE("node_contents", node_contents),
    [SCHEMA_NODE_EDGES] = TABLE("node_edges", node_edges),
    [SCHEMA_NODE_GENERATIONS] = TABLE("node_generations", node_generations),
    [SCHEMA_NODES] = TABLE("nodes", nodes),
    [SCHEMA_QUESTIONS] = TABLE("questions", questions),
    [SCHEMA_TOPIC_DOCUMENTS] = TABLE("topic_documents", topic_documents),
    [SCHEMA_USER_NODE_PROGRESS] = TABLE("user_node_progress", user_node_progress),
    [SCHEMA_USERS] = { TABLE_NO_FKS("users", users) },
};
_Static_assert(SP_COUNT(tables) == SCHEMA_N_TABLES, "one tables[] entry per enum schema_table_id");

const struct model_schema schema_sprout = { .tables = tables, .n_tables = SP_COUNT(tables) };

const struct model_table *schema_table(enum schema_table_id id)
{
    return &tables[id];
}
