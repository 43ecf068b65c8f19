/* db/schema.c: the Sprout schema, defined once. THE source of truth for the data layer.
 *
 * Fourteen tables exactly as drizzle/meta/0003_snapshot.json describes them (columns, types,
 * defaults, NOT NULL, primary keys, foreign keys, indexes), in drizzle-kit's table order,
 * plus what the API needs: the camelCase JSON key of every column, which integer columns are
 * booleans, which text columns hold JSON, and the allowed values of enum-like columns.
 * Everything else is derived from this file: DDL and snapshots (db generate / push / check),
 * row -> JSON (storage/rowjson.c), and input validation (api/validate.c).
 * `sprout db generate` reporting "nothing to generate" proves this file equals the last
 * snapshot. To change the schema: edit this file, then run `sprout db generate`.
 * Thread model: static const data.
 */
#include "db/schema.h"

#include <stddef.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define L(...) ((const char *const[]){ __VA_ARGS__ })

/* ---- answers ---- */
static const struct model_column answers_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "user_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "userId", MODEL_JSON_AUTO, NULL },
    { "assessment_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "assessmentId", MODEL_JSON_AUTO, NULL },
    { "question_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "questionId", MODEL_JSON_AUTO, NULL },
    { "answer_text", "text", false, false, false, MODEL_DEF_NONE, NULL, "answerText", MODEL_JSON_AUTO, NULL },
    { "selected_option", "text", false, false, false, MODEL_DEF_NONE, NULL, "selectedOption", MODEL_JSON_AUTO, NULL },
    { "is_correct", "integer", false, false, false, MODEL_DEF_NONE, NULL, "isCorrect", MODEL_JSON_BOOL, NULL },
    { "score", "real", false, false, false, MODEL_DEF_NONE, NULL, "score", MODEL_JSON_AUTO, NULL },
    { "feedback", "text", false, false, false, MODEL_DEF_NONE, NULL, "feedback", MODEL_JSON_AUTO, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index answers_indexes[] = {
    { "answers_user_assessment_idx", L("user_id", "assessment_id"), NULL, 2, false, NULL },
    { "answers_question_id_idx", L("question_id"), NULL, 1, false, NULL },
};
static const struct model_fk answers_fks[] = {
    { "answers_user_id_users_id_fk", "answers", L("user_id"), 1, "users", L("id"), 1, "no action", "no action" },
    { "answers_assessment_id_assessments_id_fk", "answers", L("assessment_id"), 1, "assessments", L("id"), 1, "no action", "no action" },
    { "answers_question_id_questions_id_fk", "answers", L("question_id"), 1, "questions", L("id"), 1, "no action", "no action" },
};
/* ---- assessments ---- */
static const struct model_column assessments_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "user_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "userId", MODEL_JSON_AUTO, NULL },
    { "target_node_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "targetNodeId", MODEL_JSON_AUTO, NULL },
    { "type", "text", false, true, false, MODEL_DEF_SQL, "'diagnostic'", "type", MODEL_JSON_AUTO, L("diagnostic", "quiz", "recall", NULL) },
    { "title", "text", false, false, false, MODEL_DEF_NONE, NULL, "title", MODEL_JSON_AUTO, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
    { "completed_at", "text", false, false, false, MODEL_DEF_NONE, NULL, "completedAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index assessments_indexes[] = {
    { "assessments_user_node_type_idx", L("user_id", "target_node_id", "type"), NULL, 3, false, NULL },
};
static const struct model_fk assessments_fks[] = {
    { "assessments_user_id_users_id_fk", "assessments", L("user_id"), 1, "users", L("id"), 1, "no action", "no action" },
    { "assessments_target_node_id_nodes_id_fk", "assessments", L("target_node_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
};
/* ---- branches ---- */
static const struct model_column branches_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "title", "text", false, true, false, MODEL_DEF_NONE, NULL, "title", MODEL_JSON_AUTO, NULL },
    { "user_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "userId", MODEL_JSON_AUTO, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
    { "updated_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "updatedAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index branches_indexes[] = {
    { "branches_user_id_idx", L("user_id"), NULL, 1, false, NULL },
};
static const struct model_fk branches_fks[] = {
    { "branches_user_id_users_id_fk", "branches", L("user_id"), 1, "users", L("id"), 1, "no action", "no action" },
};
/* ---- chat_messages ---- */
static const struct model_column chat_messages_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "session_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "sessionId", MODEL_JSON_AUTO, NULL },
    { "user_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "userId", MODEL_JSON_AUTO, NULL },
    { "role", "text", false, true, false, MODEL_DEF_NONE, NULL, "role", MODEL_JSON_AUTO, L("system", "user", "assistant", NULL) },
    { "kind", "text", false, true, false, MODEL_DEF_SQL, "'learning'", "kind", MODEL_JSON_AUTO, L("learning", "hint_request", "hint_response", "evaluation", NULL) },
    { "content", "text", false, true, false, MODEL_DEF_NONE, NULL, "content", MODEL_JSON_AUTO, NULL },
    { "was_successful", "integer", false, false, false, MODEL_DEF_NONE, NULL, "wasSuccessful", MODEL_JSON_BOOL, NULL },
    { "success_signal", "text", false, false, false, MODEL_DEF_NONE, NULL, "successSignal", MODEL_JSON_TEXT, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index chat_messages_indexes[] = {
    { "chat_messages_session_created_idx", L("session_id", "created_at"), NULL, 2, false, NULL },
    { "chat_messages_user_successful_idx", L("user_id", "was_successful"), NULL, 2, false, NULL },
};
static const struct model_fk chat_messages_fks[] = {
    { "chat_messages_session_id_chat_sessions_id_fk", "chat_messages", L("session_id"), 1, "chat_sessions", L("id"), 1, "no action", "no action" },
    { "chat_messages_user_id_users_id_fk", "chat_messages", L("user_id"), 1, "users", L("id"), 1, "no action", "no action" },
};
/* ---- chat_sessions ---- */
static const struct model_column chat_sessions_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "user_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "userId", MODEL_JSON_AUTO, NULL },
    { "node_id", "text", false, false, false, MODEL_DEF_NONE, NULL, "nodeId", MODEL_JSON_AUTO, NULL },
    { "started_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "startedAt", MODEL_JSON_AUTO, NULL },
    { "ended_at", "text", false, false, false, MODEL_DEF_NONE, NULL, "endedAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index chat_sessions_indexes[] = {
    { "chat_sessions_user_started_idx", L("user_id", "started_at"), NULL, 2, false, NULL },
    { "chat_sessions_node_started_idx", L("node_id", "started_at"), NULL, 2, false, NULL },
};
static const struct model_fk chat_sessions_fks[] = {
    { "chat_sessions_user_id_users_id_fk", "chat_sessions", L("user_id"), 1, "users", L("id"), 1, "no action", "no action" },
    { "chat_sessions_node_id_nodes_id_fk", "chat_sessions", L("node_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
};
/* ---- hint_events ---- */
static const struct model_column hint_events_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "user_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "userId", MODEL_JSON_AUTO, NULL },
    { "node_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "nodeId", MODEL_JSON_AUTO, NULL },
    { "session_id", "text", false, false, false, MODEL_DEF_NONE, NULL, "sessionId", MODEL_JSON_AUTO, NULL },
    { "request_message_id", "text", false, false, false, MODEL_DEF_NONE, NULL, "requestMessageId", MODEL_JSON_AUTO, NULL },
    { "response_message_id", "text", false, false, false, MODEL_DEF_NONE, NULL, "responseMessageId", MODEL_JSON_AUTO, NULL },
    { "referenced_success_message_ids", "text", false, false, false, MODEL_DEF_NONE, NULL, "referencedSuccessMessageIds", MODEL_JSON_TEXT, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index hint_events_indexes[] = {
    { "hint_events_user_node_created_idx", L("user_id", "node_id", "created_at"), NULL, 3, false, NULL },
};
static const struct model_fk hint_events_fks[] = {
    { "hint_events_user_id_users_id_fk", "hint_events", L("user_id"), 1, "users", L("id"), 1, "no action", "no action" },
    { "hint_events_node_id_nodes_id_fk", "hint_events", L("node_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
    { "hint_events_session_id_chat_sessions_id_fk", "hint_events", L("session_id"), 1, "chat_sessions", L("id"), 1, "no action", "no action" },
    { "hint_events_request_message_id_chat_messages_id_fk", "hint_events", L("request_message_id"), 1, "chat_messages", L("id"), 1, "no action", "no action" },
    { "hint_events_response_message_id_chat_messages_id_fk", "hint_events", L("response_message_id"), 1, "chat_messages", L("id"), 1, "no action", "no action" },
};
/* ---- node_contents ---- */
static const struct model_column node_contents_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "node_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "nodeId", MODEL_JSON_AUTO, NULL },
    { "explanation_md", "text", false, true, false, MODEL_DEF_NONE, NULL, "explanationMd", MODEL_JSON_AUTO, NULL },
    { "visualization_kind", "text", false, false, false, MODEL_DEF_NONE, NULL, "visualizationKind", MODEL_JSON_AUTO, L("mermaid", "svg", "json", NULL) },
    { "visualization_payload", "text", false, false, false, MODEL_DEF_NONE, NULL, "visualizationPayload", MODEL_JSON_AUTO, NULL },
    { "cards", "text", false, false, false, MODEL_DEF_NONE, NULL, "cards", MODEL_JSON_TEXT, NULL },
    { "generated_by_model", "text", false, false, false, MODEL_DEF_NONE, NULL, "generatedByModel", MODEL_JSON_AUTO, NULL },
    { "generation_prompt_hash", "text", false, false, false, MODEL_DEF_NONE, NULL, "generationPromptHash", MODEL_JSON_AUTO, NULL },
    { "status", "text", false, true, false, MODEL_DEF_SQL, "'active'", "status", MODEL_JSON_AUTO, L("draft", "active", "archived", NULL) },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index node_contents_indexes[] = {
    { "node_contents_node_status_idx", L("node_id", "status"), NULL, 2, false, NULL },
};
static const struct model_fk node_contents_fks[] = {
    { "node_contents_node_id_nodes_id_fk", "node_contents", L("node_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
};
/* ---- node_edges ---- */
static const struct model_column node_edges_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "source_node_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "sourceNodeId", MODEL_JSON_AUTO, NULL },
    { "target_node_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "targetNodeId", MODEL_JSON_AUTO, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index node_edges_indexes[] = {
    { "node_edges_source_idx", L("source_node_id"), NULL, 1, false, NULL },
    { "node_edges_target_idx", L("target_node_id"), NULL, 1, false, NULL },
    { "node_edges_source_target_idx", L("source_node_id", "target_node_id"), NULL, 2, true, NULL },
};
static const struct model_fk node_edges_fks[] = {
    { "node_edges_source_node_id_nodes_id_fk", "node_edges", L("source_node_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
    { "node_edges_target_node_id_nodes_id_fk", "node_edges", L("target_node_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
};
/* ---- node_generations ---- */
static const struct model_column node_generations_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "node_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "nodeId", MODEL_JSON_AUTO, NULL },
    { "trigger", "text", false, true, false, MODEL_DEF_NONE, NULL, "trigger", MODEL_JSON_AUTO, L("on_first_enter", "manual_regenerate", "system_refresh", NULL) },
    { "model", "text", false, false, false, MODEL_DEF_NONE, NULL, "model", MODEL_JSON_AUTO, NULL },
    { "prompt", "text", false, false, false, MODEL_DEF_NONE, NULL, "prompt", MODEL_JSON_AUTO, NULL },
    { "response_meta", "text", false, false, false, MODEL_DEF_NONE, NULL, "responseMeta", MODEL_JSON_TEXT, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index node_generations_indexes[] = {
    { "node_generations_node_created_idx", L("node_id", "created_at"), NULL, 2, false, NULL },
};
static const struct model_fk node_generations_fks[] = {
    { "node_generations_node_id_nodes_id_fk", "node_generations", L("node_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
};
/* ---- nodes ---- */
static const struct model_column nodes_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "user_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "userId", MODEL_JSON_AUTO, NULL },
    { "type", "text", false, true, false, MODEL_DEF_NONE, NULL, "type", MODEL_JSON_AUTO, L("root", "concept", "subconcept", NULL) },
    { "branch_id", "text", false, false, false, MODEL_DEF_NONE, NULL, "branchId", MODEL_JSON_AUTO, NULL },
    { "parent_id", "text", false, false, false, MODEL_DEF_NONE, NULL, "parentId", MODEL_JSON_AUTO, NULL },
    { "title", "text", false, true, false, MODEL_DEF_NONE, NULL, "title", MODEL_JSON_AUTO, NULL },
    { "desc", "text", false, false, false, MODEL_DEF_NONE, NULL, "desc", MODEL_JSON_AUTO, NULL },
    { "accuracy_score", "real", false, true, false, MODEL_DEF_NUMBER, "0", "accuracyScore", MODEL_JSON_AUTO, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
    { "updated_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "updatedAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index nodes_indexes[] = {
    { "nodes_user_type_idx", L("user_id", "type"), NULL, 2, false, NULL },
    { "nodes_branch_id_idx", L("branch_id"), NULL, 1, false, NULL },
    { "nodes_parent_id_idx", L("parent_id"), NULL, 1, false, NULL },
};
static const struct model_fk nodes_fks[] = {
    { "nodes_user_id_users_id_fk", "nodes", L("user_id"), 1, "users", L("id"), 1, "no action", "no action" },
    { "nodes_branch_id_branches_id_fk", "nodes", L("branch_id"), 1, "branches", L("id"), 1, "no action", "no action" },
    { "nodes_parent_id_nodes_id_fk", "nodes", L("parent_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
};
/* ---- questions ---- */
static const struct model_column questions_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "assessment_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "assessmentId", MODEL_JSON_AUTO, NULL },
    { "node_id", "text", false, false, false, MODEL_DEF_NONE, NULL, "nodeId", MODEL_JSON_AUTO, NULL },
    { "format", "text", false, true, false, MODEL_DEF_NONE, NULL, "format", MODEL_JSON_AUTO, L("mcq", "open_ended", NULL) },
    { "prompt", "text", false, true, false, MODEL_DEF_NONE, NULL, "prompt", MODEL_JSON_AUTO, NULL },
    { "options", "text", false, false, false, MODEL_DEF_NONE, NULL, "options", MODEL_JSON_TEXT, NULL },
    { "correct_answer", "text", false, false, false, MODEL_DEF_NONE, NULL, "correctAnswer", MODEL_JSON_AUTO, NULL },
    { "grading_rubric", "text", false, false, false, MODEL_DEF_NONE, NULL, "gradingRubric", MODEL_JSON_TEXT, NULL },
    { "difficulty", "integer", false, true, false, MODEL_DEF_NUMBER, "1", "difficulty", MODEL_JSON_AUTO, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index questions_indexes[] = {
    { "questions_assessment_id_idx", L("assessment_id"), NULL, 1, false, NULL },
    { "questions_node_id_idx", L("node_id"), NULL, 1, false, NULL },
};
static const struct model_fk questions_fks[] = {
    { "questions_assessment_id_assessments_id_fk", "questions", L("assessment_id"), 1, "assessments", L("id"), 1, "no action", "no action" },
    { "questions_node_id_nodes_id_fk", "questions", L("node_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
};
/* ---- topic_documents ---- */
static const struct model_column topic_documents_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "node_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "nodeId", MODEL_JSON_AUTO, NULL },
    { "original_filename", "text", false, true, false, MODEL_DEF_NONE, NULL, "originalFilename", MODEL_JSON_AUTO, NULL },
    { "s3_key", "text", false, true, false, MODEL_DEF_NONE, NULL, "s3Key", MODEL_JSON_AUTO, NULL },
    { "mime_type", "text", false, true, false, MODEL_DEF_NONE, NULL, "mimeType", MODEL_JSON_AUTO, NULL },
    { "file_size_bytes", "integer", false, true, false, MODEL_DEF_NONE, NULL, "fileSizeBytes", MODEL_JSON_AUTO, NULL },
    { "extracted_text", "text", false, false, false, MODEL_DEF_NONE, NULL, "extractedText", MODEL_JSON_AUTO, NULL },
    { "extraction_status", "text", false, true, false, MODEL_DEF_SQL, "'pending'", "extractionStatus", MODEL_JSON_AUTO, L("pending", "completed", "failed", NULL) },
    { "extraction_error", "text", false, false, false, MODEL_DEF_NONE, NULL, "extractionError", MODEL_JSON_AUTO, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index topic_documents_indexes[] = {
    { "topic_documents_node_id_idx", L("node_id"), NULL, 1, false, NULL },
};
static const struct model_fk topic_documents_fks[] = {
    { "topic_documents_node_id_nodes_id_fk", "topic_documents", L("node_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
};
/* ---- user_node_progress ---- */
static const struct model_column user_node_progress_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "user_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "userId", MODEL_JSON_AUTO, NULL },
    { "node_id", "text", false, true, false, MODEL_DEF_NONE, NULL, "nodeId", MODEL_JSON_AUTO, NULL },
    { "first_entered_at", "text", false, false, false, MODEL_DEF_NONE, NULL, "firstEnteredAt", MODEL_JSON_AUTO, NULL },
    { "last_entered_at", "text", false, false, false, MODEL_DEF_NONE, NULL, "lastEnteredAt", MODEL_JSON_AUTO, NULL },
    { "completed_at", "text", false, false, false, MODEL_DEF_NONE, NULL, "completedAt", MODEL_JSON_AUTO, NULL },
    { "mastery_score", "real", false, true, false, MODEL_DEF_NUMBER, "0", "masteryScore", MODEL_JSON_AUTO, NULL },
    { "attempts_count", "integer", false, true, false, MODEL_DEF_NUMBER, "0", "attemptsCount", MODEL_JSON_AUTO, NULL },
    { "has_generated_subnodes", "integer", false, true, false, MODEL_DEF_BOOL, "false", "hasGeneratedSubnodes", MODEL_JSON_BOOL, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
    { "updated_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "updatedAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index user_node_progress_indexes[] = {
    { "user_node_progress_user_node_idx", L("user_id", "node_id"), NULL, 2, true, NULL },
    { "user_node_progress_node_mastery_idx", L("node_id", "mastery_score"), NULL, 2, false, NULL },
};
static const struct model_fk user_node_progress_fks[] = {
    { "user_node_progress_user_id_users_id_fk", "user_node_progress", L("user_id"), 1, "users", L("id"), 1, "no action", "no action" },
    { "user_node_progress_node_id_nodes_id_fk", "user_node_progress", L("node_id"), 1, "nodes", L("id"), 1, "no action", "no action" },
};
/* ---- users ---- */
static const struct model_column users_columns[] = {
    { "id", "text", true, true, false, MODEL_DEF_NONE, NULL, "id", MODEL_JSON_AUTO, NULL },
    { "email", "text", false, true, false, MODEL_DEF_NONE, NULL, "email", MODEL_JSON_AUTO, NULL },
    { "title", "text", false, false, false, MODEL_DEF_NONE, NULL, "title", MODEL_JSON_AUTO, NULL },
    { "desc", "text", false, false, false, MODEL_DEF_NONE, NULL, "desc", MODEL_JSON_AUTO, NULL },
    { "updated_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "updatedAt", MODEL_JSON_AUTO, NULL },
    { "created_at", "text", false, true, false, MODEL_DEF_SQL, "(datetime('now'))", "createdAt", MODEL_JSON_AUTO, NULL },
};
static const struct model_index users_indexes[] = {
    { "users_email_unique", L("email"), NULL, 1, true, NULL },
};
static const struct model_table tables[] = {
    { "answers", answers_columns, N(answers_columns), answers_indexes, N(answers_indexes), answers_fks, N(answers_fks), NULL, 0, NULL, 0 },
    { "assessments", assessments_columns, N(assessments_columns), assessments_indexes, N(assessments_indexes), assessments_fks, N(assessments_fks), NULL, 0, NULL, 0 },
    { "branches", branches_columns, N(branches_columns), branches_indexes, N(branches_indexes), branches_fks, N(branches_fks), NULL, 0, NULL, 0 },
    { "chat_messages", chat_messages_columns, N(chat_messages_columns), chat_messages_indexes, N(chat_messages_indexes), chat_messages_fks, N(chat_messages_fks), NULL, 0, NULL, 0 },
    { "chat_sessions", chat_sessions_columns, N(chat_sessions_columns), chat_sessions_indexes, N(chat_sessions_indexes), chat_sessions_fks, N(chat_sessions_fks), NULL, 0, NULL, 0 },
    { "hint_events", hint_events_columns, N(hint_events_columns), hint_events_indexes, N(hint_events_indexes), hint_events_fks, N(hint_events_fks), NULL, 0, NULL, 0 },
    { "node_contents", node_contents_columns, N(node_contents_columns), node_contents_indexes, N(node_contents_indexes), node_contents_fks, N(node_contents_fks), NULL, 0, NULL, 0 },
    { "node_edges", node_edges_columns, N(node_edges_columns), node_edges_indexes, N(node_edges_indexes), node_edges_fks, N(node_edges_fks), NULL, 0, NULL, 0 },
    { "node_generations", node_generations_columns, N(node_generations_columns), node_generations_indexes, N(node_generations_indexes), node_generations_fks, N(node_generations_fks), NULL, 0, NULL, 0 },
    { "nodes", nodes_columns, N(nodes_columns), nodes_indexes, N(nodes_indexes), nodes_fks, N(nodes_fks), NULL, 0, NULL, 0 },
    { "questions", questions_columns, N(questions_columns), questions_indexes, N(questions_indexes), questions_fks, N(questions_fks), NULL, 0, NULL, 0 },
    { "topic_documents", topic_documents_columns, N(topic_documents_columns), topic_documents_indexes, N(topic_documents_indexes), topic_documents_fks, N(topic_documents_fks), NULL, 0, NULL, 0 },
    { "user_node_progress", user_node_progress_columns, N(user_node_progress_columns), user_node_progress_indexes, N(user_node_progress_indexes), user_node_progress_fks, N(user_node_progress_fks), NULL, 0, NULL, 0 },
    { "users", users_columns, N(users_columns), users_indexes, N(users_indexes), NULL, 0, NULL, 0, NULL, 0 },
};

const struct model_schema schema_sprout = { tables, N(tables), NULL };

const struct model_table *schema_table(enum schema_table_id id)
{
    return &tables[id];
}
