import t from 'tap'
import net from 'node:net'
import path from 'node:path'
import { startEmbeddedPostgres } from '../../src/db/embedded.ts'
import { needsRedis, tempDir } from '../helper.ts'
import { freePort, onFreePort } from '../support/ports.ts'
import { spawnRedis } from '../support/redis.ts'
import { isMissingDependencySkip, needs } from '../support/skips.ts'

/** A port another process (here: this one) holds for the length of the test. */
async function takenPort(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const holder = net.createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => holder.close(resolve)))
  return (holder.address() as net.AddressInfo).port
}

t.test('freePort gives a port that can be bound', async (t) => {
  const port = await freePort()
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve) })
  await new Promise((resolve) => server.close(resolve))
  t.ok(port >= 1024)
})

t.test('a start that finds its port taken is made again on another port; other failures are not', async (t) => {
  const taken = await takenPort(t)
  const ports: number[] = []
  const server = await onFreePort(async (port) => {
    ports.push(port)
    const s = net.createServer()
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(ports.length === 1 ? taken : port, '127.0.0.1', resolve) })
    return s
  })
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  t.equal(ports.length, 2, 'a second try after EADDRINUSE')
  t.equal((server.address() as net.AddressInfo).port, ports[1])

  let calls = 0
  await t.rejects(onFreePort(async () => { calls++; throw new Error('bad configuration') }), { message: 'bad configuration' })
  t.equal(calls, 1, 'any other error at once')
  calls = 0
  await t.rejects(onFreePort(async () => { calls++; throw new Error('listen EADDRINUSE') }, 3), { message: /EADDRINUSE/ })
  t.equal(calls, 3, 'a bounded number of tries')
})

t.test('PostgreSQL on a taken port fails with an error onFreePort recognises', async (t) => {
  const taken = await takenPort(t)
  const dir = await tempDir(t)
  let first = true
  const pg = await onFreePort((port) => {
    const p = first ? taken : port
    first = false
    return startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: p })
  })
  t.teardown(() => pg.stop())
  t.not(Number(new URL(pg.url).port), taken, 'started on another port')
})

t.test('redis-server on a taken port fails with an error onFreePort recognises', { skip: needsRedis }, async (t) => {
  const taken = await takenPort(t)
  let first = true
  const redis = await onFreePort((port) => {
    const p = first ? taken : port
    first = false
    return spawnRedis(p)
  })
  t.teardown(() => { redis.kill('SIGKILL') })
  t.equal(redis.exitCode, null, 'running on another port')
})

t.test('skips for a missing dependency are told from others in tap\'s report', async (t) => {
  t.ok(isMissingDependencySkip(`    ok 1 - a # SKIP ${needs('redis-server', 'apt-get install redis-server')}`), 'the skip option')
  t.ok(isMissingDependencySkip(`        ok 1 - ${needs('chromium', 'install it')} # SKIP`), 't.skip(reason)')
  t.notOk(isMissingDependencySkip('    ok 3 - c # SKIP datasets missing'), 'another reason')
  t.notOk(isMissingDependencySkip('    ok 3 - needs a name like this # time=3ms'), 'a test that ran')
})
