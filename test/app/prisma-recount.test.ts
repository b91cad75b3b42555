import t, { type Test } from 'tap'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { articles, decisions, files, projects, sourceBatches } from '../../src/db/schema.ts'
import { exclusionReason, prismaCounts, prismaRecords, PRISMA_BOXES, UNSPECIFIED_REASON } from '../../src/services/prisma.ts'
import { loadStageDecisions, recordStatus, type RecordStatus } from '../../src/services/screening.ts'
import { getScreeningSettings } from '../../src/services/screening-settings.ts'
import { build, needsServices, userWithToken } from '../helper.ts'

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** The flow counted the plain way, record by record in JavaScript, from screening.ts's own rules. */
async function recount(app: FastifyInstance, projectId: string) {
  const settings = await getScreeningSettings(app.db, projectId)
  const all = await app.db.select().from(articles).where(eq(articles.projectId, projectId))
  const live = all.filter((a) => !a.duplicateOf).map((a) => a.id)
  const withFullText = new Set(all.filter((a) => a.fullTextFileId).map((a) => a.duplicateOf ?? a.id))
  const ta = await loadStageDecisions(app.db, projectId, 'title_abstract')
  const ft = await loadStageDecisions(app.db, projectId, 'full_text')
  const taStatus = new Map(live.map((id) => [id, recordStatus(ta.get(id), settings.reviewersPerRecord)]))
  const sought = live.filter((id) => ['included', 'maybe'].includes(taStatus.get(id)!))
  const ftStatus = new Map(sought.map((id) => [id, recordStatus(ft.get(id), settings.reviewersPerRecord)]))
  const where = (statuses: Map<string, RecordStatus>, wanted: RecordStatus[]) => [...statuses].filter(([, s]) => wanted.includes(s)).map(([id]) => id)
  const excluded = where(ftStatus, ['excluded'])
  const reasons: Record<string, string[]> = {}
  for (const id of excluded) (reasons[exclusionReason(ft.get(id), settings) ?? UNSPECIFIED_REASON] ??= []).push(id)
  return {
    boxes: {
      screened: where(taStatus, ['included', 'excluded', 'maybe']),
      screenedExcluded: where(taStatus, ['excluded']),
      sought,
      notRetrieved: sought.filter((id) => !withFullText.has(id)),
      assessed: where(ftStatus, ['included', 'excluded', 'maybe']),
      excluded,
      included: where(ftStatus, ['included'])
    } as Record<string, string[]>,
    reasons,
    ta: Object.fromEntries(['awaiting', 'conflict', 'maybe'].map((s) => [s, where(taStatus, [s as RecordStatus]).length])),
    ft: Object.fromEntries(['awaiting', 'conflict', 'maybe'].map((s) => [s, where(ftStatus, [s as RecordStatus]).length]))
  }
}

