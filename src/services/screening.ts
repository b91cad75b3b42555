/**
 * The screening workflow on top of the append-only `decisions` table: what
 * status each record has at a stage, who may see which decisions (blind
 * mode), conflicts and their resolution, and the next record to screen.
 *
 * Rules (documented in the README, "Screening"):
 * - A record is screened as its duplicate cluster: decisions on a duplicate
 *   count for its primary record (`coalesce(duplicate_of, id)`).
 * - Only human reviewers' decisions (source 'human') make a status; each
 *   reviewer counts with their latest decision. LLM decisions (source 'llm')
 *   and labels brought in by imports (source 'import') never do: they are
 *   suggestions, shown to whoever may see them and used by the ranking model.
 * - Status: 'awaiting' while fewer human reviewers than `reviewersPerRecord`
 *   decided and those who did agree; 'conflict' as soon as two current human
 *   decisions differ; otherwise the common decision ('included', 'excluded',
 *   'maybe'). A resolution (source 'resolution') settles the record whatever
 *   came before or after it; a later resolution replaces an earlier one.
 */
import { and, asc, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import type { DecisionView } from '../http/schemas/screening.ts'
import { articles, decisions, screeningModels, users } from '../db/schema.ts'
import { Conflict, Forbidden, Invalid, NotFound } from '../errors.ts'
import { toArticleView, type ArticleView } from './articles.ts'
import { isPrivileged, STAGES, type ScreeningSettings, type Stage } from './screening-settings.ts'
import { currentRanking } from './screening-ranking.ts'
import { decisionCommitted, insertCommitted, type DecisionInsert } from './screening-availability.ts'

export type DecisionValue = 'include' | 'exclude' | 'maybe'
export type DecisionSource = 'human' | 'import' | 'llm' | 'resolution'
export type RecordStatus = 'awaiting' | 'conflict' | 'included' | 'excluded' | 'maybe'

const STATUS_OF: Record<DecisionValue, RecordStatus> = { include: 'included', exclude: 'excluded', maybe: 'maybe' }

/** One reviewer's (or one source's) current decision on a record at a stage. */
export interface CurrentDecision {
  id: string
  articleId: string
  reviewerId: string | null
  source: DecisionSource
  decision: DecisionValue
  reason: string | null
  note: string | null
  tags: string[]
  probability: number | null
  createdAt: Date
}

export interface RecordDecisions {
  /** Latest decision of each human reviewer. */
  human: CurrentDecision[]
  /** Latest decision of each LLM reviewer. */
  llm: CurrentDecision[]
  /** Latest imported label. */
  imported?: CurrentDecision
  /** Latest resolution. */
  resolution?: CurrentDecision
}

export function recordStatus(record: RecordDecisions | undefined, reviewersPerRecord: number): RecordStatus {
  if (!record) return 'awaiting'
  if (record.resolution) return STATUS_OF[record.resolution.decision]
  if (record.human.length === 0) return 'awaiting'
  const values = new Set(record.human.map((d) => d.decision))
  if (values.size > 1) return 'conflict'
  if (record.human.length < reviewersPerRecord) return 'awaiting'
  return STATUS_OF[record.human[0].decision]
}

/**
 * The label the ranking model learns from: the resolution; else the human
 * reviewers' decision when they agree (even before enough of them decided);
 * else, when no human decided, the imported label. Conflicts teach nothing.
 */
export function trainingLabel(record: RecordDecisions | undefined): DecisionValue | undefined {
  if (!record) return undefined
  if (record.resolution) return record.resolution.decision
  if (record.human.length > 0) {
    const values = new Set(record.human.map((d) => d.decision))
    return values.size === 1 ? record.human[0].decision : undefined
  }
  return record.imported?.decision
}

/** A record whose decisions reviewers may not see in blind mode (other than their own). */
export function isUnsettled(status: RecordStatus): boolean {
  return status === 'awaiting' || status === 'conflict'
}

/**
 * Current decisions per record (primary article id) at a stage: one query,
 * the latest row per (record, source, reviewer). `recordIds` restricts it.
 */
export async function loadStageDecisions(db: Database, projectId: string, stage: Stage, recordIds?: readonly string[]): Promise<Map<string, RecordDecisions>> {
  const only = recordIds ? sql`AND coalesce(a.duplicate_of, a.id) = ANY(${sql.param(recordIds)}::uuid[])` : sql``
  const result = await db.execute<{
    record_id: string; id: string; article_id: string; reviewer_id: string | null; source: string; decision: DecisionValue
    reason: string | null; note: string | null; tags: string[]; probability: number | null; created_at: Date | string
  }>(sql`
    SELECT DISTINCT ON (coalesce(a.duplicate_of, a.id), d.source, d.reviewer_id)
      coalesce(a.duplicate_of, a.id) AS record_id, d.id, d.article_id, d.reviewer_id, d.source, d.decision, d.reason, d.note, d.tags,
      d.probability, d.created_at
    FROM ${decisions} d JOIN ${articles} a ON a.id = d.article_id
    WHERE d.project_id = ${projectId} AND d.stage = ${stage} ${only}
    ORDER BY coalesce(a.duplicate_of, a.id), d.source, d.reviewer_id, d.created_at DESC, d.id DESC`)
  const byRecord = new Map<string, RecordDecisions>()
  for (const row of result.rows) {
    let record = byRecord.get(row.record_id)
    if (!record) { record = { human: [], llm: [] }; byRecord.set(row.record_id, record) }
    const current: CurrentDecision = {
      id: row.id, articleId: row.article_id, reviewerId: row.reviewer_id, source: row.source as DecisionSource, decision: row.decision,
      reason: row.reason, note: row.note, tags: row.tags ?? [], probability: row.probability, createdAt: new Date(row.created_at)
    }
    if (current.source === 'human') record.human.push(current)
    else if (current.source === 'llm') record.llm.push(current)
    else if (current.source === 'import') record.imported = current
    else if (current.source === 'resolution' && (!record.resolution || record.resolution.createdAt < current.createdAt)) record.resolution = current
  }
  return byRecord
}

/** The primary record id of an article of the project, or a 404. */
export async function requireRecord(db: Database, projectId: string, articleId: string): Promise<{ articleId: string; recordId: string }> {
  const [row] = await db.select({ id: articles.id, duplicateOf: articles.duplicateOf }).from(articles)
    .where(and(eq(articles.projectId, projectId), eq(articles.id, articleId)))
  if (!row) throw new NotFound('article not found')
  return { articleId: row.id, recordId: row.duplicateOf ?? row.id }
}

export interface DecisionInput {
  articleId: string
  stage: Stage
  decision: DecisionValue
  reason?: string
  note?: string
  tags?: string[]
}

/**
 * Checks a decision's reason against the project's exclusion reasons: when
 * the list is non-empty, a reason must be one of them, is only given with an
 * exclusion, and a full-text exclusion needs one (PRISMA reports full-text
 * exclusions by reason).
 */
export function validateReason(settings: ScreeningSettings, input: Pick<DecisionInput, 'decision' | 'reason' | 'stage'>): void {
  const reasons = settings.exclusionReasons
  if (reasons.length === 0) return
  if (input.reason !== undefined && input.decision !== 'exclude') {
    throw new Invalid('reason is only given with an "exclude" decision', 'reason')
  }
  if (input.reason !== undefined && !reasons.includes(input.reason)) {
    throw new Invalid(`reason must be one of the project's exclusion reasons: ${reasons.map((r) => JSON.stringify(r)).join(', ')}`, 'reason')
  }
  if (input.reason === undefined && input.decision === 'exclude' && input.stage === 'full_text') {
    throw new Invalid('a full-text exclusion needs a reason from the project\'s exclusion reasons', 'reason')
  }
}

function cleanTags(tags: string[] | undefined): string[] {
  return [...new Set((tags ?? []).map((t) => t.trim()).filter(Boolean))]
}

export type DecisionRow = typeof decisions.$inferSelect

/**
 * A record reaches the full-text stage only when its title/abstract outcome
 * (the rule of stageCandidates: included, or "maybe") lets it through.
 */
async function requireFullTextCandidate(db: Database, projectId: string, settings: ScreeningSettings, stage: Stage, recordId: string): Promise<void> {
  if (stage !== 'full_text') return
  const status = recordStatus((await loadStageDecisions(db, projectId, 'title_abstract', [recordId])).get(recordId), settings.reviewersPerRecord)
  if (status === 'included' || status === 'maybe') return
  throw new Conflict(`this record is not included at the title/abstract stage (status: ${status}): full-text decisions are made on included records only`)
}

/**
 * A reviewer's decision, appended to the history (never updated). `settingsAsRead`: `settings` came
 * from memory; 'stale' (nothing written) when they are no longer the project's (title/abstract).
 */
export async function recordHumanDecision(db: Database, projectId: string, settings: ScreeningSettings, reviewerId: string, input: DecisionInput): Promise<DecisionRow>
export async function recordHumanDecision(
  db: Database, projectId: string, settings: ScreeningSettings, reviewerId: string, input: DecisionInput, settingsAsRead: unknown
): Promise<DecisionRow | 'stale'>
export async function recordHumanDecision(
  db: Database, projectId: string, settings: ScreeningSettings, reviewerId: string, input: DecisionInput, settingsAsRead?: unknown
): Promise<DecisionRow | 'stale'> {
  validateReason(settings, input)
  const values: DecisionInsert = {
    projectId, articleId: input.articleId, reviewerId, stage: input.stage, decision: input.decision, reason: input.reason ?? null,
    note: input.note ?? null, tags: cleanTags(input.tags), source: 'human'
  }
  // Title/abstract: the article is checked by the insert itself (one exchange with PostgreSQL).
  if (input.stage === 'title_abstract') return insertDecision(db, values, settingsAsRead)
  const { recordId } = await requireRecord(db, projectId, input.articleId)
  await requireFullTextCandidate(db, projectId, settings, input.stage, recordId)
  return insertDecision(db, values)
}

/**
 * Inserts one decision on an article of the project (404 when it is not one). At title/abstract, in
 * a transaction that learns the data version its commit produces, so that this process's record of
 * who may screen what (screening-availability.ts) moves forward with it instead of being read again;
 * 'stale' when `settingsAsRead` are no longer the project's (nothing written).
 */
async function insertDecision(db: Database, values: DecisionInsert): Promise<DecisionRow>
async function insertDecision(db: Database, values: DecisionInsert, settingsAsRead: unknown): Promise<DecisionRow | 'stale'>
async function insertDecision(db: Database, values: DecisionInsert, settingsAsRead?: unknown): Promise<DecisionRow | 'stale'> {
  if (values.stage !== 'title_abstract') return (await db.insert(decisions).values(values).returning())[0]
  const inserted = await insertCommitted(db, values, settingsAsRead)
  if (inserted === 'stale') return inserted
  if (!inserted) throw new NotFound('article not found')
  const { row, recordId, version, state } = inserted
  decisionCommitted(values.projectId, version, recordId, state, values.source === 'human' ? values.reviewerId ?? null : null)
  return {
    id: row.id, projectId: row.project_id, articleId: row.article_id, reviewerId: row.reviewer_id, stage: row.stage, decision: row.decision,
    reason: row.reason, note: row.note, source: row.source, tags: row.tags, probability: row.probability, justification: row.justification,
    model: row.model, origin: row.origin, createdAt: row.created_at
  }
}

/**
 * Settles a record in conflict (or replaces an earlier resolution) with a
 * decision of source 'resolution'. Only owners and designated resolvers.
 */
export async function resolveConflict(
  db: Database, projectId: string, settings: ScreeningSettings, resolver: { userId: string; role: string }, input: DecisionInput
): Promise<{ decision: DecisionRow; previousStatus: RecordStatus }> {
  if (!isPrivileged(settings, resolver.role, resolver.userId)) {
    throw new Forbidden('only the project\'s owners and designated resolvers resolve conflicts')
  }
  validateReason(settings, input)
  const { recordId } = await requireRecord(db, projectId, input.articleId)
  await requireFullTextCandidate(db, projectId, settings, input.stage, recordId)
  const current = (await loadStageDecisions(db, projectId, input.stage, [recordId])).get(recordId)
  const status = recordStatus(current, settings.reviewersPerRecord)
  if (status !== 'conflict' && !current?.resolution) {
    throw new Conflict(`this record is not in conflict at the ${input.stage} stage (status: ${status})`)
  }
  const row = await insertDecision(db, {
    projectId, articleId: input.articleId, reviewerId: resolver.userId, stage: input.stage, decision: input.decision,
    reason: input.reason ?? null, note: input.note ?? null, tags: cleanTags(input.tags), source: 'resolution'
  })
  return { decision: row, previousStatus: status }
}

export type { DecisionView }

export function toDecisionView(row: DecisionRow, reviewer: { email: string | null; name: string | null; kind: string | null } = { email: null, name: null, kind: null }): DecisionView {
  return {
    id: row.id, articleId: row.articleId, reviewerId: row.reviewerId, reviewerEmail: reviewer.email, reviewerName: reviewer.name,
    reviewerKind: reviewer.kind, stage: row.stage, decision: row.decision, reason: row.reason, note: row.note, source: row.source,
    tags: row.tags, probability: row.probability, justification: row.justification, model: row.model,
    origin: (row.origin ?? null) as DecisionView['origin'], createdAt: row.createdAt.toISOString()
  }
}

export interface Viewer {
  userId: string
  role: string
}

/** Records (primary ids) whose decisions `viewer` may not see at each stage: none unless blind mode hides them. */
export async function hiddenRecords(db: Database, projectId: string, settings: ScreeningSettings, viewer: Viewer, stages: readonly Stage[] = STAGES): Promise<Map<Stage, string[]> | null> {
  if (!settings.blind || isPrivileged(settings, viewer.role, viewer.userId)) return null
  const hidden = new Map<Stage, string[]>()
  for (const stage of stages) {
    const ids: string[] = []
    for (const [recordId, record] of await loadStageDecisions(db, projectId, stage)) {
      if (isUnsettled(recordStatus(record, settings.reviewersPerRecord))) ids.push(recordId)
    }
    hidden.set(stage, ids)
  }
  return hidden
}

/**
 * A condition on the `decisions` table (unaliased) that keeps what the viewer
 * may see, given hiddenRecords(); undefined when nothing is hidden. For any
 * list that shows decisions (e.g. an article list's latest decision).
 */
export function decisionVisibility(projectId: string, viewer: Viewer, hidden: Map<Stage, string[]> | null): SQL | undefined {
  if (!hidden) return undefined
  const hiddenAt = [...hidden].map(([stage, ids]) => sql`(${decisions.stage} = ${stage} AND ${decisions.articleId} IN (
    SELECT x.id FROM ${articles} x WHERE x.project_id = ${projectId} AND coalesce(x.duplicate_of, x.id) = ANY(${sql.param(ids)}::uuid[])))`)
  if (hiddenAt.length === 0) return undefined
  return sql`(coalesce(${decisions.reviewerId} = ${viewer.userId}, false) OR NOT (${sql.join(hiddenAt, sql` OR `)}))`
}

/**
 * For article lists: each article's latest decision at the stage that the
 * viewer may see (in blind mode, on unsettled records, only their own).
 */
export async function visibleLatestDecisions(db: Database, projectId: string, settings: ScreeningSettings, viewer: Viewer, stage: Stage, articleIds: readonly string[]): Promise<Map<string, DecisionValue>> {
  if (articleIds.length === 0) return new Map()
  const visible = decisionVisibility(projectId, viewer, await hiddenRecords(db, projectId, settings, viewer, [stage]))
  const rows = await db.selectDistinctOn([decisions.articleId], { articleId: decisions.articleId, decision: decisions.decision }).from(decisions)
    .where(and(inArray(decisions.articleId, [...articleIds]), eq(decisions.stage, stage), ...(visible ? [visible] : [])))
    .orderBy(decisions.articleId, desc(decisions.createdAt), desc(decisions.id))
  return new Map(rows.map((r) => [r.articleId, r.decision]))
}

export interface DecisionFilter {
  stage?: Stage
  articleId?: string
  reviewerId?: string
  source?: DecisionSource
  limit: number
  offset: number
}

/**
 * Decisions newest first. In blind mode a reviewer who is neither owner nor
 * resolver sees other people's decisions (human, LLM, imported) only on
 * settled records; their own always.
 */
export async function listVisibleDecisions(db: Database, projectId: string, settings: ScreeningSettings, viewer: Viewer, filter: DecisionFilter): Promise<{ items: DecisionView[]; total: number }> {
  const where: SQL[] = [eq(decisions.projectId, projectId)]
  if (filter.stage) where.push(eq(decisions.stage, filter.stage))
  if (filter.articleId) where.push(eq(decisions.articleId, filter.articleId))
  if (filter.reviewerId) where.push(eq(decisions.reviewerId, filter.reviewerId))
  if (filter.source) where.push(eq(decisions.source, filter.source))
  const hidden = await hiddenRecords(db, projectId, settings, viewer, filter.stage ? [filter.stage] : STAGES)
  const visible = decisionVisibility(projectId, viewer, hidden)
  if (visible) where.push(visible)
  const [rows, total] = await Promise.all([
    db.select({ decision: decisions, email: users.email, name: users.name, kind: users.kind }).from(decisions)
      .leftJoin(users, eq(users.id, decisions.reviewerId))
      .where(and(...where)).orderBy(desc(decisions.createdAt), desc(decisions.id)).limit(filter.limit).offset(filter.offset),
    db.$count(decisions, and(...where))
  ])
  return { items: rows.map((r) => toDecisionView(r.decision, r)), total }
}

/** A current decision as lists show it. */
export interface CurrentDecisionView {
  reviewerId: string | null
  reviewerEmail: string | null
  source: DecisionSource
  decision: DecisionValue
  reason: string | null
  note: string | null
  tags: string[]
  probability: number | null
  createdAt: string
}

async function reviewerEmails(db: Database, ids: Iterable<string | null>): Promise<Map<string, string>> {
  const distinct = [...new Set([...ids].filter((id): id is string => id !== null))]
  if (distinct.length === 0) return new Map()
  const rows = await db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, distinct))
  return new Map(rows.map((r) => [r.id, r.email]))
}

