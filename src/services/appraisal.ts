/**
 * Risk-of-bias assessments and ATN scores of a project's articles: each
 * reviewer's assessment (validated against the tool, judgements derived by its
 * algorithm), append-only history, comparison of two reviewers, consensus,
 * the project's table and robvis figures; the ATN criteria set and scores.
 *
 * Blind dual assessment follows the project's screening settings: in blind
 * mode a reviewer who is neither owner nor resolver sees only their own
 * assessments (and consensus), as in dual screening.
 */
import { tableSheet, workbookBuffer } from '../reporting/workbook.ts'
import { and, asc, count, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm'
import { checkAssessment, compareAssessments, deriveJudgements, getTool, TOOLS, type Tool } from '../appraisal/index.ts'
import { ATN_V2_2, validateCriteriaSet, type AtnCriteriaSet } from '../appraisal/atn.ts'
import { summaryPlot, trafficLightPlot, type RobRow } from '../appraisal/robvis.ts'
import type { Database } from '../db/index.ts'
import { articles, atnCriteriaSets, atnScores, robAssessmentHistory, robAssessments, users } from '../db/schema.ts'
import { Conflict, Forbidden, Invalid, NotFound } from '../errors.ts'
import type { Static } from '@sinclair/typebox'
import type { AssessmentBody, AssessmentView, AtnScoresQuery, RobTableRow, ToolList } from '../http/schemas/appraisal.ts'
import { csvLine } from '../export/csv.ts'
import { requireArticles } from './project-articles.ts'
import { getScreeningSettings, isPrivileged } from './screening-settings.ts'

export interface Caller { project: { id: string }, role: string, user: { id: string } }

/** The tools as the API shows them (their arrays are read-only data, served as is). */
export const listTools = () => Object.values(TOOLS) as unknown as Static<typeof ToolList>

type Row = typeof robAssessments.$inferSelect

const columns = { a: robAssessments, email: users.email }

function view(row: Row, email: string): AssessmentView {
  return {
    id: row.id, articleId: row.articleId, outcome: row.outcome, tool: row.tool as AssessmentView['tool'], kind: row.kind as AssessmentView['kind'],
    reviewerId: row.reviewerId, reviewerEmail: email, status: row.status as AssessmentView['status'],
    answers: row.answers as AssessmentView['answers'], judgements: row.judgements as AssessmentView['judgements'],
    support: row.support as AssessmentView['support'], overrides: row.overrides as AssessmentView['overrides'],
    derived: row.derived as AssessmentView['derived'], model: row.model, run: row.run as AssessmentView['run'] ?? null, updatedAt: row.updatedAt.toISOString()
  }
}

/** Whether the caller may see other reviewers' assessments (not blind, or owner/resolver). */
async function seesOthers(db: Database, caller: Caller): Promise<boolean> {
  const settings = await getScreeningSettings(db, caller.project.id)
  return !settings.blind || isPrivileged(settings, caller.role, caller.user.id)
}

const target = (projectId: string, articleId: string, tool: string, outcome: string) =>
  and(eq(robAssessments.projectId, projectId), eq(robAssessments.articleId, articleId), eq(robAssessments.tool, tool), eq(robAssessments.outcome, outcome))

/** Checks the body against the tool: a draft may leave questions unanswered, a complete assessment gets its judgements derived. */
function prepare(tool: Tool, body: AssessmentBody) {
  const input = { answers: body.answers, judgements: body.judgements, overrides: body.overrides }
  const complete = body.status === 'complete'
  const { problems, assessment } = checkAssessment(tool, input, { complete })
  if (problems.length) throw new Invalid(problems.map((p) => p.message).join('; '), problems[0]!.field)
  const support = body.support ?? {}
  const ids = new Set([...tool.domains.map((d) => d.id), ...tool.domains.flatMap((d) => d.questions.map((q) => q.id)), 'overall'])
  for (const id of Object.keys(support)) if (!ids.has(id)) throw new Invalid(`support: ${tool.id} has no question or domain "${id}"`, `support/${id}`)
  // Answers the reviewer gave, NA where a question does not apply (unanswered ones of a draft stay out).
  const answers = Object.fromEntries(Object.entries(assessment.answers).filter(([id, a]) => a !== 'NA' || body.answers?.[id] !== undefined || complete))
  return { status: body.status, answers, judgements: assessment.judgements, overrides: assessment.overrides, support, derived: complete ? deriveJudgements(tool, input) : null }
}

/** Writes an assessment (the caller's, or the consensus) and its history row, in one transaction. */
async function save(db: Database, caller: Caller, articleId: string, toolId: string, body: AssessmentBody, kind: 'reviewer' | 'consensus', model: string | null = null, run: LlmRun | null = null): Promise<AssessmentView> {
  const tool = getTool(toolId)
  await requireArticles(db, caller.project.id, [articleId], 'articleId')
  const state = prepare(tool, body)
  const outcome = (body.outcome ?? '').trim()
  const row = await db.transaction(async (tx) => {
    const where = and(target(caller.project.id, articleId, tool.id, outcome), eq(robAssessments.kind, kind), kind === 'reviewer' ? eq(robAssessments.reviewerId, caller.user.id) : undefined)
    const [existing] = await tx.select({ id: robAssessments.id }).from(robAssessments).where(where).for('update')
    const values = { ...state, reviewerId: caller.user.id, model, run, updatedAt: new Date() }
    const [saved] = existing
      ? await tx.update(robAssessments).set(values).where(eq(robAssessments.id, existing.id)).returning()
      : await tx.insert(robAssessments).values({ projectId: caller.project.id, articleId, outcome, tool: tool.id, kind, ...values })
          .onConflictDoUpdate({ target: kind === 'reviewer' ? [robAssessments.articleId, robAssessments.outcome, robAssessments.tool, robAssessments.reviewerId] : [robAssessments.articleId, robAssessments.outcome, robAssessments.tool], targetWhere: sql.raw(`kind = '${kind}'`), set: values })
          .returning()
    await tx.insert(robAssessmentHistory).values({ projectId: caller.project.id, assessmentId: saved!.id, userId: caller.user.id, state: { kind, ...state } })
    return saved!
  })
  const [user] = await db.select({ email: users.email }).from(users).where(eq(users.id, row.reviewerId))
  return view(row, user?.email ?? '')
}

type LlmRun = NonNullable<AssessmentView['run']>

/** An assessment by a model (the `llm-rob` task), under the model's own reviewer account, with the run that produced it. */
export const saveModelAssessment = (db: Database, projectId: string, reviewerId: string, articleId: string, tool: string, body: AssessmentBody, run: LlmRun) =>
  save(db, { project: { id: projectId }, role: 'reviewer', user: { id: reviewerId } }, articleId, tool, body, 'reviewer', run.model, run)

export const saveMine = (db: Database, caller: Caller, articleId: string, tool: string, body: AssessmentBody) => save(db, caller, articleId, tool, body, 'reviewer')

/** The consensus of an article's assessments: complete, by an owner or resolver (or, when not blind, any reviewer). */
export async function saveConsensus(db: Database, caller: Caller, articleId: string, tool: string, body: AssessmentBody): Promise<AssessmentView> {
  if (!await seesOthers(db, caller)) throw new Forbidden('in blind mode only the project\'s owners and resolvers record a consensus')
  if (body.status !== 'complete') throw new Invalid('a consensus assessment must be complete (status "complete")', 'status')
  return save(db, caller, articleId, tool, body, 'consensus')
}

export async function getMine(db: Database, caller: Caller, articleId: string, tool: string, outcome = ''): Promise<AssessmentView> {
  getTool(tool)
  const [found] = await db.select(columns).from(robAssessments).innerJoin(users, eq(users.id, robAssessments.reviewerId))
    .where(and(target(caller.project.id, articleId, tool, outcome.trim()), eq(robAssessments.kind, 'reviewer'), eq(robAssessments.reviewerId, caller.user.id)))
  if (!found) throw new NotFound(`you have not assessed this article with ${tool}${outcome.trim() ? ` for the outcome "${outcome.trim()}"` : ''}`)
  return view(found.a, found.email)
}

/** An article's assessments with a tool (every outcome): the consensus first, then the reviewers' the caller may see. */
export async function listAssessments(db: Database, caller: Caller, articleId: string, tool: string): Promise<AssessmentView[]> {
  getTool(tool)
  await requireArticles(db, caller.project.id, [articleId], 'articleId')
  const all = await seesOthers(db, caller)
  const rows = await db.select(columns).from(robAssessments).innerJoin(users, eq(users.id, robAssessments.reviewerId))
    .where(and(eq(robAssessments.projectId, caller.project.id), eq(robAssessments.articleId, articleId), eq(robAssessments.tool, tool)))
    .orderBy(asc(robAssessments.outcome), asc(robAssessments.kind), asc(robAssessments.createdAt))
  return rows.filter((r) => all || r.a.kind === 'consensus' || r.a.reviewerId === caller.user.id).map((r) => view(r.a, r.email))
}

/** Every saved state of the caller's assessment (all reviewers' for owners and resolvers), newest first. */
export async function assessmentHistory(db: Database, caller: Caller, articleId: string, tool: string) {
  getTool(tool)
  const all = await seesOthers(db, caller)
  const rows = await db.select({ h: robAssessmentHistory, a: robAssessments }).from(robAssessmentHistory)
    .innerJoin(robAssessments, eq(robAssessments.id, robAssessmentHistory.assessmentId))
    .where(and(eq(robAssessments.projectId, caller.project.id), eq(robAssessments.articleId, articleId), eq(robAssessments.tool, tool)))
    .orderBy(desc(robAssessmentHistory.createdAt))
  return rows.filter((r) => all || r.a.kind === 'consensus' || r.a.reviewerId === caller.user.id)
    .map((r) => ({ assessmentId: r.a.id, outcome: r.a.outcome, kind: r.a.kind, userId: r.h.userId, state: r.h.state as Record<string, unknown>, createdAt: r.h.createdAt.toISOString() }))
}

/** Two reviewers' complete assessments of one result compared (by default the first two), with the conflicts. */
export async function compareReviewers(db: Database, caller: Caller, articleId: string, toolId: string, query: { outcome?: string, a?: string, b?: string }) {
  const tool = getTool(toolId)
  if (!await seesOthers(db, caller)) throw new Forbidden('in blind mode only the project\'s owners and resolvers compare reviewers')
  const rows = (await listAssessments(db, caller, articleId, toolId)).filter((r) => r.kind === 'reviewer' && r.outcome === (query.outcome ?? '').trim() && r.status === 'complete')
  const pick = (id: string | undefined, fallback: AssessmentView | undefined, field: string) => {
    const found = id ? rows.find((r) => r.reviewerId === id) : fallback
    if (!found) throw new NotFound(id ? `reviewer ${id} has no complete assessment of this result` : 'two complete assessments of this result are needed to compare', field)
    return found
  }
  const a = pick(query.a, rows[0], 'a')
  const b = pick(query.b, rows.find((r) => r.reviewerId !== a.reviewerId), 'b')
  if (a.reviewerId === b.reviewerId) throw new Invalid('compare two different reviewers', 'b')
  return {
    a: { reviewerId: a.reviewerId, reviewerEmail: a.reviewerEmail },
    b: { reviewerId: b.reviewerId, reviewerEmail: b.reviewerEmail },
    ...compareAssessments(tool, a, b)
  }
}

/** "Family et al. year" as robvis labels studies (the title when there is no author). */
function studyLabel(article: { title: string, year: number | null, authors: unknown }): string {
  const authors = Array.isArray(article.authors) ? article.authors as Array<{ family?: unknown }> : []
  const family = typeof authors[0]?.family === 'string' ? authors[0].family.trim() : ''
  const year = article.year ? ` ${article.year}` : ''
  if (family) return `${family}${authors.length > 1 ? ' et al.' : ''}${year}`
  const title = article.title.length > 40 ? `${article.title.slice(0, 39)}…` : article.title
  return `${title || 'untitled'}${article.year ? ` (${article.year})` : ''}`
}

/**
 * The project's risk-of-bias table with a tool: one row per article and outcome, from the consensus
 * where there is one, else from the chosen reviewer's complete assessment (the caller by default).
 */
export async function robTable(db: Database, caller: Caller, toolId: string, reviewer?: string): Promise<{ tool: Tool, rows: Array<RobTableRow & { data: Record<string, unknown> }> }> {
  const tool = getTool(toolId)
  const reviewerId = reviewer ?? caller.user.id
  if (reviewerId !== caller.user.id && !await seesOthers(db, caller)) throw new Forbidden('in blind mode only the project\'s owners and resolvers see other reviewers\' assessments', 'reviewer')
  const rows = await db.select({ a: robAssessments, title: articles.title, year: articles.year, authors: articles.authors, data: articles.data })
    .from(robAssessments).innerJoin(articles, eq(articles.id, robAssessments.articleId))
    .where(and(eq(robAssessments.projectId, caller.project.id), eq(robAssessments.tool, tool.id), eq(robAssessments.status, 'complete'),
      sql`(${robAssessments.kind} = 'consensus' OR ${robAssessments.reviewerId} = ${reviewerId})`))
    .orderBy(asc(articles.year), asc(articles.title), asc(robAssessments.outcome))
  const chosen = new Map<string, (typeof rows)[number]>()
  for (const r of rows) {
    const key = `${r.a.articleId}\u0000${r.a.outcome}`
    if (!chosen.has(key) || r.a.kind === 'consensus') chosen.set(key, r)
  }
  return {
    tool,
    rows: [...chosen.values()].map((r) => {
      const derived = r.a.derived as { domains: Array<{ id: string, judgement: string }>, overall: { judgement: string } }
      return {
        articleId: r.a.articleId, study: studyLabel(r) + (r.a.outcome ? ` — ${r.a.outcome}` : ''), outcome: r.a.outcome,
        source: r.a.kind as RobTableRow['source'], reviewerId: r.a.reviewerId,
        domains: Object.fromEntries(derived.domains.map((d) => [d.id, d.judgement])), overall: derived.overall.judgement,
        data: (r.data ?? {}) as Record<string, unknown>
      }
    })
  }
}

export const tableHeader = (tool: Tool) => ['article_id', 'study', 'outcome', 'source', ...tool.domains.map((d) => `${d.id} ${d.name}`), 'overall']
export const tableCells = (tool: Tool, r: RobTableRow) => [r.articleId, r.study, r.outcome, r.source, ...tool.domains.map((d) => r.domains[d.id] ?? ''), r.overall]

export function robTableCsv(tool: Tool, rows: RobTableRow[]): string {
  return csvLine(tableHeader(tool)) + rows.map((r) => csvLine(tableCells(tool, r))).join('')
}

export async function robTableXlsx(tool: Tool, rows: RobTableRow[]): Promise<Buffer> {
  return workbookBuffer([tableSheet(`Risk of bias (${tool.id})`, tableHeader(tool), rows.map((r) => tableCells(tool, r)))])
}

/** The robvis traffic-light plot or (optionally weighted) summary plot of the project's table. */
export async function robFigure(db: Database, caller: Caller, toolId: string, kind: 'traffic-light' | 'summary', query: { reviewer?: string, weighted?: string }): Promise<string> {
  const { tool, rows } = await robTable(db, caller, toolId, query.reviewer)
  if (!rows.length) throw new Conflict(`no complete ${tool.id} assessment to plot${query.reviewer ? ' for this reviewer' : ' (yours or a consensus; choose another reviewer with ?reviewer=)'}`)
  const field = query.weighted
  const plotRows: RobRow[] = rows.map((r) => {
    const raw = field ? r.data[field] : undefined
    const weight = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : undefined
    return { study: r.study, domains: r.domains, overall: r.overall, ...(weight === undefined ? {} : { weight }) }
  })
  if (kind === 'traffic-light') return trafficLightPlot(tool, plotRows)
  if (field) {
    const missing = plotRows.filter((r) => !(typeof r.weight === 'number' && Number.isFinite(r.weight) && r.weight >= 0))
    if (missing.length) throw new Invalid(`weighted: ${missing.length} of ${plotRows.length} studies have no numeric "${field}" (e.g. ${missing[0]!.study})`, 'weighted')
  }
  return summaryPlot(tool, plotRows, { weighted: Boolean(field) })
}

// ATN score

export async function getAtnCriteria(db: Database, projectId: string): Promise<{ source: 'project' | 'seeded', set: AtnCriteriaSet }> {
  const [own] = await db.select().from(atnCriteriaSets).where(eq(atnCriteriaSets.projectId, projectId))
  if (own) return { source: 'project', set: own.definition as AtnCriteriaSet }
  const [seeded] = await db.select().from(atnCriteriaSets).where(eq(atnCriteriaSets.key, 'atn-v2.2'))
  return { source: 'seeded', set: (seeded?.definition as AtnCriteriaSet | undefined) ?? ATN_V2_2 }
}

export async function putAtnCriteria(db: Database, projectId: string, set: AtnCriteriaSet) {
  validateCriteriaSet(set)
  const ids = new Set<string>()
  set.criteria.forEach((c, i) => {
    if (ids.has(c.id)) throw new Invalid(`criterion id "${c.id}" is used twice`, `criteria/${i}/id`)
    ids.add(c.id)
  })
  if (set.categories[set.categories.length - 1]!.min > 0) throw new Invalid('the last category must have min 0, so that every score has a category', 'categories')
  await db.insert(atnCriteriaSets).values({ projectId, definition: set })
    .onConflictDoUpdate({ target: atnCriteriaSets.projectId, set: { definition: set, updatedAt: new Date() } })
  return { source: 'project' as const, set }
}

export async function listAtnScores(db: Database, projectId: string, query: AtnScoresQuery) {
  const filters: SQL[] = [eq(atnScores.projectId, projectId)]
  if (query.category !== undefined) filters.push(eq(atnScores.category, query.category))
  if (query.minScore !== undefined) filters.push(gte(atnScores.score, query.minScore))
  if (query.maxScore !== undefined) filters.push(lte(atnScores.score, query.maxScore))
  const where = and(...filters)
  const order = query.sort === 'score' ? [asc(atnScores.score), asc(atnScores.articleId)] : [desc(atnScores.score), asc(atnScores.articleId)]
  const [items, [{ total }], [stats], categories] = await Promise.all([
    db.select({ articleId: atnScores.articleId, title: articles.title, year: articles.year, score: atnScores.score, category: atnScores.category, setVersion: atnScores.setVersion, scoredAt: atnScores.scoredAt })
      .from(atnScores).innerJoin(articles, eq(articles.id, atnScores.articleId)).where(where).orderBy(...order)
      .limit(query.pageSize).offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(atnScores).where(where),
    db.select({
      count: count(), mean: sql<number | null>`avg(${atnScores.score})::float8`, min: sql<number | null>`min(${atnScores.score})::float8`, max: sql<number | null>`max(${atnScores.score})::float8`,
      q1: sql<number | null>`percentile_cont(0.25) WITHIN GROUP (ORDER BY ${atnScores.score})`,
      median: sql<number | null>`percentile_cont(0.5) WITHIN GROUP (ORDER BY ${atnScores.score})`,
      q3: sql<number | null>`percentile_cont(0.75) WITHIN GROUP (ORDER BY ${atnScores.score})`
    }).from(atnScores).where(where),
    db.select({ category: atnScores.category, n: count() }).from(atnScores).where(where).groupBy(atnScores.category)
  ])
  const round = (x: number | null) => x === null ? null : Math.round(Number(x) * 100) / 100
  return {
    items: items.map((i) => ({ ...i, score: round(i.score)!, scoredAt: i.scoredAt.toISOString() })),
    total, page: query.page, pageSize: query.pageSize,
    stats: {
      count: stats!.count, byCategory: Object.fromEntries(categories.map((c) => [c.category, c.n])),
      mean: round(stats!.mean), min: round(stats!.min), q1: round(stats!.q1), median: round(stats!.median), q3: round(stats!.q3), max: round(stats!.max)
    }
  }
}

export async function getAtnScore(db: Database, projectId: string, articleId: string) {
  await requireArticles(db, projectId, [articleId], 'articleId')
  const [row] = await db.select({ s: atnScores, title: articles.title, year: articles.year }).from(atnScores).innerJoin(articles, eq(articles.id, atnScores.articleId))
    .where(and(eq(atnScores.projectId, projectId), eq(atnScores.articleId, articleId)))
  if (!row) throw new NotFound('this article has no ATN score yet: run POST /atn/score')
  return {
    articleId, title: row.title, year: row.year, score: Math.round(row.s.score * 100) / 100, category: row.s.category, setVersion: row.s.setVersion,
    scoredAt: row.s.scoredAt.toISOString(), justification: row.s.justification as never
  }
}
