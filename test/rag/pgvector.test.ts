/**
 * The pgvector path against real pgvector: PGlite (PostgreSQL compiled to
 * WASM, with the pgvector extension) served over the PostgreSQL protocol by
 * pglite-socket, reached with `pg` like any server. Neither the embedded
 * PostgreSQL nor Debian's PostgreSQL 15 packages have pgvector.
 */
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { eq, sql } from 'drizzle-orm'
import pg from 'pg'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.ts'
import { createDatabase } from '../../src/db/index.ts'
import { applyMigrations } from '../../src/db/migrate.ts'
import { fullTextChunks } from '../../src/db/schema.ts'
import { hasVectorColumn, indexProject, indexStatus, nearestChunks, retrieve } from '../../src/services/rag.ts'
import { addFullText, createProject, randomPages, seeded, seededEmbedder } from './fixture.ts'
import { migrationsBefore } from './migrations.ts'

const DIMS = 16
const MODEL = 'seeded:latest'

/** A PGlite database with pgvector, served on a free loopback port, and a pool on it. */
async function pgvectorServer(t: Test): Promise<pg.Pool> {
  const engine = await PGlite.create({ extensions: { vector } })
  const server = new PGLiteSocketServer({ db: engine, host: '127.0.0.1', port: 0 })
  await server.start()
  t.teardown(async () => {
    await server.stop()
    await engine.close()
  })
  const port = Number(server.getServerConn().split(':').at(-1))
  // PGlite is one session: one connection, so no statement of a transaction interleaves with another's.
  const pool = new pg.Pool({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, max: 1 })
  t.teardown(() => pool.end())
  return pool
}

