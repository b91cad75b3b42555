/**
 * The interactive paths of the compiled service against an external PostgreSQL, in one run:
 * start-up to ready and idle RSS; GET /api/health against a bare Fastify hello-world; a page of 50
 * of 20,000 articles with each sort and filter (requests/s, p50/p99 at 20 connections, and CPU per
 * request of the service process AND of the PostgreSQL server processes, from /proc); the first view
 * of distinct pages (nothing cached); and the screening loop (next record + decision) at 10,000
 * records with the model retraining in the background.
 *   npx tsx bench/http.ts [seconds per run, default 5] [screening iterations, default 150]
 *   BENCH_SCREENING_ONLY=1 npx tsx bench/http.ts 5 300   # the screening loop alone (and its floor)
 *   BENCH_SCREENING_ONLY=1 BENCH_FLOOR_ONLY=1 npx tsx bench/http.ts 5 300   # the floor alone
 */
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { buildService } from '../scripts/build.ts'
import { benchUser, freePort, onFreePort, postgresCpuMs, processCpuMs, processMemory, quantile, startServer } from './support.ts'

const seconds = Number(process.argv[2] ?? 5)
const screeningIterations = Number(process.argv[3] ?? 150)
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-bench-'))
await fs.chmod(root, 0o755)
const dist = await buildService(path.join(root, 'dist'))
const pgDir = path.join(root, 'pg')
const database = await onFreePort((port) => startEmbeddedPostgres({ dataDir: pgDir, port }))
const server = await startServer({ DATABASE_URL: database.url, STORAGE_DIR: path.join(root, 'files') }, 'built', dist)
const serverPid = server.child.pid as number
await new Promise((r) => setTimeout(r, 2000))
console.log(`start-up to ready (compiled, external PostgreSQL): ${server.readyMs.toFixed(0)} ms; idle RSS ${(processMemory(serverPid).rss / 2 ** 20).toFixed(0)} MB`)

function cpuMeter(pid = serverPid) {
  const node0 = processCpuMs(pid)
  const pg0 = postgresCpuMs(pgDir)
  return (requests: number) => {
    const node = (processCpuMs(pid) - node0) / requests
    const pgMs = (postgresCpuMs(pgDir) - pg0) / requests
    return `CPU/request ${(node + pgMs).toFixed(3)} ms (node ${node.toFixed(3)} + PostgreSQL ${pgMs.toFixed(3)})`
  }
}

const { client, auth } = await benchUser(database.url)
const { rows: [{ id: userId }] } = await client.query('SELECT id FROM users WHERE email = \'bench@example.org\'')
async function newProject(name: string): Promise<string> {
  const { rows: [project] } = await client.query('INSERT INTO projects (name, created_by) VALUES ($1, $2) RETURNING id', [name, userId])
  await client.query('INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, \'owner\')', [project.id, userId])
  return project.id
}
// One import's worth: every row shares one created_at, as in a real import.
const pageProject = await newProject('Pages')
await client.query(`
  INSERT INTO articles (project_id, source_index, title, abstract, authors, year, journal, doi)
  SELECT $1, i, 'Study ' || i || ' of conversational agents and the therapeutic alliance',
         repeat('An abstract sentence about digital mental health interventions. ', 20),
         '[{"family":"Doe","given":"Jane"},{"family":"Roe","given":"Rick"}]'::jsonb,
         1990 + i % 35, 'Journal ' || (i % 40), '10.1000/bench.' || i
  FROM generate_series(1, 20000) AS i`, [pageProject])
await client.query(`
  INSERT INTO decisions (project_id, article_id, reviewer_id, decision)
  SELECT project_id, id, $2, (CASE WHEN source_index % 10 = 0 THEN 'include' ELSE 'exclude' END)::decision_value
  FROM articles WHERE project_id = $1 AND source_index % 10 < 3`, [pageProject, userId])
