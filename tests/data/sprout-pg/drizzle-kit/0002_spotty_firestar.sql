DROP INDEX "chat_messages_session_created_idx";--> statement-breakpoint
CREATE INDEX "chat_messages_session_created_idx" ON "chat_messages" USING btree ("session_id","created_at","rowid");