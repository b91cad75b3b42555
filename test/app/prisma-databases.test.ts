import t from 'tap'
import { asc, eq } from 'drizzle-orm'
import { articles } from '../../src/db/schema.ts'
import { build, fileUpload, needsServices, taskFinished, userWithToken } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const record = (title: string, doi: string, tags: string) => `TY  - JOUR\nTI  - ${title}\nAU  - Smith, John\nPY  - 2020\nDO  - ${doi}\n${tags}ER  - \n\n`

// A reference manager's export of records found in several databases, as each database marks them.
const MIXED = [
  record('Alliance with chatbots', '10.1000/a', 'DB  - Scopus\n'),
  record('Alliance in internet therapy', '10.1000/b', 'UR  - https://www.scopus.com/inward/record.uri?eid=2-s2.0-85074596690\n'),
  record('Digital alliance in adolescents', '10.1000/c', 'DB  - Embase\n'),
  record('Alliance in Embase from MEDLINE', '10.1000/d', 'DB  - Medline\n'),
  record('Alliance and outcome', '10.1000/e', 'DP  - NLM\n'),
  record('Alliance in Web of Science', '10.1000/f', 'UR  - <Go to ISI>://WOS:000614610400014\n'),
  record('Self-criticism and depression', '10.1000/g', 'L2  - http://ovidsp.ovid.com/ovidweb.cgi?T=JS&PAGE=reference&D=psyc16&NEWS=N&AN=2019-65183-001\n'),
  record('A record with no database', '10.1000/h', '')
].join('')

t.test('PRISMA counts the records of a mixed file under their own databases', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Mixed' } })).json()
  const base = `/api/projects/${project.id}`
  const upload = async (name: string, content: string, fields: Record<string, string> = {}) => {
    const body = fileUpload(name, content, fields)
    const res = await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...owner.auth, ...body.headers }, payload: body.payload })
    t.equal(res.statusCode, 202, res.body)
    const task = await taskFinished(app, owner.auth, res.json().id)
    t.equal(task.status, 'succeeded', task.error ?? '')
  }
  await upload('library.ris', MIXED, { sourceDatabase: 'cinahl' })
  // A second file from Scopus with a duplicate of a PubMed record: the primary of the cluster takes
  // the union of the fields, and still counts under its own database.
  await upload('scopus.ris', record('Alliance and outcome', '10.1000/e', '') + record('Another Scopus record', '10.1000/i', ''), { sourceDatabase: 'SCOPUS' })

  const stored = await app.db.select({ title: articles.title, sourceDatabase: articles.sourceDatabase }).from(articles)
    .where(eq(articles.projectId, project.id)).orderBy(asc(articles.createdAt), asc(articles.sourceIndex))
  t.same(stored.slice(0, 8).map((a) => a.sourceDatabase),
    ['Scopus', 'Scopus', 'Embase', 'MEDLINE', 'PubMed', 'Web of Science', 'APA PsycInfo', 'CINAHL'],
    'each record its own database, the import\'s for the record without one')

  const prisma = (await app.inject({ url: `${base}/prisma`, headers: owner.auth })).json()
  t.same(prisma.identification.sources.map(({ kind, sourceDatabase, batches, records }: Json) => ({ kind, sourceDatabase, batches, records })), [
    { kind: 'file', sourceDatabase: 'APA PsycInfo', batches: 1, records: 1 },
    { kind: 'file', sourceDatabase: 'CINAHL', batches: 1, records: 1 },
    { kind: 'file', sourceDatabase: 'Embase', batches: 1, records: 1 },
    { kind: 'file', sourceDatabase: 'MEDLINE', batches: 1, records: 1 },
    { kind: 'file', sourceDatabase: 'PubMed', batches: 1, records: 1 },
    { kind: 'file', sourceDatabase: 'Scopus', batches: 2, records: 4 },
    { kind: 'file', sourceDatabase: 'Web of Science', batches: 1, records: 1 }
  ], 'none under null')
  t.equal(prisma.identification.total, 10)
  t.equal(prisma.identification.duplicatesRemoved, 1)

  const sources = (await app.inject({ url: `${base}/sources`, headers: owner.auth })).json()
  t.same(sources.map((s: { sourceDatabase: string }) => s.sourceDatabase).sort(), ['CINAHL', 'Scopus'], 'the imports\' databases in one spelling')
})
