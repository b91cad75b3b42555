/**
 * Inter-rater agreement of a project's reviewers at a stage, from each
 * reviewer's current decision per record. Human and LLM reviewers are raters
 * alike; imported labels and resolutions are not (they are not a reviewer's
 * independent judgement).
 */
import { inArray } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, users } from '../db/schema.ts'
import { csvLine } from '../export/csv.ts'
import { cohensKappaForRaters, fleissKappaForDecisions, type CohenResult, type FleissResult } from '../screening/agreement.ts'
import { loadStageDecisions, type DecisionValue } from './screening.ts'
import type { Stage } from './screening-settings.ts'

export interface Rating {
  recordId: string
  reviewerId: string
  decision: DecisionValue
}

export interface ReviewerSummary {
  id: string
  email: string
  name: string
  kind: string
  decisions: number
  counts: Record<DecisionValue, number>
}

const nullable = (n: number) => (Number.isFinite(n) ? n : null)

function kappaView(r: CohenResult | FleissResult) {
  return {
    items: r.items,
    percentAgreement: nullable(r.percentAgreement),
    observedAgreement: nullable(r.observedAgreement),
    expectedAgreement: nullable(r.expectedAgreement),
    kappa: r.kappa,
    interpretation: r.interpretation
  }
}

/** Every rater's current decision per record at the stage. */
export async function loadRatings(db: Database, projectId: string, stage: Stage): Promise<Rating[]> {
  const ratings: Rating[] = []
  for (const [recordId, record] of await loadStageDecisions(db, projectId, stage)) {
    for (const d of [...record.human, ...record.llm]) {
      if (d.reviewerId) ratings.push({ recordId, reviewerId: d.reviewerId, decision: d.decision })
    }
  }
  return ratings
}

async function reviewers(db: Database, ratings: Rating[]): Promise<ReviewerSummary[]> {
  const ids = [...new Set(ratings.map((r) => r.reviewerId))]
  if (ids.length === 0) return []
  const rows = await db.select({ id: users.id, email: users.email, name: users.name, kind: users.kind }).from(users).where(inArray(users.id, ids))
  return rows.map((u) => {
    const counts: Record<DecisionValue, number> = { include: 0, exclude: 0, maybe: 0 }
    for (const r of ratings) if (r.reviewerId === u.id) counts[r.decision]++
    return { ...u, decisions: counts.include + counts.exclude + counts.maybe, counts }
  }).sort((a, b) => a.email.localeCompare(b.email))
}

/**
 * Percent agreement and Cohen's kappa (with its Landis & Koch band) for every
 * pair of reviewers who rated records in common, the overall figure (the pair
 * itself with two reviewers, Fleiss' kappa with more), and counts.
 */
export async function stageAgreement(db: Database, projectId: string, stage: Stage) {
  const ratings = await loadRatings(db, projectId, stage)
  const people = await reviewers(db, ratings)
  const rows = ratings.map((r) => ({ item: r.recordId, rater: r.reviewerId, decision: r.decision }))
  const perRecord = new Map<string, number>()
  for (const r of ratings) perRecord.set(r.recordId, (perRecord.get(r.recordId) ?? 0) + 1)

  const pairs = []
  for (let i = 0; i < people.length; i++) {
    for (let j = i + 1; j < people.length; j++) {
      const a = people[i]
      const b = people[j]
      const result = cohensKappaForRaters(rows, a.id, b.id)
      if (result.items === 0) continue
      pairs.push({
        reviewerA: { id: a.id, email: a.email, kind: a.kind }, reviewerB: { id: b.id, email: b.email, kind: b.kind },
        ...kappaView(result), confusion: result.confusion
      })
    }
  }
  const fleiss = people.length > 2 ? fleissKappaForDecisions(rows) : undefined
  return {
    stage,
    reviewers: people,
    counts: {
      records: perRecord.size,
      recordsWithTwoOrMoreReviewers: [...perRecord.values()].filter((n) => n >= 2).length,
      ratings: ratings.length
    },
    pairs,
    /** Cohen's kappa of the only pair when there are exactly two reviewers. */
    cohen: people.length === 2 && pairs.length === 1 ? pairs[0] : null,
    /** Fleiss' kappa (Gwet's generalisation for unequal rater counts) when there are more than two reviewers. */
    fleiss: fleiss ? { ...kappaView(fleiss), skippedItems: fleiss.skippedItems, equalRaterCounts: fleiss.equalRaterCounts, categories: fleiss.categories } : null
  }
}

/**
 * The paired decisions as CSV: one row per record rated by at least two
 * reviewers, one column per reviewer (their e-mail) with their decision.
 */
export async function agreementCsv(db: Database, projectId: string, stage: Stage): Promise<string> {
  const ratings = await loadRatings(db, projectId, stage)
  const people = await reviewers(db, ratings)
  const byRecord = new Map<string, Map<string, DecisionValue>>()
  for (const r of ratings) {
    let m = byRecord.get(r.recordId)
    if (!m) { m = new Map(); byRecord.set(r.recordId, m) }
    m.set(r.reviewerId, r.decision)
  }
  const paired = [...byRecord].filter(([, m]) => m.size >= 2)
  const titles = new Map<string, string>()
  for (let i = 0; i < paired.length; i += 5000) {
    const ids = paired.slice(i, i + 5000).map(([id]) => id)
    for (const row of await db.select({ id: articles.id, title: articles.title }).from(articles).where(inArray(articles.id, ids))) titles.set(row.id, row.title)
  }
  paired.sort((a, b) => (titles.get(a[0]) ?? '').localeCompare(titles.get(b[0]) ?? '') || (a[0] < b[0] ? -1 : 1))
  let out = csvLine(['article_id', 'title', ...people.map((p) => p.email)])
  for (const [id, m] of paired) out += csvLine([id, titles.get(id) ?? '', ...people.map((p) => m.get(p.id) ?? '')])
  return out
}
