// Sprout's schema (the 14 tables of sprout-backend's drizzle/meta/0003_snapshot.json,
// SQLite) translated to drizzle-orm/pg-core with the SAME table, column, index and
// foreign-key names, column order and nullability, choosing PostgreSQL types so
// that an API serialising rows gets the same JSON as with SQLite. Every choice is
// explained in README.md beside this file. Export names are the camelCase table
// names, so drizzle-kit sees the tables in the same (sorted) order as the SQLite
// snapshot lists them.
import { sql } from "drizzle-orm";
import {
  pgTable, text, integer, bigint, boolean, doublePrecision,
  index, uniqueIndex, type AnyPgColumn,
} from "drizzle-orm/pg-core";

// SQLite: text DEFAULT (datetime('now')) -> 'YYYY-MM-DD HH:MM:SS', UTC, whole
// seconds, evaluated once per statement. statement_timestamp() is PostgreSQL's
// per-statement clock; to_char truncates fractional seconds like datetime() does.
const nowText = sql`to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS')`;
const createdAt = () => text("created_at").notNull().default(nowText);
const updatedAt = () => text("updated_at").notNull().default(nowText);
// SQLite's implicit rowid (insertion order; the API's lists end their ORDER BY with it) as a
// real column, last in every table: numbered by PostgreSQL, never inserted, never returned.
const rowid = () => bigint("rowid", { mode: "number" }).generatedAlwaysAsIdentity();

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  title: text("title"),
  desc: text("desc"),
  updatedAt: updatedAt(),
  createdAt: createdAt(),
  rowid: rowid(),
});

export const branches = pgTable("branches", {
  id: text("id").primaryKey(),
  title: text("title").notNull(),
  userId: text("user_id").notNull().references(() => users.id),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  rowid: rowid(),
}, (t) => [index("branches_user_id_idx").on(t.userId)]);

export const nodes = pgTable("nodes", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  type: text("type", { enum: ["root", "concept", "subconcept"] }).notNull(),
  branchId: text("branch_id").references(() => branches.id),
  parentId: text("parent_id").references((): AnyPgColumn => nodes.id),
  title: text("title").notNull(),
  desc: text("desc"),
  accuracyScore: doublePrecision("accuracy_score").notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  rowid: rowid(),
}, (t) => [
  index("nodes_user_type_idx").on(t.userId, t.type),
  index("nodes_branch_id_idx").on(t.branchId),
  index("nodes_parent_id_idx").on(t.parentId),
]);

export const nodeEdges = pgTable("node_edges", {
  id: text("id").primaryKey(),
  sourceNodeId: text("source_node_id").notNull().references(() => nodes.id),
  targetNodeId: text("target_node_id").notNull().references(() => nodes.id),
  createdAt: createdAt(),
  rowid: rowid(),
}, (t) => [
  index("node_edges_source_idx").on(t.sourceNodeId),
  index("node_edges_target_idx").on(t.targetNodeId),
  uniqueIndex("node_edges_source_target_idx").on(t.sourceNodeId, t.targetNodeId),
]);

export const topicDocuments = pgTable("topic_documents", {
  id: text("id").primaryKey(),
  nodeId: text("node_id").notNull().references(() => nodes.id),
  originalFilename: text("original_filename").notNull(),
  s3Key: text("s3_key").notNull(),
  mimeType: text("mime_type").notNull(),
  fileSizeBytes: integer("file_size_bytes").notNull(),
  extractedText: text("extracted_text"),
  extractionStatus: text("extraction_status", { enum: ["pending", "completed", "failed"] }).notNull().default("pending"),
  extractionError: text("extraction_error"),
  createdAt: createdAt(),
  rowid: rowid(),
}, (t) => [index("topic_documents_node_id_idx").on(t.nodeId)]);

export const nodeContents = pgTable("node_contents", {
  id: text("id").primaryKey(),
  nodeId: text("node_id").notNull().references(() => nodes.id),
  explanationMd: text("explanation_md").notNull(),
  visualizationKind: text("visualization_kind", { enum: ["mermaid", "svg", "json"] }),
  visualizationPayload: text("visualization_payload"),
  cards: text("cards"), // JSON text, returned as a string
  generatedByModel: text("generated_by_model"),
  generationPromptHash: text("generation_prompt_hash"),
  status: text("status", { enum: ["draft", "active", "archived"] }).notNull().default("active"),
  createdAt: createdAt(),
  rowid: rowid(),
}, (t) => [index("node_contents_node_status_idx").on(t.nodeId, t.status)]);

