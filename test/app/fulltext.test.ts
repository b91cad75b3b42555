import t from 'tap'
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { and, eq } from 'drizzle-orm'
import { articles, files, fullTextPages, fullTexts } from '../../src/db/schema.ts'
import { projectStorageDir } from '../../src/services/projects.ts'
import { build, fileUpload, multipart, needsServices, taskFinished, tempDir, userWithToken } from '../helper.ts'
import { articlePdf, hasTool } from '../support/pdfs.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const run = promisify(execFile)

t.test('full texts: upload, extraction task, pages, search, deletion; stage-2 gating', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Full texts' } })).json()
  const base = `/api/projects/${project.id}`
  const rows = await app.db.insert(articles).values(['Alliance with chatbots', 'Encrypted report', 'Broken file', 'Same PDF again'].map((title, i) => ({ projectId: project.id, title, sourceIndex: i }))).returning()
  const [alliance, encrypted, broken, same] = rows.map((r) => r.id)

  const upload = (articleId: string, name: string, content: Uint8Array | string) => {
    const body = fileUpload(name, Buffer.from(content))
    return app.inject({ method: 'POST', url: `${base}/articles/${articleId}/fulltext`, headers: { ...owner.auth, ...body.headers }, payload: body.payload })
  }

  const pdf = await articlePdf({
    pages: 3, title: 'Chatbots and the digital therapeutic alliance',
    body: (p) => p === 2 ? ['Methods', 'We measured the working alliance inventory', 'in forty adults using a chatbot.'] : [`Plain prose on page ${p}`, 'about engagement and outcomes.']
  })

  await t.test('not a PDF: 415 naming the problem, nothing stored', async (t) => {
    const res = await upload(alliance, 'notes.txt', 'just some notes, not a PDF')
    t.equal(res.statusCode, 415)
    t.match(res.json().message, /notes\.txt is not a PDF/)
    t.same(await app.db.select().from(files).where(eq(files.projectId, project.id)), [])
  })

  let fileId = ''
  await t.test('upload, extraction task, pages with sections', async (t) => {
    const res = await upload(alliance, 'alliance.pdf', pdf)
    t.equal(res.statusCode, 201, res.body)
    const body = res.json()
    t.match(body, { articleId: alliance, duplicate: false, size: pdf.byteLength })
    fileId = body.fileId
    const task = await taskFinished(app, owner.auth, body.task.id)
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.match(task.result, { requested: 1, extracted: 1, errors: 0, files: [{ fileId, status: 'ok', pageCount: 3 }] })

    const pdfRes = await app.inject({ url: `${base}/articles/${alliance}/fulltext`, headers: owner.auth })
    t.equal(pdfRes.statusCode, 200)
    t.same(pdfRes.rawPayload, Buffer.from(pdf), 'the PDF as uploaded')

    const pages = (await app.inject({ url: `${base}/articles/${alliance}/fulltext/pages?from=2&to=3`, headers: owner.auth })).json()
    t.match(pages, { status: 'ok', pageCount: 3, error: null })
    t.same(pages.pages.map((p: Json) => p.number), [2, 3])
    t.match(pages.pages[0].text, /working alliance inventory/)
    t.ok(pages.sections.some((s: Json) => s.name === 'methods' && s.page === 2), 'the methods section starts on page 2')
  })

  await t.test('the same PDF twice is stored once', async (t) => {
    const res = await upload(same, 'copy.pdf', pdf)
    t.equal(res.statusCode, 201, res.body)
    t.match(res.json(), { fileId, duplicate: true, task: null })
    t.equal((await app.db.select().from(files).where(eq(files.projectId, project.id))).length, 1)
    t.equal((await fs.readdir(path.join(projectStorageDir(app.storageDir, project.id), 'fulltext'))).length, 1, 'one file on disk')
  })

  await t.test('search across the project\'s pages', async (t) => {
    const res = await app.inject({ url: `${base}/fulltext/search?q=${encodeURIComponent('"working alliance" -surgery')}`, headers: owner.auth })
    t.equal(res.statusCode, 200, res.body)
    const hits = res.json()
    t.equal(hits.total, 2, 'page 2 of the PDF, linked from two articles')
    t.same(hits.items.map((h: Json) => [h.page, h.fileId]), [[2, fileId], [2, fileId]])
    t.same(new Set(hits.items.map((h: Json) => h.articleId)), new Set([alliance, same]))
    t.match(hits.items[0].snippet, /«working» «alliance»/)
    const none = (await app.inject({ url: `${base}/fulltext/search?q=knee`, headers: owner.auth })).json()
    t.same(none, { items: [], total: 0, page: 1, pageSize: 20 })
  })

  await t.test('encrypted and corrupt PDFs: per-file errors in the task result', { skip: await hasTool('qpdf') ? false : 'qpdf is not installed' }, async (t) => {
    const dir = await tempDir(t)
    await fs.writeFile(path.join(dir, 'plain.pdf'), await articlePdf({ pages: 1, body: () => ['Secret text'] }))
    await run('qpdf', ['--encrypt', 'secret', 'owner', '256', '--', path.join(dir, 'plain.pdf'), path.join(dir, 'locked.pdf')])
    for (const [id, content] of [[encrypted, await fs.readFile(path.join(dir, 'locked.pdf'))], [broken, Buffer.from(pdf).subarray(0, 400)]] as const) {
      const res = await upload(id, 'bad.pdf', content)
      t.equal(res.statusCode, 201, res.body)
      const task = await taskFinished(app, owner.auth, res.json().task.id)
      t.equal(task.status, 'succeeded', 'a bad PDF does not fail the task')
      t.equal(task.result.errors, 1)
    }
    const errors = await app.db.select({ code: fullTexts.errorCode }).from(fullTexts).where(and(eq(fullTexts.projectId, project.id), eq(fullTexts.status, 'error')))
    t.same(errors.map((e) => e.code).sort(), ['corrupt', 'encrypted'])
    const pages = (await app.inject({ url: `${base}/articles/${encrypted}/fulltext/pages`, headers: owner.auth })).json()
    t.match(pages, { status: 'error', error: { code: 'encrypted' }, pages: [] })

    const again = await app.inject({ method: 'POST', url: `${base}/fulltext/extract`, headers: owner.auth, payload: { articleIds: [alliance, encrypted], force: true } })
    t.equal(again.statusCode, 202, again.body)
    const task = await taskFinished(app, owner.auth, again.json().id)
    t.match(task.result, { requested: 2, extracted: 1, errors: 1 })
    t.equal((await app.db.select().from(fullTextPages).where(eq(fullTextPages.fileId, fileId))).length, 3, 'pages replaced, not duplicated')
  })

  await t.test('deleting: the PDF goes with the last article that links it', async (t) => {
    t.equal((await app.inject({ method: 'DELETE', url: `${base}/articles/${same}/fulltext`, headers: owner.auth })).statusCode, 204)
    t.equal((await app.inject({ url: `${base}/articles/${same}/fulltext`, headers: owner.auth })).statusCode, 404)
    t.equal((await app.inject({ url: `${base}/articles/${alliance}/fulltext`, headers: owner.auth })).statusCode, 200, 'still linked from the other article')
    t.equal((await app.inject({ method: 'DELETE', url: `${base}/articles/${alliance}/fulltext`, headers: owner.auth })).statusCode, 204)
    t.same(await app.db.select().from(files).where(eq(files.id, fileId)), [])
    t.same(await app.db.select().from(fullTextPages).where(eq(fullTextPages.fileId, fileId)), [], 'its text too')
  })

  await t.test('bulk upload: PDFs matched by DOI, PMID in the file name, title; the rest kept for a manual match', async (t) => {
    const [byDoi, byPmid, byTitle, byHand] = (await app.db.insert(articles).values([
      { projectId: project.id, title: 'Some article', doi: '10.1000/Bulk.1' },
      { projectId: project.id, title: 'Another article', pmid: '12345678' },
      { projectId: project.id, title: 'Working alliance in internet-delivered cognitive behavioural therapy for depression' },
      { projectId: project.id, title: 'Matched by hand' }
    ]).returning()).map((r) => r.id)
    const pdfs = [
      ['a.pdf', await articlePdf({ pages: 1, body: () => ['Received 2024.', 'https://doi.org/10.1000/bulk.1', 'Text of the first study.'] })],
      ['12345678.pdf', await articlePdf({ pages: 1, body: () => ['Text of the second study.'] })],
      ['scan.pdf', await articlePdf({ pages: 1, title: 'Working alliance in internet delivered cognitive behavioural therapy for depression: a trial', body: () => ['Text of the third study.', 'Its methods.', 'Its results.'] })],
      ['mystery.pdf', await articlePdf({ pages: 1, title: 'Knee arthroplasty registry', body: () => ['Unrelated text.'] })]
    ] as const
    const body = multipart([...pdfs.map(([name, content]) => ({ name: 'files', fileName: name, value: Buffer.from(content) })), { name: 'files', fileName: 'readme.txt', value: 'not a pdf' }])
    const res = await app.inject({ method: 'POST', url: `${base}/fulltext/bulk`, headers: { ...owner.auth, ...body.headers }, payload: body.payload })
    t.equal(res.statusCode, 202, res.body)
    t.equal(res.json().stored.length, 4)
    t.match(res.json().rejected, [{ fileName: 'readme.txt', reason: /not a PDF/ }])
    const task = await taskFinished(app, owner.auth, res.json().task.id)
    t.equal(task.status, 'succeeded', task.error ?? '')
    const rules = Object.fromEntries(task.result.matched.map((m: Json) => [m.fileName, [m.articleId, m.rule, m.attached]]))
    t.same(rules, { 'a.pdf': [byDoi, 'doi', true], '12345678.pdf': [byPmid, 'file-name-pmid', true], 'scan.pdf': [byTitle, 'title', true] })
    t.match(task.result.unmatched, [{ fileName: 'mystery.pdf' }])
    const linked = await app.db.select({ id: articles.id, fileId: articles.fullTextFileId }).from(articles).where(eq(articles.id, byTitle))
    t.ok(linked[0].fileId, 'attached')

    const unmatched = task.result.unmatched[0].fileId
    const match = await app.inject({ method: 'POST', url: `${base}/fulltext/files/${unmatched}/match`, headers: owner.auth, payload: { articleId: byHand } })
    t.equal(match.statusCode, 200, match.body)
    const pages = (await app.inject({ url: `${base}/articles/${byHand}/fulltext/pages`, headers: owner.auth })).json()
    t.match(pages.pages[0].text, /Unrelated text/, 'its extracted text is served for the article')
    const taken = await app.inject({ method: 'POST', url: `${base}/fulltext/files/${unmatched}/match`, headers: owner.auth, payload: { articleId: byDoi } })
    t.equal(taken.statusCode, 409, 'an article with another full text is not overwritten')
  })

  await t.test('a full-text decision needs inclusion at title/abstract', async (t) => {
    const decide = (stage: string, decision: string) => app.inject({ method: 'POST', url: `${base}/articles/${alliance}/decisions`, headers: owner.auth, payload: { stage, decision } })
    const refused = await decide('full_text', 'include')
    t.equal(refused.statusCode, 409)
    t.match(refused.json().message, /not included at the title\/abstract stage \(status: awaiting\)/)
    t.equal((await decide('title_abstract', 'exclude')).statusCode, 201)
    t.equal((await decide('full_text', 'include')).statusCode, 409, 'not after an exclusion either')
    t.equal((await decide('title_abstract', 'include')).statusCode, 201)
    t.equal((await decide('full_text', 'include')).statusCode, 201, 'accepted once included')
  })

  await t.test('deleting the project removes its files from disk', async (t) => {
    const dir = projectStorageDir(app.storageDir, project.id)
    t.ok(await fs.stat(dir).catch(() => null))
    t.equal((await app.inject({ method: 'DELETE', url: base, headers: owner.auth })).statusCode, 204)
    t.equal(await fs.stat(dir).catch(() => null), null)
  })
})
