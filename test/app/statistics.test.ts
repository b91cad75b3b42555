import t from 'tap'
import { build, fileUpload, needsServices, taskFinished, userWithToken } from '../helper.ts'
import { normaliseKeyword } from '../../src/synthesis/descriptive/index.ts'

const ris = (r: { ty: string, ti: string, py: number, jo?: string, t2?: string, kw?: string[] }) =>
  [`TY  - ${r.ty}`, `TI  - ${r.ti}`, `PY  - ${r.py}`, r.jo ? `JO  - ${r.jo}` : '', r.t2 ? `T2  - ${r.t2}` : '', ...(r.kw ?? []).map((k) => `KW  - ${k}`), 'ER  - ', ''].filter(Boolean).join('\n')
const RECORDS = [
  { ty: 'JOUR', ti: 'Alpha', py: 2020, jo: 'Journal of Tests', kw: ['Chatbots', 'Therapeutic Alliance', 'mental health'] },
  { ty: 'JOUR', ti: 'Beta', py: 2021, jo: 'journal of tests', kw: ['chatbot', 'Thérapeutic alliances'] },
  { ty: 'CONF', ti: 'Gamma', py: 2021, t2: 'Conference on X', kw: ['Mental Health', 'chatbot', '<XML> & "quotes"'] },
  { ty: 'JOUR', ti: 'Delta', py: 2019, jo: 'Other Journal' }
].map(ris).join('\n')

t.test('keywords are compared without case, accents or a simple plural', async (t) => {
  t.equal(normaliseKeyword('Thérapeutic  Alliances'), 'therapeutic alliance')
  t.equal(normaliseKeyword('Therapies'), 'therapy')
  t.equal(normaliseKeyword('Analysis'), 'analysis', 'not every final s is a plural')
  t.equal(normaliseKeyword('Stress'), 'stress')
  t.equal(normaliseKeyword('  ;; '), '')
})