t.test('pgvector: extension, vector column, HNSW index, top k, hybrid retrieval', async (t) => {
  const pool = await pgvectorServer(t)
  await applyMigrations(pool)
  const db = createDatabase(pool)
  t.equal(await hasVectorColumn(db), true, 'migration 0018 found pgvector and added the vector column')
  t.match((await pool.query('SELECT extversion FROM pg_extension WHERE extname = \'vector\'')).rows, [{ extversion: /^0\.\d+\.\d+$/ }])

  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: 'postgres://unused', RAG_EMBEDDING_MODEL: MODEL, RAG_CHUNK_UNIT: 'words', RAG_CHUNK_SIZE: '20', RAG_CHUNK_OVERLAP: '0' })
  const client = seededEmbedder(DIMS)
  const random = seeded(5)
  const project = await createProject(db)
  for (let f = 0; f < 6; f++) await addFullText(db, project, randomPages(random, 3, 400))
  const target = 'The working alliance was measured with the Working Alliance Inventory short form at week four of the trial period'
  await addFullText(db, project, [target])
  const result = await indexProject({ db, config, client }, project)
  t.match(result, { indexed: 7, errors: [], chunks: 6 * 3 * 20 + 1 })
  t.match(await indexStatus(db, config, project), { vectorIndex: 'pgvector-hnsw', embeddedChunks: 361 })

  const { rows: [stored] } = await pool.query<{ n: number; dims: number }>('SELECT count(embedding_vector)::int AS n, min(vector_dims(embedding_vector)) AS dims FROM full_text_chunks')
  t.same(stored, { n: 361, dims: DIMS }, 'every embedding is in the vector column')
  const { rows: indexes } = await pool.query('SELECT indexdef FROM pg_indexes WHERE indexname = $1', [`full_text_chunks_hnsw_${DIMS}`])
  t.match(indexes, [{ indexdef: /USING hnsw .*vector_cosine_ops.*WHERE \(vector_dims\(embedding_vector\) = 16\)/ }])

  // The top-k query can be answered by the HNSW index (the planner prefers other scans of a table this small unless told not to).
  const [question] = (await client.embed({ model: MODEL, input: [target] })).embeddings
  await pool.query('ANALYZE full_text_chunks')
  const plan = await db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL enable_seqscan = off`)
    await tx.execute(sql`SET LOCAL enable_bitmapscan = off`)
    const literal = `[${question.join(',')}]`
    return (await tx.execute<{ 'QUERY PLAN': string }>(sql`EXPLAIN SELECT id FROM ${fullTextChunks}
      WHERE project_id = ${project} AND embedding_model = ${MODEL} AND vector_dims(embedding_vector) = 16
      ORDER BY embedding_vector::vector(16) <=> ${literal}::vector(16), id LIMIT 10`)).rows.map((r) => r['QUERY PLAN']).join('\n')
  })
  t.match(plan, /Index Scan using full_text_chunks_hnsw_16/)

  // 50 deep (more than HNSW's default ef_search of 40), the chunk itself first.
  const nearest = await nearestChunks(db, project, MODEL, question, 50)
  t.equal(nearest.length, 50)
  const [targetChunk] = await db.select({ id: fullTextChunks.id }).from(fullTextChunks).where(eq(fullTextChunks.text, target))
  t.equal(nearest[0].id, targetChunk.id)
  t.ok(Math.abs(nearest[0].similarity - 1) < 1e-6)
  t.ok(nearest.every((n, i) => i === 0 || n.similarity <= nearest[i - 1].similarity), 'most similar first')

  // Another project's chunks in the same HNSW index: its filter keeps few of the nearest rows, and the scan goes on.
  const other = await createProject(db, 'other')
  for (let f = 0; f < 10; f++) await addFullText(db, other, randomPages(random, 3, 400))
  t.match(await indexProject({ db, config, client }, other), { chunks: 600, errors: [] })
  const small = await createProject(db, 'small')
  await addFullText(db, small, randomPages(random, 1, 200))
  await indexProject({ db, config, client }, small)
  // The index scan is the plan (as on a large table): sorting and the other scans are priced out, for this one session.
  await pool.query('ANALYZE full_text_chunks')
  await pool.query('SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off')
  t.equal((await nearestChunks(db, small, MODEL, question, 10)).length, 10, 'the small project\'s 10 chunks, found past the other projects\' nearer ones')
  await pool.query('RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_sort')

  // Hybrid: the lexical ranking and the vector ranking fused, both ranking the passage first.
  const hybrid = await retrieve({ db, config, client: seededEmbedder(DIMS) }, project, target, { topK: 5 })
  t.equal(hybrid.mode, 'hybrid')
  t.match(hybrid.chunks[0], { chunkId: targetChunk.id, lexicalRank: 1, vectorRank: 1 })
  t.equal(hybrid.chunks.length, 5)
})

t.test('migration 0023 on a pgvector database: real[] embeddings become float4 and codes, the HNSW index is rebuilt', async (t) => {
  const pool = await pgvectorServer(t)
  await applyMigrations(pool, await migrationsBefore(t, '0023'))
  const db = createDatabase(pool)
  const project = await createProject(db)
  const fileId = await addFullText(db, project, ['one page'])
  const stored = [0.6, -0.8, 0, 0.000_123]
  await pool.query(`INSERT INTO full_text_chunks (file_id, project_id, page, ordinal, start_offset, end_offset, text, embedding, embedding_model, embedding_vector)
    VALUES ($1, $2, 1, 0, 0, 8, 'one page', $3::real[], 'm', $3::real[]::vector)`, [fileId, project, `{${stored.join(',')}}`])
  await pool.query('CREATE INDEX full_text_chunks_hnsw_4 ON full_text_chunks USING hnsw ((embedding_vector::vector(4)) vector_cosine_ops) WHERE array_length(embedding, 1) = 4')
  await applyMigrations(pool)
  const { rows: [row] } = await pool.query('SELECT embedding, embedding_codes, embedding_scale, embedding_residual FROM full_text_chunks')
  t.same([0, 1, 2, 3].map((i) => row.embedding.readFloatBE(i * 4)), stored.map(Math.fround))
  t.same([...new Int8Array(row.embedding_codes)], [95, -127, 0, 0])
  t.equal(Math.fround(row.embedding_scale), Math.fround(Math.fround(0.8) / 127), 'the scale as the indexing task computes it')
  t.ok(row.embedding_residual > 0 && row.embedding_residual < row.embedding_scale * 2)
  const { rows: indexes } = await pool.query('SELECT indexdef FROM pg_indexes WHERE indexname = \'full_text_chunks_hnsw_4\'')
  t.match(indexes, [{ indexdef: /WHERE \(vector_dims\(embedding_vector\) = 4\)/ }])
})
