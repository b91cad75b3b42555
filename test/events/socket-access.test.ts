import t from 'tap'
import { createLocalEventHub } from '../../src/events/hub.ts'
import { SocketAccess } from '../../src/events/socket-access.ts'

/** One socket's access over a real local hub; the membership and token tables are plain sets here. */
function setup(recheckMs: number) {
  const hub = createLocalEventHub()
  const members = new Set(['p1', 'p2'])
  const tokens = new Set(['tok'])
  const sent: Array<{ type: string; projectId?: string; n?: number }> = []
  const closed: string[] = []
  const access = new SocketAccess({
    userId: 'u1', tokenId: 'tok', hub, recheckMs,
    checks: { tokenActive: async (id) => tokens.has(id), isMember: async (_user, projectId) => members.has(projectId) },
    send: (m) => sent.push(m as { type: string }), close: (reason) => closed.push(reason)
  })
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20))
  const events = () => sent.filter((m) => m.type === 'x').map((m) => m.n)
  return { hub, members, tokens, sent, closed, access, settle, events }
}

t.test('without any revocation notice, access is re-checked before delivering once the last check is old', async (t) => {
  const { hub, members, tokens, sent, closed, access, settle, events } = setup(0)
  t.equal(await access.subscribe('p1', async () => members.has('p1')), true)
  t.equal(await access.subscribe('p2', async () => members.has('p2')), true)
  t.equal(await access.subscribe('p3', async () => members.has('p3')), false, 'not a member')
  await hub.publish({ type: 'x', projectId: 'p1', n: 1 })
  await settle()
  members.delete('p1')
  await hub.publish({ type: 'x', projectId: 'p1', n: 2 })
  await hub.publish({ type: 'x', projectId: 'p2', n: 3 })
  await settle()
  t.same(events(), [1, 3])
  t.match(sent, [{ type: 'x' }, { type: 'unsubscribed', projectId: 'p1' }, { type: 'x' }])
  t.notOk(access.has('p1'))
  tokens.delete('tok')
  await hub.publish({ type: 'x', projectId: 'p2', n: 4 })
  await settle()
  t.same(events(), [1, 3])
  t.same(closed, ['token revoked'])
})

t.test('a revocation notice is applied at once, and only for its user and token', async (t) => {
  const { hub, members, closed, access, settle, events } = setup(60_000)
  access.revoked({ userId: 'u1', projectId: 'p1' })
  await access.subscribe('p1', async () => true)
  await access.subscribe('p2', async () => true)
  members.delete('p1')
  await hub.publish({ type: 'x', projectId: 'p1', n: 1 })
  await settle()
  t.same(events(), [1], 'within the re-check interval, nothing is looked up')
  access.revoked({ userId: 'u2', projectId: 'p1' })
  access.revoked({ userId: 'u1', tokenId: 'other' })
  await hub.publish({ type: 'x', projectId: 'p1', n: 2 })
  await settle()
  t.same(events(), [1, 2], "another user's or token's revocation changes nothing")
  access.revoked({ userId: 'u1', projectId: 'p1' })
  await hub.publish({ type: 'x', projectId: 'p1', n: 3 })
  await hub.publish({ type: 'x', projectId: 'p2', n: 4 })
  await settle()
  t.same(events(), [1, 2, 4])
  access.revoked({ userId: 'u1', tokenId: 'tok' })
  await hub.publish({ type: 'x', projectId: 'p2', n: 5 })
  await settle()
  t.same(events(), [1, 2, 4])
  t.same(closed, ['token revoked'])
})
