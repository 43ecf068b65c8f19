ALTER TABLE "answers" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "assessments" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "branches" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "chat_messages" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "chat_sessions" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "hint_events" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "node_contents" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "node_edges" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "node_generations" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "nodes" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "questions" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "topic_documents" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "user_node_progress" DROP COLUMN "rowid";--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN "rowid";