CREATE TABLE "answers" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"assessment_id" text NOT NULL,
	"question_id" text NOT NULL,
	"answer_text" text,
	"selected_option" text,
	"is_correct" boolean,
	"score" double precision,
	"feedback" text,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "answers_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "assessments" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"target_node_id" text NOT NULL,
	"type" text DEFAULT 'diagnostic' NOT NULL,
	"title" text,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"completed_at" text,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "assessments_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "branches" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"user_id" text NOT NULL,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"updated_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "branches_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "chat_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"user_id" text NOT NULL,
	"role" text NOT NULL,
	"kind" text DEFAULT 'learning' NOT NULL,
	"content" text NOT NULL,
	"was_successful" boolean,
	"success_signal" text,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "chat_messages_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "chat_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"node_id" text,
	"started_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"ended_at" text,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "chat_sessions_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "hint_events" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"node_id" text NOT NULL,
	"session_id" text,
	"request_message_id" text,
	"response_message_id" text,
	"referenced_success_message_ids" text,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "hint_events_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "node_contents" (
	"id" text PRIMARY KEY NOT NULL,
	"node_id" text NOT NULL,
	"explanation_md" text NOT NULL,
	"visualization_kind" text,
	"visualization_payload" text,
	"cards" text,
	"generated_by_model" text,
	"generation_prompt_hash" text,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "node_contents_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "node_edges" (
	"id" text PRIMARY KEY NOT NULL,
	"source_node_id" text NOT NULL,
	"target_node_id" text NOT NULL,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "node_edges_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "node_generations" (
	"id" text PRIMARY KEY NOT NULL,
	"node_id" text NOT NULL,
	"trigger" text NOT NULL,
	"model" text,
	"prompt" text,
	"response_meta" text,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "node_generations_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"type" text NOT NULL,
	"branch_id" text,
	"parent_id" text,
	"title" text NOT NULL,
	"desc" text,
	"accuracy_score" double precision DEFAULT 0 NOT NULL,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"updated_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "nodes_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "questions" (
	"id" text PRIMARY KEY NOT NULL,
	"assessment_id" text NOT NULL,
	"node_id" text,
	"format" text NOT NULL,
	"prompt" text NOT NULL,
	"options" text,
	"correct_answer" text,
	"grading_rubric" text,
	"difficulty" integer DEFAULT 1 NOT NULL,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "questions_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "topic_documents" (
	"id" text PRIMARY KEY NOT NULL,
	"node_id" text NOT NULL,
	"original_filename" text NOT NULL,
	"s3_key" text NOT NULL,
	"mime_type" text NOT NULL,
	"file_size_bytes" integer NOT NULL,
	"extracted_text" text,
	"extraction_status" text DEFAULT 'pending' NOT NULL,
	"extraction_error" text,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "topic_documents_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "user_node_progress" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"node_id" text NOT NULL,
	"first_entered_at" text,
	"last_entered_at" text,
	"completed_at" text,
	"mastery_score" double precision DEFAULT 0 NOT NULL,
	"attempts_count" integer DEFAULT 0 NOT NULL,
	"has_generated_subnodes" boolean DEFAULT false NOT NULL,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"updated_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "user_node_progress_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"title" text,
	"desc" text,
	"updated_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"created_at" text DEFAULT to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') NOT NULL,
	"rowid" bigint GENERATED ALWAYS AS IDENTITY (sequence name "users_rowid_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
ALTER TABLE "answers" ADD CONSTRAINT "answers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "answers" ADD CONSTRAINT "answers_assessment_id_assessments_id_fk" FOREIGN KEY ("assessment_id") REFERENCES "public"."assessments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "answers" ADD CONSTRAINT "answers_question_id_questions_id_fk" FOREIGN KEY ("question_id") REFERENCES "public"."questions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessments" ADD CONSTRAINT "assessments_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessments" ADD CONSTRAINT "assessments_target_node_id_nodes_id_fk" FOREIGN KEY ("target_node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "branches" ADD CONSTRAINT "branches_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_session_id_chat_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."chat_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hint_events" ADD CONSTRAINT "hint_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hint_events" ADD CONSTRAINT "hint_events_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hint_events" ADD CONSTRAINT "hint_events_session_id_chat_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."chat_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hint_events" ADD CONSTRAINT "hint_events_request_message_id_chat_messages_id_fk" FOREIGN KEY ("request_message_id") REFERENCES "public"."chat_messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hint_events" ADD CONSTRAINT "hint_events_response_message_id_chat_messages_id_fk" FOREIGN KEY ("response_message_id") REFERENCES "public"."chat_messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "node_contents" ADD CONSTRAINT "node_contents_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "node_edges" ADD CONSTRAINT "node_edges_source_node_id_nodes_id_fk" FOREIGN KEY ("source_node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "node_edges" ADD CONSTRAINT "node_edges_target_node_id_nodes_id_fk" FOREIGN KEY ("target_node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "node_generations" ADD CONSTRAINT "node_generations_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_branch_id_branches_id_fk" FOREIGN KEY ("branch_id") REFERENCES "public"."branches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_parent_id_nodes_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "questions" ADD CONSTRAINT "questions_assessment_id_assessments_id_fk" FOREIGN KEY ("assessment_id") REFERENCES "public"."assessments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "questions" ADD CONSTRAINT "questions_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "topic_documents" ADD CONSTRAINT "topic_documents_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_node_progress" ADD CONSTRAINT "user_node_progress_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_node_progress" ADD CONSTRAINT "user_node_progress_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "answers_user_assessment_idx" ON "answers" USING btree ("user_id","assessment_id");--> statement-breakpoint
CREATE INDEX "answers_question_id_idx" ON "answers" USING btree ("question_id");--> statement-breakpoint
CREATE INDEX "assessments_user_node_type_idx" ON "assessments" USING btree ("user_id","target_node_id","type");--> statement-breakpoint
CREATE INDEX "branches_user_id_idx" ON "branches" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "chat_messages_session_created_idx" ON "chat_messages" USING btree ("session_id","created_at","rowid");--> statement-breakpoint
CREATE INDEX "chat_messages_user_successful_idx" ON "chat_messages" USING btree ("user_id","was_successful");--> statement-breakpoint
CREATE INDEX "chat_sessions_user_started_idx" ON "chat_sessions" USING btree ("user_id","started_at");--> statement-breakpoint
CREATE INDEX "chat_sessions_node_started_idx" ON "chat_sessions" USING btree ("node_id","started_at");--> statement-breakpoint
CREATE INDEX "hint_events_user_node_created_idx" ON "hint_events" USING btree ("user_id","node_id","created_at");--> statement-breakpoint
CREATE INDEX "node_contents_node_status_idx" ON "node_contents" USING btree ("node_id","status");--> statement-breakpoint
CREATE INDEX "node_edges_source_idx" ON "node_edges" USING btree ("source_node_id");--> statement-breakpoint
CREATE INDEX "node_edges_target_idx" ON "node_edges" USING btree ("target_node_id");--> statement-breakpoint
CREATE UNIQUE INDEX "node_edges_source_target_idx" ON "node_edges" USING btree ("source_node_id","target_node_id");--> statement-breakpoint
CREATE INDEX "node_generations_node_created_idx" ON "node_generations" USING btree ("node_id","created_at");--> statement-breakpoint
CREATE INDEX "nodes_user_type_idx" ON "nodes" USING btree ("user_id","type");--> statement-breakpoint
CREATE INDEX "nodes_branch_id_idx" ON "nodes" USING btree ("branch_id");--> statement-breakpoint
CREATE INDEX "nodes_parent_id_idx" ON "nodes" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "questions_assessment_id_idx" ON "questions" USING btree ("assessment_id");--> statement-breakpoint
CREATE INDEX "questions_node_id_idx" ON "questions" USING btree ("node_id");--> statement-breakpoint
CREATE INDEX "topic_documents_node_id_idx" ON "topic_documents" USING btree ("node_id");--> statement-breakpoint
CREATE UNIQUE INDEX "user_node_progress_user_node_idx" ON "user_node_progress" USING btree ("user_id","node_id");--> statement-breakpoint
CREATE INDEX "user_node_progress_node_mastery_idx" ON "user_node_progress" USING btree ("node_id","mastery_score");