t.test('PRISMA counts computed in SQL equal a record-by-record recount', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const reviewers = [owner, await userWithToken(app), await userWithToken(app)].map((r) => r.user.id)
  const [project] = await app.db.insert(projects).values({
    name: 'Recount', screeningSettings: { reviewersPerRecord: 2, exclusionReasons: ['wrong population', 'wrong design'] }
  }).returning()
  const p = project.id
  const rnd = random(15)
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]

  // Every kind of source, and records entered by hand.
  const ids: string[] = []
  for (const [kind, database] of [['file', 'Embase'], ['file', null], ['search', 'PubMed'], ['identifiers', null], ['citations', 'OpenAlex'], ['other', null]] as const) {
    const [batch] = await app.db.insert(sourceBatches).values({ projectId: p, kind, sourceDatabase: database }).returning()
    const rows = await app.db.insert(articles).values(Array.from({ length: 40 }, (_, i) => ({
      projectId: p, batchId: batch.id, sourceIndex: i, title: `${kind} ${i}`, sourceDatabase: database ?? (i % 2 ? 'Scopus' : null)
    }))).returning({ id: articles.id })
    ids.push(...rows.map((r) => r.id))
  }
  ids.push(...(await app.db.insert(articles).values([{ projectId: p, title: 'by hand' }, { projectId: p, title: 'by hand too' }]).returning({ id: articles.id })).map((r) => r.id))
  // Duplicates, some carrying their own decisions and full texts.
  for (let i = 0; i + 1 < ids.length; i += 9) await app.db.update(articles).set({ duplicateOf: ids[i + 1] }).where(eq(articles.id, ids[i]))
  const [file] = await app.db.insert(files).values({ projectId: p, storagePath: 'x.pdf', originalName: 'x.pdf', size: 1, sha256: '0' }).returning()
  for (const id of ids) if (rnd() < 0.4) await app.db.update(articles).set({ fullTextFileId: file.id }).where(eq(articles.id, id))

  // Every kind of decision: reviewers changing their minds, conflicts, maybes, resolutions (also without a reason),
  // imported and LLM labels (which count for nothing here), reasons listed, unlisted (ties), empty or missing.
  const reasons = ['wrong population', 'wrong design', 'zeta', 'alpha', '', null]
  const rows: Array<typeof decisions.$inferInsert> = []
  let clock = Date.parse('2026-01-01T00:00:00Z')
  for (const id of ids) {
    for (const stage of ['title_abstract', 'full_text'] as const) {
      const n = Math.floor(rnd() * 5)
      for (let k = 0; k < n; k++) {
        const source = pick(['human', 'human', 'human', 'human', 'resolution', 'import', 'llm'] as const)
        const decision = pick(['include', 'include', 'exclude', 'exclude', 'maybe'] as const)
        rows.push({
          projectId: p, articleId: id, stage, decision, source, reviewerId: source === 'import' || source === 'llm' ? null : pick(reviewers),
          reason: decision === 'exclude' ? pick(reasons) : null, createdAt: new Date(clock += 1000)
        })
      }
    }
  }
  await app.db.insert(decisions).values(rows)

  const compare = async (t: Test, label: string) => {
    const expected = await recount(app, p)
    const counts = await prismaCounts(app.db, p)
    const { titleAbstract, fullText } = counts.screening
    t.same({
      screened: titleAbstract.screened, excluded: titleAbstract.excluded, awaiting: titleAbstract.awaiting, conflicts: titleAbstract.conflicts, maybe: titleAbstract.maybe,
      sought: fullText.soughtForRetrieval, notRetrieved: fullText.notRetrieved, assessed: fullText.assessed, ftExcluded: fullText.excluded,
      ftAwaiting: fullText.awaiting, ftConflicts: fullText.conflicts, ftMaybe: fullText.maybe, included: counts.included
    }, {
      screened: expected.boxes.screened.length, excluded: expected.boxes.screenedExcluded.length, awaiting: expected.ta.awaiting, conflicts: expected.ta.conflict, maybe: expected.ta.maybe,
      sought: expected.boxes.sought.length, notRetrieved: expected.boxes.notRetrieved.length, assessed: expected.boxes.assessed.length, ftExcluded: expected.boxes.excluded.length,
      ftAwaiting: expected.ft.awaiting, ftConflicts: expected.ft.conflict, ftMaybe: expected.ft.maybe, included: expected.boxes.included.length
    }, `${label}: every count`)
    t.same(Object.fromEntries(fullText.exclusionReasons.map((r) => [r.reason, r.count])),
      Object.fromEntries(Object.entries(expected.reasons).map(([r, list]) => [r, list.length])), `${label}: exclusions per reason`)
    for (const box of PRISMA_BOXES.filter((b) => b !== 'identified' && b !== 'duplicates')) {
      const listed = await prismaRecords(app.db, p, { box, limit: 10_000 })
      t.same([...listed.ids].sort(), [...expected.boxes[box]].sort(), `${label}: records of ${box}`)
    }
    for (const [reason, list] of Object.entries(expected.reasons)) {
      t.same([...(await prismaRecords(app.db, p, { box: 'excluded', reason, limit: 10_000 })).ids].sort(), [...list].sort(), `${label}: excluded for "${reason}"`)
    }
    return counts
  }

  const first = await compare(t, 'two reviewers per record')
  t.ok(first.screening.titleAbstract.conflicts > 0 && first.screening.fullText.excluded > 0, 'the data has conflicts and full-text exclusions')
  t.ok(first.screening.fullText.exclusionReasons.some((r) => r.reason === UNSPECIFIED_REASON), 'and exclusions without a reason')
  // Settings are part of the cache key; so is every write (the project's data version).
  await app.db.update(projects).set({ screeningSettings: { reviewersPerRecord: 1, exclusionReasons: ['alpha', 'wrong design'] } }).where(eq(projects.id, p))
  await compare(t, 'one reviewer per record, other reason order')
  const sought = (await prismaRecords(app.db, p, { box: 'sought', limit: 1 })).ids[0]
  await app.db.insert(decisions).values({ projectId: p, articleId: sought, stage: 'full_text', decision: 'exclude', source: 'resolution', reviewerId: reviewers[0], reason: 'zeta' })
  await app.db.delete(decisions).where(eq(decisions.source, 'llm'))
  await compare(t, 'after a resolution and a deletion')
})