const words = ['chatbot', 'alliance', 'depression', 'anxiety', 'trial', 'adolescents', 'app', 'therapy', 'cohort', 'qualitative', 'survey', 'sleep', 'exercise', 'stroke', 'cancer', 'diabetes']
async function screeningProject(name: string): Promise<string> {
  const id = await newProject(name)
  await client.query(`
    INSERT INTO articles (project_id, source_index, title, abstract, year)
    SELECT $1, i, 'Record ' || i || ' ' || ($2::text[])[1 + i % 16] || ' ' || ($2::text[])[1 + (i * 7) % 16],
           'About ' || ($2::text[])[1 + (i * 3) % 16] || ' and ' || ($2::text[])[1 + (i * 5) % 16] || ' in ' || ($2::text[])[1 + (i * 11) % 16], 2000 + i % 25
    FROM generate_series(1, 10000) AS i`, [id, words])
  return id
}
const screenProject = await screeningProject('Screening')
const pacedProject = await screeningProject('Screening at a reviewer\'s pace')
await client.query('VACUUM ANALYZE')

const base = `http://127.0.0.1:${server.port}/api`

async function run(title: string, url: string, headers: Record<string, string> = auth, expect = 200, pid = serverPid) {
  await fetch(url, { headers }).then((r) => r.arrayBuffer()) // warm-up: the first view is measured on its own below
  const meter = cpuMeter(pid)
  const result = await autocannon({ url, connections: 20, duration: seconds, headers })
  const bad = expect === 304 ? result.requests.total - (result['3xx'] ?? 0) : result.non2xx
  if (bad > 0 || result.errors > 0) throw new Error(`${title}: ${bad} unexpected answers, ${result.errors} errors`)
  console.log(`${title}: ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; ${meter(result.requests.total)}`)
}

// BENCH_SCREENING_ONLY=1: the screening loop alone (skips health, pages and first views).
if (!process.env.BENCH_SCREENING_ONLY) {
// A bare Fastify hello-world in its own process, measured in the same run as the service's health route.
  const helloPort = await freePort()
  const hello = spawn(process.execPath, ['--input-type=module', '-e', `
  import Fastify from 'fastify'
  const app = Fastify()
  app.get('/', async () => ({ status: 'ok' }))
  await app.listen({ port: ${helloPort}, host: '127.0.0.1' })`], { stdio: 'inherit' })
  for (;;) {
    if (await fetch(`http://127.0.0.1:${helloPort}/`).then((r) => r.ok, () => false)) break
    await new Promise((r) => setTimeout(r, 20))
  }
  for (let i = 0; i < 2; i++) {
    await run('hello-world (bare Fastify)', `http://127.0.0.1:${helloPort}/`, {}, 200, hello.pid)
    await run('GET /api/health', `${base}/health`, {})
  }
  hello.kill('SIGTERM')

  const pages = `${base}/projects/${pageProject}/articles`
  const queries = [
    'page=7&pageSize=50',
    'page=7&pageSize=50&sort=createdAt&order=desc',
    'page=7&pageSize=50&sort=title',
    'page=7&pageSize=50&sort=year&order=desc',
    'page=7&pageSize=50&sort=journal',
    'page=7&pageSize=50&decision=include',
    'page=7&pageSize=50&decision=undecided&sort=title',
    'page=2&pageSize=50&q=alliance%20therapeutic',
    'page=7&pageSize=50&includeDuplicates=true&sort=year'
  ]
  for (const query of queries) await run(`page of 50: ${query}`, `${pages}?${query}`)
  // A client that already holds the page (If-None-Match).
  const etag = (await fetch(`${pages}?page=7&pageSize=50`, { headers: auth })).headers.get('etag')
  if (etag) await run('page of 50, If-None-Match (304)', `${pages}?page=7&pageSize=50`, { ...auth, 'if-none-match': etag }, 304)
  else console.log('page of 50, If-None-Match: no ETag sent')

  // First views: distinct pages one after another, nothing cached yet.
  for (const sort of ['createdAt', 'title', 'year', 'journal']) {
    const meter = cpuMeter()
    const times: number[] = []
    for (let page = 101; page <= 160; page++) {
      const started = performance.now()
      const res = await fetch(`${pages}?page=${page}&pageSize=50&sort=${sort}`, { headers: auth })
      if (res.status !== 200) throw new Error(`first view: ${res.status}`)
      await res.arrayBuffer()
      times.push(performance.now() - started)
    }
    console.log(`first view of 60 distinct pages sorted by ${sort}, one at a time: ${stats(times)}; ${meter(times.length)}`)
  }
}

