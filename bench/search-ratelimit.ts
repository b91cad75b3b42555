/**
 * How close a large PubMed search gets to the fastest the NCBI rate limit
 * allows. A local E-utilities server (in its own process, so that its timing
 * is not disturbed by the client's XML parsing, as a remote server's would
 * not be) holds 10,000 records and answers 429 past 3 requests in any second
 * (NCBI's limit without an API key). The real PubMedConnector, without a key,
 * fetches everything: esearch with history, the publication-date split that
 * 10,000 hits (> 9,999) require, and efetch in batches of
 * PUBMED_DEFAULT_BATCH_SIZE (500) records.
 *
 * The minimum time for N requests at 3/s is N / 3 seconds; the ratio printed
 * is wall time / that minimum (target ≤ 1.2).
 *
 * With `--processes=3`, three processes (as the web process and workers would
 * be) run the same search at once, sharing the limit through a redis-server
 * started for the run (the service's Redis limiter, src/net/redis-rate-limit.ts).
 *
 *   npx tsx bench/search-ratelimit.ts [--processes=3]
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { PubMedConnector, PUBMED_DEFAULT_BATCH_SIZE } from '../src/connectors/pubmed.ts'
import { createRedisRateLimiters } from '../src/net/redis-rate-limit.ts'
import { onFreePort } from '../test/support/ports.ts'
import { spawnRedis } from '../test/support/redis.ts'
import { makeCorpus } from '../test/support/api-servers/corpus.ts'
import { startPubMedServer } from '../test/support/api-servers/pubmed.ts'
import { maxInWindow } from '../test/support/api-servers/server.ts'

const RECORDS = 10_000
const RATE = 3
const QUERY = '(digital OR internet) AND therapeutic alliance'

interface ServerStats {
  requests: Array<{ path: string; at: number }>
  rejected: number
}

if (process.argv[2] === 'serve') {
  const server = await startPubMedServer(makeCorpus(RECORDS, { fromYear: 1990, toYear: 2024 }), { rateLimit: { requests: RATE, windowMs: 1000 } })
  process.send!({ baseUrl: server.baseUrl })
  process.on('message', async (message) => {
    if (message !== 'stats') return
    const stats: ServerStats = { requests: server.requests.map((r) => ({ path: r.path, at: r.at + performance.timeOrigin })), rejected: server.rejected.length }
    process.send!(stats)
    await server.close()
    process.exit(0)
  })
} else if (process.argv[2] === 'client') {
  // One of several processes sharing the limit through Redis.
  const [, , , baseUrl, redisUrl] = process.argv
  const redis = new Redis(redisUrl)
  const limiters = createRedisRateLimiters(redis, { prefix: 'bench' })
  const pubmed = new PubMedConnector({ baseUrl, email: 'bench@example.org', limiters })
  const result = await pubmed.search(QUERY, { maxRecords: Infinity })
  limiters.close()
  await redis.quit()
  process.send!({ records: result.records.length, total: result.total })
  process.disconnect()
} else {
  const processes = Number(process.argv.find((a) => a.startsWith('--processes='))?.split('=')[1] ?? 1)
  const child = fork(fileURLToPath(import.meta.url), ['serve'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const baseUrl = await new Promise<string>((resolve) => child.once('message', (m) => resolve((m as { baseUrl: string }).baseUrl)))
  let result: { records: Array<{ pmid?: string }>; total: number; notes: string[] }
  let wallSeconds: number
  if (processes > 1) {
    let port = 0
    const redisServer = await onFreePort(async (p) => { port = p; return spawnRedis(p) })
    const started = performance.now()
    const answers = await Promise.all(Array.from({ length: processes }, () => {
      const client = fork(fileURLToPath(import.meta.url), ['client', baseUrl, `redis://127.0.0.1:${port}`], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      return new Promise<{ records: number; total: number }>((resolve) => client.once('message', (m) => resolve(m as { records: number; total: number })))
    }))
    wallSeconds = (performance.now() - started) / 1000
    redisServer.kill()
    console.log(`processes              ${processes}, each retrieving ${answers.map((a) => a.records).join(', ')} records`)
    result = { records: [], total: answers[0].total, notes: [] }
  } else {
    const pubmed = new PubMedConnector({ baseUrl, email: 'bench@example.org' })
    const started = performance.now()
    result = await pubmed.search(QUERY, { maxRecords: Infinity })
    wallSeconds = (performance.now() - started) / 1000
  }
  child.send('stats')
  const stats = await new Promise<ServerStats>((resolve) => child.once('message', (m) => resolve(m as ServerStats)))
  const requests = stats.requests.length
  const esearch = stats.requests.filter((r) => r.path.endsWith('esearch.fcgi')).length
  const efetch = stats.requests.filter((r) => r.path.endsWith('efetch.fcgi')).length
  const minimumSeconds = requests / RATE
  const unique = new Set(result.records.map((r) => r.pmid)).size
  if (processes === 1) console.log(`records retrieved      ${result.records.length} (${unique} unique) of ${result.total}`)
  console.log(`efetch batch size      ${PUBMED_DEFAULT_BATCH_SIZE}`)
  console.log(`requests               ${requests} (${esearch} esearch, ${efetch} efetch)`)
  console.log(`refused with 429       ${stats.rejected}`)
  console.log(`max starts in any 1 s  ${maxInWindow(stats.requests.map((r) => r.at), 1000)} (limit ${RATE})`)
  console.log(`wall time              ${wallSeconds.toFixed(2)} s`)
  console.log(`minimum at ${RATE}/s        ${minimumSeconds.toFixed(2)} s (requests / ${RATE})`)
  console.log(`ratio                  ${(wallSeconds / minimumSeconds).toFixed(3)}x (target <= 1.2x)`)
  for (const note of result.notes) console.log(`note: ${note}`)
}
