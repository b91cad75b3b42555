import t from 'tap'
import { asc, eq } from 'drizzle-orm'
import { articles, articleSearch, tasks } from '../../src/db/schema.ts'
import { emptyRecord } from '../../src/references/model.ts'
import { createSourceBatch, insertRecords } from '../../src/services/source-records.ts'
import { build, fileUpload, needsServices, taskFinished, userWithToken } from '../helper.ts'

/** Distinct words, so that the search vector of the text really is as long as the text. */
const words = (chars: number) => {
  let text = ''
  for (let i = 0; text.length < chars; i++) text += `w${i.toString(36)}x `
  return text.slice(0, chars).trim()
}

const record = (fields: Record<string, string>) =>
  'TY  - JOUR\n' + Object.entries(fields).map(([tag, value]) => `${tag}  - ${value}\n`).join('') + 'ER  - \n\n'

t.test('a record with a field of any length is stored with the others', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Long fields' } })).json()

  const longTitle = 'Long title ' + words(3000)
  const longDoi = '10.1000/' + 'x'.repeat(3000)
  const hugeAbstract = words(2 * 1024 * 1024)
  const file = [
    record({ TI: 'Ordinary record before', AU: 'Smith, John', PY: '2020', DO: '10.1000/first' }),
    record({ TI: longTitle, AU: 'Long, Title', PY: '2021' }),
    record({ TI: 'Record with a long DOI', PY: '2021', DO: longDoi }),
    record({ TI: 'Record with a huge abstract', PY: '2022', AB: hugeAbstract }),
    record({ TI: 'Record with a NUL\u0000 byte', AB: 'an abstract\u0000 with NUL and a literal \\u0000 escape', KW: 'keyword \\u0000\u0000 text', PY: '2023' }),
    record({ TI: 'Ordinary record after', AU: 'Doe, Jane', PY: '2024', DO: '10.1000/last', VL: '9'.repeat(30) }),
    record({ TI: 'Record with a year past any integer', PY: '99999999999', VL: '-1e400' })
  ].join('')
  const upload = fileUpload('long-fields.ris', file)
  const res = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...alice.auth, ...upload.headers }, payload: upload.payload })
  t.equal(res.statusCode, 202, res.body)
  const done = await taskFinished(app, alice.auth, res.json().id)
  t.equal(done.status, 'succeeded', done.error ?? '')
  t.equal(done.result.imported, 7, 'every record imported')
  t.equal(done.result.errorCount, 0)

  const stored = await app.db.select({ id: articles.id, title: articles.title, doi: articles.doi, abstract: articles.abstract, data: articles.data })
    .from(articles).where(eq(articles.projectId, project.id)).orderBy(asc(articles.sourceIndex))
  t.same(stored.map((a) => a.title), ['Ordinary record before', longTitle, 'Record with a long DOI', 'Record with a huge abstract',
    'Record with a NUL byte', 'Ordinary record after', 'Record with a year past any integer'], 'all stored in order, NUL dropped')
  t.equal(stored[2].doi, longDoi, 'the long DOI kept whole')
  t.equal(stored[3].abstract, hugeAbstract, 'the huge abstract kept whole')
  t.equal(stored[4].abstract, 'an abstract with NUL and a literal \\u0000 escape', 'a literal \\u0000 is text, not a NUL')
  t.same((stored[4].data as { keywords: string[] }).keywords, ['keyword \\u0000 text'], 'in JSON fields too')
  const [vector] = await app.db.select({ id: articleSearch.articleId }).from(articleSearch).where(eq(articleSearch.articleId, stored[3].id))
  t.ok(vector, 'the huge abstract has a search vector')

  // The list sorts by title through the bounded index expression, long titles included, and searches
  const page = (await app.inject({ url: `/api/projects/${project.id}/articles?sort=title&pageSize=10`, headers: alice.auth })).json()
  t.same(page.items.map((a: { title: string }) => a.title.slice(0, 22)),
    ['Long title w0x w1x w2x', 'Ordinary record after', 'Ordinary record before', 'Record with a huge abs', 'Record with a long DOI',
      'Record with a NUL byte', 'Record with a year pas'])
  const found = (await app.inject({ url: `/api/projects/${project.id}/articles?q=w1ax`, headers: alice.auth })).json()
  t.equal(found.total, 2, 'words of the long title and of the abstract are searchable')
  const article = (await app.inject({ url: `/api/projects/${project.id}/articles/${stored[1].id}`, headers: alice.auth }))
  t.equal(article.statusCode, 200)
  t.equal(article.json().title, longTitle)
})

t.test('records from a database API with NUL characters are stored without them', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'API records' } })).json()
  const [task] = await app.db.insert(tasks).values({ projectId: project.id, type: 'search' }).returning()
  const batchId = await createSourceBatch(app.db, { projectId: project.id, taskId: task.id, kind: 'search', sourceDatabase: 'Crossref', createdBy: alice.user.id })
  const record = { ...emptyRecord(), title: 'A title\u0000 from Crossref', keywords: ['key\u0000word'], doi: '10.1000/nul', original: { title: ['A title\u0000'], 'odd\u0000key': 1 } }
  const [id] = await insertRecords(app.db, project.id, batchId, [record], 0)
  const [row] = await app.db.select().from(articles).where(eq(articles.id, id))
  t.equal(row.title, 'A title from Crossref')
  t.same((row.data as { keywords: string[] }).keywords, ['keyword'])
  t.same(row.original, { title: ['A title'], oddkey: 1 })
})
