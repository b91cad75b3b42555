import t from 'tap'
import { eq, sql } from 'drizzle-orm'
import { articles, decisions } from '../../src/db/schema.ts'
import { projectReads } from '../../src/services/projects.ts'
import { authNotificationsApplied, build, needsServices, userWithToken } from '../helper.ts'

t.test('screening decisions are recorded per reviewer and their history kept', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const bob = await userWithToken(app)
  const outsider = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Screening' } })).json()
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: alice.auth, payload: { email: bob.user.email, role: 'reviewer' } })
  const [a1, a2] = await app.db.insert(articles).values([
    { projectId: project.id, title: 'Chatbot alliance in depression', abstract: 'A randomised trial' },
    { projectId: project.id, title: 'Telephone coaching', abstract: 'A cohort' }
  ]).returning()
  const url = (id: string) => `/api/projects/${project.id}/articles/${id}/decisions`

  const first = await app.inject({ method: 'POST', url: url(a1.id), headers: alice.auth, payload: { decision: 'maybe', note: 'check full text' } })
  t.equal(first.statusCode, 201, first.body)
  t.match(first.json(), { decision: 'maybe', note: 'check full text', stage: 'title_abstract', reviewerId: alice.user.id })
  await app.inject({ method: 'POST', url: url(a1.id), headers: alice.auth, payload: { decision: 'include' } })
  await app.inject({ method: 'POST', url: url(a1.id), headers: bob.auth, payload: { decision: 'exclude', reason: 'wrong population' } })
  await app.inject({ method: 'POST', url: url(a2.id), headers: bob.auth, payload: { decision: 'exclude', reason: 'wrong intervention', stage: 'title_abstract' } })

  const history = (await app.inject({ url: `/api/projects/${project.id}/decisions?articleId=${a1.id}`, headers: alice.auth })).json()
  t.same(history.map((d: { decision: string }) => d.decision), ['exclude', 'include', 'maybe'], 'every decision kept, newest first')
  const bobs = (await app.inject({ url: `/api/projects/${project.id}/decisions?reviewerId=${bob.user.id}`, headers: alice.auth })).json()
  t.equal(bobs.length, 2)

  const excluded = (await app.inject({ url: `/api/projects/${project.id}/articles?decision=exclude`, headers: alice.auth })).json()
  t.same(excluded.items.map((a: { id: string }) => a.id).sort(), [a1.id, a2.id].sort(), 'filter by latest decision')
  const search = (await app.inject({ url: `/api/projects/${project.id}/articles?q=chatbot`, headers: alice.auth })).json()
  t.same(search.items.map((a: { id: string }) => a.id), [a1.id], 'full-text search in title and abstract')
  const searchAbstract = (await app.inject({ url: `/api/projects/${project.id}/articles?q=cohort`, headers: alice.auth })).json()
  t.same(searchAbstract.items.map((a: { id: string }) => a.id), [a2.id])
  // The search vector follows the article: a changed abstract (a merged duplicate's) is searched, the old one no more.
  const ids = async (q: string) => (await app.inject({ url: `/api/projects/${project.id}/articles?q=${q}`, headers: alice.auth })).json().items.map((a: { id: string }) => a.id)
  await app.pg.pool.query("UPDATE articles SET abstract = 'a stepped-wedge trial' WHERE id = $1", [a2.id])
  t.same(await ids('stepped-wedge'), [a2.id])
  t.same(await ids('cohort'), [])
  await app.pg.pool.query('UPDATE articles SET duplicate_of = $1 WHERE id = $1', [a2.id])
  t.same(await ids('stepped-wedge'), [], 'a record linked as a duplicate leaves the list')
  t.same(await ids('stepped-wedge&includeDuplicates=true'), [a2.id], 'and is still found among the duplicates')
  await app.pg.pool.query('UPDATE articles SET duplicate_of = NULL WHERE id = $1', [a2.id])

  for (const [payload, field] of [[{ decision: 'perhaps' }, /decision/], [{}, /decision/], [{ decision: 'include', stage: 'abstract' }, /stage/], [{ decision: 'include', extra: 1 }, /extra/]] as const) {
    const res = await app.inject({ method: 'POST', url: url(a1.id), headers: alice.auth, payload })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.match(res.json().message, field)
  }
  t.equal((await app.inject({ method: 'POST', url: url('00000000-0000-4000-8000-000000000000'), headers: alice.auth, payload: { decision: 'include' } })).statusCode, 404)
  t.equal((await app.inject({ method: 'POST', url: url(a1.id), headers: outsider.auth, payload: { decision: 'include' } })).statusCode, 404)
  t.equal((await app.inject({ url: `/api/projects/${project.id}/decisions?articleId=${a1.id}`, headers: alice.auth })).json().length, 3, 'rejected requests stored nothing')
})

