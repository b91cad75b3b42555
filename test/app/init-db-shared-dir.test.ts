import t from 'tap'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { build, freePort, needsServices, tempDir } from '../helper.ts'
import { expectedMigrationCount } from '../../src/db/migrate.ts'
import { concurrentRuns, embeddedState, serverLeftRunning } from '../support/init-db.ts'

// Apart from test/app/init-db.test.ts: dozens of init-db processes (each starting Node, TypeScript and an
// embedded PostgreSQL) take minutes on a loaded machine, and tap gives each file 300 s.

t.test('concurrent init-db runs on one embedded data directory: empty, existing, and with the service running on it', { skip: needsServices }, async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  const expected = { migrations: expectedMigrationCount(), admins: 1, tokens: 1, profiles: 5 }

  const empty = await concurrentRuns(t, dir, port, 4)
  t.equal(empty.printed, 1, 'one run created the administrator and printed its token')
  t.notOk(serverLeftRunning(dir), 'the last run stopped the server')
  t.same(await embeddedState(dir, port), expected, 'one schema, one administrator')

  const existing = await concurrentRuns(t, dir, port, 8)
  t.equal(existing.printed, 0, 'no new token on an existing database')
  t.notOk(serverLeftRunning(dir))
  t.same(await embeddedState(dir, port), expected)

  // The service boots on the same directory while eight runs start, then more runs while it serves.
  const [app, during] = await Promise.all([
    build(t, { DATABASE_URL: undefined, EMBEDDED_PG_DIR: existing.env.EMBEDDED_PG_DIR, EMBEDDED_PG_PORT: String(port) }),
    concurrentRuns(t, dir, port, 4)
  ])
  t.equal(during.printed, 0)
  const after = await concurrentRuns(t, dir, port, 4)
  t.equal(after.printed, 0)
  t.ok(serverLeftRunning(dir), 'no run stopped the server the service uses')
  t.equal((await app.inject({ url: '/api/health/ready' })).statusCode, 200, 'the service is still ready')
  const admin = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${(await readFile(path.join(dir, 'admin-token'), 'utf8')).trim()}` } })
  t.equal(admin.statusCode, 200, 'the administrator token created by the first run works')
  await app.close()
  t.notOk(serverLeftRunning(dir), 'the service, last to use it, stopped the server')
  t.same(await embeddedState(dir, port), expected)
})