t.test('statistics and concept graph through the API', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Stats' } })).json()
  const base = `/api/projects/${project.id}`
  const upload = fileUpload('records.ris', RECORDS)
  const task = (await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...owner.auth, ...upload.headers }, payload: upload.payload })).json()
  t.equal((await taskFinished(app, owner.auth, task.id)).status, 'succeeded')
  const items = (await app.inject({ url: `${base}/articles?pageSize=10`, headers: owner.auth })).json().items as Array<{ id: string, title: string }>
  const id = (title: string) => items.find((a) => a.title === title)!.id
  const decide = (title: string, decision: string, stage = 'title_abstract') =>
    app.inject({ method: 'POST', url: `${base}/articles/${id(title)}/decisions`, headers: owner.auth, payload: { decision, stage } })
  for (const [title, decision] of [['Alpha', 'include'], ['Beta', 'include'], ['Gamma', 'include'], ['Delta', 'exclude']]) t.equal((await decide(title, decision)).statusCode, 201)

  t.test('counts of all records, per dimension', async (t) => {
    const res = await app.inject({ url: `${base}/statistics?set=all`, headers: owner.auth })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    const s = res.json()
    t.equal(s.total, 4)
    t.same(s.dimensions.year.counts, [{ value: '2019', count: 1 }, { value: '2020', count: 1 }, { value: '2021', count: 2 }], 'years in order')
    t.same(s.dimensions.journal.counts[0], { value: 'journal of tests', count: 2 }, 'journals compared without case')
    t.same(s.dimensions.design.counts, [{ value: 'article', count: 3 }, { value: 'conference-paper', count: 1 }])
    t.same(s.dimensions.keyword.counts.slice(0, 3), [{ value: 'chatbot', count: 3 }, { value: 'mental health', count: 2 }, { value: 'Therapeutic Alliance', count: 2 }])
    t.equal(s.dimensions.keyword.missing, 1, 'one record has no keyword')
    t.same(s.dimensions.country, { counts: [], missing: 4, distinct: 0 }, 'imported records carry no country')
  })

  t.test('included and screened sets, and a cross-tabulation', async (t) => {
    const inc = (await app.inject({ url: `${base}/statistics?set=included&by=year&by2=design`, headers: owner.auth })).json()
    t.equal(inc.total, 3)
    t.equal(inc.includedAt, 'title_abstract', 'no full-text decision yet: included at title/abstract')
    t.same(Object.keys(inc.dimensions), ['year', 'design'])
    t.same(inc.crosstab.cells, [
      { value: '2020', value2: 'article', count: 1 }, { value: '2021', value2: 'article', count: 1 }, { value: '2021', value2: 'conference-paper', count: 1 }
    ])
    t.equal((await app.inject({ url: `${base}/statistics?set=screened`, headers: owner.auth })).json().total, 4)
    t.equal((await decide('Alpha', 'include', 'full_text')).statusCode, 201)
    const ft = (await app.inject({ url: `${base}/statistics?by=year`, headers: owner.auth })).json()
    t.match(ft, { set: 'included', includedAt: 'full_text', total: 1 }, 'once full-text decisions exist, included means included at full text')
    const bad = await app.inject({ url: `${base}/statistics?by=year&by2=year`, headers: owner.auth })
    t.match(bad.json(), { statusCode: 400, field: 'by2' })
    t.equal((await app.inject({ url: `${base}/statistics?by=colour`, headers: owner.auth })).statusCode, 400)
  })

  t.test('bar charts', async (t) => {
    const res = await app.inject({ url: `${base}/statistics/keyword.svg?set=all`, headers: owner.auth })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /image\/svg\+xml/)
    const bars = res.body.match(/<g class="bar">.*?<\/g>/g) ?? []
    t.equal(bars.length, 4, 'a bar per keyword')
    t.match(bars[0], />chatbot<.*<rect [^>]*width="360".*>3</, 'the longest bar is the most frequent keyword')
    t.match(res.body, /&lt;XML&gt; &amp; &quot;quotes&quot;/, 'labels escaped')
    t.match(res.body, /Keyword: all records \(n = 4\)/)
  })

  t.test('concept graph: nodes, co-occurrence edges, minimum count, GraphML', async (t) => {
    const g = (await app.inject({ url: `${base}/concepts?set=all`, headers: owner.auth })).json()
    t.equal(g.records, 4)
    t.same(g.nodes.slice(0, 3), [
      { id: 'chatbot', label: 'chatbot', count: 3, kind: 'keyword' }, { id: 'mental health', label: 'mental health', count: 2, kind: 'keyword' },
      { id: 'therapeutic alliance', label: 'Therapeutic Alliance', count: 2, kind: 'keyword' }
    ])
    t.same(g.edges.slice(0, 2), [{ source: 'chatbot', target: 'mental health', count: 2 }, { source: 'chatbot', target: 'therapeutic alliance', count: 2 }])
    t.equal(g.edges.length, 5, 'every pair in a record once')
    const min2 = (await app.inject({ url: `${base}/concepts?set=all&minCount=2`, headers: owner.auth })).json()
    t.same(min2.nodes.map((n: { id: string }) => n.id), ['chatbot', 'mental health', 'therapeutic alliance'])
    t.equal(min2.edges.length, 2)
    const included = (await app.inject({ url: `${base}/concepts`, headers: owner.auth })).json()
    t.equal(included.records, 1, 'included records by default')
    const graphml = await app.inject({ url: `${base}/concepts?set=all&format=graphml`, headers: owner.auth })
    t.equal(graphml.statusCode, 200)
    t.match(graphml.headers['content-type'], /application\/graphml\+xml/)
    const doc = graphml.body
    t.match(doc, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<graphml xmlns="http:\/\/graphml.graphdrawing.org\/xmlns"/)
    t.equal((doc.match(/<node id=/g) ?? []).length, 4)
    t.equal((doc.match(/<edge id="e\d+" source="n\d+" target="n\d+"><data key="weight">\d+<\/data><\/edge>/g) ?? []).length, 5)
    t.match(doc, /<data key="label">&lt;XML&gt; &amp; &quot;quotes&quot;<\/data>/, 'XML escaped')
    t.notMatch(doc.replace(/<[^>]+>/g, ''), /[<>]/, 'no stray markup characters in text')
  })
})