function currentDecisions(record: RecordDecisions | undefined): CurrentDecision[] {
  if (!record) return []
  return [...record.human, ...record.llm, ...(record.imported ? [record.imported] : []), ...(record.resolution ? [record.resolution] : [])]
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
}

function viewCurrent(d: CurrentDecision, emails: Map<string, string>): CurrentDecisionView {
  return {
    reviewerId: d.reviewerId, reviewerEmail: d.reviewerId ? emails.get(d.reviewerId) ?? null : null, source: d.source, decision: d.decision,
    reason: d.reason, note: d.note, tags: d.tags, probability: d.probability, createdAt: d.createdAt.toISOString()
  }
}

export interface ConflictView {
  articleId: string
  title: string
  year: number | null
  decisions: CurrentDecisionView[]
}

/** Records in conflict at a stage, oldest conflict first. Owners and resolvers see them in blind mode; others only when not blind. */
export async function listConflicts(db: Database, projectId: string, settings: ScreeningSettings, viewer: Viewer, stage: Stage, page: { limit: number; offset: number }): Promise<{ items: ConflictView[]; total: number }> {
  if (settings.blind && !isPrivileged(settings, viewer.role, viewer.userId)) {
    throw new Forbidden('in blind mode only the project\'s owners and resolvers see conflicts')
  }
  const conflicts: Array<[string, RecordDecisions]> = []
  for (const entry of await loadStageDecisions(db, projectId, stage)) {
    if (recordStatus(entry[1], settings.reviewersPerRecord) === 'conflict') conflicts.push(entry)
  }
  const latest = (r: RecordDecisions) => Math.max(...r.human.map((d) => d.createdAt.getTime()))
  conflicts.sort((a, b) => latest(a[1]) - latest(b[1]) || (a[0] < b[0] ? -1 : 1))
  const slice = conflicts.slice(page.offset, page.offset + page.limit)
  if (slice.length === 0) return { items: [], total: conflicts.length }
  const rows = await db.select({ id: articles.id, title: articles.title, year: articles.year }).from(articles)
    .where(inArray(articles.id, slice.map(([id]) => id)))
  const byId = new Map(rows.map((r) => [r.id, r]))
  const emails = await reviewerEmails(db, slice.flatMap(([, r]) => currentDecisions(r).map((d) => d.reviewerId)))
  return {
    total: conflicts.length,
    items: slice.map(([id, record]) => ({
      articleId: id, title: byId.get(id)?.title ?? '', year: byId.get(id)?.year ?? null,
      decisions: currentDecisions(record).map((d) => viewCurrent(d, emails))
    }))
  }
}

