CREATE SCHEMA "audit";
--> statement-breakpoint
CREATE TYPE "audit"."op" AS ENUM('ins', 'del');--> statement-breakpoint
CREATE TABLE "audit"."events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"op" "audit"."op" NOT NULL,
	"book_id" integer,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_op_check" CHECK ("events"."book_id" > 0)
);
--> statement-breakpoint
ALTER TABLE "archive"."retirements" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "archive"."retirements" CASCADE;--> statement-breakpoint
ALTER TABLE "loans" ALTER COLUMN "due_days" SET DATA TYPE smallint;--> statement-breakpoint
ALTER TABLE "loans" ALTER COLUMN "due_days" SET DEFAULT 14;--> statement-breakpoint
ALTER TABLE "loans" ALTER COLUMN "due_days" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "audit"."events" ADD CONSTRAINT "events_book_id_books_id_fk" FOREIGN KEY ("book_id") REFERENCES "public"."books"("id") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
CREATE INDEX "events_book_idx" ON "audit"."events" USING btree ("book_id") WHERE "events"."op" = 'del';--> statement-breakpoint
DROP TYPE "archive"."retire_reason";--> statement-breakpoint
DROP SCHEMA "archive";
