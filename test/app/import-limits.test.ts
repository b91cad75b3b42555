import t from 'tap'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { articles, files, sourceBatches } from '../../src/db/schema.ts'
import { importReferences } from '../../src/jobs/import-references.ts'
import { TaskStore } from '../../src/tasks/store.ts'
import { build, fileUpload, needsServices, taskFinished, userWithToken } from '../helper.ts'
import { SHARED_STRINGS_CLOSE, SHARED_STRINGS_OPEN, repeated, xlsxWorkbook } from '../support/xlsx-bomb.ts'

t.test('an XLSX decompression bomb fails its task naming the limit; nothing is stored', { skip: needsServices }, async (t) => {
  const app = await build(t, { IMPORT_MAX_INFLATED_BYTES: String(4 << 20) })
  const { auth } = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: auth, payload: { name: 'Bombs' } })).json()
  // 64 MiB of shared strings in a few hundred kilobytes
  const bomb = await xlsxWorkbook({
    rows: [['Title']],
    sharedStrings: [SHARED_STRINGS_OPEN, ...repeated('<si><t>A title</t></si>', 64 << 20), SHARED_STRINGS_CLOSE],
    declaredSizes: { 'xl/sharedStrings.xml': 1000 }
  })
  const body = fileUpload('export.xlsx', bomb)
  const res = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...auth, ...body.headers }, payload: body.payload })
  t.equal(res.statusCode, 202)
  const task = await taskFinished(app, auth, res.json().id)
  t.equal(task.status, 'failed')
  t.match(task.error, /the file is refused: it inflates to more, over the limit of 4194304 bytes uncompressed per upload \(IMPORT_MAX_INFLATED_BYTES\)/)
  t.equal(await app.db.$count(articles), 0)
  t.equal(await app.db.$count(sourceBatches), 0)
})

t.test('a text record over IMPORT_MAX_RECORD_CHARS fails its task naming the limit; the records before it are not stored', { skip: needsServices }, async (t) => {
  const app = await build(t, { IMPORT_MAX_RECORD_CHARS: '10000' })
  const { auth } = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: auth, payload: { name: 'Long records' } })).json()
  const ris = 'TY  - JOUR\nTI  - Ordinary\nER  - \n\n'.repeat(3) + `TY  - JOUR\nTI  - Huge\nAB  - ${'a'.repeat(50_000)}\nER  - \n`
  const body = fileUpload('long.ris', ris)
  const res = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...auth, ...body.headers }, payload: body.payload })
  t.equal(res.statusCode, 202)
  const task = await taskFinished(app, auth, res.json().id)
  t.equal(task.status, 'failed')
  t.match(task.error, /the file is refused: line 15 holds more than 10000 characters, the limit per record \(IMPORT_MAX_RECORD_CHARS\)/)
  t.equal(await app.db.$count(articles), 0)
  t.equal(await app.db.$count(sourceBatches), 0)
})

t.test('import progress follows the share of the file parsed and stored', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const { user, auth } = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: auth, payload: { name: 'Progress' } })).json()
  const rows = 4000
  const lines = ['Title,Abstract,Year']
  for (let i = 0; i < rows; i++) lines.push(`Record ${i} on alliance,"${'An abstract sentence about conversational agents. '.repeat(20)}",${1990 + (i % 30)}`)
  const name = 'progress.csv'
  await writeFile(path.join(app.storageDir, name), lines.join('\n'))
  const [file] = await app.db.insert(files).values({ projectId: project.id, storagePath: name, originalName: name, size: 1, sha256: 'x', createdBy: user.id }).returning()
  const store = new TaskStore(app.db)
  const task = await store.start((await store.create({ type: 'import-references', projectId: project.id, payload: { fileId: file.id }, createdBy: user.id })).id)
  const reports: Array<{ fraction: number; message?: string }> = []
  const result = await importReferences({
    task: task!, db: app.db, config: app.config, storageDir: app.storageDir, signal: new AbortController().signal, log: app.log,
    async progress(fraction, message) { reports.push({ fraction, message }) },
    async ensureNotCancelled() {},
    async emit() {},
    connectors: app.connectors
  }, { fileId: file.id })
  t.equal(result.imported, rows)
  const during = reports.filter((r) => /records imported/.test(r.message ?? ''))
  t.ok(during.length >= 15, `${during.length} reports while importing`)
  for (let i = 1; i < during.length; i++) t.ok(during[i].fraction >= during[i - 1].fraction, 'never goes back')
  for (const report of during) {
    const stored = Number(/^(\d+)/.exec(report.message!)![1])
    // bytes are read ahead of parsing by at most one 256 KiB chunk of this ~4 MB file
    t.ok(Math.abs(report.fraction - 0.9 * stored / rows) < 0.1, `${report.fraction.toFixed(2)} reported at ${stored} of ${rows} records`)
  }
  const dedup = reports.slice(reports.findIndex((r) => r.message === 'finding duplicates'))
  t.same(dedup.map((r) => r.fraction), [0.9, 0.97], 'deduplication takes the last tenth: comparing, then storing')
})
