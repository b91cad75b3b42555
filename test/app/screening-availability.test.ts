import t from 'tap'
import { sql } from 'drizzle-orm'
import { articles, decisions, tasks } from '../../src/db/schema.ts'
import { availabilityReads } from '../../src/services/screening-availability.ts'
import { recordRowReads, trainScreeningModel } from '../../src/services/screening-model.ts'
import { build, needsServices, userWithToken, waitFor } from '../helper.ts'
import { Random } from '../support/random.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * What `next` may propose, recomputed from the decisions themselves (the statement `next` ran
 * before it kept availability in memory): live records not resolved, not decided by the reviewer,
 * and with fewer human reviewers than the project asks for.
 */
async function availableFromDecisions(db: Json, projectId: string, reviewerId: string, reviewersPerRecord: number): Promise<Set<string>> {
  const { rows } = await db.execute(sql`
    SELECT a.id FROM ${articles} a WHERE a.project_id = ${projectId} AND a.duplicate_of IS NULL AND NOT EXISTS (
      SELECT 1 FROM ${decisions} d JOIN ${articles} m ON m.id = d.article_id
      WHERE d.project_id = ${projectId} AND d.stage = 'title_abstract' AND coalesce(m.duplicate_of, m.id) = a.id AND d.source IN ('human', 'resolution')
      GROUP BY coalesce(m.duplicate_of, m.id)
      HAVING bool_or(d.source = 'resolution') OR bool_or(d.source = 'human' AND d.reviewer_id = ${reviewerId})
        OR count(DISTINCT d.reviewer_id) FILTER (WHERE d.source = 'human') >= ${reviewersPerRecord})`)
  return new Set(rows.map((r: Json) => r.id as string))
}

