import t from 'tap'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build, needsServices, userWithToken, taskFinished } from '../helper.ts'
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
} else t.test('concurrent searches of one database share its rate limit', { skip: needsServices }, async (t) => {
  const pubmed = await startRemotePubMed(t)
  const app = await build(t, { PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl, JOB_CONCURRENCY: '2' })
  const alice = await userWithToken(app)
  const projects = await Promise.all(['A', 'B'].map(async (name) =>
    (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name } })).json().id as string))

  const started = performance.now()
  const taskIds = await Promise.all(projects.map(async (projectId) => {
    const res = await app.inject({
      method: 'POST', url: `/api/projects/${projectId}/searches`, headers: alice.auth,
      payload: { query: 'internet interventions', databases: ['pubmed'], maxRecordsPerDatabase: 2000 }
    })
    t.equal(res.statusCode, 202)
    return res.json().id as string
  }))
  const tasks = await Promise.all(taskIds.map((id) => taskFinished(app, alice.auth, id)))
  const seconds = (performance.now() - started) / 1000

  for (const task of tasks) {
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.match(task.result.databases[0], { retrieved: 2000, newRecords: 2000 })
  }
  const stats = await pubmed.stats()
  t.equal(stats.requests.length, 10, 'each search: one esearch and four efetch batches of 500')
  t.equal(stats.rejected, 0, 'no request was refused for going over the limit')
  t.ok(maxInWindow(stats.requests, 1000) <= 3, 'at most 3 requests started in any second, across both tasks')
  // 10 requests at 3/s need at least ~3 s; concurrency keeps the whole close to that (storage included).
  t.ok(seconds < 10, `both searches finished in ${seconds.toFixed(1)} s`)
})
