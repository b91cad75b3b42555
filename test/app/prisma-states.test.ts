import t, { type Test } from 'tap'
import { eq, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { articles, decisions, files, sourceBatches } from '../../src/db/schema.ts'
import { prismaCounts, prismaRecords } from '../../src/services/prisma.ts'
import { getScreeningSettings } from '../../src/services/screening-settings.ts'
import { build, needsServices, userWithToken } from '../helper.ts'
import { sortedFlowCounts } from '../support/prisma-sorted-flow.ts'
import { Random } from '../support/random.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const REASONS = ['wrong population', 'wrong design', 'wrong outcome']

async function setUp(t: Test, records: number) {
  const app = await build(t)
  const owner = await userWithToken(app)
  const reviewers = [await userWithToken(app), await userWithToken(app), await userWithToken(app)]
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'States' } })).json() as Json
  const base = `/api/projects/${project.id}`
  for (const who of reviewers) await app.inject({ method: 'PUT', url: `${base}/members`, headers: owner.auth, payload: { email: who.user.email, role: 'reviewer' } })
  const patched = await app.inject({ method: 'PATCH', url: `${base}/screening-settings`, headers: owner.auth, payload: { reviewersPerRecord: 2, exclusionReasons: REASONS } })
  t.equal(patched.statusCode, 200, 'two reviewers per record, three reasons')
  const batches = (await app.db.insert(sourceBatches).values([{ projectId: project.id, kind: 'file', sourceDatabase: 'Embase' }, { projectId: project.id, kind: 'file' },
    { projectId: project.id, kind: 'search', sourceDatabase: 'PubMed' }]).returning({ id: sourceBatches.id })).map((b) => b.id)
  // Records of each batch (one mixing databases), and records entered by hand.
  const ids = (await app.db.insert(articles).values(Array.from({ length: records }, (_, i) => ({
    projectId: project.id, title: `Record ${i}`, sourceIndex: i, batchId: i % 4 === 3 ? null : batches[i % 4], sourceDatabase: i % 4 === 1 ? (['Scopus', null][i % 2]) : null
  }))).returning({ id: articles.id })).map((r) => r.id)
  const [file] = await app.db.insert(files).values({ projectId: project.id, storagePath: 'x.pdf', originalName: 'x.pdf', size: 1, sha256: '0' }).returning()
  for (const id of ids.filter((_, i) => i % 3 === 0)) await app.db.update(articles).set({ fullTextFileId: file.id }).where(eq(articles.id, id))
  return { app, owner, reviewers, projectId: project.id as string, base, ids, batches }
}

