ALTER TABLE "authors" RENAME COLUMN "name" TO "full_name";--> statement-breakpoint
ALTER TABLE "tags" DROP CONSTRAINT "tags_label_unique";--> statement-breakpoint
ALTER TABLE "books" DROP CONSTRAINT "books_price_check";--> statement-breakpoint
ALTER TABLE "patrons" ALTER COLUMN "role" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "patrons" ALTER COLUMN "role" SET DEFAULT 'reader'::text;--> statement-breakpoint
DROP TYPE "public"."member_role";--> statement-breakpoint
CREATE TYPE "public"."member_role" AS ENUM('reader', 'librarian', 'admin');--> statement-breakpoint
ALTER TABLE "patrons" ALTER COLUMN "role" SET DEFAULT 'reader'::"public"."member_role";--> statement-breakpoint
ALTER TABLE "patrons" ALTER COLUMN "role" SET DATA TYPE "public"."member_role" USING "role"::"public"."member_role";--> statement-breakpoint
DROP INDEX "authors_name_idx";--> statement-breakpoint
DROP INDEX "books_author_genre_idx";--> statement-breakpoint
ALTER TABLE "books" ALTER COLUMN "blurb" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "books" ALTER COLUMN "meta" SET DEFAULT '{"tags":["x"]}'::jsonb;--> statement-breakpoint
ALTER TABLE "books" ALTER COLUMN "rating" SET DEFAULT 2.5;--> statement-breakpoint
ALTER TABLE "authors" ADD COLUMN "legacy_no" serial NOT NULL;--> statement-breakpoint
CREATE INDEX "authors_name_idx" ON "authors" USING btree ("full_name");--> statement-breakpoint
CREATE INDEX "books_author_genre_idx" ON "books" USING btree ("author_id");--> statement-breakpoint
ALTER TABLE "patrons" ADD CONSTRAINT "patrons_phone_unique" UNIQUE("phone");--> statement-breakpoint
ALTER TABLE "tags" ADD CONSTRAINT "tags_label_parent_uq" UNIQUE("label","parent_tag_id");--> statement-breakpoint
ALTER TABLE "books" ADD CONSTRAINT "books_price_check" CHECK ("books"."price" >= 1);