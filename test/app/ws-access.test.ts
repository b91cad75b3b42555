import t, { type Test } from 'tap'
import WebSocket from 'ws'
import type { FastifyInstance } from 'fastify'
import { TEST_REDIS_URL, build, needsRedis, needsServices, userWithToken, waitFor } from '../helper.ts'

type Message = { type: string; projectId?: string; reason?: string; n?: number }

/** A WebSocket client that records what it receives and how it closed. */
async function connect(app: FastifyInstance, token: string) {
  const { port } = app.server.address() as { port: number }
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/ws?access_token=${token}`)
  const messages: Message[] = []
  const state: { closed?: { code: number; reason: string } } = {}
  socket.on('message', (d) => messages.push(JSON.parse(String(d))))
  socket.on('close', (code, reason) => { state.closed = { code, reason: String(reason) } })
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
  const subscribe = async (projectId: string) => {
    socket.send(JSON.stringify({ type: 'subscribe', projectId }))
    await waitFor(async () => messages.some((m) => m.projectId === projectId && (m.type === 'subscribed' || m.type === 'error')))
  }
  const received = (n: number) => messages.some((m) => m.type === 'test.event' && m.n === n)
  return { socket, messages, state, subscribe, received }
}

async function listen(app: FastifyInstance): Promise<FastifyInstance> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

/**
 * `web` receives the API calls and `held` holds the sockets: the same app in
 * in-process mode, two processes sharing PostgreSQL and Redis in BullMQ mode.
 */
async function scenario(t: Test, web: FastifyInstance, held: FastifyInstance) {
  const alice = await userWithToken(web, 'alice@review.org')
  const bob = await userWithToken(web, 'bob@review.org')
  const admin = await userWithToken(web, 'root@review.org', true)
  const project = async (name: string) => {
    const p = (await web.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name } })).json()
    await web.inject({ method: 'PUT', url: `/api/projects/${p.id}/members`, headers: alice.auth, payload: { email: bob.user.email, role: 'reviewer' } })
    return p.id as string
  }
  const first = await project('First')
  const second = await project('Second')
  let n = 0
  /** Publishes an event of `projectId` and waits until Alice's socket received it; returns its number. */
  const publish = async (projectId: string, watcher: Awaited<ReturnType<typeof connect>>) => {
    const number = ++n
    await web.events.publish({ type: 'test.event', projectId, n: number })
    await waitFor(async () => watcher.received(number))
    return number
  }

  const aliceSocket = await connect(held, alice.token)
  await aliceSocket.subscribe(first)
  await aliceSocket.subscribe(second)
  const laptop = (await web.inject({ method: 'POST', url: '/api/me/tokens', headers: bob.auth, payload: { name: 'laptop' } })).json()
  const bobSocket = await connect(held, bob.token)
  const bobLaptop = await connect(held, laptop.token)
  for (const s of [bobSocket, bobLaptop]) { await s.subscribe(first); await s.subscribe(second) }
  const before = await publish(first, aliceSocket)
  await waitFor(async () => bobSocket.received(before) && bobLaptop.received(before))

  // Removed from one project: that subscription ends, the other goes on.
  t.equal((await web.inject({ method: 'DELETE', url: `/api/projects/${first}/members/${bob.user.id}`, headers: alice.auth })).statusCode, 204)
  await waitFor(async () => bobSocket.messages.some((m) => m.type === 'unsubscribed' && m.projectId === first && m.reason === 'access revoked'))
  const afterRemoval = await publish(first, aliceSocket)
  const stillMember = await publish(second, aliceSocket)
  await waitFor(async () => bobSocket.received(stillMember) && bobLaptop.received(stillMember))
  t.notOk(bobSocket.received(afterRemoval), 'no event of a project the user was removed from')
  t.notOk(bobLaptop.received(afterRemoval), 'on any of their sockets')
  bobSocket.socket.send(JSON.stringify({ type: 'subscribe', projectId: first }))
  await waitFor(async () => bobSocket.messages.some((m) => m.type === 'error' && m.projectId === first))

  // One token revoked: its socket closes, the other token's stays.
  t.equal((await web.inject({ method: 'DELETE', url: `/api/me/tokens/${laptop.id}`, headers: bob.auth })).statusCode, 204)
  await waitFor(async () => bobLaptop.state.closed)
  t.same(bobLaptop.state.closed, { code: 1008, reason: 'token revoked' })
  t.notOk(bobSocket.state.closed)
  const afterRevoke = await publish(second, aliceSocket)
  await waitFor(async () => bobSocket.received(afterRevoke))

  // The account removed by an administrator: every socket closes.
  t.equal((await web.inject({ method: 'DELETE', url: `/api/users/${bob.user.id}`, headers: admin.auth })).statusCode, 204)
  await waitFor(async () => bobSocket.state.closed)
  t.equal(bobSocket.state.closed?.code, 1008)
  t.notOk(aliceSocket.state.closed, 'other users keep their sockets')
  aliceSocket.socket.close()
}

t.test('WebSockets follow access changes (in-process)', { skip: needsServices }, async (t) => {
  const app = await listen(await build(t))
  await scenario(t, app, app)
})

t.test('WebSockets follow access changes made by another web process (BullMQ mode)', { skip: needsServices || needsRedis }, async (t) => {
  const web = await build(t, { REDIS_URL: TEST_REDIS_URL })
  const held = await listen(await build(t, { REDIS_URL: TEST_REDIS_URL, DATABASE_URL: web.config.DATABASE_URL, QUEUE_PREFIX: web.config.QUEUE_PREFIX }))
  await scenario(t, web, held)
})
