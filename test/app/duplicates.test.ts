import t from 'tap'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import { eq, isNotNull, and } from 'drizzle-orm'
import { articles } from '../../src/db/schema.ts'
import { rowToRecord } from '../../src/services/articles.ts'
import { build, DATASETS, needsServices, userWithToken, fileUpload, taskFinished } from '../helper.ts'

const SCOPUS = `TY  - JOUR
TI  - Therapeutic alliance with a conversational agent for depression: a randomized trial
AU  - Darcy, Alison
AU  - Daniels, Jade
PY  - 2021
T2  - Journal of Medical Internet Research
VL  - 23
SP  - 123
EP  - 129
DO  - 10.2196/27868
DB  - Scopus
ER  - 
`
const PUBMED = `TY  - JOUR
TI  - Therapeutic Alliance With a Conversational Agent for Depression: A Randomized Trial.
AU  - Darcy, A
AU  - Daniels, J
PY  - 2021
JO  - J Med Internet Res
VL  - 23
SP  - 123-9
AB  - Background: conversational agents may form a bond with users. Methods: we randomised 200 adults.
KW  - chatbot
DB  - PubMed
ER  - 
TY  - JOUR
TI  - Telephone coaching for smoking cessation in primary care
AU  - Smith, John
PY  - 2019
JO  - Addiction
ER  - 
`

t.test('deduplication after import: clusters, union of fields, manual choices that later runs respect', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Dedup' } })).json()
  const base = `/api/projects/${project.id}`
  const runTask = async (res: { statusCode: number; json(): { id: string } }) => {
    t.equal(res.statusCode, 202)
    return taskFinished(app, alice.auth, res.json().id)
  }
  const upload = async (name: string, content: string | Buffer) => {
    const body = fileUpload(name, content)
    return runTask(await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...alice.auth, ...body.headers }, payload: body.payload }))
  }

  const first = await upload('scopus.ris', SCOPUS)
  t.equal(first.result.deduplication.duplicates, 0)
  const [scopusRow] = await app.db.select().from(articles).where(eq(articles.projectId, project.id))
  const ownFields = (a: Record<string, unknown>) => ({ title: a.title, abstract: a.abstract, authors: a.authors, year: a.year, journal: a.journal, pages: a.pages, doi: a.doi, keywords: a.keywords })
  const scopusOwn = ownFields((await app.inject({ url: `${base}/articles/${scopusRow.id}`, headers: alice.auth })).json())
  const second = await upload('pubmed.ris', PUBMED)
  t.equal(second.status, 'succeeded', second.error ?? '')
  t.equal(second.result.deduplication.clusters, 1, 'the same trial from two databases forms one cluster')
  t.equal(second.result.deduplication.duplicates, 1)

  // A run that finds the same clusters writes nothing: the rows keep their row versions (xmin).
  const versions = async () => (await app.pg.pool.query('SELECT id, xmin::text FROM articles WHERE project_id = $1 ORDER BY id', [project.id])).rows
  const before = await versions()
  const same = await runTask(await app.inject({ method: 'POST', url: `${base}/duplicates/run`, headers: alice.auth }))
  t.equal(same.result.clusters, 1)
  t.same(await versions(), before, 'no row rewritten when nothing changed')

  // The primary keeps aside only its own values of the columns the union changed.
  const savedOf = async (id: string) => (await app.pg.pool.query('SELECT record FROM articles WHERE id = $1', [id])).rows[0].record
  const primaryId = (await app.db.select().from(articles).where(and(eq(articles.projectId, project.id), isNotNull(articles.duplicateOf))))[0].duplicateOf!
  const saved = await savedOf(primaryId)
  t.same(Object.keys(saved.columns).sort(), ['authors', 'doi'], 'the union added the DOI and the full names, nothing else is kept twice')
  t.equal(saved.columns.doi, null)
  // A primary saved by an earlier version (its whole own record) is converted on the next run.
  const [primaryRow] = await app.db.select().from(articles).where(eq(articles.id, primaryId))
  const legacy = { ...rowToRecord({ ...primaryRow, ...saved.columns }), original: undefined }
  await app.pg.pool.query('UPDATE articles SET record = $2 WHERE id = $1', [primaryId, JSON.stringify(legacy)])
  await runTask(await app.inject({ method: 'POST', url: `${base}/duplicates/run`, headers: alice.auth }))
  t.same(await savedOf(primaryId), saved, 'a whole saved record is converted to the saved columns')
  // Records imported before completeness was stored: computed from their data, same primary.
  await app.pg.pool.query('UPDATE articles SET completeness = NULL WHERE project_id = $1', [project.id])
  const recomputed = await runTask(await app.inject({ method: 'POST', url: `${base}/duplicates/run`, headers: alice.auth }))
  t.equal(recomputed.result.clusters, 1)
  const [stillPrimary] = await app.db.select().from(articles).where(and(eq(articles.projectId, project.id), isNotNull(articles.duplicateOf)))
  t.equal(stillPrimary.duplicateOf, primaryId, 'the same record stays primary')

  const listed = (await app.inject({ url: `${base}/articles`, headers: alice.auth })).json()
  t.equal(listed.total, 2, 'the list shows primaries and unique records only')
  const all = (await app.inject({ url: `${base}/articles?includeDuplicates=true`, headers: alice.auth })).json()
  t.equal(all.total, 3, 'duplicates are kept and linked')

  const clusters = (await app.inject({ url: `${base}/duplicates`, headers: alice.auth })).json()
  t.equal(clusters.total, 1)
  const [cluster] = clusters.items
  t.equal(cluster.members.length, 2)
  const primary = (await app.inject({ url: `${base}/articles/${cluster.primaryId}`, headers: alice.auth })).json()
  t.match(primary.abstract, /randomised 200 adults/, 'the primary has the abstract of the other record')
  t.equal(primary.doi, '10.2196/27868', 'and the DOI of the first')
  t.same(primary.keywords, ['chatbot'])

  const memberId = cluster.members[1].id
  const split = await runTask(await app.inject({ method: 'POST', url: `${base}/duplicates/split`, headers: alice.auth, payload: { articleId: memberId } }))
  t.equal(split.result.clusters, 0, 'split: no cluster left')
  const restored = (await app.inject({ url: `${base}/articles/${cluster.primaryId}`, headers: alice.auth })).json()
  const restoredOther = (await app.inject({ url: `${base}/articles/${memberId}`, headers: alice.auth })).json()
  t.ok(!restored.abstract || !restoredOther.abstract, 'each record shows only its own fields again')
  t.equal(restored.doi, null, 'the former primary loses the DOI the other record brought')
  t.same(restored.authors, saved.columns.authors, 'and shows its own author names again')
  t.equal(await savedOf(primaryId), null)
  const scopusView = (await app.inject({ url: `${base}/articles/${scopusRow.id}`, headers: alice.auth })).json()
  t.same(ownFields(scopusView), scopusOwn, 'the other record shows exactly what it was imported with')
  const rerun = await runTask(await app.inject({ method: 'POST', url: `${base}/duplicates/run`, headers: alice.auth }))
  t.equal(rerun.result.clusters, 0, 'an automatic run does not undo the split')

  const ids = (await app.db.select({ id: articles.id, title: articles.title }).from(articles).where(eq(articles.projectId, project.id)))
  const smoking = ids.find((a) => a.title.startsWith('Telephone'))!.id
  const confirmed = await runTask(await app.inject({ method: 'POST', url: `${base}/duplicates/confirm`, headers: alice.auth, payload: { articleIds: [smoking, memberId] } }))
  t.equal(confirmed.result.clusters, 1, 'a confirmed cluster is kept even though nothing matches')
  const linked = await app.db.select().from(articles).where(and(eq(articles.projectId, project.id), isNotNull(articles.duplicateOf)))
  t.equal(linked.length, 1)

  const bad = await app.inject({ method: 'POST', url: `${base}/duplicates/confirm`, headers: alice.auth, payload: { articleIds: [smoking] } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().message, /articleIds/)
  const unknown = await app.inject({ method: 'POST', url: `${base}/duplicates/not-duplicates`, headers: alice.auth, payload: { articleIds: [smoking, '00000000-0000-4000-8000-000000000000'] } })
  t.equal(unknown.statusCode, 404)

  const again = await upload('baseline_zotero.ris', await readFile(path.join(DATASETS, 'exports/baseline_zotero.ris')))
  const twice = await upload('baseline_zotero.ris', await readFile(path.join(DATASETS, 'exports/baseline_zotero.ris')))
  t.equal(twice.result.deduplication.duplicates - again.result.deduplication.duplicates, twice.result.imported, 'a file imported twice: every record of the second copy is a duplicate')
})

