import t, { type Test } from 'tap'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import WebSocket from 'ws'
import type { FastifyInstance } from 'fastify'
import { build, DATASETS, needsRedis, needsServices, userWithToken, waitFor, fileUpload, taskFinished } from '../helper.ts'

interface Event { type: string; projectId?: string; task?: { id: string; status: string; progress: number } }

async function openSocket(app: FastifyInstance, token: string, projectId: string): Promise<{ events: Event[]; socket: WebSocket }> {
  const address = app.server.address() as { port: number }
  const socket = new WebSocket(`ws://127.0.0.1:${address.port}/api/ws?access_token=${token}`)
  const events: Event[] = []
  socket.on('message', (data) => events.push(JSON.parse(String(data))))
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
  socket.send(JSON.stringify({ type: 'subscribe', projectId }))
  await waitFor(async () => events.find((e) => e.type === 'subscribed'))
  return { events, socket }
}

/** The import -> task -> WebSocket flow, run against either job engine. */
async function importFlow(t: Test, app: FastifyInstance, startWorker?: () => Promise<unknown>) {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Import' } })).json()
  const { events, socket } = await openSocket(app, alice.token, project.id)
  t.teardown(() => socket.close())

  const ris = await readFile(path.join(DATASETS, 'exports/baseline_zotero.ris'))
  const expected = (ris.toString('utf8').match(/^ER\s+-/gm) ?? []).length
  const upload = fileUpload('baseline_zotero.ris', ris, { sourceDatabase: 'Zotero' })
  const res = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...alice.auth, ...upload.headers }, payload: upload.payload })
  t.equal(res.statusCode, 202, res.body)
  const taskId = res.json().id
  t.equal(res.json().status, 'queued')
  await startWorker?.()

  const done = await taskFinished(app, alice.auth, taskId)
  t.equal(done.status, 'succeeded', done.error ?? '')
  t.equal(done.result.imported, expected, `all ${expected} records imported`)
  t.equal(done.progress, 1)

  await waitFor(async () => events.some((e) => e.type === 'task.completed' && e.task?.id === taskId))
  const types = events.filter((e) => e.task?.id === taskId).map((e) => e.type)
  t.ok(types.includes('task.started'), 'started event received')
  t.equal(types.at(-1), 'task.completed')

  const page = (await app.inject({ url: `/api/projects/${project.id}/articles?pageSize=10&sort=title`, headers: alice.auth })).json()
  t.equal(page.total, expected)
  t.equal(page.items.length, 10)
  const titles = page.items.map((a: { title: string }) => a.title)
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  t.same(titles, [...titles].sort((a, b) => byCodePoint(a.toLowerCase(), b.toLowerCase())), 'sorted by title, case-insensitive')

  const listed = (await app.inject({ url: `/api/projects/${project.id}/tasks`, headers: alice.auth })).json()
  t.same(listed.map((x: { id: string }) => x.id), [taskId])
  return { project, alice }
}

t.test('import -> task -> WebSocket, in-process jobs', { skip: needsServices }, async (t) => {
  const app = await build(t)
  await importFlow(t, app)
})

t.test('import -> task -> WebSocket, BullMQ jobs run by a worker', { skip: needsServices || needsRedis }, async (t) => {
  const app = await build(t, { REDIS_URL: process.env.TEST_REDIS_URL })
  const { buildServer } = await import('../../src/server.ts')
  await importFlow(t, app, async () => {
    const worker = buildServer({ ...app.config }, 'worker')
    t.teardown(() => worker.close())
    await worker.ready()
  })
  t.equal(app.tasks.mode, 'bullmq')
})
