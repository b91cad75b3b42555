import t from 'tap'
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build, needsRedis, needsServices, taskFinished, TEST_REDIS_URL, userWithToken, waitFor } from '../helper.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startPubMedServer } from '../support/api-servers/pubmed.ts'
import { maxInWindow } from '../support/api-servers/server.ts'

interface ServerStats {
  /** Arrival times (ms since the epoch) of every request. */
  requests: number[]
  rejected: number
}

/**
 * The E-utilities server runs in its own process, as a remote server would:
 * in the test's process, arrival times would be those at which its event
 * loop got round to them, and the app's work would skew them.
 */
async function startRemotePubMed(t: { teardown(fn: () => unknown): void }) {
  const child = fork(fileURLToPath(import.meta.url), ['serve-pubmed'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.teardown(() => { child.kill() })
  // Only the messages that have `key`: tap, imported by the child too, sends its own.
  const next = <T>(key: string) => new Promise<T>((resolve) => {
    const onMessage = (m: unknown) => {
      if (!m || typeof m !== 'object' || !(key in m)) return
      child.off('message', onMessage)
      resolve(m as T)
    }
    child.on('message', onMessage)
  })
  const { baseUrl, idconvUrl } = await next<{ baseUrl: string; idconvUrl: string }>('baseUrl')
  const stats = async () => {
    const answer = next<ServerStats>('requests')
    child.send('stats')
    return answer
  }
  return { baseUrl, idconvUrl, stats }
}

if (process.argv[2] === 'serve-pubmed') {
  // NCBI without an API key: 3 requests in any second, 429 past that.
  const server = await startPubMedServer(makeCorpus(2000), { rateLimit: { requests: 3, windowMs: 1000 } })
  process.send!({ baseUrl: server.baseUrl, idconvUrl: server.idconvUrl })
  process.on('message', (message) => {
    if (message === 'stats') process.send!({ requests: server.requests.map((r) => r.at + performance.timeOrigin), rejected: server.rejected.length } satisfies ServerStats)
  })
  process.on('disconnect', () => process.exit(0))
} else {
// Worker processes start slowly through tsx on a busy machine.
  t.setTimeout(300_000)
  t.test('concurrent searches of one database share its rate limit', { skip: needsServices }, async (t) => {
    const pubmed = await startRemotePubMed(t)
    const app = await build(t, { PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl, JOB_CONCURRENCY: '2' })
    const alice = await userWithToken(app)
    const projects = await Promise.all(['A', 'B'].map(async (name) =>
      (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name } })).json().id as string))

    const taskIds = await Promise.all(projects.map(async (projectId) => {
      const res = await app.inject({
        method: 'POST', url: `/api/projects/${projectId}/searches`, headers: alice.auth,
        payload: { query: 'internet interventions', databases: ['pubmed'], maxRecordsPerDatabase: 2000 }
      })
      t.equal(res.statusCode, 202)
      return res.json().id as string
    }))
    const tasks = await Promise.all(taskIds.map((id) => taskFinished(app, alice.auth, id)))

    for (const task of tasks) {
      t.equal(task.status, 'succeeded', task.error ?? '')
      t.match(task.result.databases[0], { retrieved: 2000, newRecords: 2000 })
    }
    const stats = await pubmed.stats()
    t.equal(stats.requests.length, 10, 'each search: one esearch and four efetch batches of 500')
    t.equal(stats.rejected, 0, 'no request was refused for going over the limit')
    t.ok(maxInWindow(stats.requests, 1000) <= 3, 'at most 3 requests started in any second, across both tasks')
  })

  function startWorker(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr!.on('data', (c: Buffer) => { out += c.toString() })
    return { child, output: () => out }
  }

  t.test('searches in three worker processes share one rate limit through Redis', { skip: needsServices || needsRedis }, async (t) => {
    const pubmed = await startRemotePubMed(t)
    const app = await build(t, { REDIS_URL: TEST_REDIS_URL, PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl })
    const env = {
      DATABASE_URL: app.config.DATABASE_URL, REDIS_URL: app.config.REDIS_URL, QUEUE_PREFIX: app.config.QUEUE_PREFIX, STORAGE_DIR: app.storageDir,
      PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl, LOG_LEVEL: 'info', JOB_CONCURRENCY: '1'
    }
    const workers = [startWorker(env), startWorker(env), startWorker(env)]
    t.teardown(() => { for (const w of workers) w.child.kill('SIGKILL') })
    await waitFor(async () => workers.every((w) => w.output().includes('worker ready')), 180_000, 100)
      .catch((error: Error) => { throw new Error(`${error.message}: ${workers.map((w) => w.output().slice(-500)).join('\n---\n')}`) })

    const alice = await userWithToken(app)
    const taskIds = await Promise.all(['A', 'B', 'C'].map(async (name) => {
      const projectId = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name } })).json().id as string
      const res = await app.inject({
        method: 'POST', url: `/api/projects/${projectId}/searches`, headers: alice.auth,
        payload: { query: 'internet interventions', databases: ['pubmed'], maxRecordsPerDatabase: 2000 }
      })
      t.equal(res.statusCode, 202)
      return res.json().id as string
    }))
    const tasks = await Promise.all(taskIds.map((id) => taskFinished(app, alice.auth, id, 120000)))
    for (const task of tasks) {
      t.equal(task.status, 'succeeded', task.error ?? '')
      t.match(task.result.databases[0], { retrieved: 2000, newRecords: 2000 })
    }
    // JOB_CONCURRENCY 1: each worker ran one of the three searches, all at once.
    for (const [i, worker] of workers.entries()) t.ok(taskIds.some((id) => worker.output().includes(id)), `worker ${i + 1} ran a search`)

    const stats = await pubmed.stats()
    // 15 requests (one esearch and four efetch batches of 500 each), and a retry if a kept-alive connection closed under a busy machine.
    t.ok(stats.requests.length >= 15, `every request reached the server (${stats.requests.length})`)
    t.equal(stats.rejected, 0, 'no request was refused for going over the limit')
    t.ok(maxInWindow(stats.requests, 1000) <= 3, `at most 3 requests started in any second across the three processes (saw ${maxInWindow(stats.requests, 1000)})`)
  })
}