t.test('next proposes only what each reviewer may still screen, whoever wrote and whichever process', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const reviewers = [owner, await userWithToken(app), await userWithToken(app)]
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Availability' } })).json()
  const base = `/api/projects/${project.id}`
  for (const r of reviewers.slice(1)) {
    await app.inject({ method: 'PUT', url: `${base}/members`, headers: owner.auth, payload: { email: r.user.email, role: 'reviewer' } })
  }
  let reviewersPerRecord = 2
  const settings = (value: number) => app.inject({ method: 'PATCH', url: `${base}/screening-settings`, headers: owner.auth, payload: { reviewersPerRecord: value } })
  t.equal((await settings(reviewersPerRecord)).statusCode, 200)
  const rows = await app.db.insert(articles).values(Array.from({ length: 60 }, (_, i) => ({
    projectId: project.id, sourceIndex: i,
    title: i % 3 === 0 ? `Conversational agent and therapeutic alliance ${i}` : `Orthopaedic registry of knee surgery ${i}`
  }))).returning()
  const sqlDecision = (articleId: string, reviewerId: string, decision: 'include' | 'exclude', source: 'human' | 'resolution' = 'human') =>
    app.db.insert(decisions).values({ projectId: project.id, articleId, reviewerId, stage: 'title_abstract', decision, source })
  await sqlDecision(rows[0].id, owner.user.id, 'include')
  await sqlDecision(rows[1].id, owner.user.id, 'exclude')

  const random = new Random(20261204)
  const rankedBy = new Set<string>()
  const check = async (step: string) => {
    for (const r of reviewers) {
      const res = await app.inject({ url: `${base}/screening/next?count=5`, headers: r.auth })
      if (res.statusCode !== 200) {
        t.fail(`${step}: next answered ${res.statusCode} ${res.body}`)
        return false
      }
      const body = res.json()
      rankedBy.add(body.rankedBy)
      const open = await availableFromDecisions(app.db, project.id, r.user.id, reviewersPerRecord)
      const proposed = [body.article, ...body.following].filter(Boolean).map((a: Json) => a.id as string)
      const wrong = proposed.filter((id) => !open.has(id))
      if (wrong.length > 0 || body.remaining !== open.size) {
        t.fail(`${step}: reviewer ${reviewers.indexOf(r)} got ${proposed.length} records, ${wrong.length} not available; remaining ${body.remaining}, expected ${open.size}`)
        return false
      }
    }
    return true
  }
  const live = async () => (await app.db.execute<{ id: string }>(sql`SELECT id FROM ${articles} WHERE project_id = ${project.id} AND duplicate_of IS NULL`)).rows.map((r) => r.id)
  let ok = true
  let steps = 0
  for (; steps < 70 && ok; steps++) {
    const ids = await live()
    const who = random.pick(reviewers)
    const articleId = random.pick(ids)
    const decision = random.chance(0.3) ? 'include' : 'exclude'
    // The first steps write as other processes would (no training is queued): next walks the seeded random order.
    const kind = steps < 8 ? 0.6 + random.next() * 0.3 : random.next()
    let step: string
    if (kind < 0.45) {
      // Through the API, as the reviewer's next proposed record or any record.
      const target = random.chance(0.6) ? (await app.inject({ url: `${base}/screening/next`, headers: who.auth })).json().article?.id ?? articleId : articleId
      const res = await app.inject({ method: 'POST', url: `${base}/articles/${target}/decisions`, headers: who.auth, payload: { decision } })
      if (res.statusCode !== 201) t.fail(`decision: ${res.statusCode} ${res.body}`)
      step = 'a decision through the API'
    } else if (kind < 0.6) {
      // Several reviewers at once.
      await Promise.all(reviewers.map((r) => app.inject({ method: 'POST', url: `${base}/articles/${random.pick(ids)}/decisions`, headers: r.auth, payload: { decision } })))
      step = 'concurrent decisions'
    } else if (kind < 0.72) {
      await sqlDecision(articleId, who.user.id, decision)
      step = 'a decision written by another process'
    } else if (kind < 0.78) {
      await sqlDecision(articleId, owner.user.id, decision, 'resolution')
      step = 'a resolution written by another process'
    } else if (kind < 0.84) {
      await app.db.execute(sql`DELETE FROM ${decisions} WHERE id = (SELECT id FROM ${decisions} WHERE project_id = ${project.id} AND source = 'human' ORDER BY random() LIMIT 1)`)
      step = 'a decision deleted'
    } else if (kind < 0.9) {
      const [primary, duplicate] = [random.pick(ids), random.pick(ids)]
      if (primary !== duplicate) {
        await app.db.execute(sql`UPDATE ${articles} SET duplicate_of = ${primary} WHERE id = ${duplicate} OR duplicate_of = ${duplicate}`)
      }
      step = 'two records merged as duplicates'
    } else if (kind < 0.95) {
      reviewersPerRecord = random.int(1, 2)
      t.equal((await settings(reviewersPerRecord)).statusCode, 200)
      step = `reviewers per record set to ${reviewersPerRecord}`
    } else {
      await trainScreeningModel(app.db, project.id, 'title_abstract')
      step = 'a retraining'
    }
    ok = await check(`step ${steps} (${step})`)
  }
  t.ok(ok, `${steps} random writes, each followed by next for every reviewer`)
  t.same([...rankedBy].sort(), ['model', 'random'], 'in the seeded random order, then in the model\'s')
  // Let the queued retrainings end before the app closes.
  await app.tasks.backgroundSettled()
  await waitFor(async () => (await app.db.select({ status: tasks.status }).from(tasks).where(sql`${tasks.projectId} = ${project.id}`))
    .every((task) => ['succeeded', 'failed', 'cancelled'].includes(task.status)), 60000)
})

t.test('a reviewer\'s own decision and the retraining after it need no read of availability', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Held availability' } })).json()
  const base = `/api/projects/${project.id}`
  await app.db.insert(articles).values(Array.from({ length: 30 }, (_, i) => ({
    projectId: project.id, sourceIndex: i, title: i % 3 === 0 ? `Conversational agent ${i}` : `Knee surgery ${i}`
  })))
  const next = async () => (await app.inject({ url: `${base}/screening/next`, headers: alice.auth })).json()
  const decide = async (id: string, decision: string) => {
    const res = await app.inject({ method: 'POST', url: `${base}/articles/${id}/decisions`, headers: alice.auth, payload: { decision } })
    if (res.statusCode !== 201) t.fail(`decision: ${res.statusCode} ${res.body}`)
  }
  // A decision's retraining is queued once the decision is answered: wait for that, then for the trainings.
  const trainingsDone = () => app.tasks.backgroundSettled().then(() => waitFor(async () => (await app.db.select({ status: tasks.status }).from(tasks).where(sql`${tasks.projectId} = ${project.id}`))
    .every((task) => ['succeeded', 'failed'].includes(task.status)), 60000))
  const first = await next()
  await decide(first.article.id, 'include')
  await decide((await next()).article.id, 'exclude')
  await trainingsDone()
  t.equal((await next()).rankedBy, 'model')
  const seen = new Set<string>([first.article.id])
  const before = availabilityReads.count
  const rowReads = recordRowReads.count
  for (let i = 0; i < 5; i++) {
    const proposed = await next()
    t.notOk(seen.has(proposed.article.id), 'a record decided earlier is not proposed')
    seen.add(proposed.article.id)
    await decide(proposed.article.id, proposed.article.title.startsWith('Conversational') ? 'include' : 'exclude')
    await trainingsDone()
  }
  await next()
  t.equal(availabilityReads.count, before, 'five decisions, five retrainings and six proposals read availability from memory only')
  t.ok(recordRowReads.count - rowReads <= 1, `and the records they show at most once, read ahead (${recordRowReads.count - rowReads} reads)`)
  // Another process's decision is seen: the data version moved past what this process held.
  const other = await next()
  await app.db.insert(decisions).values({ projectId: project.id, articleId: other.article.id, reviewerId: alice.user.id, stage: 'title_abstract', decision: 'exclude' })
  t.not((await next()).article.id, other.article.id, 'a decision written elsewhere is not proposed again')
  t.equal(availabilityReads.count, before + 1, 'after one read')
  // A record edited elsewhere is shown as it is now, not as this process read it.
  const shown = await next()
  await app.db.execute(sql`UPDATE ${articles} SET title = 'Edited title' WHERE id = ${shown.article.id}`)
  t.equal((await next()).article.title, 'Edited title', 'the edited title')
})