/** Status as a viewer may see it: in blind mode, awaiting and conflict both read 'pending' for reviewers. */
export type VisibleStatus = RecordStatus | 'pending'

export interface ScreeningRecordView extends ArticleView {
  status: VisibleStatus
  decisions: CurrentDecisionView[]
}

export interface ScreeningListQuery {
  stage: Stage
  status?: VisibleStatus
  sort: 'relevance' | 'createdAt'
  page: number
  pageSize: number
}

/** Live records of a stage: every record at title/abstract; at full text, those included (or "maybe") at title/abstract. */
export async function stageCandidates(db: Database, projectId: string, stage: Stage, settings: ScreeningSettings): Promise<{ ids: string[]; createdAt: Map<string, number> }> {
  const rows = await db.select({ id: articles.id, createdAt: articles.createdAt, sourceIndex: articles.sourceIndex }).from(articles)
    .where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf)))
    .orderBy(asc(articles.createdAt), asc(articles.sourceIndex), asc(articles.id))
  let ids = rows.map((r) => r.id)
  if (stage === 'full_text') {
    const titleAbstract = await loadStageDecisions(db, projectId, 'title_abstract')
    ids = ids.filter((id) => {
      const status = recordStatus(titleAbstract.get(id), settings.reviewersPerRecord)
      return status === 'included' || status === 'maybe'
    })
  }
  return { ids, createdAt: new Map(rows.map((r) => [r.id, r.createdAt.getTime()])) }
}

