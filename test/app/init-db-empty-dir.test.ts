import t from 'tap'
import { freePort, needsServices, tempDir } from '../helper.ts'
import { expectedMigrationCount } from '../../src/db/migrate.ts'
import { concurrentRuns, embeddedState, serverLeftRunning } from '../support/init-db.ts'

// Apart from test/app/init-db.test.ts: dozens of init-db processes (each starting Node, TypeScript and an
// embedded PostgreSQL) take minutes on a loaded machine, and tap gives each file 300 s.

t.test('a second empty data directory with eight concurrent runs', { skip: needsServices }, async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  const runs = await concurrentRuns(t, dir, port, 8)
  t.equal(runs.printed, 1)
  t.notOk(serverLeftRunning(dir))
  t.same(await embeddedState(dir, port), { migrations: expectedMigrationCount(), admins: 1, tokens: 1, profiles: 5 })
})