t.test('a pair that only its abstracts decide is linked in the service, which reads abstracts only for such pairs', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const trial = 'Background: insomnia is common among adults and cognitive behavioural therapy is the recommended first treatment, ' +
    'yet access remains limited. Methods: we randomised 300 adults with chronic insomnia to an internet programme or a waiting ' +
    'list and measured sleep efficiency, severity and daytime functioning at eight weeks.'
  const survey = 'Objective: to estimate the prevalence of hypertension among rural school teachers and describe associated ' +
    'lifestyle factors. Design: a cross-sectional survey of 1200 teachers in four districts with blood pressure measured twice ' +
    'and questionnaires on diet, exercise, smoking and stress.'
  const ris = (secondAbstract: string) => `TY  - JOUR
TI  - Effectiveness of internet-delivered cognitive behavioural therapy for insomnia: a randomised controlled trial
PY  - 2019
AB  - ${trial}
ER  - 
TY  - JOUR
TI  - Effectiveness of online cognitive behavioural therapy for chronic insomnia: randomised controlled trial
PY  - 2019
AB  - ${secondAbstract}
ER  - 
`
  for (const [abstract, duplicates] of [[trial, 1], [survey, 0]] as const) {
    const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: `Abstracts ${duplicates}` } })).json()
    const body = fileUpload('trials.ris', ris(abstract))
    const res = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...alice.auth, ...body.headers }, payload: body.payload })
    t.equal(res.statusCode, 202)
    const task = await taskFinished(app, alice.auth, res.json().id)
    t.equal(task.result.deduplication.duplicates, duplicates, duplicates ? 'same abstract: linked' : 'different abstracts: kept apart')
  }
})
