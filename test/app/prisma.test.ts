import t from 'tap'
import { and, eq, isNull } from 'drizzle-orm'
import { articles, decisions } from '../../src/db/schema.ts'
import { build, fileUpload, needsServices, userWithToken, waitFor } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const ris = (records: Array<{ title: string; doi?: string; year?: number }>) => records.map((r) =>
  `TY  - JOUR\nTI  - ${r.title}\nAU  - Smith, John\nPY  - ${r.year ?? 2020}\nJO  - Journal of Tests\n${r.doi ? `DO  - ${r.doi}\n` : ''}ER  - \n`).join('')

const SHARED = [
  { title: 'Therapeutic alliance with a conversational agent for depression', doi: '10.1000/shared.1' },
  { title: 'Telephone coaching for smoking cessation in primary care', doi: '10.1000/shared.2' }
]
const PUBMED = ris([...SHARED, { title: 'Chatbots for anxiety in students', doi: '10.1000/pm.3' }, { title: 'Knee surgery registry outcomes', doi: '10.1000/pm.4' }])
const SCOPUS = ris([...SHARED, { title: 'Digital alliance questionnaire validation', doi: '10.1000/sc.5' }])

t.test('PRISMA counts after imports with duplicates and screening decisions', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const outsider = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'PRISMA' } })).json()
  const base = `/api/projects/${project.id}`
  const upload = async (name: string, content: string, sourceDatabase: string) => {
    const body = fileUpload(name, content, { sourceDatabase })
    const res = await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...owner.auth, ...body.headers }, payload: body.payload })
    t.equal(res.statusCode, 202, res.body)
    const task = await waitFor(async () => {
      const row = (await app.inject({ url: `/api/tasks/${res.json().id}`, headers: owner.auth })).json()
      return ['succeeded', 'failed'].includes(row.status) && row
    })
    t.equal(task.status, 'succeeded', task.error ?? '')
  }
  await upload('pubmed.ris', PUBMED, 'PubMed')
  await upload('scopus.ris', SCOPUS, 'Scopus')
  await upload('scopus-2.ris', ris([{ title: 'Alliance in group therapy online', doi: '10.1000/sc.6' }]), 'Scopus')
  await app.db.insert(articles).values({ projectId: project.id, title: 'A report a colleague sent us' })

  const live = await app.db.select({ id: articles.id, title: articles.title }).from(articles).where(and(eq(articles.projectId, project.id), isNull(articles.duplicateOf)))
  t.equal(live.length, 7, '4 + 3 + 1 + 1 records, 2 of them duplicates')
  const id = (start: string) => live.find((r) => r.title.startsWith(start))!.id
  await app.inject({ method: 'PATCH', url: `${base}/screening-settings`, headers: owner.auth, payload: { exclusionReasons: ['wrong population', 'wrong outcome', 'wrong design'] } })
  const decide = async (start: string, payload: Json) => {
    const res = await app.inject({ method: 'POST', url: `${base}/articles/${id(start)}/decisions`, headers: owner.auth, payload })
    t.equal(res.statusCode, 201, res.body)
  }
  await decide('Therapeutic', { decision: 'include' })
  await decide('Telephone', { decision: 'exclude' })
  await decide('Knee', { decision: 'exclude', reason: 'wrong population' })
  await decide('Chatbots', { decision: 'include' })
  await decide('Digital', { decision: 'maybe' })
  await decide('Alliance in group', { decision: 'include' })
  await decide('Therapeutic', { decision: 'include', stage: 'full_text' })
  await decide('Chatbots', { decision: 'exclude', stage: 'full_text', reason: 'wrong design' })
  await decide('Digital', { decision: 'exclude', stage: 'full_text', reason: 'wrong outcome' })
  // Neither an LLM suggestion nor an imported label counts as screening.
  await app.db.insert(decisions).values([
    { projectId: project.id, articleId: id('A report'), stage: 'title_abstract', decision: 'exclude', source: 'llm', probability: 0.1, model: 'x:latest' },
    { projectId: project.id, articleId: id('A report'), stage: 'title_abstract', decision: 'include', source: 'import' }
  ])

  const res = await app.inject({ url: `${base}/prisma`, headers: owner.auth })
  t.equal(res.statusCode, 200)
  const prisma = res.json()
  const strip = ({ kind, sourceDatabase, batches, records }: Json) => ({ kind, sourceDatabase, batches, records })
  t.same({ ...prisma.identification, sources: prisma.identification.sources.map(strip) }, {
    sources: [
      { kind: 'file', sourceDatabase: 'PubMed', batches: 1, records: 4 },
      { kind: 'file', sourceDatabase: 'Scopus', batches: 2, records: 4 },
      { kind: 'other', sourceDatabase: null, batches: 0, records: 1 }
    ],
    total: 9,
    duplicatesRemoved: 2,
    recordsAfterDuplicates: 7,
    removedByAutomation: 0,
    automationNote: prisma.identification.automationNote
  })
  t.same(prisma.screening.titleAbstract, { records: 7, screened: 6, excluded: 2, included: 3, maybe: 1, awaiting: 1, conflicts: 0 })
  t.same({ ...prisma.screening.fullText, exclusionReasons: prisma.screening.fullText.exclusionReasons.map(({ reason, count }: Json) => ({ reason, count })) }, {
    soughtForRetrieval: 4, notRetrieved: 4, assessed: 3, excluded: 2,
    exclusionReasons: [{ reason: 'wrong outcome', count: 1 }, { reason: 'wrong design', count: 1 }],
    included: 1, maybe: 0, awaiting: 1, conflicts: 0
  })
  t.equal(prisma.included, 1)
  t.equal((await app.inject({ url: `${base}/prisma`, headers: outsider.auth })).statusCode, 404)
  t.equal((await app.inject({ url: '/api/projects/not-a-uuid/prisma', headers: owner.auth })).statusCode, 400)
})
