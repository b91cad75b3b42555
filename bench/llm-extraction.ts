/**
 * LLM extraction throughput against the Ollama stand-in (test/llm/ollama-server.ts),
 * which answers each request after a fixed delay: the service should keep
 * `concurrency` requests in flight, so requests/s ≈ concurrency / delay.
 *
 *   npx tsx bench/llm-extraction.ts [--articles 24] [--delay 200] [--concurrency 1,2,4,8]
 *
 * An embedded PostgreSQL, the service in-process (in-process jobs,
 * LLM_CONCURRENCY = the largest concurrency), a project with a 10-field grid
 * (2 groups of 5 fields: 2 requests per article) and articles with a 3-page
 * full text. Prints, per concurrency, requests, wall time, requests/s, the
 * ideal concurrency / delay, and the most requests the stand-in saw at once.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createHash, randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { eq } from 'drizzle-orm'
import { createUser, issueToken } from '../src/auth/users.ts'
import { loadConfig } from '../src/config.ts'
import { articles, files, fullTextPages, fullTexts } from '../src/db/schema.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { buildServer } from '../src/server.ts'
import { startFakeOllama } from '../test/llm/ollama-server.ts'
import { onFreePort } from './support.ts'

const { values } = parseArgs({ options: { articles: { type: 'string' }, delay: { type: 'string' }, concurrency: { type: 'string' } } })
const count = Number(values.articles ?? 24)
const delay = Number(values.delay ?? 200)
const levels = (values.concurrency ?? '1,2,4,8').split(',').map(Number)

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-llm-bench-'))
await fs.chmod(root, 0o755)
const database = await onFreePort((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port }))
const fields = Array.from({ length: 10 }, (_, i) => ({ label: `Field ${i}`, type: 'text' }))
let ollama = await startFakeOllama({ models: ['llama3:8b'] })
const answer = ({ body }: { body: Record<string, unknown> }) => JSON.stringify(Object.fromEntries(Object.keys((body.format as { properties: object }).properties)
  .map((k) => [k, { value: 'a value', not_reported: false, quote: 'the sample of the study', page: 1 }])))

console.log(`articles: ${count} (2 requests each), stand-in delay ${delay} ms, node ${process.version}`)
console.log('| concurrency | requests | wall s | requests/s | concurrency / delay | most in flight |')
console.log('|---|---|---|---|---|---|')
try {
  for (const concurrency of levels) {
    await ollama.close()
    ollama = await startFakeOllama({ models: ['llama3:8b'], answer })
    const config = loadConfig({
      LOG_LEVEL: 'silent', DATABASE_URL: database.url, STORAGE_DIR: path.join(root, 'storage'), OLLAMA_BASE_URL: ollama.baseUrl,
      LLM_CONCURRENCY: String(Math.max(...levels))
    })
    const app = buildServer(config)
    await app.ready()
    const user = await createUser(app.db, { email: `${randomUUID()}@example.org` })
    const auth = { authorization: `Bearer ${(await issueToken(app.db, user.id)).token}` }
    const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: auth, payload: { name: 'bench' } })).json()
    const grid = (await app.inject({ method: 'POST', url: `/api/projects/${project.id}/grids`, headers: auth, payload: { definition: { name: 'g', sections: [{ title: 's', fields }] } } })).json()
    const rows = await app.db.insert(articles).values(Array.from({ length: count }, (_, i) => ({ projectId: project.id, title: `Study ${i} [slow:${delay}]`, sourceIndex: i }))).returning()
    for (const row of rows) {
      const [file] = await app.db.insert(files).values({
        projectId: project.id, storagePath: `x/${randomUUID()}.pdf`, originalName: 'x.pdf', contentType: 'application/pdf', size: 1, sha256: createHash('sha256').update(randomUUID()).digest('hex')
      }).returning()
      await app.db.insert(fullTexts).values({ fileId: file.id, projectId: project.id, status: 'ok', pageCount: 3, extractorVersion: 'bench' })
      await app.db.insert(fullTextPages).values([1, 2, 3].map((page) => ({ fileId: file.id, projectId: project.id, page, text: `Page ${page}: the sample of the study, field values.` })))
      await app.db.update(articles).set({ fullTextFileId: file.id }).where(eq(articles.id, row.id))
    }
    const started = performance.now()
    const task = (await app.inject({
      method: 'POST', url: `/api/projects/${project.id}/extraction/llm-runs`, headers: auth,
      payload: { gridId: grid.id, model: 'llama3:8b', articleIds: rows.map((r) => r.id), concurrency, fieldsPerGroup: 5 }
    })).json()
    let status = task
    while (!['succeeded', 'failed', 'cancelled'].includes(status.status)) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      status = (await app.inject({ url: `/api/tasks/${task.id}`, headers: auth })).json()
    }
    const seconds = (performance.now() - started) / 1000
    const requests = ollama.requests.filter((r) => r.path === '/api/generate').length
    if (status.status !== 'succeeded' || status.result.extracted !== count) throw new Error(`run ended ${status.status}: ${status.error ?? JSON.stringify(status.result)}`)
    console.log(`| ${concurrency} | ${requests} | ${seconds.toFixed(2)} | ${(requests / seconds).toFixed(2)} | ${(concurrency / (delay / 1000)).toFixed(2)} | ${ollama.maxGenerating()} |`)
    await app.close()
  }
} finally {
  await ollama.close()
  await database.stop()
  await fs.rm(root, { recursive: true, force: true })
}
