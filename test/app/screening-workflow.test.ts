import t from 'tap'
import { articles } from '../../src/db/schema.ts'
import { visibleLatestDecisions } from '../../src/services/screening.ts'
import { build, needsServices, userWithToken } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

t.test('dual screening: conflicts, resolution, blind mode, exclusion reasons', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const alice = await userWithToken(app)
  const bob = await userWithToken(app)
  const carol = await userWithToken(app)
  const viewer = await userWithToken(app)
  const outsider = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Dual screening' } })).json()
  const base = `/api/projects/${project.id}`
  for (const [who, role] of [[alice, 'reviewer'], [bob, 'reviewer'], [carol, 'reviewer'], [viewer, 'viewer']] as const) {
    const res = await app.inject({ method: 'PUT', url: `${base}/members`, headers: owner.auth, payload: { email: who.user.email, role } })
    t.equal(res.statusCode, 200)
  }
  const [a1, a2, a3, a4] = await app.db.insert(articles).values([
    { projectId: project.id, title: 'Chatbot alliance in depression', abstract: 'A randomised trial of a chatbot' },
    { projectId: project.id, title: 'Telephone coaching for smokers', abstract: 'A cohort study' },
    { projectId: project.id, title: 'Alliance with conversational agents', abstract: 'A survey of users' },
    { projectId: project.id, title: 'Knee surgery outcomes', abstract: 'A registry study' }
  ]).returning()
  const decide = (who: { auth: { authorization: string } }, id: string, payload: Json) =>
    app.inject({ method: 'POST', url: `${base}/articles/${id}/decisions`, headers: who.auth, payload })
  const records = async (who: { auth: { authorization: string } }, query = 'stage=title_abstract') =>
    (await app.inject({ url: `${base}/screening/records?${query}&sort=createdAt`, headers: who.auth })).json()
  const statusOf = async (id: string, who = owner) => (await records(who)).items.find((r: Json) => r.id === id)?.status

  // Settings: defaults, owner-only changes, validation naming the field.
  const defaults = await app.inject({ url: `${base}/screening-settings`, headers: viewer.auth })
  t.same(defaults.json(), { reviewersPerRecord: 1, blind: false, exclusionReasons: [], resolverIds: [], classifier: 'ensemble', highlightInclude: [], highlightExclude: [] })
  t.equal((await app.inject({ method: 'PATCH', url: `${base}/screening-settings`, headers: alice.auth, payload: { blind: true } })).statusCode, 403)
  t.equal((await app.inject({ url: `${base}/screening-settings`, headers: outsider.auth })).statusCode, 404)
  for (const [payload, field] of [
    [{ reviewersPerRecord: 3 }, /reviewersPerRecord/], [{}, /request|body/], [{ blind: 'yes' }, /blind/], [{ color: 'red' }, /color/],
    [{ exclusionReasons: ['a', 'a'] }, /distinct/], [{ resolverIds: [viewer.user.id] }, /resolvers/], [{ resolverIds: ['nope'] }, /resolverIds/]
  ] as const) {
    const res = await app.inject({ method: 'PATCH', url: `${base}/screening-settings`, headers: owner.auth, payload })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.match(res.json().message, field)
  }
  const reasons = ['wrong population', 'wrong intervention', 'wrong design']
  const patched = await app.inject({
    method: 'PATCH', url: `${base}/screening-settings`, headers: owner.auth,
    payload: { reviewersPerRecord: 2, exclusionReasons: reasons, resolverIds: [carol.user.id] }
  })
  t.equal(patched.statusCode, 200, patched.body)
  t.match(patched.json(), { reviewersPerRecord: 2, blind: false, exclusionReasons: reasons, resolverIds: [carol.user.id] })

  // Exclusion reasons are validated against the list.
  let res = await decide(alice, a1.id, { decision: 'exclude', reason: 'too old' })
  t.equal(res.statusCode, 400)
  t.equal(res.json().field, 'reason')
  res = await decide(alice, a1.id, { decision: 'include', reason: 'wrong design' })
  t.equal(res.statusCode, 400, 'a reason only goes with an exclusion')
  res = await decide(alice, a1.id, { decision: 'exclude', stage: 'full_text' })
  t.equal(res.statusCode, 400, 'a full-text exclusion needs a reason')
  t.match(res.json(), { field: 'reason' })
  t.equal((await decide(viewer, a1.id, { decision: 'include' })).statusCode, 403, 'viewers do not screen')
  t.equal((await decide(outsider, a1.id, { decision: 'include' })).statusCode, 404)
  t.equal((await decide(alice, a1.id, { decision: 'include', tags: [''] })).statusCode, 400)

  // Two reviewers: one decision leaves the record awaiting; a disagreement makes a conflict.
  res = await decide(alice, a1.id, { decision: 'include', note: 'looks right', tags: ['chatbot', 'chatbot ', 'rct'] })
  t.equal(res.statusCode, 201, res.body)
  t.same(res.json().tags, ['chatbot', 'rct'], 'tags trimmed and deduplicated')
  t.equal(await statusOf(a1.id), 'awaiting', 'one of two reviewers decided')
  t.equal((await decide(bob, a1.id, { decision: 'exclude', reason: 'wrong population' })).statusCode, 201)
  t.equal(await statusOf(a1.id), 'conflict')
  await decide(alice, a2.id, { decision: 'exclude', reason: 'wrong intervention' })
  await decide(bob, a2.id, { decision: 'exclude', reason: 'wrong design' })
  t.equal(await statusOf(a2.id), 'excluded', 'agreement on exclusion (reasons may differ)')
  await decide(alice, a3.id, { decision: 'maybe' })
  await decide(bob, a3.id, { decision: 'exclude', reason: 'wrong population' })
  await decide(bob, a3.id, { decision: 'maybe' })
  t.equal(await statusOf(a3.id), 'maybe', 'a reviewer\'s latest decision counts')

  const conflicts = (await app.inject({ url: `${base}/screening/conflicts?stage=title_abstract`, headers: owner.auth })).json()
  t.equal(conflicts.total, 1)
  t.equal(conflicts.items[0].articleId, a1.id)
  t.same(conflicts.items[0].decisions.map((d: Json) => [d.reviewerEmail, d.decision]), [[alice.user.email, 'include'], [bob.user.email, 'exclude']])

  // Resolution: owners and designated resolvers only, only on a conflict; history is kept.
  res = await app.inject({ method: 'POST', url: `${base}/articles/${a1.id}/resolution`, headers: alice.auth, payload: { decision: 'include' } })
  t.equal(res.statusCode, 403, 'a plain reviewer does not resolve')
  res = await app.inject({ method: 'POST', url: `${base}/articles/${a2.id}/resolution`, headers: owner.auth, payload: { decision: 'include' } })
  t.equal(res.statusCode, 409, 'no conflict to resolve')
  res = await app.inject({ method: 'POST', url: `${base}/articles/${a1.id}/resolution`, headers: carol.auth, payload: { decision: 'include', note: 'population matches on reading' } })
  t.equal(res.statusCode, 201, res.body)
  t.match(res.json(), { previousStatus: 'conflict', decision: { source: 'resolution', decision: 'include', reviewerId: carol.user.id } })
  t.equal(await statusOf(a1.id), 'included')
  const history = (await app.inject({ url: `${base}/decisions?articleId=${a1.id}`, headers: owner.auth })).json()
  t.same(history.map((d: Json) => [d.source, d.decision]), [['resolution', 'include'], ['human', 'exclude'], ['human', 'include']], 'nothing overwritten')
  res = await app.inject({ method: 'POST', url: `${base}/articles/${a1.id}/resolution`, headers: owner.auth, payload: { decision: 'exclude', reason: 'wrong design' } })
  t.equal(res.statusCode, 201, 'a resolved record can be resolved again')
  t.match(res.json(), { previousStatus: 'included' })
  t.equal(await statusOf(a1.id), 'excluded', 'the latest resolution wins')
  t.equal((await app.inject({ url: `${base}/screening/conflicts`, headers: owner.auth })).json().total, 0)
  t.equal((await app.inject({ method: 'POST', url: `${base}/articles/${a4.id}/resolution`, headers: owner.auth, payload: { decision: 'maybe', stage: 'abstract' } })).statusCode, 400)

  // Blind mode: reviewers see only their own decisions on unsettled records; owners and resolvers see all.
  t.equal((await app.inject({ method: 'PATCH', url: `${base}/screening-settings`, headers: owner.auth, payload: { blind: true } })).statusCode, 200)
  await decide(alice, a4.id, { decision: 'include' })
  await decide(bob, a4.id, { decision: 'exclude', reason: 'wrong design' })
  const seenBy = async (who: { auth: { authorization: string } }, query: string) =>
    (await app.inject({ url: `${base}/decisions?${query}`, headers: who.auth })).json().map((d: Json) => d.reviewerEmail)
  t.same(await seenBy(alice, `articleId=${a4.id}`), [alice.user.email], 'alice does not see bob\'s decision on a record in conflict')
  t.same(await seenBy(bob, `articleId=${a4.id}`), [bob.user.email])
  t.same(await seenBy(viewer, `articleId=${a4.id}`), [], 'a viewer sees nothing unsettled')
  t.same((await seenBy(owner, `articleId=${a4.id}`)).sort(), [alice.user.email, bob.user.email].sort(), 'the owner sees all')
  t.same((await seenBy(carol, `articleId=${a4.id}`)).sort(), [alice.user.email, bob.user.email].sort(), 'so does the resolver')
  t.equal((await seenBy(alice, `articleId=${a2.id}`)).length, 2, 'settled records show every decision')
  t.equal((await seenBy(alice, `reviewerId=${bob.user.id}`)).length, 4, 'bob\'s decisions on settled records only (a1, a2, a3 twice)')
  const aliceList = await records(alice)
  const a4ForAlice = aliceList.items.find((r: Json) => r.id === a4.id)
  t.equal(a4ForAlice.status, 'pending', 'in blind mode a reviewer cannot tell awaiting from conflict')
  t.same(a4ForAlice.decisions.map((d: Json) => d.reviewerEmail), [alice.user.email])
  t.equal(aliceList.counts.pending, 1)
  t.equal((await app.inject({ url: `${base}/screening/records?stage=title_abstract&status=conflict`, headers: alice.auth })).statusCode, 403)
  t.equal((await app.inject({ url: `${base}/screening/conflicts`, headers: alice.auth })).statusCode, 403)
  t.equal((await app.inject({ url: `${base}/screening/conflicts`, headers: carol.auth })).json().total, 1)
  t.equal((await app.inject({ url: `${base}/screening/agreement.csv`, headers: alice.auth })).statusCode, 403)
  t.equal((await records(owner)).items.find((r: Json) => r.id === a4.id).status, 'conflict')
  const settings = (await app.inject({ url: `${base}/screening-settings`, headers: owner.auth })).json()
  const latestFor = async (who: typeof alice, role: string) =>
    Object.fromEntries(await visibleLatestDecisions(app.db, project.id, settings, { userId: who.user.id, role }, 'title_abstract', [a2.id, a4.id]))
  t.same(await latestFor(alice, 'reviewer'), { [a2.id]: 'exclude', [a4.id]: 'include' }, 'an article list would show alice her own decision on a4')
  t.same(await latestFor(owner, 'owner'), { [a2.id]: 'exclude', [a4.id]: 'exclude' }, 'and the owner the latest one')

  // Full text: records included (or maybe) at title/abstract; exclusion reasons required.
  const fullText = await records(owner, 'stage=full_text')
  t.same(fullText.items.map((r: Json) => r.id), [a3.id], 'only the "maybe" record goes on (a1 was finally excluded)')
  t.equal((await decide(alice, a3.id, { decision: 'exclude', stage: 'full_text', reason: 'wrong design' })).statusCode, 201)

  // Bad input and access on every route of this file.
  for (const url of [`${base}/screening/records`, `${base}/screening/records?stage=x`, `${base}/screening/conflicts?stage=x`, `${base}/decisions?source=robot`, `${base}/screening/records?stage=title_abstract&page=0`]) {
    t.equal((await app.inject({ url, headers: owner.auth })).statusCode, 400, url)
  }
  for (const url of [`${base}/screening/records?stage=title_abstract`, `${base}/screening/conflicts`, `${base}/decisions`, `${base}/screening-settings`]) {
    t.equal((await app.inject({ url, headers: outsider.auth })).statusCode, 404, url)
  }
  t.equal((await app.inject({ method: 'POST', url: `${base}/articles/${a1.id}/resolution`, headers: outsider.auth, payload: { decision: 'include' } })).statusCode, 404)
  t.equal((await app.inject({ method: 'POST', url: `${base}/articles/00000000-0000-4000-8000-000000000000/decisions`, headers: alice.auth, payload: { decision: 'include' } })).statusCode, 404)
})
