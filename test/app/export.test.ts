import t from 'tap'
import path from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import { build, DATASETS, needsServices, tempDir, userWithToken, waitFor, fileUpload } from '../helper.ts'
import { openReferenceFile } from '../../src/references/import.ts'
import type { ReferenceRecord } from '../../src/references/model.ts'

t.test('exports carry decisions and read back to the same records and labels, in every format', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const dir = await tempDir(t)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Export' } })).json()
  const base = `/api/projects/${project.id}`
  const body = fileUpload('pubmed_zotero.ris', await readFile(path.join(DATASETS, 'exports/pubmed_zotero.ris')))
  const res = await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...alice.auth, ...body.headers }, payload: body.payload })
  await waitFor(async () => (await app.inject({ url: `/api/tasks/${res.json().id}`, headers: alice.auth })).json().status === 'succeeded', 60000)

  const list = (await app.inject({ url: `${base}/articles?pageSize=500&sort=title`, headers: alice.auth })).json()
  t.ok(list.total >= 4)
  const [inc, exc] = list.items
  await app.inject({ method: 'POST', url: `${base}/articles/${inc.id}/decisions`, headers: alice.auth, payload: { decision: 'include', note: 'meets all criteria' } })
  await app.inject({ method: 'POST', url: `${base}/articles/${exc.id}/decisions`, headers: alice.auth, payload: { decision: 'exclude', reason: 'wrong population' } })

  const key = (r: { doi?: string | null; title?: string | null }) => r.doi ?? r.title
  for (const format of ['ris', 'bibtex', 'csv', 'xlsx', 'csl-json']) {
    const out = await app.inject({ url: `${base}/export?format=${format}`, headers: alice.auth })
    t.equal(out.statusCode, 200, format)
    t.match(out.headers['content-disposition'], /attachment; filename="Export\./)
    const file = path.join(dir, `export.${format}`)
    await writeFile(file, out.rawPayload)
    const opened = await openReferenceFile(file, { format: format as never })
    const records: ReferenceRecord[] = []
    for await (const item of opened.items) if (item.kind === 'record') records.push(item.record)
    t.equal(records.length, list.total, `${format}: every record comes back`)
    const byKey = new Map(records.map((r) => [key(r), r]))
    for (const article of list.items) {
      const back = byKey.get(key(article))
      t.ok(back, `${format}: ${article.title.slice(0, 40)} found`)
      if (!back) continue
      t.equal(back.title, article.title, `${format}: title`)
      t.equal(back.year, article.year ?? undefined, `${format}: year`)
      t.equal(back.authors[0]?.family, article.authors[0]?.family, `${format}: first author`)
    }
    t.equal(byKey.get(key(inc))?.label, 'include', `${format}: the include label reads back`)
    t.equal(byKey.get(key(exc))?.label, 'exclude', `${format}: the exclude label reads back`)
  }

  const included = await app.inject({ url: `${base}/export?format=csv&decision=include`, headers: alice.auth })
  t.equal(included.body.trim().split('\n').length, 2, 'filtered export: header and the included record')
  t.match(included.body, /meets all criteria/)
  const bad = await app.inject({ url: `${base}/export?format=docx`, headers: alice.auth })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().message, /format/)
})