t.test('a decision the database refuses stores nothing and leaves every connection usable', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Refused decision' } })).json()
  const base = `/api/projects/${project.id}`
  const rows = await app.db.insert(articles).values(Array.from({ length: 30 }, (_, i) => ({ projectId: project.id, sourceIndex: i, title: `Record ${i}` }))).returning()
  // A trigger of this test refuses decisions whose note is "refuse", after the insert ran.
  await app.db.execute(sql.raw(`CREATE OR REPLACE FUNCTION refuse_decision() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.note = 'refuse' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`))
  await app.db.execute(sql.raw('CREATE TRIGGER refuse_decision AFTER INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION refuse_decision()'))
  t.teardown(async () => { await app.pg.pool.query('DROP TRIGGER IF EXISTS refuse_decision ON decisions') })
  const decide = (i: number, note?: string) => app.inject({ method: 'POST', url: `${base}/articles/${rows[i].id}/decisions`, headers: alice.auth, payload: { decision: 'exclude', note } })
  const refused = await decide(0, 'refuse')
  t.equal(refused.statusCode, 500, 'refused')
  const stored = await app.db.select().from(decisions).where(sql`${decisions.projectId} = ${project.id}`)
  t.equal(stored.length, 0, 'nothing stored')
  // More decisions than the pool has connections: none may land on a connection left in a failed transaction.
  for (let i = 1; i <= 24; i++) t.equal((await decide(i)).statusCode, 201)
  t.equal((await app.db.select().from(decisions).where(sql`${decisions.projectId} = ${project.id}`)).length, 24)
  const next = (await app.inject({ url: `${base}/screening/next`, headers: alice.auth })).json()
  t.equal(next.remaining, 30 - 24, 'the refused record is still to screen')
})

t.test('a training that stores no ranking does not take another process\'s decision for its own change', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const bob = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Training without ranking' } })).json()
  const base = `/api/projects/${project.id}`
  await app.inject({ method: 'PUT', url: `${base}/members`, headers: alice.auth, payload: { email: bob.user.email, role: 'reviewer' } })
  const rows = await app.db.insert(articles).values(Array.from({ length: 20 }, (_, i) => ({ projectId: project.id, sourceIndex: i, title: `Record ${i}` }))).returning()
  const next = async () => (await app.inject({ url: `${base}/screening/next`, headers: bob.auth })).json()
  t.equal((await next()).remaining, 20, 'availability held at the current version')
  // Another process resolves a record; then a training with no label and no prior stores no ranking,
  // so its transaction changes nothing of the project and moves its data version nowhere.
  await app.db.insert(decisions).values({ projectId: project.id, articleId: rows[3].id, reviewerId: alice.user.id, stage: 'title_abstract', decision: 'exclude', source: 'resolution' })
  const trained = await trainScreeningModel(app.db, project.id, 'title_abstract')
  t.equal(trained.scored, 0, 'no ranking stored')
  const after = await next()
  t.equal(after.remaining, 19, 'the resolved record is no longer to screen')
  t.not(after.article.id, rows[3].id, 'nor proposed')
})
