CREATE TYPE "public"."loan_state" AS ENUM('open', 'closed');--> statement-breakpoint
ALTER TABLE "book_tags" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "book_tags" CASCADE;--> statement-breakpoint
ALTER TABLE "authors" ALTER COLUMN "country" SET DEFAULT 'n/a';--> statement-breakpoint
ALTER TABLE "authors" ALTER COLUMN "country" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "books" ALTER COLUMN "title" SET DATA TYPE varchar(200);--> statement-breakpoint
ALTER TABLE "patrons" ADD COLUMN "member_no" integer NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "patrons_member_no_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1000 CACHE 1);--> statement-breakpoint
ALTER TABLE "loans" ADD COLUMN "state" "loan_state" DEFAULT 'open' NOT NULL;--> statement-breakpoint
CREATE INDEX "loans_returned_idx" ON "loans" USING btree ("returned_at" DESC NULLS LAST,"book_id" NULLS FIRST);--> statement-breakpoint
ALTER TABLE "tags" ADD CONSTRAINT "tags_label_color_uq" UNIQUE NULLS NOT DISTINCT("label","color");--> statement-breakpoint
ALTER TABLE "books" ADD CONSTRAINT "books_price_check" CHECK ("books"."price" >= 0);