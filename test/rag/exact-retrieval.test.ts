import { eq } from 'drizzle-orm'
import pg from 'pg'
import t from 'tap'
import { loadConfig } from '../../src/config.ts'
import { createDatabase, type Database } from '../../src/db/index.ts'
import { applyMigrations } from '../../src/db/migrate.ts'
import { fullTextChunks } from '../../src/db/schema.ts'
import { indexProject, indexStatus, nearestChunks, unit } from '../../src/services/rag.ts'
import { vectorCacheBytes } from '../../src/services/rag-exact.ts'
import { storeExtraction } from '../../src/services/fulltext-text.ts'
import { createTestDatabase, needsServices } from '../helper.ts'
import { addFullText, createProject, randomPages, randomVector, seeded, seededEmbedder } from './fixture.ts'
import { migrationsBefore } from './migrations.ts'

const DIMS = 24
const MODEL = 'seeded:latest'

/** The reference: every stored float4 embedding of the project scored in SQL-free JS, sorted. */
async function bruteForce(db: Database, projectId: string, query: number[], k: number) {
  const rows = await db.select({ id: fullTextChunks.id, embedding: fullTextChunks.embedding }).from(fullTextChunks).where(eq(fullTextChunks.projectId, projectId))
  const scored = rows.filter((r) => r.embedding).map((r) => {
    let similarity = 0
    for (let i = 0; i < DIMS; i++) similarity += r.embedding!.readFloatBE(i * 4) * query[i]
    return { id: r.id, similarity }
  })
  return scored.sort((a, b) => b.similarity - a.similarity || a.id - b.id).slice(0, k)
}

t.test('exact retrieval without pgvector: the brute-force top k, kept up to date across processes', { skip: needsServices }, async (t) => {
  const url = await createTestDatabase(t)
  const pools = [new pg.Pool({ connectionString: url, max: 2 }), new pg.Pool({ connectionString: url, max: 2 })]
  t.teardown(() => Promise.all(pools.map((p) => p.end())))
  await applyMigrations(pools[0])
  // Two processes: each database handle has its own cache.
  const [web, worker] = pools.map((p) => createDatabase(p))
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: url, RAG_EMBEDDING_MODEL: MODEL, RAG_CHUNK_UNIT: 'words', RAG_CHUNK_SIZE: '20', RAG_CHUNK_OVERLAP: '0' })
  const client = seededEmbedder(DIMS)
  const random = seeded(11)
  const project = await createProject(worker)
  const other = await createProject(worker, 'other project')
  const fileIds: string[] = []
  for (let f = 0; f < 12; f++) fileIds.push(await addFullText(worker, project, randomPages(random, 4, 400)))
  // Equal pages, equal vectors: ties.
  const page = randomPages(random, 1, 200)[0]
  await addFullText(worker, project, [page, page])
  await addFullText(worker, other, randomPages(random, 2, 400))
  await indexProject({ db: worker, config, client }, project)
  await indexProject({ db: worker, config, client }, other)
  t.match(await indexStatus(web, config, project), { vectorIndex: 'exact', embeddedChunks: 12 * 4 * 20 + 20 })

  const compare = async (db: Database, label: string, cacheBytes?: number) => {
    for (const k of [1, 10, 50]) {
      for (let run = 0; run < 4; run++) {
        const query = randomVector(random, DIMS)
        // The service scales the question to unit length; the reference scores that same vector.
        t.same(await nearestChunks(db, project, MODEL, query, k, cacheBytes), await bruteForce(web, project, unit(query), k), `${label}: k=${k}`)
      }
    }
  }
  await compare(web, 'cached')
  const cached = vectorCacheBytes(web)
  t.equal(cached, (12 * 4 * 20 + 20) * (DIMS + 16), 'the cache holds the codes, ids, scales and residuals of the project')

  // A stored vector as the question: itself first, its duplicate (same text) next with the same similarity.
  const [dup] = await web.select({ id: fullTextChunks.id, text: fullTextChunks.text }).from(fullTextChunks).where(eq(fullTextChunks.text, page.split(' ').slice(0, 20).join(' ')))
  const [vector] = (await client.embed({ model: MODEL, input: [dup.text] })).embeddings
  const top = await nearestChunks(web, project, MODEL, vector, 2)
  t.equal(top[0].similarity, top[1].similarity, 'a tie')
  t.ok(top[0].id < top[1].id, 'broken by the smaller id')

  // Another process re-indexes a file and deletes another: the web process's cache follows.
  await storeExtraction(worker, project, fileIds[0], {
    ok: true, text: { pages: [{ number: 1, text: randomPages(random, 1, 400)[0] }], sections: [], metadata: { pageCount: 1, encrypted: false, ocrPages: [] } }
  })
  await indexProject({ db: worker, config, client }, project)
  await storeExtraction(worker, project, fileIds[1], { ok: false, error: { code: 'unreadable', message: 'no text layer' } } as never)
  await compare(web, 'after changes elsewhere')
  t.equal(vectorCacheBytes(web), (10 * 80 + 20 + 20) * (DIMS + 16), 'the re-indexed file replaced (one page now), the one extracted without text dropped')

  // A bound below the project's size: streamed from the database, same answers, nothing kept.
  await compare(worker, 'streamed', 1000)
  t.equal(vectorCacheBytes(worker), 0)
})

t.test('embeddings stored as real[] before migration 0023 are found by the exact search after it', { skip: needsServices }, async (t) => {
  const url = await createTestDatabase(t)
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  t.teardown(() => pool.end())
  await applyMigrations(pool, await migrationsBefore(t, '0023'))
  const db = createDatabase(pool)
  const project = await createProject(db)
  const random = seeded(23)
  const fileId = await addFullText(db, project, ['one page'])
  const vectors = Array.from({ length: 300 }, () => unit(randomVector(random, DIMS)))
  await pool.query(`INSERT INTO full_text_chunks (file_id, project_id, page, ordinal, start_offset, end_offset, text, embedding, embedding_model)
    SELECT $1, $2, 1, n, 0, 8, 'one page', v::real[], $4 FROM unnest($3::text[]) WITH ORDINALITY AS u(v, n)`,
  [fileId, project, vectors.map((v) => `{${v.join(',')}}`), MODEL])
  await pool.query('INSERT INTO full_text_index (file_id, project_id, chunking, embedding_model, dimensions, chunk_count) VALUES ($1, $2, \'words:20:0\', $3, $4, 300)',
    [fileId, project, MODEL, DIMS])
  await applyMigrations(pool)
  for (const k of [1, 10, 50]) {
    const query = randomVector(random, DIMS)
    t.same(await nearestChunks(db, project, MODEL, query, k), await bruteForce(db, project, unit(query), k), `k=${k}`)
  }
  const [first] = await bruteForce(db, project, vectors[0], 1)
  t.ok(Math.abs(first.similarity - 1) < 1e-6, 'a stored vector is its own nearest, its float4 kept')
})
