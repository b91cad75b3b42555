import t from 'tap'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { and, eq, isNotNull } from 'drizzle-orm'
import { articles, files, fullTextPages, sourceBatches } from '../../src/db/schema.ts'
import { projectStorageDir } from '../../src/services/projects.ts'
import { build, fileUpload, multipart, needsServices, taskFinished, userWithToken } from '../helper.ts'
import { articlePdf } from '../support/pdfs.ts'
import { zipArchive } from '../support/zip.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const ZOTERO_RDF = new URL('../../../shared/datasets/exports/analylit-zotero.rdf', import.meta.url)

t.test('ZIP bulk upload, zip bombs, unmatched files, Zotero exports with files', { skip: needsServices }, async (t) => {
  const app = await build(t, { ZIP_MAX_UNCOMPRESSED_BYTES: String(64 * 1024 * 1024) })
  const owner = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'ZIPs' } })).json()
  const base = `/api/projects/${project.id}`
  const bulk = (parts: Array<{ fileName: string; value: Buffer }>) => {
    const body = multipart(parts.map((p) => ({ name: 'files', ...p })))
    return app.inject({ method: 'POST', url: `${base}/fulltext/bulk`, headers: { ...owner.auth, ...body.headers }, payload: body.payload })
  }
  const pdfFiles = () => app.db.select().from(files).where(and(eq(files.projectId, project.id), eq(files.contentType, 'application/pdf')))

  const [byDoi, byName, byHand] = (await app.db.insert(articles).values([
    { projectId: project.id, title: 'Chatbot alliance study', doi: '10.1000/zip.1', sourceIndex: 0 },
    { projectId: project.id, title: 'Relational agents for depression in primary care settings', sourceIndex: 1 },
    { projectId: project.id, title: 'Knee arthroplasty outcomes registry analysis', sourceIndex: 2 }
  ]).returning()).map((r) => r.id)

  await t.test('a ZIP with nested PDFs, a non-PDF, a corrupt PDF and a hostile name', async (t) => {
    const first = await articlePdf({ pages: 1, body: () => ['https://doi.org/10.1000/zip.1', 'Text of the chatbot study.'] })
    const second = await articlePdf({ pages: 2, body: (p) => [`Relational agents, page ${p}.`] })
    const third = await articlePdf({ pages: 1, title: 'Knee arthroplasty outcomes: a registry analysis of revisions', body: () => ['Registry text.', 'Its methods.', 'Its results.'] })
    const archive = zipArchive([
      { name: 'papers/', content: '' },
      { name: 'papers/2024/doi.pdf', content: first },
      { name: 'papers/2024/deeper/still/Relational_agents_for_depression_in_primary_care_settings.pdf', content: second, store: true },
      { name: '../../outside.pdf', content: third },
      { name: 'papers/copy-of-doi.pdf', content: first },
      { name: 'notes/readme.txt', content: 'a note' },
      { name: 'broken.pdf', content: Buffer.from(first).subarray(0, 300) },
      { name: 'fake.pdf', content: 'not a PDF at all' }
    ])
    const res = await bulk([{ fileName: 'papers.zip', value: archive }])
    t.equal(res.statusCode, 202, res.body)
    t.match(res.json(), { stored: [], archives: [{ fileName: 'papers.zip', entries: 7 }], rejected: [] })
    const task = await taskFinished(app, owner.auth, res.json().task.id)
    t.equal(task.status, 'succeeded', task.error ?? '')
    const [outcome] = task.result.archives
    t.same(outcome.skipped.map((s: Json) => [s.path, s.reason]).sort(), [['fake.pdf', 'not a PDF (no %PDF- header in its first 1,024 bytes)'], ['notes/readme.txt', 'not a PDF']])
    t.equal(outcome.pdfs.length, 5, 'every .pdf stored, whatever its depth or name')
    t.same(outcome.pdfs.filter((p: Json) => p.duplicate).map((p: Json) => p.path), ['papers/copy-of-doi.pdf'], 'the same PDF twice is stored once')
    t.equal((await pdfFiles()).length, 4)
    t.ok((await pdfFiles()).every((f) => f.taskId === task.id && !f.storagePath.includes('..')), 'stored under content addresses, recording the task')
    t.equal(await app.db.$count(files, eq(files.contentType, 'application/zip')), 0, 'the archive is removed once read')

    t.match(task.result.extraction, { requested: 4, extracted: 3, errors: 1 })
    t.match(task.result.extraction.files.find((f: Json) => f.fileName === 'broken.pdf'), { status: 'error', error: { code: 'corrupt' } })
    const rules = Object.fromEntries(task.result.matched.map((m: Json) => [m.fileName, [m.articleId, m.rule]]))
    t.same(rules, { 'doi.pdf': [byDoi, 'doi'], 'Relational_agents_for_depression_in_primary_care_settings.pdf': [byName, 'file-name-title'] })
    t.same(task.result.unmatched.map((u: Json) => u.fileName).sort(), ['broken.pdf', 'outside.pdf'])
  })

  await t.test('unmatched files: listed with their task and candidates, matched by hand, deleted', async (t) => {
    const res = await app.inject({ url: `${base}/fulltext/files?status=unmatched`, headers: owner.auth })
    t.equal(res.statusCode, 200, res.body)
    const list = res.json()
    t.equal(list.total, 2)
    const outside = list.items.find((f: Json) => f.fileName === 'outside.pdf')
    t.match(outside, { taskType: 'fulltext-bulk', origin: 'zip', articleIds: [], extraction: { status: 'ok', title: /Knee arthroplasty/ } })
    t.ok(outside.size > 0 && outside.uploadedAt)
    t.equal(outside.candidates[0].articleId, byHand, 'the closest title first')
    t.ok(outside.candidates[0].score > 0.5 && outside.candidates[0].score < 0.8, `a near miss (${outside.candidates[0].score}), below the matching threshold`)
    t.notOk(outside.candidates.some((c: Json) => c.articleId === byDoi), 'articles with a full text are not proposed')

    const match = await app.inject({ method: 'POST', url: `${base}/fulltext/files/${outside.fileId}/match`, headers: owner.auth, payload: { articleId: byHand } })
    t.equal(match.statusCode, 200, match.body)
    const broken = list.items.find((f: Json) => f.fileName === 'broken.pdf')
    t.match(broken.extraction, { status: 'error' })
    const after = (await app.inject({ url: `${base}/fulltext/files`, headers: owner.auth })).json()
    t.same(after.items.map((f: Json) => f.fileName), ['broken.pdf'])
    const all = (await app.inject({ url: `${base}/fulltext/files?status=all`, headers: owner.auth })).json()
    t.equal(all.total, 4)

    const used = await app.inject({ method: 'DELETE', url: `${base}/fulltext/files/${outside.fileId}`, headers: owner.auth })
    t.equal(used.statusCode, 409, 'a file an article uses is not deleted')
    const brokenRow = (await pdfFiles()).find((f) => f.id === broken.fileId)!
    const gone = await app.inject({ method: 'DELETE', url: `${base}/fulltext/files/${broken.fileId}`, headers: owner.auth })
    t.equal(gone.statusCode, 204, gone.body)
    t.equal((await app.inject({ method: 'DELETE', url: `${base}/fulltext/files/${broken.fileId}`, headers: owner.auth })).statusCode, 404)
    t.equal((await app.inject({ url: `${base}/fulltext/files`, headers: owner.auth })).json().total, 0)
    t.equal(await fs.stat(`${app.storageDir}/${brokenRow.storagePath}`).catch(() => null), null, 'its file is gone from disk')
    const bad = await app.inject({ url: `${base}/fulltext/files?status=lost`, headers: owner.auth })
    t.equal(bad.statusCode, 400)
    t.match(bad.json().message, /status/)
  })

  await t.test('zip bombs, corrupt archives: refused at upload, nothing stored', async (t) => {
    const before = await app.db.$count(files, eq(files.projectId, project.id))
    const bomb = zipArchive([{ name: 'bomb.pdf', content: Buffer.alloc(20 * 1024 * 1024) }])
    t.ok(bomb.length < 100 * 1024, `a 20 MB entry in ${bomb.length} bytes`)
    const ratio = await bulk([{ fileName: 'bomb.zip', value: bomb }])
    t.equal(ratio.statusCode, 413, ratio.body)
    t.match(ratio.json(), { field: 'files', message: /inflate .* times its compressed size.*ZIP_MAX_RATIO/ })

    const big = zipArchive(Array.from({ length: 5 }, (_, i) => ({ name: `big-${i}.pdf`, content: Buffer.alloc(15 * 1024 * 1024, i), store: true })))
    const total = await bulk([{ fileName: 'big.zip', value: big }])
    t.equal(total.statusCode, 413, total.body)
    t.match(total.json().message, /ZIP_MAX_UNCOMPRESSED_BYTES/)

    const corrupt = await bulk([{ fileName: 'cut.zip', value: zipArchive([{ name: 'a.pdf', content: randomBytes(5000), store: true }]).subarray(0, 2000) }])
    t.equal(corrupt.statusCode, 422, corrupt.body)
    t.match(corrupt.json(), { field: 'files', message: /not a readable ZIP archive/ })
    t.equal(await app.db.$count(files, eq(files.projectId, project.id)), before, 'no row left behind')
    const dir = `${projectStorageDir(app.storageDir, project.id)}/fulltext`
    t.equal((await fs.readdir(dir)).filter((f) => f.endsWith('.zip')).length, 0, 'no archive left on disk')
  })

  await t.test('a Zotero export with files: records imported, PDFs attached (a duplicate\'s to the existing article), text extracted', async (t) => {
    const rdf = await fs.readFile(ZOTERO_RDF, 'utf8')
    const paths = [...rdf.matchAll(/z:attachment rdf:resource="(files\/[^"]+\.pdf)"/g)].map((m) => m[1].replaceAll('&amp;', '&'))
    t.equal(paths.length, 229, 'PDF attachments in the export (one more attachment is an HTML page)')
    // The first item (its PDF files/9037/…) is already in the project, more complete than the export's record.
    const [existing] = await app.db.insert(articles).values({
      projectId: project.id, sourceIndex: 10, doi: '10.3389/fdgth.2025.1576135', year: 2025, journal: 'Frontiers in Digital Health', completeness: 100,
      title: 'Exploring user characteristics, motives, and expectations and the therapeutic alliance in the mental health conversational AI Clare®: a baseline study'
    }).returning()
    const pdfs = await Promise.all([0, 1, 2].map((i) => articlePdf({ pages: 2, body: (p) => [`Zotero attachment ${i}, page ${p}.`, 'The therapeutic alliance with a chatbot.'] })))
    const archive = zipArchive([
      { name: 'Exported Items/Exported Items.rdf', content: rdf },
      ...[0, 1, 2].map((i) => ({ name: `Exported Items/${paths[i].normalize('NFD')}`, content: pdfs[i] }))
    ])
    const upload = fileUpload('Exported Items.zip', archive, { sourceDatabase: 'Zotero library' })
    const res = await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...owner.auth, ...upload.headers }, payload: upload.payload })
    t.equal(res.statusCode, 202, res.body)
    t.equal(res.json().type, 'import-zotero')
    const task = await taskFinished(app, owner.auth, res.json().id, 120000)
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.match(task.result, { format: 'zotero-rdf', imported: 328, attachments: { requested: 229, attached: 3, missing: 226 }, extraction: { requested: 3, extracted: 3, errors: 0 } })

    const withText = await app.db.select({ id: articles.id, batchId: articles.batchId, fileId: articles.fullTextFileId }).from(articles)
      .where(and(eq(articles.projectId, project.id), isNotNull(articles.fullTextFileId), eq(articles.batchId, task.result.batchId)))
    t.equal(withText.length, 2, 'two imported records got their PDF')
    const first = task.result.attachments.files.find((f: Json) => f.path === paths[0])
    t.match(first, { status: 'attached', attachedTo: existing.id })
    const [imported] = await app.db.select().from(articles).where(eq(articles.id, first.articleId))
    t.equal(imported.duplicateOf, existing.id, 'the export\'s record is a duplicate of the existing article')
    t.equal(imported.fullTextFileId, null)
    const [after] = await app.db.select().from(articles).where(eq(articles.id, existing.id))
    t.equal(after.fullTextFileId, first.fileId, 'the existing article has the PDF')
    const pages = await app.db.select().from(fullTextPages).where(eq(fullTextPages.fileId, first.fileId))
    t.match(pages.map((p) => p.text).join('\n'), /Zotero attachment 0/)

    const [batch] = await app.db.select().from(sourceBatches).where(eq(sourceBatches.id, task.result.batchId))
    t.match(batch, { fileName: 'Exported Items.zip', format: 'zotero-rdf', recordsImported: 328 }, 'a normal import batch')
    t.equal(await app.db.$count(files, eq(files.contentType, 'application/zip')), 0, 'the archive is removed once read')
  })

  await t.test('a ZIP without a Zotero RDF is refused by the import', async (t) => {
    const upload = fileUpload('pdfs.zip', zipArchive([{ name: 'a.pdf', content: await articlePdf({ pages: 1, body: () => ['x'] }) }]))
    const res = await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...owner.auth, ...upload.headers }, payload: upload.payload })
    t.equal(res.statusCode, 422, res.body)
    t.match(res.json(), { field: 'file', message: /no Zotero RDF file/ })
  })

  await t.test('deleting the project deletes its files', async (t) => {
    const dir = projectStorageDir(app.storageDir, project.id)
    t.ok((await fs.readdir(`${dir}/fulltext`)).length > 0)
    t.equal((await app.inject({ method: 'DELETE', url: base, headers: owner.auth })).statusCode, 204)
    t.equal(await fs.stat(dir).catch(() => null), null)
    t.equal(await app.db.$count(files, eq(files.projectId, project.id)), 0)
  })
})
