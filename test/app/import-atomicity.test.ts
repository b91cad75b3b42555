/**
 * In-process jobs: an import cancelled, refused by the database or killed with its process after
 * GATE_AT records were written leaves nothing (test/support/import-gate.ts); the next start of the
 * service resumes the killed import. BullMQ workers: import-atomicity-bullmq.test.ts.
 */
import t from 'tap'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import pg from 'pg'
import { createUser } from '../../src/auth/users.ts'
import { createDatabase } from '../../src/db/index.ts'
import { applyMigrations } from '../../src/db/migrate.ts'
import { files, projectMembers, projects, tasks } from '../../src/db/schema.ts'
import { build, needsServices, testConfig, waitFor } from '../helper.ts'
import { cancelAndRefuse, Gate, kill9, NOTHING, RECORDS, RIS, START_TIMEOUT_MS, startChild } from '../support/import-gate.ts'

t.test('cancellation and refusal', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const gate = await Gate.install(t, app.config.DATABASE_URL!)
  await cancelAndRefuse(t, app, gate)
})

t.test('kill -9 after records were written leaves nothing; the next start resumes the import', { skip: needsServices }, async (t) => {
  // No service in this process yet: the task is written to the database and the child resumes it at start-up.
  const config = await testConfig(t)
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 })
  t.teardown(() => pool.end())
  await applyMigrations(pool)
  const db = createDatabase(pool)
  const gate = await Gate.install(t, config.DATABASE_URL!)
  const user = await createUser(db, { email: 'owner@example.org' })
  const [project] = await db.insert(projects).values({ name: 'Killed', createdBy: user.id }).returning()
  await db.insert(projectMembers).values({ projectId: project.id, userId: user.id, role: 'owner' })
  await writeFile(path.join(config.STORAGE_DIR, 'atomic.ris'), RIS)
  const [file] = await db.insert(files).values({ projectId: project.id, storagePath: 'atomic.ris', originalName: 'atomic.ris', size: RIS.length, sha256: 'x', createdBy: user.id }).returning()
  const [task] = await db.insert(tasks).values({ type: 'import-references', projectId: project.id, createdBy: user.id, payload: { fileId: file.id } }).returning()

  const key = await gate.block(project.id)
  const child = startChild(t, { DATABASE_URL: config.DATABASE_URL!, STORAGE_DIR: config.STORAGE_DIR, QUEUE_PREFIX: config.QUEUE_PREFIX }, 'web')
  const pid = await gate.waiting(key)
  await kill9(child)
  await gate.open(project.id, key)
  await gate.gone(pid)
  t.same(await gate.left(project.id), NOTHING, 'the killed import left nothing')

  // The next start of the service (here, in this process) resumes the unfinished task.
  await build(t, { DATABASE_URL: config.DATABASE_URL, STORAGE_DIR: config.STORAGE_DIR })
  const done = await waitFor(async () => {
    const [row] = await db.select().from(tasks).where(eq(tasks.id, task.id))
    return ['succeeded', 'failed', 'cancelled'].includes(row.status) && row
  }, START_TIMEOUT_MS, 100)
  t.equal(done.status, 'succeeded', done.error ?? '')
  t.equal(done.attempts, 2, 'resumed by the next start')
  const left = await gate.left(project.id)
  t.equal(left.articles, RECORDS, 'every record once')
  t.equal(left.batches, 1, 'one batch')
  t.ok(left.originals > 0, 'with its originals')
})
