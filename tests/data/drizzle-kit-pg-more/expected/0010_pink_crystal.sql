ALTER TYPE "audit"."op" RENAME TO "action";--> statement-breakpoint
ALTER TYPE "public"."genre" RENAME TO "book_genre";