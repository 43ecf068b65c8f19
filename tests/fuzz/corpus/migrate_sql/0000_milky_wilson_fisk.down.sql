DROP TABLE `answers`;--> statement-breakpoint
DROP TABLE `hint_events`;--> statement-breakpoint
DROP TABLE `node_contents`;--> statement-breakpoint
DROP TABLE `node_generations`;--> statement-breakpoint
DROP TABLE `questions`;--> statement-breakpoint
DROP TABLE `user_node_progress`;--> statement-breakpoint
DROP TABLE `assessments`;--> statement-breakpoint
DROP TABLE `chat_messages`;--> statement-breakpoint
DROP TABLE `chat_sessions`;--> statement-breakpoint
DROP TABLE `nodes`;--> statement-breakpoint
DROP TABLE `branches`;--> statement-breakpoint
DROP TABLE `users`;