/** Helpers shared by the benchmarks: free ports, a server child process, readiness polling, timed parsing. */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { openReferenceFile } from '../src/references/import.ts'
import { parseLabelledCsv, type SimulationRecord } from '../src/screening/simulate.ts'
import { freePort } from '../test/support/ports.ts'

export { freePort, onFreePort } from '../test/support/ports.ts'

export interface ServerProcess {
  child: ChildProcess
  port: number
  stop(): Promise<void>
}

/**
 * How the service runs: from the TypeScript sources through tsx (`npm start`)
 * or compiled to JavaScript (`npm run build`, then `npm run start:prod`).
 */
export type ServerBuild = 'tsx' | 'built'

/** Starts the service in its own process and resolves once /api/health/ready answers 200. */
export async function startServer(env: Record<string, string | undefined>, build: ServerBuild = 'tsx', distDir = 'dist'): Promise<ServerProcess & { readyMs: number; readyCpuMs: number }> {
  const compiled = `${distDir}/src/server.js`
  if (build === 'built' && !existsSync(compiled)) throw new Error(`${compiled} is missing: run \`npm run build\` first`)
  const port = await freePort()
  const started = performance.now()
  const args = build === 'built' ? [compiled] : ['--import', 'tsx', 'src/server.ts']
  // The compiled service runs as `npm run start:prod` and the image run it: with two malloc arenas.
  const deployed = build === 'built' ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' } : {}
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...deployed, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env }, stdio: ['ignore', 'ignore', 'inherit']
  })
  let exited = false
  child.on('exit', () => { exited = true })
  for (;;) {
    if (exited) throw new Error('server exited during start-up')
    const ok = await fetch(`http://127.0.0.1:${port}/api/health/ready`).then((r) => r.status === 200, () => false)
    if (ok) break
    await new Promise((r) => setTimeout(r, 10))
  }
  const readyMs = performance.now() - started
  // CPU time (user + system) the process used to get there: steadier than wall time on a loaded machine.
  const readyCpuMs = processCpuMs(child.pid as number)
  return {
    child, port, readyMs, readyCpuMs,
    stop: () => new Promise((resolve) => {
      if (exited) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  }
}

/** A connection to the service's database and the API token of a user created there for the benchmark. */
export async function benchUser(databaseUrl: string): Promise<{ client: pg.Client; auth: { authorization: string } }> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const token = 'alt_bench-token-0000000000000000000000000000'
  const { rows: [user] } = await client.query('INSERT INTO users (email, name) VALUES (\'bench@example.org\', \'Bench\') RETURNING id')
  await client.query('INSERT INTO api_tokens (user_id, token_hash) VALUES ($1, encode(sha256($2::bytea), \'hex\'))', [user.id, token])
  return { client, auth: { authorization: `Bearer ${token}` } }
}

const TICK_MS = 10 // USER_HZ = 100 on Linux

/** utime + stime of a process in ms (with `reaped`, also its reaped children's), from /proc; 0 when it is gone. */
export function processCpuMs(pid: number, reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0)) * TICK_MS
  } catch {
    return 0
  }
}

/**
 * CPU of the PostgreSQL server whose data directory is `dataDir`: the postmaster, its live children
 * (backends, autovacuum, checkpointer) and those it reaped, in ms.
 */
export function postgresCpuMs(dataDir: string): number {
  const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  let total = processCpuMs(postmaster, true)
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) total += processCpuMs(Number(entry))
    } catch { /* gone */ }
  }
  return total
}

/** A process's current and peak resident set size in bytes, from /proc (Linux). */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kilobytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { rss: kilobytes('VmRSS'), peak: kilobytes('VmHWM') }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** The q-quantile of `values` (nearest rank below: the value at ⌊q·n⌋ of the sorted values), e.g. 0.99 for p99. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

export interface ParseRun {
  format: string
  encoding: string
  records: number
  errors: number
  seconds: number
  /** This process's resident memory before parsing and its peak while parsing, in bytes. */
  rssBefore: number
  peakRss: number
}

/** Reads every item of a reference file as the import job does, timing it and sampling this process's RSS. */
export async function parseFile(path: string): Promise<ParseRun> {
  global.gc?.()
  const rssBefore = process.memoryUsage().rss
  let peakRss = rssBefore
  const sample = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }
  const sampler = setInterval(sample, 20)
  const started = performance.now()
  const opened = await openReferenceFile(path)
  let records = 0
  let errors = 0
  for await (const item of opened.items) {
    if (item.kind === 'record') records++
    else errors++
    if (((records + errors) & 0xfff) === 0) sample()
  }
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  sample()
  return { format: opened.format.id, encoding: opened.encoding, records, errors, seconds, rssBefore, peakRss }
}

/** The Cohen 2006 labelled datasets of shared/datasets/screening concatenated (exits when they are absent). */
export function cohenRecords(): SimulationRecord[] {
  const dir = fileURLToPath(new URL('../../shared/datasets/screening/Cohen_2006/', import.meta.url))
  if (!existsSync(dir)) {
    console.error(`datasets not found at ${dir}`)
    process.exit(1)
  }
  const records: SimulationRecord[] = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.csv')).sort()) records.push(...parseLabelledCsv(readFileSync(path.join(dir, file))).records)
  return records
}
