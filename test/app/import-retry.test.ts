import t from 'tap'
import { readFile } from 'node:fs/promises'
import { eq } from 'drizzle-orm'
import { articles, sourceBatches, tasks } from '../../src/db/schema.ts'
import { executeTask } from '../../src/tasks/execute.ts'
import { TASKS } from '../../src/tasks/registry.ts'
import { build, fileUpload, needsServices, taskFinished, userWithToken } from '../helper.ts'

// A process that dies after an import's COMMIT (during the deduplication that follows) leaves the task
// running; the next attempt must keep the committed batch, not import the file a second time.
t.test('an import attempt after its batch was committed does not import the records again', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Retry' } })).json()
  const upload = fileUpload('embase.ris', await readFile('../shared/datasets/exports/embase.ris'))
  const submitted = (await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...alice.auth, ...upload.headers }, payload: upload.payload })).json()
  const first = await taskFinished(app, alice.auth, submitted.id)
  t.equal(first.status, 'succeeded', first.error ?? '')
  const count = async () => app.db.$count(articles, eq(articles.projectId, project.id))
  const imported = await count()
  t.ok(imported > 0)
  t.equal(first.result.imported, imported)

  // The state a death after COMMIT leaves: the task still running, its batch in the database.
  await app.db.update(tasks).set({ status: 'running', result: null }).where(eq(tasks.id, submitted.id))
  await executeTask(submitted.id, {
    db: app.db, config: app.config, events: app.events, storageDir: app.storageDir, log: app.log, connectors: app.connectors, tasks: TASKS
  })
  const [row] = await app.db.select().from(tasks).where(eq(tasks.id, submitted.id))
  t.equal(row.status, 'succeeded', row.error ?? '')
  t.equal(await count(), imported, 'no record imported twice')
  t.equal(await app.db.$count(sourceBatches, eq(sourceBatches.taskId, submitted.id)), 1, 'one batch for the task')
  const result = row.result as Record<string, unknown>
  t.equal(result.batchId, first.result.batchId, 'the committed batch is the result')
  t.equal(result.imported, imported)
  t.equal(result.resumedAfterCommit, true, 'the result says the batch came from the earlier attempt')
  t.match(result.deduplication, { clusters: Number }, 'deduplication ran again')
})
