import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { writeFile } from 'node:fs/promises'
import { eq } from 'drizzle-orm'
import WebSocket from 'ws'
import { articles, files, sourceBatches, tasks } from '../../src/db/schema.ts'
import { build, needsRedis, needsServices, userWithToken, waitFor } from '../helper.ts'
import { listeningAt } from '../support/ports.ts'

interface Proc { child: ChildProcess; output: () => string; exited: Promise<unknown> }

function start(script: string, env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr!.on('data', (c: Buffer) => { out += c.toString() })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  return { child, output: () => out, exited }
}

interface Event { type: string; task?: { id: string } }

function ris(tag: string, records: number): string {
  const lines: string[] = []
  for (let i = 0; i < records; i++) {
    lines.push('TY  - JOUR', `TI  - ${tag} record ${i} on therapeutic alliance with chatbots`, 'AU  - Doe, Jane', `PY  - ${2000 + (i % 20)}`,
      `DO  - 10.1000/${tag}.${i}`, 'ER  - ', '')
  }
  return lines.join('\n')
}

t.setTimeout(400000)
t.test('two web instances and three workers on one Redis and one PostgreSQL', { skip: needsServices || needsRedis }, async (t) => {
  const app = await build(t, { REDIS_URL: process.env.TEST_REDIS_URL })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Scale-out' } })).json()
  const env = {
    DATABASE_URL: app.config.DATABASE_URL, REDIS_URL: app.config.REDIS_URL, QUEUE_PREFIX: app.config.QUEUE_PREFIX, STORAGE_DIR: app.storageDir,
    LOG_LEVEL: 'info', HOST: '127.0.0.1', JOB_CONCURRENCY: '1', JOB_LOCK_MS: '2000', JOB_STALLED_INTERVAL_MS: '1000', RECONCILE_INTERVAL_MS: '1000'
  }
  const all: Proc[] = []
  t.teardown(() => { for (const p of all) p.child.kill('SIGKILL') })
  const up = (procs: Proc[], check: () => Promise<boolean>) => waitFor(async () => {
    for (const p of procs) if (p.child.exitCode !== null) throw new Error(`a process exited early:\n${p.output().slice(-3000)}`)
    return check()
  }, 120000, 200).catch((err: Error) => {
    throw new Error(`${err.message}; output:\n${procs.map((p) => p.output().slice(-2000)).join('\n---\n')}`)
  })
  const ready = (base: string) => fetch(`${base}/api/health/ready`).then((r) => r.ok, () => false)
  // The first process alone (it fills the TypeScript cache), then the others together.
  // Each web instance on a port of its own choosing (PORT=0), read from its log.
  const listening = async (web: Proc) => { const origin = listeningAt(web.output()); return origin !== undefined && ready(origin) }
  const webs = [start('src/server.ts', { ...env, PORT: '0' })]
  all.push(webs[0])
  await up(webs, () => listening(webs[0]))
  webs.push(start('src/server.ts', { ...env, PORT: '0' }))
  const workers = [0, 1, 2].map(() => start('src/worker.ts', env))
  all.push(webs[1], ...workers)
  await up(all, async () => await listening(webs[1]) && workers.every((w) => w.output().includes('worker ready')))
  const bases = webs.map((web) => listeningAt(web.output())!)

  // A client on each instance.
  const clients = await Promise.all(bases.map(async (base) => {
    const events: Event[] = []
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/api/ws`, { headers: alice.auth })
    socket.on('message', (data) => events.push(JSON.parse(String(data))))
    socket.on('error', () => {})
    await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
    socket.send(JSON.stringify({ type: 'subscribe', projectId: project.id }))
    await waitFor(async () => events.some((e) => e.type === 'subscribed'), 10000)
    t.teardown(() => socket.terminate())
    return { events, socket }
  }))

  const records = 200
  let uploads = 0
  const submit = async (base: string) => {
    const form = new FormData()
    const tag = `f${uploads++}`
    form.append('file', new Blob([ris(tag, records)]), `${tag}.ris`)
    const res = await fetch(`${base}/api/projects/${project.id}/imports`, { method: 'POST', headers: alice.auth, body: form })
    t.equal(res.status, 202, `accepted by ${base}`)
    return ((await res.json()) as { id: string }).id
  }
  const finished = async (ids: string[]) => waitFor(async () => {
    const rows = await app.db.select().from(tasks).where(eq(tasks.projectId, project.id))
    const mine = rows.filter((r) => ids.includes(r.id))
    return mine.length === ids.length && mine.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status)) && mine
  }, 60000, 200)

  // Tasks submitted to either instance complete once, and both clients hear of every one.
  const first = await Promise.all([submit(bases[0]), submit(bases[1]), submit(bases[0]), submit(bases[1])])
  for (const row of await finished(first)) {
    t.equal(row.status, 'succeeded', row.error ?? '')
    t.equal(row.attempts, 1, 'run once')
  }
  for (const [i, client] of clients.entries()) {
    await waitFor(async () => first.every((id) => client.events.some((e) => e.type === 'task.completed' && e.task?.id === id)), 10000)
      .then(() => t.pass(`the client on instance ${i + 1} received every task.completed`), (err) => t.fail(String(err)))
  }

  // kill -9 of instance 1 while it accepts uploads: nothing it accepted (or half-created) is lost.
  const inFlight = [0, 1, 2].map(() => submit(bases[0]).catch(() => undefined))
  await Promise.race([inFlight[0], new Promise((resolve) => setTimeout(resolve, 1000))])
  webs[0].child.kill('SIGKILL')
  await webs[0].exited
  const accepted = (await Promise.all(inFlight)).filter((id): id is string => Boolean(id))
  // As if the instance had died between creating a task and enqueueing it: the reconciler delivers it.
  const [file] = await app.db.insert(files).values({
    projectId: project.id, storagePath: path.join('projects', project.id, 'stranded.ris'), originalName: 'stranded.ris', size: 1, sha256: 'x', createdBy: alice.user.id
  }).returning()
  await writeFile(path.join(app.storageDir, file.storagePath), ris('stranded', records))
  const [stranded] = await app.db.insert(tasks).values({ type: 'import-references', projectId: project.id, payload: { fileId: file.id }, createdBy: alice.user.id }).returning()
  const second = [...accepted, stranded.id, await submit(bases[1])]

  const everyTask = (await app.db.select({ id: tasks.id }).from(tasks).where(eq(tasks.projectId, project.id))).map((r) => r.id)
  t.ok(accepted.every((id) => everyTask.includes(id)))
  for (const row of await finished(everyTask)) {
    t.equal(row.status, 'succeeded', `task ${row.id}: ${row.error ?? ''}`)
    t.equal(row.attempts, 1, 'run once')
  }
  const imports = everyTask.length
  t.equal(await app.db.$count(sourceBatches, eq(sourceBatches.projectId, project.id)), imports, 'one source batch per task')
  t.equal(await app.db.$count(articles, eq(articles.projectId, project.id)), imports * records, 'every record once')
  await waitFor(async () => second.every((id) => clients[1].events.some((e) => e.type === 'task.completed' && e.task?.id === id)), 10000)
    .then(() => t.pass('the surviving instance\'s client received every task.completed'), (err) => t.fail(String(err)))
})
