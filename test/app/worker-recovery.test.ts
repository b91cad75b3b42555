import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import { articles, files, tasks } from '../../src/db/schema.ts'
import { build, needsRedis, needsServices, userWithToken, waitFor } from '../helper.ts'

// Apart from the other resilience tests (test/app/resilience.test.ts): each file has tap's 120 s of its own.
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
