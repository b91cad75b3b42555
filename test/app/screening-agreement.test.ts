import t from 'tap'
import { parse } from 'csv-parse/sync'
import { articles } from '../../src/db/schema.ts'
import { build, needsServices, userWithToken } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/*
 * Hand-computed example, 10 records, I = include, E = exclude:
 *   A: I I I E E E E E E E
 *   B: I I E E E E E E E I
 *   C: I I I E E E E E E E   (same as A)
 * A–B: Po = 8/10 = 0.8; both rate I 3 times and E 7 times, so Pe = 0.3² + 0.7² = 0.58;
 *      κ = (0.8 − 0.58) / (1 − 0.58) = 0.22 / 0.42 = 0.5238… → "moderate".
 * A–C: Po = 1, Pe = 0.58, κ = 1 → "almost perfect".
 * Fleiss (A, B, C): items (I,E) counts: (3,0) ×2, (2,1), (0,3) ×6, (1,2);
 *   P_i = 1, 1, 1/3, 1 ×6, 1/3 → Po = (8 + 2/3) / 10 = 0.8667; π_I = 0.3, π_E = 0.7 → Pe = 0.58;
 *   κ = (0.8667 − 0.58) / 0.42 = 0.6825… → "substantial".
 */
const A = 'IIIEEEEEEE'
const B = 'IIEEEEEEEI'
const C = 'IIIEEEEEEE'

t.test('agreement per stage against a hand-computed example, and its CSV', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app, 'owner@example.org')
  const a = await userWithToken(app, 'a@example.org')
  const b = await userWithToken(app, 'b@example.org')
  const c = await userWithToken(app, 'c@example.org')
  const outsider = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Agreement' } })).json()
  const base = `/api/projects/${project.id}`
  for (const who of [a, b, c]) await app.inject({ method: 'PUT', url: `${base}/members`, headers: owner.auth, payload: { email: who.user.email, role: 'reviewer' } })
  const rows = await app.db.insert(articles).values(Array.from({ length: 10 }, (_, i) => ({ projectId: project.id, title: `Record ${String(i).padStart(2, '0')}`, sourceIndex: i }))).returning()
  const rate = async (who: { auth: { authorization: string } }, pattern: string) => {
    for (const [i, letter] of [...pattern].entries()) {
      const res = await app.inject({ method: 'POST', url: `${base}/articles/${rows[i].id}/decisions`, headers: who.auth, payload: { decision: letter === 'I' ? 'include' : 'exclude' } })
      t.equal(res.statusCode, 201)
    }
  }
  await rate(a, 'EEEEEEEEEE') // changed later: only the latest decision of each reviewer counts
  await rate(a, A)
  await rate(b, B)

  const two = (await app.inject({ url: `${base}/screening/agreement?stage=title_abstract`, headers: owner.auth })).json()
  t.equal(two.reviewers.length, 2)
  t.same(two.reviewers.map((r: Json) => [r.email, r.counts.include, r.counts.exclude]), [['a@example.org', 3, 7], ['b@example.org', 3, 7]])
  t.equal(two.pairs.length, 1)
  t.equal(two.cohen.items, 10)
  t.equal(two.cohen.percentAgreement, 80)
  t.ok(Math.abs(two.cohen.expectedAgreement - 0.58) < 1e-12)
  t.ok(Math.abs(two.cohen.kappa - 0.22 / 0.42) < 1e-12, `kappa ${two.cohen.kappa}`)
  t.equal(two.cohen.interpretation, 'moderate')
  t.same(two.cohen.confusion, { include: { include: 2, exclude: 1 }, exclude: { include: 1, exclude: 6 } }, 'rows: reviewer A')
  t.equal(two.fleiss, null, 'no Fleiss kappa for two reviewers')
  t.same(two.counts, { records: 10, recordsWithTwoOrMoreReviewers: 10, ratings: 20 })

  await rate(c, C)
  const three = (await app.inject({ url: `${base}/screening/agreement`, headers: a.auth })).json()
  t.equal(three.pairs.length, 3)
  const pair = (x: string, y: string) => three.pairs.find((p: Json) => [p.reviewerA.email, p.reviewerB.email].sort().join() === [x, y].sort().join())
  t.equal(pair('a@example.org', 'c@example.org').kappa, 1)
  t.equal(pair('a@example.org', 'c@example.org').interpretation, 'almost perfect')
  t.ok(Math.abs(pair('b@example.org', 'c@example.org').kappa - 0.22 / 0.42) < 1e-12)
  t.equal(three.cohen, null, 'no single pair with three reviewers')
  t.ok(Math.abs(three.fleiss.kappa - (8 + 2 / 3 - 5.8) / 4.2) < 1e-12, `fleiss ${three.fleiss.kappa}`)
  t.equal(three.fleiss.interpretation, 'substantial')
  t.equal(three.fleiss.items, 10)

  const csv = await app.inject({ url: `${base}/screening/agreement.csv?stage=title_abstract`, headers: owner.auth })
  t.equal(csv.statusCode, 200)
  t.match(csv.headers['content-type'], /text\/csv/)
  const table = parse(csv.body, { columns: true }) as Array<Record<string, string>>
  t.equal(table.length, 10)
  t.same(Object.keys(table[0]), ['article_id', 'title', 'a@example.org', 'b@example.org', 'c@example.org'])
  t.same(table.map((r) => r['b@example.org'][0].toUpperCase()).join(''), B, 'rows in title order, one column per reviewer')
  t.equal(table[0].article_id, rows[0].id)

  const fullText = (await app.inject({ url: `${base}/screening/agreement?stage=full_text`, headers: owner.auth })).json()
  t.same(fullText.pairs, [])
  t.equal(fullText.counts.records, 0)
  t.equal((await app.inject({ url: `${base}/screening/agreement?stage=all`, headers: owner.auth })).statusCode, 400)
  t.equal((await app.inject({ url: `${base}/screening/agreement.csv?stage=all`, headers: owner.auth })).statusCode, 400)
  t.equal((await app.inject({ url: `${base}/screening/agreement`, headers: outsider.auth })).statusCode, 404)
  t.equal((await app.inject({ url: `${base}/screening/agreement.csv`, headers: outsider.auth })).statusCode, 404)
})