t.test("blind screening: a reviewer's article list and export show only their own decisions", { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const bob = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Blind' } })).json()
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: owner.auth, payload: { email: bob.user.email, role: 'reviewer' } })
  const settings = await app.inject({ method: 'PATCH', url: `/api/projects/${project.id}/screening-settings`, headers: owner.auth, payload: { blind: true, reviewersPerRecord: 2 } })
  t.equal(settings.statusCode, 200, settings.body)
  const [a1] = await app.db.insert(articles).values([{ projectId: project.id, title: 'Chatbot alliance', abstract: 'trial' }]).returning()
  const url = `/api/projects/${project.id}/articles/${a1.id}/decisions`
  t.equal((await app.inject({ method: 'POST', url, headers: owner.auth, payload: { decision: 'exclude' } })).statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url, headers: bob.auth, payload: { decision: 'include' } })).statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url, headers: owner.auth, payload: { decision: 'exclude' } })).statusCode, 201)

  const bobList = (await app.inject({ url: `/api/projects/${project.id}/articles`, headers: bob.auth })).json()
  t.equal(bobList.items[0].decision, 'include', 'bob sees his own decision')
  t.equal((await app.inject({ url: `/api/projects/${project.id}/articles?decision=exclude`, headers: bob.auth })).json().total, 0, 'and cannot filter by the owner\'s')
  const bobCsv = (await app.inject({ url: `/api/projects/${project.id}/export?format=csv`, headers: bob.auth })).body
  t.notMatch(bobCsv, /exclude/, 'his export carries only his decision')
  const ownerList = (await app.inject({ url: `/api/projects/${project.id}/articles`, headers: owner.auth })).json()
  t.equal(ownerList.items[0].decision, 'exclude', 'the owner sees the latest decision of anyone')
})

t.test('a decision checked against the project row held in memory: settings changed elsewhere are honoured', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Held settings' } })).json()
  await authNotificationsApplied(app) // the membership's, which would drop the role cached below
  const base = `/api/projects/${project.id}`
  const patch = await app.inject({ method: 'PATCH', url: `${base}/screening-settings`, headers: alice.auth, payload: { exclusionReasons: ['wrong population'] } })
  t.equal(patch.statusCode, 200, patch.body)
  const rows = await app.db.insert(articles).values(Array.from({ length: 6 }, (_, i) => ({ projectId: project.id, sourceIndex: i, title: `Record ${i}` }))).returning()
  const decide = (id: string, payload: Record<string, unknown>) => app.inject({ method: 'POST', url: `${base}/articles/${id}/decisions`, headers: alice.auth, payload })
  const stored = async () => (await app.db.select().from(decisions).where(eq(decisions.projectId, project.id))).length

  t.equal((await decide(rows[0].id, { decision: 'exclude', reason: 'wrong population' })).statusCode, 201)
  const reads = projectReads.count
  t.equal((await decide(rows[1].id, { decision: 'exclude', reason: 'wrong population' })).statusCode, 201)
  t.equal(projectReads.count, reads, 'with the role cached, a decision reads no project row before its insert')

  // Another process changes the reasons (this one's held row still lists the old one).
  await app.db.execute(sql`UPDATE projects SET screening_settings = jsonb_set(screening_settings, '{exclusionReasons}', '["wrong design"]') WHERE id = ${project.id}`)
  const before = await stored()
  const refused = await decide(rows[2].id, { decision: 'exclude', reason: 'wrong population' })
  t.equal(refused.statusCode, 400, 'a reason the held row allows but the project no longer does is refused')
  t.match(refused.json().message ?? refused.body, /wrong design/)
  t.equal(await stored(), before, 'and nothing is stored')
  t.equal((await decide(rows[3].id, { decision: 'exclude', reason: 'wrong design' })).statusCode, 201, 'a reason only the current settings allow is accepted')
  t.equal((await decide(rows[4].id, { decision: 'exclude', reason: 'wrong design' })).statusCode, 201, 'and again, now from the row read then')

  // An article of no project of this id: 404 as before; a project deleted elsewhere: 404 naming the project.
  t.equal((await decide('00000000-0000-4000-8000-000000000000', { decision: 'include' })).statusCode, 404)
  await app.db.execute(sql`DELETE FROM projects WHERE id = ${project.id}`)
  const gone = await decide(rows[5].id, { decision: 'include' })
  t.equal(gone.statusCode, 404)
  t.match(gone.body, /project not found/)
})
