import t from 'tap'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import pg from 'pg'
import configPlugin from '../../plugins/config.ts'
import dbPlugin from '../../plugins/db.ts'
import globalsPlugin from '../../plugins/globals.ts'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { applyMigrations, appliedMigrationCount, expectedMigrationCount } from '../../src/db/migrate.ts'
import { build, createTestDatabase, needsServices, testConfig } from '../helper.ts'

t.test('a bad environment value stops the boot with a message naming the variable', async (t) => {
  t.throws(() => loadConfig({ PORT: 'eighty' }), { message: /PORT/ })
  t.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), ConfigError)
  t.throws(() => loadConfig({ JOB_CONCURRENCY: '0' }), { message: /JOB_CONCURRENCY/ })
  t.throws(() => loadConfig({ HEAP_GROWTH_PERCENT: '-5' }), { message: /HEAP_GROWTH_PERCENT/ })
  t.equal(loadConfig({ PORT: '8080', HOST: '0.0.0.0' }).PORT, 8080)
})

t.test('plugins registered out of order fail at boot with the dependency error', { skip: needsServices }, async (t) => {
  const config = await testConfig(t)
  const withoutDb = Fastify({ logger: false })
  withoutDb.register(configPlugin, { config })
  withoutDb.register(globalsPlugin)
  await t.rejects(async () => { await withoutDb.ready() }, { code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED', message: /'db'/ })
  await withoutDb.close().catch(() => {})

  const dbBeforeConfig = Fastify({ logger: false })
  dbBeforeConfig.register(dbPlugin)
  await t.rejects(async () => { await dbBeforeConfig.ready() }, { message: /config/ })
  await dbBeforeConfig.close().catch(() => {})
})

t.test('the app boots, serves health without a token, and answers JSON 404 under /api', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const health = await app.inject({ url: '/api/health' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  // Probes skip the browser headers (they cost half the route's throughput) but keep the two a JSON answer needs.
  t.equal(health.headers['x-content-type-options'], 'nosniff')
  t.equal(health.headers['cache-control'], 'no-store')
  t.notOk(health.headers['content-security-policy'], 'no CSP on the probe')
  t.ok((await app.inject({ url: '/api/projects' })).headers['content-security-policy'], 'other API answers keep the security headers')

  const ready = await app.inject({ url: '/api/health/ready' })
  t.equal(ready.statusCode, 200)
  t.equal(ready.json().checks.database.status, 'up')
  t.equal(ready.json().checks.migrations.applied, expectedMigrationCount())

  for (const url of ['/api/nothing-here', '/api/project', '/api/v1/projects']) {
    const unknown = await app.inject({ url })
    t.equal(unknown.statusCode, 404, url)
    t.match(unknown.json(), { statusCode: 404, error: 'Not Found', message: /no route/ }, `${url} answers a JSON 404`)
  }
})

t.test('init is idempotent and safe when many processes start at once', { skip: needsServices }, async (t) => {
  const url = await createTestDatabase(t)
  const pools = Array.from({ length: 6 }, () => new pg.Pool({ connectionString: url, max: 2 }))
  t.teardown(() => Promise.all(pools.map((p) => p.end())))
  await Promise.all(pools.map((p) => applyMigrations(p)))
  t.equal(await appliedMigrationCount(pools[0]), expectedMigrationCount(), 'each migration applied exactly once')
  await applyMigrations(pools[0])
  t.equal(await appliedMigrationCount(pools[0]), expectedMigrationCount(), 'running init again is a no-op')
  const { rows } = await pools[0].query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = \'public\' AND table_name = \'articles\'')
  t.equal(rows[0].n, 1)
})

t.test('closing the app ends the pool exactly once', { skip: needsServices }, async (t) => {
  const app = await build(t)
  let ends = 0
  const end = app.pg.pool.end.bind(app.pg.pool)
  app.pg.pool.end = ((cb?: () => void) => { ends++; return end(cb as never) }) as typeof app.pg.pool.end
  await app.close()
  t.equal(ends, 1)
  t.equal(app.pg.pool.ending, true)
})

t.test('an extra plugin that needs the globals cannot be registered before them', { skip: needsServices }, async (t) => {
  const config = await testConfig(t)
  const app = Fastify({ logger: false })
  app.register(configPlugin, { config })
  app.register(fp(async () => {}, { name: 'needs-globals', dependencies: ['globals'] }))
  app.register(dbPlugin)
  app.register(globalsPlugin)
  await t.rejects(async () => { await app.ready() }, { message: /globals/ })
  await app.close().catch(() => {})
})

t.test('a 5xx answer carries neither a stack trace nor SQL', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const { userWithToken } = await import('../helper.ts')
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Broken' } })).json()
  await app.pg.pool.query('ALTER TABLE decisions RENAME TO decisions_gone')
  const res = await app.inject({ url: `/api/projects/${project.id}/decisions`, headers: alice.auth })
  t.equal(res.statusCode, 500)
  t.same(Object.keys(res.json()).sort(), ['error', 'message', 'requestId', 'statusCode'])
  t.notMatch(res.body, /select|decisions|relation|\bat\s+\S+\.ts/i, 'no SQL, table names or stack frames')
})
