import t from 'tap'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { startEmbeddedPostgres } from '../../src/db/embedded.ts'
import { build, freePort, onFreePort, needsServices, tempDir, waitFor } from '../helper.ts'

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
