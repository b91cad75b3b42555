-- Embeddings move from real[] to float4 bytea (big-endian, float4send) with int8 codes, their scale and
-- the L2 norm of what the codes miss, rounded up: the exact search without pgvector scans the codes and
-- scores the few candidates from the float4 (src/rag/vectors.ts). The same values as the indexing task
-- writes: scale = max |x| / 127 as real, code = round(x / scale) within ±127.
ALTER TABLE "full_text_chunks" ADD COLUMN "embedding_float4" bytea;--> statement-breakpoint
ALTER TABLE "full_text_chunks" ADD COLUMN "embedding_codes" bytea;--> statement-breakpoint
ALTER TABLE "full_text_chunks" ADD COLUMN "embedding_scale" real;--> statement-breakpoint
ALTER TABLE "full_text_chunks" ADD COLUMN "embedding_residual" real;--> statement-breakpoint
UPDATE "full_text_chunks" c SET ("embedding_float4", "embedding_scale") = (
  SELECT string_agg(float4send(x), ''::bytea ORDER BY i), max(abs(x)) / 127::real
  FROM unnest(c.embedding) WITH ORDINALITY AS u(x, i)
) WHERE c.embedding IS NOT NULL;--> statement-breakpoint
UPDATE "full_text_chunks" c SET ("embedding_codes", "embedding_residual") = (
  SELECT decode(string_agg(lpad(to_hex((q + 256) % 256), 2, '0'), '' ORDER BY i), 'hex'),
    -- float8 → real rounds to nearest: 2^-22 above first keeps the stored residual above the true one.
    (sqrt(sum((x::float8 - c.embedding_scale::float8 * q) ^ 2)) * (1 + 2 ^ -22))::real
  FROM (SELECT x, i, CASE WHEN c.embedding_scale = 0 THEN 0 ELSE greatest(-127, least(127, round(x::float8 / c.embedding_scale::float8)))::int END AS q
        FROM unnest(c.embedding) WITH ORDINALITY AS u(x, i)) v
) WHERE c.embedding IS NOT NULL;--> statement-breakpoint
-- Drops the pgvector HNSW indexes too (their predicate named the real[] column); recreated below.
ALTER TABLE "full_text_chunks" DROP COLUMN "embedding";--> statement-breakpoint
ALTER TABLE "full_text_chunks" RENAME COLUMN "embedding_float4" TO "embedding";--> statement-breakpoint
DO $$
DECLARE
  d integer;
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = 'full_text_chunks' AND column_name = 'embedding_vector') THEN
    -- Read first: CREATE INDEX refuses a table that a loop's open query still scans.
    FOREACH d IN ARRAY ARRAY(SELECT DISTINCT octet_length(embedding_codes) FROM full_text_chunks WHERE embedding_vector IS NOT NULL) LOOP
      EXECUTE format('CREATE INDEX IF NOT EXISTS full_text_chunks_hnsw_%s ON full_text_chunks
        USING hnsw ((embedding_vector::vector(%s)) vector_cosine_ops) WHERE vector_dims(embedding_vector) = %s', d, d, d);
    END LOOP;
  END IF;
END $$;
