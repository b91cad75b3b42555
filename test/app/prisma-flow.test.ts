import t from 'tap'
import { and, eq, isNotNull } from 'drizzle-orm'
import { articles, files } from '../../src/db/schema.ts'
import { build, fileUpload, needsServices, taskFinished, userWithToken } from '../helper.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startPubMedServer } from '../support/api-servers/pubmed.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const ris = (records: Array<{ title: string; doi: string; tags?: string }>) => records.map((r) =>
  `TY  - JOUR\nTI  - ${r.title}\nAU  - Okonkwo, Adaeze\nPY  - 2021\nJO  - Review Methods\nDO  - ${r.doi}\n${r.tags ?? ''}ER  - \n\n`).join('')

// Every source a record can come from, with two duplicates across them, screened by two reviewers at both stages.
t.test('PRISMA counts across all record sources, each box with the records behind it', { skip: needsServices }, async (t) => {
  const corpus = makeCorpus(4)
  const pubmed = await startPubMedServer(corpus, { match: (_, paper) => paper.n < 3 })
  t.teardown(() => pubmed.close())
  const app = await build(t, { CONTACT_EMAIL: 'team@example.org', PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl })
  const alice = await userWithToken(app)
  const bob = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Alliance review' } })).json()
  const base = `/api/projects/${project.id}`
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object, auth = alice.auth) => {
    const res = await app.inject({ method, url: `${base}${url}`, headers: auth, payload })
    t.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.statusCode < 300 ? '' : res.body}`)
    return res.json()
  }
  const finished = async (task: Json) => t.equal((await taskFinished(app, alice.auth, task.id)).status, 'succeeded')
  await call('PUT', '/members', { email: bob.user.email, role: 'reviewer' })

  // Search log: PubMed gives 3 records; an identifier look-up adds the 4th paper.
  await finished(await call('POST', '/searches', { query: 'therapeutic alliance', databases: ['pubmed'] }))
  await finished(await call('POST', '/identifiers', { pmids: [corpus[3].pmid] }))
  const upload = async (name: string, content: string, fields: Record<string, string> = {}) => {
    const body = fileUpload(name, content, fields)
    const res = await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...alice.auth, ...body.headers }, payload: body.payload })
    await finished(res.json())
  }
  await upload('embase.ris', ris([
    { title: 'Rupture and repair in videoconference psychotherapy', doi: '10.7000/e1' },
    { title: 'Working alliance inventory for digital coaching apps', doi: '10.7000/e2' },
    { title: corpus[0].title, doi: corpus[0].doi }
  ]), { sourceDatabase: 'Embase' })
  await upload('wos.ris', ris([
    { title: 'Bond formation with virtual agents in older adults', doi: '10.7000/w1' },
    { title: 'Working alliance inventory for digital coaching apps', doi: '10.7000/e2' }
  ]), { sourceDatabase: 'Web of Science' })
  await upload('mixed.ris', ris([
    { title: 'Goal consensus in text-based counselling', doi: '10.7000/m1', tags: 'DB  - Scopus\n' },
    { title: 'Client engagement in mobile mindfulness programmes', doi: '10.7000/m2', tags: 'DB  - CINAHL\n' },
    { title: 'Therapist empathy ratings by machine learning', doi: '10.7000/m3' },
    { title: 'Trial of alliance-focused training for nurses', doi: '10.7000/m4', tags: 'DB  - ClinicalTrials.gov\n' }
  ]))
  await app.db.insert(articles).values({ projectId: project.id, title: 'A manuscript a colleague sent us' })

  const all = await app.db.select().from(articles).where(eq(articles.projectId, project.id))
  const live = all.filter((a) => !a.duplicateOf)
  t.equal(all.length, 14)
  t.equal(live.length, 12, 'two duplicates linked')
  const rec = (doi: string | null) => live.find((a) => a.doi === doi || (doi === null && !a.doi))!.id
  const r = {
    r1: rec(corpus[0].doi), r2: rec(corpus[1].doi), r3: rec(corpus[2].doi), r4: rec(corpus[3].doi), r5: rec('10.7000/e1'), r6: rec('10.7000/e2'),
    r7: rec('10.7000/w1'), r8: rec('10.7000/m1'), r9: rec('10.7000/m2'), r10: rec('10.7000/m3'), r11: rec('10.7000/m4'), r12: rec(null)
  }
  // Full texts: r1's on its duplicate (the cluster has it), r2–r5 their own; r6 and r9 have none.
  const [duplicateOfR1] = await app.db.select({ id: articles.id }).from(articles).where(and(eq(articles.duplicateOf, r.r1), isNotNull(articles.duplicateOf)))
  t.ok(duplicateOfR1, 'r1 is a cluster')
  for (const id of [duplicateOfR1.id, r.r2, r.r3, r.r4, r.r5]) {
    const [file] = await app.db.insert(files).values({ projectId: project.id, storagePath: `x/${id}.pdf`, originalName: 'a.pdf', size: 1, sha256: '0' }).returning()
    await app.db.update(articles).set({ fullTextFileId: file.id }).where(eq(articles.id, id))
  }

  await call('PATCH', '/screening-settings', { reviewersPerRecord: 2, exclusionReasons: ['wrong population', 'wrong design', 'no full text'] })
  const decide = (who: 'alice' | 'bob', id: string, payload: Json) => call('POST', `/articles/${id}/decisions`, payload, who === 'alice' ? alice.auth : bob.auth)
  const both = async (id: string, payload: Json, other: Json = payload) => { await decide('alice', id, payload); await decide('bob', id, other) }
  const TA = { stage: 'title_abstract' }
  const FT = { stage: 'full_text' }
  for (const id of [r.r1, r.r2, r.r3, r.r4, r.r5, r.r6]) await both(id, { ...TA, decision: 'include' })
  await both(r.r7, { ...TA, decision: 'exclude', reason: 'wrong population' })
  await both(r.r8, { ...TA, decision: 'include' }, { ...TA, decision: 'exclude', reason: 'wrong design' })
  await call('POST', `/articles/${r.r8}/resolution`, { ...TA, decision: 'exclude', reason: 'wrong design' })
  await both(r.r9, { ...TA, decision: 'maybe' })
  await decide('alice', r.r10, { ...TA, decision: 'include' })
  await both(r.r1, { ...FT, decision: 'include' })
  await both(r.r2, { ...FT, decision: 'include' })
  await both(r.r3, { ...FT, decision: 'exclude', reason: 'wrong population' })
  // A tie between the reviewers' reasons goes to the reason listed first.
  await both(r.r4, { ...FT, decision: 'exclude', reason: 'wrong design' }, { ...FT, decision: 'exclude', reason: 'wrong population' })
  await both(r.r5, { ...FT, decision: 'exclude', reason: 'wrong design' })
  await both(r.r6, { ...FT, decision: 'exclude', reason: 'no full text' }, { ...FT, decision: 'include' })
  await call('POST', `/articles/${r.r6}/resolution`, { ...FT, decision: 'exclude', reason: 'no full text' })

  const prisma = await call('GET', '/prisma')
  const sources = prisma.identification.sources.map((s: Json) => [s.kind, s.sourceDatabase, s.side, s.batches, s.records])
  t.same(sources, [
    ['file', 'CINAHL', 'databases', 1, 1],
    ['file', 'ClinicalTrials.gov', 'registers', 1, 1],
    ['file', 'Embase', 'databases', 1, 3],
    ['file', 'Scopus', 'databases', 1, 1],
    ['file', 'Web of Science', 'databases', 1, 2],
    ['file', null, 'databases', 1, 1],
    ['identifiers', 'PubMed', 'other', 1, 1],
    ['search', 'PubMed', 'databases', 1, 3],
    ['other', null, 'other', 0, 1]
  ])
  t.match(prisma.identification, { total: 14, duplicatesRemoved: 2, recordsAfterDuplicates: 12, removedByAutomation: 0 })
  t.same(prisma.screening.titleAbstract, { records: 12, screened: 9, excluded: 2, included: 6, maybe: 1, awaiting: 3, conflicts: 0 })
  const ft = prisma.screening.fullText
  t.match(ft, { soughtForRetrieval: 7, notRetrieved: 2, assessed: 6, excluded: 4, included: 2, maybe: 0, awaiting: 1, conflicts: 0 })
  t.same(ft.exclusionReasons.map((x: Json) => [x.reason, x.count]), [['wrong population', 2], ['wrong design', 1], ['no full text', 1]])
  t.equal(prisma.included, 2)

  // Each count's query lists exactly its records.
  const ids = async (url: string) => {
    const res = await app.inject({ url: url + '&limit=10000', headers: alice.auth })
    t.equal(res.statusCode, 200, res.body)
    return (res.json().ids as string[]).sort()
  }
  const sorted = (...list: string[]) => list.sort()
  const embase = prisma.identification.sources.find((s: Json) => s.sourceDatabase === 'Embase')
  t.equal((await ids(embase.records_url)).length, 3)
  const untagged = prisma.identification.sources.find((s: Json) => s.kind === 'file' && s.sourceDatabase === null)
  t.same(await ids(untagged.records_url), [r.r10])
  t.same(await ids(prisma.identification.sources.at(-1).records_url), [r.r12])
  t.equal((await ids(prisma.records.duplicates)).length, 2)
  t.same(await ids(prisma.records.screened), sorted(r.r1, r.r2, r.r3, r.r4, r.r5, r.r6, r.r7, r.r8, r.r9))
  t.same(await ids(prisma.records.screenedExcluded), sorted(r.r7, r.r8))
  t.same(await ids(prisma.records.sought), sorted(r.r1, r.r2, r.r3, r.r4, r.r5, r.r6, r.r9))
  t.same(await ids(prisma.records.notRetrieved), sorted(r.r6, r.r9))
  t.same(await ids(prisma.records.assessed), sorted(r.r1, r.r2, r.r3, r.r4, r.r5, r.r6))
  t.same(await ids(prisma.records.excluded), sorted(r.r3, r.r4, r.r5, r.r6))
  t.same(await ids(ft.exclusionReasons[0].records_url), sorted(r.r3, r.r4))
  t.same(await ids(prisma.records.included), sorted(r.r1, r.r2))
  const noKind = await app.inject({ url: `${base}/prisma/records?box=identified`, headers: alice.auth })
  t.equal(noKind.statusCode, 400)
  t.match(noKind.json().message, /kind/)

  // Overrides: owners only, each with a note; shown in the JSON and the diagram.
  t.same(await call('GET', '/prisma/overrides'), {})
  const overrides = { notRetrieved: { n: 3, note: 'one more report we could not obtain from the authors' }, previous: { studies: { n: 11, note: '2019 review' }, reports: { n: 13, note: '2019 review' } } }
  t.equal((await app.inject({ method: 'PUT', url: `${base}/prisma/overrides`, headers: bob.auth, payload: overrides })).statusCode, 403)
  const blank = await app.inject({ method: 'PUT', url: `${base}/prisma/overrides`, headers: alice.auth, payload: { automation: { n: 1, note: '  ' } } })
  t.equal(blank.statusCode, 400)
  t.same(await call('PUT', '/prisma/overrides', overrides), overrides)
  t.same((await call('GET', '/prisma')).overrides, overrides)
  const svg = await app.inject({ url: `${base}/prisma/diagram.svg`, headers: bob.auth })
  t.equal(svg.statusCode, 200)
  t.match(svg.headers['content-type'], /^image\/svg\+xml/)
  t.match(svg.body, /Reports not retrieved \(n = 3†\)/)
  t.match(svg.body, /Reports sought for retrieval \(n = 7\)/)
  t.match(svg.body, /\(n = 11†\)/)
  t.match(svg.body, /wrong population \(n = 2\)/)
  t.match(svg.body, /ClinicalTrials\.gov \(n = 1\)/)
  t.match(svg.body, /Identifier look-up \(PubMed\) \(n = 1\)/)
  const png = await app.inject({ url: `${base}/prisma/diagram.png`, headers: bob.auth })
  t.equal(png.headers['content-type'], 'image/png')
  t.match(png.headers['content-disposition'], 'attachment; filename="prisma-flow-diagram.png"')
  t.same([...png.rawPayload.subarray(1, 4)], [...Buffer.from('PNG')])
  const pdf = await app.inject({ url: `${base}/prisma/diagram.pdf`, headers: bob.auth })
  t.equal(pdf.headers['content-type'], 'application/pdf')
  t.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-')

  // Checklists: pre-filled from the project, what people write is kept.
  t.same((await call('GET', '/checklists')).map((c: Json) => [c.id, c.items]),
    [['prisma-2020', 42], ['prisma-2020-abstracts', 12], ['prisma-scr', 22], ['prisma-s', 16]])
  const item = (list: Json, id: string) => list.items.find((i: Json) => i.id === id)
  const first = await call('GET', '/checklists/prisma-2020')
  t.match(item(first, '7'), { prefilled: true, evidence: /PubMed \(\d{4}-\d\d-\d\d\): .*alliance/ })
  t.match(item(first, '8'), { prefilled: true, evidence: /two reviewers/ })
  t.match(item(first, '16a'), { evidence: /14 records identified, 2 duplicates removed, 9 screened/ })
  t.match(item(first, '6'), { evidence: /ClinicalTrials\.gov/ })
  t.same(item(first, '10b').evidence, null, 'no extraction grid: data items left to the authors')
  const updated = await call('PUT', '/checklists/prisma-2020', {
    items: [{ id: '7', status: 'reported', location: 'Appendix 2', evidence: 'Full strategies in appendix 2' }, { id: '8', notes: 'check with Bob' }]
  }, bob.auth)
  t.match(item(updated, '7'), { status: 'reported', location: 'Appendix 2', evidence: 'Full strategies in appendix 2', prefilled: false })
  t.match(item(updated, '8'), { status: null, notes: 'check with Bob', prefilled: true, evidence: /two reviewers/ })
  t.ok(updated.updatedAt)
  await call('POST', '/searches', { query: 'working alliance', databases: ['pubmed'] }).then(finished)
  t.match(item(await call('GET', '/checklists/prisma-2020'), '7'), { evidence: 'Full strategies in appendix 2', location: 'Appendix 2' }, 'a new search does not overwrite what was written')
  t.match(item(await call('PUT', '/checklists/prisma-2020', { items: [{ id: '7', evidence: null }] }), '7'), { prefilled: true, evidence: /working alliance/, location: 'Appendix 2' })
  const unknown = await app.inject({ method: 'PUT', url: `${base}/checklists/prisma-2020`, headers: alice.auth, payload: { items: [{ id: '99', notes: 'x' }] } })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json().message, /"99"/)
  t.equal((await app.inject({ url: `${base}/checklists/consort`, headers: alice.auth })).statusCode, 404)
  const csv = await app.inject({ url: `${base}/checklists/prisma-2020/export?format=csv`, headers: alice.auth })
  t.match(csv.headers['content-disposition'], 'filename="prisma-2020.csv"')
  t.match(csv.body, /Appendix 2/)
  const xlsx = await app.inject({ url: `${base}/checklists/prisma-s/export?format=xlsx`, headers: alice.auth })
  t.match(xlsx.headers['content-type'], /spreadsheetml/)
  t.equal(xlsx.rawPayload.subarray(0, 2).toString(), 'PK')
})
