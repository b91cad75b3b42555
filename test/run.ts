/**
 * `npm test`: starts the real services the suite needs — an embedded
 * PostgreSQL and a redis-server on free loopback ports — runs tap with their
 * addresses in the environment, then stops them. Arguments are passed to tap
 * (e.g. `npm test -- test/app/boot.test.ts`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { isMissingDependencySkip } from './support/skips.ts'
import { failedTest } from './support/tap-report.ts'
import { spawnRedis } from './support/redis.ts'
import { onFreePort } from './support/ports.ts'

async function startRedis(): Promise<{ url: string; child: ChildProcess } | undefined> {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined
  return onFreePort(async (port) => ({ url: `redis://127.0.0.1:${port}`, child: await spawnRedis(port) }))
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-test-'))
await fs.chmod(root, 0o755)
const pg = await onFreePort((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port, database: 'postgres' }))
const redis = await startRedis()
const inCi = Boolean(process.env.CI) && !['false', '0'].includes(process.env.CI!)
if (!redis) {
  const message = 'redis-server not found: tests of the Redis/BullMQ mode will be skipped (apt-get install redis-server)'
  if (inCi) {
    console.error(`${message}; CI requires it.`)
    await pg.stop()
    process.exit(1)
  }
  console.warn(message)
}

// Interrupted (Ctrl-C): PostgreSQL runs in a session of its own, out of reach of the terminal's signal.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { redis?.child.kill('SIGTERM'); void pg.stop().finally(() => process.exit(130)) })
}

const tap = spawn(process.execPath, [path.resolve('node_modules/tap/dist/esm/run.mjs'), ...process.argv.slice(2)], {
  stdio: ['inherit', 'pipe', 'inherit'],
  env: { ...process.env, TEST_DATABASE_URL: pg.url, ...(redis ? { TEST_REDIS_URL: redis.url } : {}), TEST_TMP: root }
})
// Pass tap's report through, remember its closing summary ("# { total: N, pass: N, fail: N, skip: N }"),
// and collect the tests skipped for a missing dependency (test/support/skips.ts).
let summary = ''
let tail = ''
let partial = ''
const missing: string[] = []
const failures: string[] = []
const durations: Array<{ file: string; seconds: number }> = []
tap.stdout!.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk)
  const lines = (partial + chunk.toString()).split('\n')
  partial = lines.pop()!
  missing.push(...lines.filter(isMissingDependencySkip).map((l) => l.trim()))
  for (const line of lines) {
    const failed = failedTest(line)
    if (failed) failures.push(`${'  '.repeat(failed.depth)}${failed.name}`)
    const file = /^(?:not )?ok \d+ - (\S+\.test\.ts) # time=([\d.]+)ms/.exec(line)
    if (file) durations.push({ file: file[1], seconds: Number(file[2]) / 1000 })
  }
  tail = (tail + chunk.toString()).slice(-4096)
  const match = /# \{ total: \d+[^}]*\}/g.exec(tail.split('\n').reverse().find((l) => /# \{ total:/.test(l)) ?? '')
  if (match) summary = match[0]
})
const code = await new Promise<number>((resolve) => tap.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
const count = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(summary)?.[1] ?? 0)
// What failed, again at the end (innermost first, then its subtest and file), where a CI that keeps
// only the end of the output still shows it.
const SHOWN_FAILURES = 60
if (failures.length > 0) {
  console.log(`failed (${failures.length} lines of "not ok": each assertion, then its subtests and file):\n  ${failures.slice(0, SHOWN_FAILURES).join('\n  ')}`)
  if (failures.length > SHOWN_FAILURES) console.log(`  … and ${failures.length - SHOWN_FAILURES} more`)
}
// One plain closing line that any CI reads: assertions passed and failed.
console.log(`assertions: ${count('pass')} passed, ${count('fail')} failed${count('skip') ? `, ${count('skip')} skipped` : ''}`)
// The time budget: tap stops a file after its timeout (300 s, package.json, a margin for a loaded
// machine); files over 60 s are named, to be split or made cheaper before they come near it.
const slow = durations.filter((d) => d.seconds > 60).sort((a, b) => b.seconds - a.seconds)
if (slow.length > 0) console.log(`files over 60 s (tap stops a file at 300 s): ${slow.map((d) => `${d.file} ${d.seconds.toFixed(0)} s`).join(', ')}`)
let exitCode = code
if (missing.length > 0) {
  console.log(`${missing.length} skipped for a missing dependency:\n  ${missing.join('\n  ')}`)
  if (inCi) {
    console.error('CI requires every dependency of the suite: install what is missing (see "needs" above) instead of skipping.')
    exitCode ||= 1
  }
}
redis?.child.kill('SIGTERM')
await pg.stop()
await fs.rm(root, { recursive: true, force: true })
process.exit(exitCode)