function stats(times: number[]): string {
  const at = (q: number) => quantile(times, q).toFixed(1)
  return `p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${Math.max(...times).toFixed(1)} ms`
}

/** The server's own time on a request, from its Server-Timing header (`app;dur=…`). */
const serverMs = (res: Response) => Number(/app;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN)

/**
 * The screening loop: next record, then a decision on it (which queues a retraining), one reviewer,
 * `thinkMs` between a record shown and its decision. With 0 the decisions come back to back, far
 * faster than anyone reads: the trainings then run without pause, competing with every request.
 */
async function screeningLoop(projectId: string, thinkMs: number): Promise<void> {
  const loop: number[] = []
  const nexts: number[] = []
  const decides: number[] = []
  const serverNexts: number[] = []
  const serverDecides: number[] = []
  // The rankings stored during the loop (read between iterations, outside the timed requests).
  const storedAt = async () => (await client.query('SELECT stored_at FROM screening_rankings WHERE project_id = $1 AND stage = \'title_abstract\'', [projectId])).rows[0]?.stored_at?.getTime() ?? 0
  let rankings = 0
  let lastStored = await storedAt()
  /** The first iteration whose record the trained model proposed (before it: the seeded random order). */
  let firstModelIteration = -1
  const meter = cpuMeter()
  for (let i = 0; i < screeningIterations; i++) {
    const started = performance.now()
    const next = await fetch(`${base}/projects/${projectId}/screening/next`, { headers: auth })
    const body = await next.json() as { article: { id: string; title: string } | null; rankedBy: string | null }
    if (body.rankedBy === 'model' && firstModelIteration < 0) firstModelIteration = i
    const between = performance.now()
    if (!body.article) break
    if (thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, thinkMs))
    const decision = /alliance|chatbot/.test(body.article.title) ? 'include' : 'exclude'
    const before = performance.now()
    const res = await fetch(`${base}/projects/${projectId}/articles/${body.article.id}/decisions`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ decision })
    })
    if (res.status !== 201) throw new Error(`decision: ${res.status} ${await res.text()}`)
    const ended = performance.now()
    nexts.push(between - started)
    decides.push(ended - before)
    serverNexts.push(serverMs(next))
    serverDecides.push(serverMs(res))
    loop.push(ended - before + between - started)
    const stored = await storedAt()
    if (stored !== lastStored) rankings++
    lastStored = stored
  }
  const pace = thinkMs > 0 ? `a decision ${thinkMs} ms after each record shown` : 'decisions back to back'
  console.log(`screening loop at 10,000 records, ${pace}, ${loop.length} iterations (${rankings} rankings stored by the background retraining during the loop): next ${stats(nexts)}; decision ${stats(decides)}; both ${stats(loop)}; ${meter(loop.length)}`)
  console.log(`  server time (Server-Timing): next ${stats(serverNexts)}; decision ${stats(serverDecides)}`)
  if (firstModelIteration >= 0) {
    const steady = (times: number[]) => stats(times.slice(firstModelIteration))
    console.log(`  from the model's first ranking on (iteration ${firstModelIteration}; before it, the seeded random order): server time of next ${steady(serverNexts)}; decision ${steady(serverDecides)}`)
  }
  const slowest = (times: number[]) => times.map((ms, i) => [i, ms] as const).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([i, ms]) => `#${i} ${ms.toFixed(1)}`).join(', ')
  console.log(`  slowest (iteration, server ms): next ${slowest(serverNexts)}; decision ${slowest(serverDecides)}`)
}

