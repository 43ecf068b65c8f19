DROP TABLE "answers" CASCADE;--> statement-breakpoint
DROP TABLE "assessments" CASCADE;--> statement-breakpoint
DROP TABLE "branches" CASCADE;--> statement-breakpoint
DROP TABLE "chat_messages" CASCADE;--> statement-breakpoint
DROP TABLE "chat_sessions" CASCADE;--> statement-breakpoint
DROP TABLE "hint_events" CASCADE;--> statement-breakpoint
DROP TABLE "node_contents" CASCADE;--> statement-breakpoint
DROP TABLE "node_edges" CASCADE;--> statement-breakpoint
DROP TABLE "node_generations" CASCADE;--> statement-breakpoint
DROP TABLE "nodes" CASCADE;--> statement-breakpoint
DROP TABLE "questions" CASCADE;--> statement-breakpoint
DROP TABLE "topic_documents" CASCADE;--> statement-breakpoint
DROP TABLE "user_node_progress" CASCADE;--> statement-breakpoint
DROP TABLE "users" CASCADE;