export const nodeGenerations = pgTable("node_generations", {
  id: text("id").primaryKey(),
  nodeId: text("node_id").notNull().references(() => nodes.id),
  trigger: text("trigger", { enum: ["on_first_enter", "manual_regenerate", "system_refresh"] }).notNull(),
  model: text("model"),
  prompt: text("prompt"),
  responseMeta: text("response_meta"), // JSON text, returned as a string
  createdAt: createdAt(),
  rowid: rowid(),
}, (t) => [index("node_generations_node_created_idx").on(t.nodeId, t.createdAt)]);

export const assessments = pgTable("assessments", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  targetNodeId: text("target_node_id").notNull().references(() => nodes.id),
  type: text("type", { enum: ["diagnostic", "quiz", "recall"] }).notNull().default("diagnostic"),
  title: text("title"),
  createdAt: createdAt(),
  completedAt: text("completed_at"),
  rowid: rowid(),
}, (t) => [index("assessments_user_node_type_idx").on(t.userId, t.targetNodeId, t.type)]);

export const questions = pgTable("questions", {
  id: text("id").primaryKey(),
  assessmentId: text("assessment_id").notNull().references(() => assessments.id),
  nodeId: text("node_id").references(() => nodes.id),
  format: text("format", { enum: ["mcq", "open_ended"] }).notNull(),
  prompt: text("prompt").notNull(),
  options: text("options"), // JSON text, returned as a string
  correctAnswer: text("correct_answer"),
  gradingRubric: text("grading_rubric"), // JSON text, returned as a string
  difficulty: integer("difficulty").notNull().default(1),
  createdAt: createdAt(),
  rowid: rowid(),
}, (t) => [
  index("questions_assessment_id_idx").on(t.assessmentId),
  index("questions_node_id_idx").on(t.nodeId),
]);

export const answers = pgTable("answers", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  assessmentId: text("assessment_id").notNull().references(() => assessments.id),
  questionId: text("question_id").notNull().references(() => questions.id),
  answerText: text("answer_text"),
  selectedOption: text("selected_option"),
  isCorrect: boolean("is_correct"),
  score: doublePrecision("score"),
  feedback: text("feedback"),
  createdAt: createdAt(),
  rowid: rowid(),
}, (t) => [
  index("answers_user_assessment_idx").on(t.userId, t.assessmentId),
  index("answers_question_id_idx").on(t.questionId),
]);

export const userNodeProgress = pgTable("user_node_progress", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  nodeId: text("node_id").notNull().references(() => nodes.id),
  firstEnteredAt: text("first_entered_at"),
  lastEnteredAt: text("last_entered_at"),
  completedAt: text("completed_at"),
  masteryScore: doublePrecision("mastery_score").notNull().default(0),
  attemptsCount: integer("attempts_count").notNull().default(0),
  hasGeneratedSubnodes: boolean("has_generated_subnodes").notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  rowid: rowid(),
}, (t) => [
  uniqueIndex("user_node_progress_user_node_idx").on(t.userId, t.nodeId),
  index("user_node_progress_node_mastery_idx").on(t.nodeId, t.masteryScore),
]);

export const chatSessions = pgTable("chat_sessions", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  nodeId: text("node_id").references(() => nodes.id),
  startedAt: text("started_at").notNull().default(nowText),
  endedAt: text("ended_at"),
  rowid: rowid(),
}, (t) => [
  index("chat_sessions_user_started_idx").on(t.userId, t.startedAt),
  index("chat_sessions_node_started_idx").on(t.nodeId, t.startedAt),
]);

export const chatMessages = pgTable("chat_messages", {
  id: text("id").primaryKey(),
  sessionId: text("session_id").notNull().references(() => chatSessions.id),
  userId: text("user_id").notNull().references(() => users.id),
  role: text("role", { enum: ["system", "user", "assistant"] }).notNull(),
  kind: text("kind", { enum: ["learning", "hint_request", "hint_response", "evaluation"] }).notNull().default("learning"),
  content: text("content").notNull(),
  wasSuccessful: boolean("was_successful"),
  successSignal: text("success_signal"), // JSON text, returned as a string
  createdAt: createdAt(),
  rowid: rowid(),
}, (t) => [
  index("chat_messages_session_created_idx").on(t.sessionId, t.createdAt),
  index("chat_messages_user_successful_idx").on(t.userId, t.wasSuccessful),
]);

export const hintEvents = pgTable("hint_events", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  nodeId: text("node_id").notNull().references(() => nodes.id),
  sessionId: text("session_id").references(() => chatSessions.id),
  requestMessageId: text("request_message_id").references(() => chatMessages.id),
  responseMessageId: text("response_message_id").references(() => chatMessages.id),
  referencedSuccessMessageIds: text("referenced_success_message_ids"), // JSON text, returned as a string
  createdAt: createdAt(),
  rowid: rowid(),
}, (t) => [index("hint_events_user_node_created_idx").on(t.userId, t.nodeId, t.createdAt)]);
