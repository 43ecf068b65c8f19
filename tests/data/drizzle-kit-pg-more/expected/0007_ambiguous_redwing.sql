ALTER TYPE "public"."genre" ADD VALUE 'drama';--> statement-breakpoint
ALTER TABLE "archive"."retired_books" RENAME TO "retirements";--> statement-breakpoint
ALTER TABLE "books" DROP CONSTRAINT "books_isbn_unique";--> statement-breakpoint
ALTER TABLE "tags" DROP CONSTRAINT "tags_label_color_uq";--> statement-breakpoint
ALTER TABLE "books" DROP CONSTRAINT "books_translator_id_authors_id_fk";
--> statement-breakpoint
ALTER TABLE "archive"."retirements" DROP CONSTRAINT "retired_books_replaced_by_books_id_fk";
--> statement-breakpoint
DROP INDEX "books_in_print_idx";--> statement-breakpoint
DROP INDEX "archive"."retired_books_reason_idx";--> statement-breakpoint
ALTER TABLE "loans" DROP CONSTRAINT "loans_book_id_member_id_loaned_at_pk";--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_book_id_member_id_pk" PRIMARY KEY("book_id","member_id");--> statement-breakpoint
ALTER TABLE "archive"."retirements" ADD CONSTRAINT "retirements_replaced_by_books_id_fk" FOREIGN KEY ("replaced_by") REFERENCES "public"."books"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "retirements_reason_idx" ON "archive"."retirements" USING btree ("reason");--> statement-breakpoint
ALTER TABLE "tags" DROP COLUMN "color";--> statement-breakpoint
DROP TYPE "public"."tag_color";