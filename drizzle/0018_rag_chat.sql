CREATE TABLE "chat_conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"title" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chat_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversation_id" uuid NOT NULL,
	"role" text NOT NULL,
	"content" text NOT NULL,
	"citations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"invalid_citations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"retrieved" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"generation" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "full_text_chunks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"file_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"page" integer NOT NULL,
	"ordinal" integer NOT NULL,
	"start_offset" integer NOT NULL,
	"end_offset" integer NOT NULL,
	"text" text NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', text)) STORED NOT NULL,
	"embedding" real[],
	"embedding_model" text
);
--> statement-breakpoint
CREATE TABLE "full_text_index" (
	"file_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"chunking" text NOT NULL,
	"embedding_model" text,
	"dimensions" integer,
	"chunk_count" integer NOT NULL,
	"error" text,
	"indexed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rag_settings" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"embedding_model" text,
	"chat_model" text,
	"chunk_size" integer,
	"chunk_overlap" integer,
	"chunk_unit" text,
	"top_k" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "chat_conversations" ADD CONSTRAINT "chat_conversations_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_conversations" ADD CONSTRAINT "chat_conversations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_conversation_id_chat_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."chat_conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "full_text_chunks" ADD CONSTRAINT "full_text_chunks_file_id_full_texts_file_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."full_texts"("file_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "full_text_chunks" ADD CONSTRAINT "full_text_chunks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "full_text_index" ADD CONSTRAINT "full_text_index_file_id_full_texts_file_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."full_texts"("file_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "full_text_index" ADD CONSTRAINT "full_text_index_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rag_settings" ADD CONSTRAINT "rag_settings_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chat_conversations_owner_idx" ON "chat_conversations" USING btree ("project_id","user_id","updated_at");--> statement-breakpoint
CREATE INDEX "chat_messages_conversation_idx" ON "chat_messages" USING btree ("conversation_id","created_at");--> statement-breakpoint
CREATE INDEX "full_text_chunks_search_idx" ON "full_text_chunks" USING gin ("search");--> statement-breakpoint
CREATE INDEX "full_text_chunks_project_idx" ON "full_text_chunks" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "full_text_chunks_file_idx" ON "full_text_chunks" USING btree ("file_id","ordinal");--> statement-breakpoint
CREATE INDEX "full_text_index_project_idx" ON "full_text_index" USING btree ("project_id");--> statement-breakpoint
-- pgvector, when the server offers it (pg_available_extensions): embeddings are also stored as a
-- `vector` column, searched through an HNSW index per dimension created by the indexing task
-- (src/services/rag.ts). Without it (the embedded PostgreSQL, Debian's PostgreSQL 15), exact cosine
-- similarity over `real[]`.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    BEGIN
      EXECUTE 'CREATE EXTENSION IF NOT EXISTS vector';
      EXECUTE 'ALTER TABLE full_text_chunks ADD COLUMN IF NOT EXISTS embedding_vector vector';
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pgvector is available but this role cannot create the extension: exact search over real[] is used';
    END;
  END IF;
END $$;