/**
 * The stage's records with their status and the current decisions the viewer
 * may see, filtered by status, by relevance (most relevant first) or import order.
 */
export async function listScreeningRecords(db: Database, projectId: string, settings: ScreeningSettings, viewer: Viewer, query: ScreeningListQuery) {
  const blindView = settings.blind && !isPrivileged(settings, viewer.role, viewer.userId)
  if (blindView && (query.status === 'awaiting' || query.status === 'conflict')) {
    throw new Forbidden('in blind mode reviewers filter on "pending" (awaiting or in conflict)', 'status')
  }
  const [candidates, byRecord, ranking] = await Promise.all([
    stageCandidates(db, projectId, query.stage, settings),
    loadStageDecisions(db, projectId, query.stage),
    currentRanking(db, projectId, query.stage)
  ])
  const relevanceOf = (id: string): number | null => ranking?.scoreOf(id) ?? null
  const counts: Record<VisibleStatus, number> = { awaiting: 0, conflict: 0, included: 0, excluded: 0, maybe: 0, pending: 0 }
  const matching: Array<{ id: string; status: VisibleStatus }> = []
  for (const id of candidates.ids) {
    const real = recordStatus(byRecord.get(id), settings.reviewersPerRecord)
    const status: VisibleStatus = blindView && isUnsettled(real) ? 'pending' : real
    counts[status]++
    if (!query.status || query.status === status) matching.push({ id, status })
  }
  if (query.sort === 'relevance') {
    matching.sort((a, b) => (relevanceOf(b.id) ?? -1) - (relevanceOf(a.id) ?? -1))
  }
  const slice = matching.slice((query.page - 1) * query.pageSize, query.page * query.pageSize)
  const rows = slice.length === 0 ? [] : await db.select({
    id: articles.id, projectId: articles.projectId, batchId: articles.batchId, sourceIndex: articles.sourceIndex, title: articles.title,
    abstract: articles.abstract, authors: articles.authors, year: articles.year, journal: articles.journal, volume: articles.volume,
    issue: articles.issue, pages: articles.pages, doi: articles.doi, pmid: articles.pmid, pmcid: articles.pmcid, arxivId: articles.arxivId,
    type: articles.type, sourceDatabase: articles.sourceDatabase, data: articles.data,
    fullTextFileId: articles.fullTextFileId, duplicateOf: articles.duplicateOf, createdAt: articles.createdAt
  }).from(articles).where(inArray(articles.id, slice.map((s) => s.id)))
  const byId = new Map(rows.map((r) => [r.id, r]))
  const visible = (id: string, status: VisibleStatus) => currentDecisions(byRecord.get(id))
    .filter((d) => !blindView || status !== 'pending' || d.reviewerId === viewer.userId)
  const emails = await reviewerEmails(db, slice.flatMap((s) => visible(s.id, s.status).map((d) => d.reviewerId)))
  const items: ScreeningRecordView[] = slice.map((s) => {
    const row = byId.get(s.id)!
    return {
      ...toArticleView(row), relevance: relevanceOf(s.id), status: s.status,
      decisions: visible(s.id, s.status).map((d) => viewCurrent(d, emails))
    }
  })
  return { items, total: matching.length, page: query.page, pageSize: query.pageSize, counts: blindView ? counts : { ...counts, pending: undefined } }
}

export interface ScreeningModelStats {
  mode?: 'model' | 'prior' | 'random'
  excludes?: number
  maybes?: number
  records?: number
  trainingRecords?: number
  fitMs?: number
  featureMs?: number
  totalMs?: number
  snapshotAt?: string
  /** Digest of what the fit was given (model, records' version, labels, prior scores): an identical training is not run again. */
  inputs?: string
}

export async function getScreeningModel(db: Database, projectId: string, stage: Stage) {
  const [row] = await db.select().from(screeningModels).where(and(eq(screeningModels.projectId, projectId), eq(screeningModels.stage, stage)))
  return row ? { ...row, stats: row.stats as ScreeningModelStats } : undefined
}