/**
 * The floor: a bare Fastify server in its own process with one pg pool on the same PostgreSQL, doing
 * the least a screening loop can do: `next` reads one record by primary key; the decision inserts one
 * row into a table without triggers and commits (one simple-protocol exchange, as the service's
 * decision). Same loop, same paces, same Server-Timing: what this machine allows any service here.
 */
async function floorLoop(thinkMs: number, port: number, ids: string[]): Promise<void> {
  const serverNexts: number[] = []
  const serverDecides: number[] = []
  for (let i = 0; i < screeningIterations; i++) {
    const next = await fetch(`http://127.0.0.1:${port}/next/${ids[i % ids.length]}`)
    const body = await next.json() as { id: string; title: string }
    if (thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, thinkMs))
    const res = await fetch(`http://127.0.0.1:${port}/decisions/${body.id}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: /alliance|chatbot/.test(body.title) ? 'include' : 'exclude' })
    })
    if (res.status !== 201) throw new Error(`floor decision: ${res.status}`)
    await res.arrayBuffer()
    serverNexts.push(serverMs(next))
    serverDecides.push(serverMs(res))
  }
  const pace = thinkMs > 0 ? `a decision ${thinkMs} ms after each record shown` : 'decisions back to back'
  console.log(`floor (bare Fastify + pg, one read / one insert-and-commit), ${pace}: server time of next ${stats(serverNexts)}; decision ${stats(serverDecides)}`)
}
await client.query('CREATE TABLE bench_floor_decisions (id bigserial PRIMARY KEY, article_id uuid NOT NULL, decision text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())')
const floorIds = (await client.query('SELECT id FROM articles WHERE project_id = $1 ORDER BY source_index LIMIT 1000', [screenProject])).rows.map((r) => r.id as string)
const floorPort = await freePort()
const floor = spawn(process.execPath, ['--input-type=module', '-e', `
  import Fastify from 'fastify'
  import pg from 'pg'
  const pool = new pg.Pool({ connectionString: ${JSON.stringify(database.url)}, max: 4 })
  const app = Fastify()
  app.addHook('onSend', async (_request, reply) => { reply.header('server-timing', 'app;dur=' + reply.elapsedTime.toFixed(2)) })
  // Fastify times a request (reply.elapsedTime) only when something listens for its end: a logger, as in the service, or this hook.
  app.addHook('onResponse', async () => {})
  app.get('/next/:id', async (request) => (await pool.query('SELECT id, title, abstract, year FROM articles WHERE id = $1', [request.params.id])).rows[0])
  app.post('/decisions/:id', async (request, reply) => {
    const { id } = request.params
    const { decision } = request.body
    if (!/^[0-9a-f-]{36}$/.test(id) || !['include', 'exclude'].includes(decision)) return reply.status(400).send({ error: 'bad input' })
    const results = await pool.query(\`BEGIN; INSERT INTO bench_floor_decisions (article_id, decision) VALUES ('\${id}', '\${decision}') RETURNING *; COMMIT\`)
    return reply.status(201).send(results[1].rows[0])
  })
  await app.listen({ port: ${floorPort}, host: '127.0.0.1' })`], { stdio: 'inherit' })
for (;;) {
  if (await fetch(`http://127.0.0.1:${floorPort}/next/${floorIds[0]}`).then((r) => r.ok, () => false)) break
  await new Promise((r) => setTimeout(r, 20))
}
await floorLoop(0, floorPort, floorIds)
await floorLoop(Number(process.env.BENCH_THINK_MS ?? 250), floorPort, floorIds)
floor.kill('SIGTERM')
// BENCH_FLOOR_ONLY=1: the floor alone.
if (!process.env.BENCH_FLOOR_ONLY) {
  await screeningLoop(screenProject, 0)
  // A fast reviewer reads an abstract in a few seconds; 250 ms is ten times faster still.
  await screeningLoop(pacedProject, Number(process.env.BENCH_THINK_MS ?? 250))
}
console.log(`RSS after the run: ${(processMemory(serverPid).rss / 2 ** 20).toFixed(0)} MB`)

await client.end()
await server.stop()
await database.stop()
await fs.rm(root, { recursive: true, force: true })
