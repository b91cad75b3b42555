import t from 'tap'
import path from 'node:path'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { randomUUID } from 'node:crypto'
import { openReferenceFile } from '../../src/references/import.ts'
import { ORIGINALS_PER_CHUNK, OriginalsWriter, readOriginal, removeAbandonedSpools } from '../../src/services/originals.ts'
import { sourceBatches, tasks } from '../../src/db/schema.ts'
import { build, DATASETS, needsServices, userWithToken, fileUpload, taskFinished, waitFor } from '../helper.ts'

const FILE = path.join(DATASETS, 'screening/Cohen_2006/ADHD.csv')

t.test('every imported record keeps its original, in compressed chunks, and loses it with its project only', { skip: needsServices }, async (t) => {
  const expected: unknown[] = []
  for await (const item of (await openReferenceFile(FILE)).items) if (item.kind === 'record') expected.push(item.record.original)
  t.ok(expected.length > ORIGINALS_PER_CHUNK + 1, 'the file spans more than one chunk')

  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Originals' } })).json()
  const upload = fileUpload('ADHD.csv', await readFile(FILE))
  const res = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...alice.auth, ...upload.headers }, payload: upload.payload })
  const done = await taskFinished(app, alice.auth, res.json().id)
  t.equal(done.status, 'succeeded', done.error ?? '')
  t.equal(done.result.imported, expected.length)
  t.notOk(existsSync(path.join(os.tmpdir(), `analylit-originals-${done.id}`)), 'the spool is removed')

  const { rows } = await app.pg.pool.query('SELECT id, source_index, original FROM articles WHERE project_id = $1 ORDER BY source_index', [project.id])
  t.ok(rows.every((r) => r.original === null), 'not stored with each article')
  const chunks = await app.pg.pool.query('SELECT count(*)::int AS n, sum(length(records))::int AS bytes FROM original_chunks WHERE batch_id = $1', [done.result.batchId])
  t.equal(chunks.rows[0].n, Math.ceil(expected.length / ORIGINALS_PER_CHUNK))

  // First and last of the first chunk, first of the second, the very last.
  for (const index of [0, ORIGINALS_PER_CHUNK - 1, ORIGINALS_PER_CHUNK, expected.length - 1]) {
    const article = (await app.inject({ url: `/api/projects/${project.id}/articles/${rows[index].id}`, headers: alice.auth })).json()
    t.same(article.original, expected[index], `original of record ${index}`)
  }

  await app.inject({ method: 'DELETE', url: `/api/projects/${project.id}`, headers: alice.auth })
  const left = await app.pg.pool.query('SELECT count(*)::int AS n FROM original_chunks WHERE batch_id = $1', [done.result.batchId])
  t.equal(left.rows[0].n, 0, 'deleted with the project')
})

t.test('the originals spool of a killed run is replaced by the next run of the same task', async (t) => {
  const name = randomUUID()
  const dir = path.join(os.tmpdir(), `analylit-originals-${name}`)
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'chunks'), 'left by a killed run')
  const writer = new OriginalsWriter(name)
  // The second chunk waits for the first to be written to the spool.
  for (let k = 0; k < 2 * ORIGINALS_PER_CHUNK; k++) await writer.add({ k })
  const spool = path.join(dir, 'chunks')
  // The new spool file may still be opening: either it is not there yet or it holds the new chunks.
  t.notMatch(existsSync(spool) ? await readFile(spool, 'latin1') : '', /left by a killed run/, 'the old spool is gone')
  await writer.dispose()
  t.notOk(existsSync(dir), 'and the new one once the run ends')
})

t.test('spools left by imports killed mid-run are removed once their task has ended, and only then', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spools-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const [ended, running, queued] = await app.db.insert(tasks).values([
    { type: 'import-references', status: 'succeeded', createdBy: alice.user.id },
    { type: 'import-references', status: 'running', createdBy: alice.user.id },
    { type: 'import-references', status: 'queued', createdBy: alice.user.id }
  ]).returning()
  const unknown = randomUUID()
  const spool = (name: string) => path.join(dir, `analylit-originals-${name}`)
  for (const name of [ended.id, running.id, queued.id, unknown, 'not-a-task']) {
    await mkdir(spool(name))
    await writeFile(path.join(spool(name), 'chunks'), 'x')
  }
  t.same(await removeAbandonedSpools(app.db, dir), [ended.id])
  t.notOk(existsSync(spool(ended.id)), 'the spool of an ended task is removed')
  t.ok(existsSync(spool(running.id)) && existsSync(spool(queued.id)), 'running and queued tasks keep theirs (their next run removes it)')
  t.ok(existsSync(spool(unknown)), 'a task this database does not know may belong to another instance: kept')
  t.ok(existsSync(spool('not-a-task')))

  // At start-up, the service sweeps the OS temp directory.
  const [killed] = await app.db.insert(tasks).values({ type: 'import-references', status: 'failed', createdBy: alice.user.id }).returning()
  const left = path.join(os.tmpdir(), `analylit-originals-${killed.id}`)
  await mkdir(left, { recursive: true })
  t.teardown(() => rm(left, { recursive: true, force: true }))
  await build(t, { DATABASE_URL: app.config.DATABASE_URL })
  await waitFor(async () => !existsSync(left), 10000)
  t.notOk(existsSync(left), 'removed by the next start')
})

t.test('originals that outgrow one compressor piece stay whole and in record order', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Large originals' } })).json()
  const [batch] = await app.db.insert(sourceBatches).values({ projectId: project.id }).returning()
  // 3 million characters each: two of them pass the writer's 4-million-character piece, so the chunk is
  // compressed in several pieces; the small records before, between and after must keep their lines.
  const big = (n: number) => Array.from({ length: 300_000 }, (_, i) => `w${n}x${i.toString(36)}`).join(' ').slice(0, 3_000_000)
  const records = Array.from({ length: ORIGINALS_PER_CHUNK + 6 }, (_, i) => ({ i, text: [1, 3, 4, ORIGINALS_PER_CHUNK + 2].includes(i) ? big(i) : `small ${i}` }))
  const writer = new OriginalsWriter(randomUUID())
  t.teardown(() => writer.dispose())
  for (const record of records) await writer.add(record)
  const client = await app.pg.pool.connect()
  try {
    await writer.store(client, batch.id)
  } finally {
    client.release()
  }
  for (const index of [0, 1, 2, 3, 4, 5, ORIGINALS_PER_CHUNK - 1, ORIGINALS_PER_CHUNK, ORIGINALS_PER_CHUNK + 2, ORIGINALS_PER_CHUNK + 5]) {
    t.same(await readOriginal(app.db, batch.id, index), records[index], `record ${index}`)
  }
})
