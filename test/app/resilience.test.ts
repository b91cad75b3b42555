import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import { startEmbeddedPostgres } from '../../src/db/embedded.ts'
import { articles, files, tasks } from '../../src/db/schema.ts'
import { build, freePort, onFreePort, needsRedis, needsServices, tempDir, userWithToken, waitFor } from '../helper.ts'

t.test('readiness names the database when it is down, and recovers when it is back', { skip: needsServices }, async (t) => {
  const dir = await tempDir(t)
  let pg = await onFreePort((port) => startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port }))
  const port = Number(new URL(pg.url).port)
  t.teardown(() => pg.stop())
  const app = await build(t, { DATABASE_URL: pg.url })
  t.equal((await app.inject({ url: '/api/health/ready' })).statusCode, 200)

  await pg.stop()
  const down = await app.inject({ url: '/api/health/ready' })
  t.equal(down.statusCode, 503)
  t.same(down.json().failing, ['database'])
  t.equal((await app.inject({ url: '/api/health' })).statusCode, 200, 'liveness does not depend on the database')

  pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port })
  const back = await waitFor(async () => {
    const res = await app.inject({ url: '/api/health/ready' })
    return res.statusCode === 200 && res
  }, 10000)
  t.same(back.json().failing, [], 'ready again once the database is back')
})

t.test('with DATABASE_URL unset the service starts and stops its own embedded PostgreSQL', { skip: needsServices }, async (t) => {
  const dir = await tempDir(t)
  const app = await onFreePort((port) => build(t, { DATABASE_URL: undefined, EMBEDDED_PG_DIR: path.join(dir, 'pg'), EMBEDDED_PG_PORT: String(port) }))
  t.ok(app.embeddedPostgres, 'embedded PostgreSQL started')
  const pid = app.embeddedPostgres!.pid!
  t.equal((await app.inject({ url: '/api/health/ready' })).statusCode, 200)
  await app.close()
  t.throws(() => process.kill(pid, 0), 'PostgreSQL process stopped on close')
})

t.test('readiness answers 503 while the server shuts down', { skip: needsServices }, async (t) => {
  const app = await build(t)
  app.lifecycle.shuttingDown = true
  const res = await app.inject({ url: '/api/health/ready' })
  t.equal(res.statusCode, 503)
  t.same(res.json().failing, ['shutdown'])
})

/** A RIS file big enough that importing it takes a few seconds. */
async function bigRis(dir: string, records: number): Promise<string> {
  const lines: string[] = []
  for (let i = 0; i < records; i++) {
    lines.push('TY  - JOUR', `TI  - Record number ${i} on digital therapeutic alliance and chatbots`, 'AU  - Doe, Jane', 'AU  - Roe, Richard',
      `PY  - ${1990 + (i % 30)}`, 'JO  - Journal of Medical Internet Research', `DO  - 10.1000/test.${i}`,
      `AB  - ${'An abstract sentence about therapeutic alliance with conversational agents. '.repeat(6)}`, 'ER  - ', '')
  }
  const file = path.join(dir, 'big.ris')
  await writeFile(file, lines.join('\n'))
  return file
}

function startWorker(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr!.on('data', (c: Buffer) => { out += c.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

async function submitImport(app: Awaited<ReturnType<typeof build>>, projectId: string, userId: string, file: string, storage: string) {
  const [row] = await app.db.insert(files).values({
    projectId, storagePath: path.relative(storage, file), originalName: 'big.ris', size: 1, sha256: 'x', createdBy: userId
  }).returning()
  return app.tasks.submit({ type: 'import-references', projectId, createdBy: userId, payload: { fileId: row.id } })
}

t.test('BullMQ: a worker killed with kill -9 mid-job does not lose it; SIGTERM drains', { skip: needsServices || needsRedis }, async (t) => {
  const app = await build(t, { REDIS_URL: process.env.TEST_REDIS_URL })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Recovery' } })).json()
  const records = 30000
  const file = await bigRis(app.storageDir, records)
  const env = {
    DATABASE_URL: app.config.DATABASE_URL, REDIS_URL: app.config.REDIS_URL, QUEUE_PREFIX: app.config.QUEUE_PREFIX,
    STORAGE_DIR: app.storageDir, LOG_LEVEL: 'info', JOB_CONCURRENCY: '1', JOB_LOCK_MS: '2000', JOB_STALLED_INTERVAL_MS: '1000', SHUTDOWN_TIMEOUT_MS: '60000'
  }
  const workers = [startWorker(env), startWorker(env)]
  t.teardown(() => { for (const w of workers) w.child.kill('SIGKILL') })
  await waitFor(async () => workers.every((w) => w.output().includes('worker ready')), 30000)

  const task = await submitImport(app, project.id, alice.user.id, file, app.storageDir)
  const holder = await waitFor(async () => workers.find((w) => w.output().includes(task.id)), 30000)
  const other = workers.find((w) => w !== holder)!
  holder.child.kill('SIGKILL')
  t.equal(await holder.exited, null, 'the worker holding the job died from SIGKILL, without a clean exit')

  const finished = await waitFor(async () => {
    const [row] = await app.db.select().from(tasks).where(eq(tasks.id, task.id))
    return ['succeeded', 'failed'].includes(row.status) && row
  }, 90000, 200)
  t.equal(finished.status, 'succeeded', finished.error ?? '')
  t.equal(finished.attempts, 2, 'run again after the stalled-job check')
  t.ok(other.output().includes(task.id), 'completed by the surviving worker')
  const count = await app.db.$count(articles, eq(articles.projectId, project.id))
  t.equal(count, records, 'every record once: the killed attempt left no partial batch')

  // SIGTERM: the running job finishes, the queued one is left for another worker.
  const first = await submitImport(app, project.id, alice.user.id, file, app.storageDir)
  const second = await submitImport(app, project.id, alice.user.id, file, app.storageDir)
  await waitFor(async () => other.output().includes(first.id), 30000)
  other.child.kill('SIGTERM')
  t.equal(await other.exited, 0, 'worker exits cleanly after draining')
  const [firstRow] = await app.db.select().from(tasks).where(eq(tasks.id, first.id))
  const [secondRow] = await app.db.select().from(tasks).where(eq(tasks.id, second.id))
  t.equal(firstRow.status, 'succeeded', 'running job finished during the drain')
  t.equal(secondRow.status, 'queued', 'nothing new was taken while draining')
})

t.test('embedded PostgreSQL: a second process shares a running server; an orphan left by kill -9 is replaced', { skip: needsServices }, async (t) => {
  const dir = path.join(await tempDir(t), 'pg')
  const port = await freePort()
  // A child process starts the server, then is killed with SIGKILL: its postgres is orphaned.
  const script = `import { startEmbeddedPostgres } from '${path.resolve('src/db/embedded.ts')}'\n` +
    `await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dir)}, port: ${port} }); console.log('up'); setInterval(() => {}, 1000)`
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve) => child.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('up')) resolve() }))
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))

  const first = await startEmbeddedPostgres({ dataDir: dir, port })
  t.teardown(() => first.stop())
  t.ok(first.pid, 'the orphan was stopped and a new server started by this process')
  const second = await startEmbeddedPostgres({ dataDir: dir, port })
  t.equal(second.pid, undefined, 'a second start while this process runs it shares the server')
  t.equal(second.url, first.url)
  await second.stop()
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: first.url })
  await client.connect()
  t.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1, 'stopping the shared handle left the server running')
  await client.end()
})
