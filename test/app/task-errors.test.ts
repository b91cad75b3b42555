import t from 'tap'
import { Type } from '@sinclair/typebox'
import { eq, sql } from 'drizzle-orm'
import { tasks } from '../../src/db/schema.ts'
import { executeTask } from '../../src/tasks/execute.ts'
import { build, needsServices } from '../helper.ts'

t.test('a task failed by the database says so without the database message', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const [task] = await app.db.insert(tasks).values({ type: 'refused' }).returning()
  await executeTask(task.id, {
    db: app.db, config: app.config, events: app.events, storageDir: app.storageDir, log: app.log, connectors: app.connectors,
    tasks: { refused: { payload: Type.Object({}), run: async (ctx) => ctx.db.execute(sql`SELECT 'x'::int AS "articles_project_title_idx"`) } }
  })
  const [row] = await app.db.select().from(tasks).where(eq(tasks.id, task.id))
  t.equal(row.status, 'failed')
  t.equal(row.error, 'task failed: the database refused the operation (the server log has the details)')
  t.notMatch(row.error, /invalid input|integer|SELECT|idx/)
})