/** The kept states equal a recomputation of every cluster, and the PRISMA counts read from them equal the former query over every decision. */
async function check(t: Test, app: FastifyInstance, projectId: string, label: string) {
  const stateRows = async (db: Pick<FastifyInstance['db'], 'execute'>) => (await db.execute(sql`SELECT record_id, stage, humans, lowest, highest, resolution,
    resolution_reason, exclusion_reasons FROM screening_states WHERE project_id = ${projectId} ORDER BY record_id, stage`)).rows
  const kept = await stateRows(app.db)
  let recomputed: unknown[] = []
  await app.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT recompute_screening_states(${projectId}, ARRAY(SELECT id FROM articles WHERE project_id = ${projectId}))`)
    recomputed = await stateRows(tx)
    tx.rollback()
  }).catch((e: Error) => { if (!/rollback/i.test(e.message)) throw e })
  t.same(kept, recomputed, `${label}: the kept states are those of a full recomputation (${kept.length} rows)`)

  // Records identified per source, read from every record as before source_counts.
  const sources = await app.db.execute(sql`
    SELECT b.kind, coalesce(a.own_database, b.source_database) AS "sourceDatabase", count(DISTINCT b.id)::int AS batches, count(a.id)::int AS records
    FROM source_batches b LEFT JOIN (SELECT id, batch_id, CASE WHEN record->'columns' ? 'sourceDatabase' THEN record->'columns'->>'sourceDatabase' ELSE source_database END AS own_database
      FROM articles WHERE project_id = ${projectId}) a ON a.batch_id = b.id
    WHERE b.project_id = ${projectId} GROUP BY 1, 2 ORDER BY 1, 2`)
  const expected = await sortedFlowCounts(app.db, projectId, await getScreeningSettings(app.db, projectId))
  const counts = await prismaCounts(app.db, projectId)
  t.same(counts.identification.sources.filter((s) => s.batches > 0).map(({ kind, sourceDatabase, batches, records }) => ({ kind, sourceDatabase, batches, records })),
    sources.rows, `${label}: records identified per source equal a count of every record`)
  const { titleAbstract: ta, fullText: ft } = counts.screening
  t.same({
    ta: { awaiting: ta.awaiting, conflict: ta.conflicts, include: ta.included, exclude: ta.excluded, maybe: ta.maybe },
    ft: { awaiting: ft.awaiting, conflict: ft.conflicts, include: ft.included, exclude: ft.excluded, maybe: ft.maybe },
    sought: ft.soughtForRetrieval, notRetrieved: ft.notRetrieved,
    reasons: Object.fromEntries(ft.exclusionReasons.map((r) => [r.reason, r.count]))
  }, { ta: expected.ta, ft: expected.ft, sought: expected.sought, notRetrieved: expected.notRetrieved, reasons: expected.reasons }, `${label}: PRISMA counts equal those of the former query`)
  t.equal((await prismaRecords(app.db, projectId, { box: 'excluded', limit: 10_000 })).total, expected.ft.exclude, `${label}: the excluded box lists its records`)
  return counts
}

t.test('a random sequence of decisions, resolutions, deletions and duplicate links keeps the states exact', { skip: needsServices }, async (t) => {
  const { app, owner, reviewers, projectId, base, ids, batches } = await setUp(t, 40)
  const random = new Random(20)
  const rnd = () => random.next()
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]
  const applied: Record<string, number> = {}
  for (let step = 1; step <= 400; step++) {
    const roll = rnd()
    const articleId = pick(ids)
    const stage = rnd() < 0.55 ? 'title_abstract' : 'full_text'
    const decision = pick(['include', 'include', 'exclude', 'exclude', 'maybe'] as const)
    const reason = decision === 'exclude' && (stage === 'full_text' || rnd() < 0.5) ? pick(REASONS) : undefined
    let op: string
    if (roll < 0.6) {
      // A reviewer's decision (the API refuses a full-text decision on a record not included: nothing changes then).
      const res = await app.inject({ method: 'POST', url: `${base}/articles/${articleId}/decisions`, headers: pick(reviewers).auth, payload: { stage, decision, reason } })
      op = res.statusCode === 201 ? 'decision' : 'refused decision'
    } else if (roll < 0.72) {
      const res = await app.inject({ method: 'POST', url: `${base}/articles/${articleId}/resolution`, headers: owner.auth, payload: { stage, decision, reason } })
      op = res.statusCode === 201 ? 'resolution' : 'refused resolution'
    } else if (roll < 0.8) {
      // Labels and suggestions, which make no status.
      await app.db.insert(decisions).values({ projectId, articleId, stage, decision, source: pick(['import', 'llm']) })
      op = 'label'
    } else if (roll < 0.86) {
      const [gone] = await app.db.execute<{ id: string }>(sql`SELECT id FROM decisions WHERE project_id = ${projectId} ORDER BY random() LIMIT 1`).then((r) => r.rows)
      if (gone) await app.db.delete(decisions).where(eq(decisions.id, gone.id))
      op = 'deleted decision'
    } else if (roll < 0.89) {
      // An import adds a record; deduplication re-tags a primary with the database of its cluster; a record is deleted.
      const kind = pick(['import', 'tag', 'delete'] as const)
      if (kind === 'import') {
        const [added] = await app.db.insert(articles).values({ projectId, title: `Added ${step}`, batchId: pick(batches), sourceDatabase: pick(['CINAHL', null]) }).returning({ id: articles.id })
        ids.push(added.id)
      } else if (kind === 'tag') {
        await app.db.update(articles).set({ record: { columns: { sourceDatabase: pick(['Scopus', 'Embase', null]) } } }).where(eq(articles.id, articleId))
      } else if (ids.length > 30) {
        await app.db.delete(articles).where(eq(articles.id, articleId))
        ids.splice(ids.indexOf(articleId), 1)
      }
      op = `record ${kind}`
    } else if (roll < 0.95) {
      // Deduplication links a record to a primary (a record linked before moves with the links it carries left as they are).
      const primary = pick(ids)
      await app.db.execute(sql`UPDATE articles SET duplicate_of = ${primary} WHERE id = ${articleId} AND id <> ${primary}
        AND NOT EXISTS (SELECT 1 FROM articles p WHERE p.id = ${primary} AND p.duplicate_of IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM articles m WHERE m.duplicate_of = ${articleId})`)
      op = 'merge'
    } else {
      await app.db.update(articles).set({ duplicateOf: null }).where(eq(articles.id, articleId))
      op = 'split'
    }
    applied[op] = (applied[op] ?? 0) + 1
    if (step % 100 === 0) await check(t, app, projectId, `after ${step} writes`)
  }
  t.ok(applied.decision > 100 && applied.resolution > 3 && applied.merge > 10 && applied.split > 10 && applied['deleted decision'] > 10 && applied['record import'] > 0, `every kind of write applied: ${JSON.stringify(applied)}`)
  const counts = await check(t, app, projectId, 'at the end')
  t.ok(counts.screening.titleAbstract.conflicts + counts.screening.fullText.excluded > 0, 'the data has conflicts or full-text exclusions')
  // A deleted batch takes its records with it.
  await app.db.delete(sourceBatches).where(eq(sourceBatches.id, batches[0]))
  await check(t, app, projectId, 'after a batch was deleted')
})

t.test('parallel decisions of several reviewers, a resolution and a merge keep the states exact', { skip: needsServices }, async (t) => {
  const { app, owner, reviewers, projectId, base, ids } = await setUp(t, 12)
  const random = new Random(7)
  const rnd = () => random.next()
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]
  for (let round = 1; round <= 4; round++) {
    const writes: Array<Promise<unknown>> = []
    for (let k = 0; k < 24; k++) {
      const who = reviewers[k % reviewers.length]
      writes.push(app.inject({ method: 'POST', url: `${base}/articles/${pick(ids.slice(0, 6))}/decisions`, headers: who.auth, payload: { decision: pick(['include', 'exclude'] as const) } }))
    }
    writes.push(app.inject({ method: 'POST', url: `${base}/articles/${ids[0]}/resolution`, headers: owner.auth, payload: { decision: 'include' } }))
    // Deduplication moving records between clusters while they are decided.
    writes.push(app.db.execute(sql`UPDATE articles SET duplicate_of = CASE WHEN duplicate_of IS NULL THEN ${ids[6 + round]}::uuid END WHERE id = ${ids[round]}`))
    const results = await Promise.all(writes)
    t.ok(results.slice(0, 24).every((r) => (r as { statusCode: number }).statusCode === 201), `round ${round}: the 24 parallel decisions were recorded`)
    await check(t, app, projectId, `round ${round}`)
  }
})
