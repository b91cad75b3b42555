/**
 * Active learning in the service: training the ranking model on a project's
 * decisions (a background task, debounced and coalesced), storing its
 * ranking, proposing the next record to a reviewer, and the stopping signals.
 *
 * Scores: each fit stores one ranking per stage (src/services/screening-ranking.ts);
 * `next`, the screening list and the article list read it from memory.
 */
import { createHash } from 'node:crypto'
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, decisions, projects, screeningModels, tasks } from '../db/schema.ts'
import { recordText } from '../screening/features.ts'
import type { ClassifierName } from '../screening/models.ts'
import { trainingThread } from '../screening/training-thread.ts'
import { estimateRemainingByRecentRate, hypergeometricStoppingSignal, kneeStoppingSignal, recordsSinceLastInclude } from '../screening/stopping.ts'
import stoppingEvidence from '../screening/stopping-evidence.json' with { type: 'json' }
import type { TaskService } from '../tasks/service.ts'
import type { TaskRow } from '../tasks/store.ts'
import { LIST_COLUMNS, toArticleView, type ArticleView } from './articles.ts'
import {
  getScreeningModel, loadStageDecisions, recordStatus, stageCandidates, trainingLabel,
  type DecisionValue, type RecordDecisions, type RecordStatus, type ScreeningModelStats, type Viewer
} from './screening.ts'
import type { ScreeningSettings, Stage } from './screening-settings.ts'
import { getScreeningSettings } from './screening-settings.ts'
import { currentRanking, holdRanking, storeRanking, type Ranking } from './screening-ranking.ts'
import { dropOldest, keepRecent } from './recent.ts'
import { availabilityFor, committedVersion, rankingCommitted, unrelatedChangeCommitted, type Availability } from './screening-availability.ts'

/** A queued training older than this is presumed lost (its delivery failed) and no longer holds the queue slot. */
const PENDING_TTL_MS = 15 * 60_000
const LOCK_NAMESPACE = 724_631
/**
 * Advisory locks (two-key form: namespace, hashtext of `${projectId}:${stage}`): one training of a
 * project and stage at a time, and the storing of its result.
 */
export const TRAINING_LOCK = LOCK_NAMESPACE + 2
export const STORE_LOCK = LOCK_NAMESPACE + 1
/** Succeeded trainings kept per project and stage (older ones are deleted when a new one is queued). */
const KEPT_TRAININGS = 3

/**
 * Queues a retraining unless one is already waiting for this project and
 * stage (a running one does not count: it may have read the decisions before
 * the latest). Returns the new task, or the one that was waiting; concurrent
 * decisions queue at most one. `afterRunning` (a decision's retraining): while
 * a training runs in this process (in-process jobs), the next one is queued
 * when it ends instead of now, off the request's path.
 */
export async function queueTraining(
  deps: { tasks: TaskService }, projectId: string, stage: Stage, createdBy: string | null, { afterRunning = false }: { afterRunning?: boolean } = {}
): Promise<{ task: TaskRow; created: boolean }> {
  return deps.tasks.submitUnlessQueued({ type: 'screening-train', projectId, payload: { stage }, createdBy }, {
    sameAs: { stage }, pendingTtlMs: PENDING_TTL_MS, keepSucceeded: KEPT_TRAININGS
  }, { afterRunning })
}

export interface TrainingSummary {
  stage: Stage
  classifier: ClassifierName
  /** 'model' once an include and an exclude exist; 'prior' when LLM probabilities order the records; else 'random'. */
  mode: 'model' | 'prior' | 'random'
  records: number
  labelled: number
  includes: number
  excludes: number
  maybes: number
  /** Scores written (0 in random mode). */
  scored: number
  featureMs: number
  featuresCached: boolean
  fitMs: number
  totalMs: number
  /** True when a newer training had already stored its result, so this one stored nothing. */
  superseded: boolean
  /** True when the stored fit was given the same model, records, labels and prior scores: nothing was fitted or stored. */
  unchanged: boolean
}

/** The latest LLM probability of inclusion on a record, if any. */
export function llmProbability(record: RecordDecisions | undefined): number | null {
  let best: { at: number; p: number } | undefined
  for (const d of record?.llm ?? []) {
    if (d.probability === null) continue
    if (!best || d.createdAt.getTime() > best.at) best = { at: d.createdAt.getTime(), p: d.probability }
  }
  return best?.p ?? null
}

/**
 * Retrains the stage's model on every label so far (see trainingLabel) and
 * stores its ranking. LLM probabilities order the records until the model can
 * be trained (both an include and an exclude).
 *
 * Coalesced: one training of a project and stage runs at a time (a
 * transaction-scoped advisory lock, whichever process runs it), and one that
 * got the lock while a newer training is already queued leaves the work to
 * that one, which will read the latest labels. So a burst of decisions trains
 * at most twice: the training running when it started, and the last queued.
 */
export async function trainScreeningModel(db: Database, projectId: string, stage: Stage, options: { signal?: AbortSignal; queuedAt?: Date } = {}): Promise<TrainingSummary> {
  return db.transaction(async (lock) => {
    await lock.execute(sql`SELECT pg_advisory_xact_lock(${TRAINING_LOCK}, hashtext(${`${projectId}:${stage}`}))`)
    if (options.queuedAt && await newerTrainingQueued(db, projectId, stage, options.queuedAt)) {
      const settings = await getScreeningSettings(db, projectId)
      return {
        stage, classifier: settings.classifier, mode: 'random', records: 0, labelled: 0, includes: 0, excludes: 0, maybes: 0, scored: 0,
        featureMs: 0, featuresCached: false, fitMs: 0, totalMs: 0, superseded: true, unchanged: false
      }
    }
    return trainOnce(db, projectId, stage, options.signal)
  })
}

/** Whether a training of the project and stage queued after `queuedAt` waits to run. */
async function newerTrainingQueued(db: Database, projectId: string, stage: Stage, queuedAt: Date): Promise<boolean> {
  const [row] = await db.select({ id: tasks.id }).from(tasks).where(and(
    eq(tasks.type, 'screening-train'), eq(tasks.projectId, projectId), eq(tasks.status, 'queued'),
    sql`${tasks.payload} @> ${JSON.stringify({ stage })}::jsonb`, sql`${tasks.createdAt} > ${queuedAt.toISOString()}::timestamptz`
  )).limit(1)
  return row !== undefined
}

async function trainOnce(db: Database, projectId: string, stage: Stage, signal: AbortSignal | undefined): Promise<TrainingSummary> {
  const started = performance.now()
  // Read before the records: records kept under this version are at least as new as it says.
  const [{ snapshotAt, articlesVersion }] = (await db.execute<{ snapshotAt: string; articlesVersion: string }>(sql`
    SELECT clock_timestamp()::text AS "snapshotAt", articles_version::text AS "articlesVersion" FROM ${projects} WHERE id = ${projectId}`)).rows
  const settings = await getScreeningSettings(db, projectId)
  const classifier = settings.classifier
  // Title/abstract: every live record is featurised (the ranking covers them all), which the articles
  // alone decide: the candidates are read only when the thread needs the records. Full text: the
  // stage's candidates (those included at title/abstract), read each time.
  const [byRecord, fullTextIds] = await Promise.all([
    loadStageDecisions(db, projectId, stage),
    stage === 'full_text' ? stageCandidates(db, projectId, stage, settings).then((c) => [...c.ids].sort()) : Promise.resolve(undefined)
  ])
  signal?.throwIfAborted()

  const labels: Array<[string, DecisionValue]> = []
  const priors: Array<[string, number]> = []
  for (const [id, record] of byRecord) {
    const label = trainingLabel(record)
    if (label) labels.push([id, label])
    const p = llmProbability(record)
    if (p !== null) priors.push([id, p])
  }

  // Features, fit, scores and the packed ranking come from the process's training thread: the event
  // loop stays free for requests. The records and texts are read and sent only when the thread does
  // not keep those of this fingerprint.
  const fingerprint = fullTextIds ? `${articlesVersion}:${createHash('sha1').update(fullTextIds.join(',')).digest('base64url')}` : articlesVersion
  // A training asked for after one that read the same decisions (a burst of decisions during a
  // training) would fit the same model again and store the same ranking: it stops here.
  const inputs = createHash('sha1').update(JSON.stringify([classifier, fingerprint, labels, priors])).digest('base64url')
  const stored = await getScreeningModel(db, projectId, stage)
  if (stored?.stats.inputs === inputs) {
    return {
      stage, classifier, mode: stored.stats.mode ?? 'random', records: stored.stats.records ?? 0, labelled: stored.labelled, includes: stored.includes,
      excludes: stored.stats.excludes ?? 0, maybes: stored.stats.maybes ?? 0, scored: 0, featureMs: 0, featuresCached: true, fitMs: 0,
      totalMs: performance.now() - started, superseded: false, unchanged: true
    }
  }
  const request = { key: `${projectId}:${stage}:${classifier}`, fingerprint, classifier, labels, priors }
  const readRecords = async () => {
    const ids = fullTextIds ?? [...(await stageCandidates(db, projectId, stage, settings)).ids].sort()
    return { ids, texts: await recordTexts(db, projectId, ids) }
  }
  const result = await trainingThread().train(request) ?? await trainingThread().train({ ...request, records: await readRecords() })
  const { mode, featureMs, fitMs, featuresCached, records } = result
  signal?.throwIfAborted()

  const stats: ScreeningModelStats = { mode, excludes: result.excludes, maybes: result.maybes, records, featureMs, fitMs, snapshotAt, inputs }
  const labelled = result.includes + result.excludes + result.maybes
  const rankingMode = mode === 'model' ? 'model' : 'prior'
  const saved = await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${STORE_LOCK}, hashtext(${`${projectId}:${stage}`}))`)
    const [existing] = await tx.select({ stats: screeningModels.stats }).from(screeningModels)
      .where(and(eq(screeningModels.projectId, projectId), eq(screeningModels.stage, stage)))
    const previous = (existing?.stats as ScreeningModelStats | undefined)?.snapshotAt
    if (previous && previous > snapshotAt) return null
    const rankingVersion = await storeRanking(tx, projectId, stage, rankingMode, result.ranking)
    const totalMs = performance.now() - started
    const values = { model: classifier, labelled, includes: result.includes, stats: { ...stats, totalMs }, trainedAt: new Date() }
    await tx.insert(screeningModels).values({ projectId, stage, ...values })
      .onConflictDoUpdate({ target: [screeningModels.projectId, screeningModels.stage], set: values })
    return { rankingVersion, version: await committedVersion(tx, projectId) }
  })
  const superseded = saved === null
  if (saved) {
    // This process's readers take the new ranking from here rather than read back the row just written.
    if (saved.rankingVersion !== null && result.ranking) holdRanking(projectId, stage, saved.rankingVersion, rankingMode, result.ranking)
    // No version: no ranking stored or removed, nothing of the project changed.
    if (saved.version !== null) {
      if (stage === 'title_abstract') rankingCommitted(projectId, saved.version, saved.rankingVersion)
      else unrelatedChangeCommitted(projectId, saved.version)
    }
  }
  return {
    stage, classifier, mode, records, labelled, includes: result.includes, excludes: result.excludes, maybes: result.maybes,
    scored: result.ranking?.scores.length ?? 0, featureMs, featuresCached, fitMs, totalMs: performance.now() - started, superseded, unchanged: false
  }
}

/** The title and abstract of each record, in the order of `ids`. */
async function recordTexts(db: Database, projectId: string, ids: readonly string[]): Promise<string[]> {
  const rows = await db.select({ id: articles.id, title: articles.title, abstract: articles.abstract }).from(articles)
    .where(and(eq(articles.projectId, projectId), sql`${articles.id} = ANY(${sql.param(ids)}::uuid[])`))
  const textOf = new Map(rows.map((r) => [r.id, recordText(r)]))
  return ids.map((id) => textOf.get(id) ?? '')
}

/** FNV-1a of the seed and the record id: the seeded random order before any score exists. */
function seededKey(seed: number, id: string): number {
  let h = 0x811c9dc5 ^ seed
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export interface NextRecord {
  article: (ArticleView & { status: RecordStatus }) | null
  /** What put it first: the trained model, an LLM's probability of inclusion, or the seeded random order. */
  rankedBy: 'model' | 'llm' | 'random' | null
  score: number | null
  /** Records still available to this reviewer at this stage (including the one returned). */
  remaining: number
  /** The records after this one in the same order (`count` − 1 at most), for the client to prefetch. */
  following: Array<ArticleView & { status: RecordStatus }>
}

/**
 * The most relevant record of the stage that the viewer has not screened and
 * that still needs a reviewer (fewer human decisions than reviewersPerRecord,
 * no resolution). Order: the model's score once trained; before that, an LLM
 * probability when one exists; then a random order fixed by `seed`.
 */
export async function nextRecord(
  db: Database, project: { id: string; dataVersion: number; articlesVersion: number }, settings: ScreeningSettings, viewer: Viewer, stage: Stage, seed: number, count = 1
): Promise<NextRecord> {
  const projectId = project.id
  let ranking: Ranking | undefined
  if (stage === 'title_abstract') {
    const availability = await availabilityFor(db, project, viewer.userId, settings.reviewersPerRecord)
    ranking = await currentRanking(db, projectId, stage, availability.rankingVersion)
    // The model's order; before any training and any LLM suggestion, the seeded random order.
    const queued = ranking?.mode === 'model'
      ? await rankedQueue(db, project, { ...ranking, by: 'model' }, availability, count)
      : ranking || availability.suggested ? undefined : await rankedQueue(db, project, await randomOrder(db, project, seed), availability, count)
    if (queued) return queued
  } else {
    ranking = await currentRanking(db, projectId, stage)
  }
  const [candidates, byRecord] = await Promise.all([
    stageCandidates(db, projectId, stage, settings),
    loadStageDecisions(db, projectId, stage)
  ])
  const modelScore = (id: string): number | null => ranking?.mode === 'model' ? ranking.scoreOf(id) : null
  let best: { id: string; score: number | null; by: 'model' | 'llm' | 'random'; key: number } | undefined
  let remaining = 0
  for (const id of candidates.ids) {
    const record = byRecord.get(id)
    if (record) {
      if (record.resolution) continue
      if (record.human.some((d) => d.reviewerId === viewer.userId)) continue
      if (record.human.length >= settings.reviewersPerRecord) continue
    }
    remaining++
    let score = modelScore(id)
    let by: 'model' | 'llm' | 'random' = 'model'
    if (score === null) {
      score = llmProbability(record)
      by = score === null ? 'random' : 'llm'
    }
    // Scored records first (model, then LLM), highest score first; ties and unscored records in the seeded order.
    const tier = by === 'model' ? 2 : by === 'llm' ? 1 : 0
    const bestTier = best ? (best.by === 'model' ? 2 : best.by === 'llm' ? 1 : 0) : -1
    if (best && tier < bestTier) continue
    if (best && tier === bestTier && score !== null && best.score !== null && score < best.score) continue
    const key = seededKey(seed, id)
    if (best && tier === bestTier && score === best.score && key >= best.key) continue
    best = { id, score, by, key }
  }
  if (!best) return { article: null, rankedBy: null, score: null, remaining: 0, following: [] }
  const [row] = await db.select(LIST_COLUMNS).from(articles).where(eq(articles.id, best.id))
  // An article's relevance is the title/abstract model's score, at either stage (as in the article list).
  const relevance = (stage === 'title_abstract' ? ranking : await currentRanking(db, projectId, 'title_abstract'))?.scoreOf(best.id) ?? null
  return {
    article: { ...toArticleView(row, relevance), status: recordStatus(byRecord.get(best.id), settings.reviewersPerRecord) },
    rankedBy: best.by, score: best.score, remaining, following: []
  }
}

/**
 * The next `count` records in the stored ranking of the trained title/abstract
 * model, held in memory, skipping the records no longer available to the viewer
 * (`availability`, as of the project's data version of this request: a decision
 * made after the fit is never proposed again); what is read is the rows
 * proposed. Undefined when no ranked record is available but some record is
 * (added after the fit): the full ordering (LLM, then seeded random) decides then.
 */
async function rankedQueue(db: Database, project: { id: string; articlesVersion: number }, ranking: QueueOrder, availability: Availability, count: number): Promise<NextRecord | undefined> {
  const { remaining } = availability
  if (remaining <= 0) return { article: null, rankedBy: null, score: null, remaining: 0, following: [] }
  const views: Array<ArticleView & { status: RecordStatus }> = []
  let scoreOfFirst: number | null = null
  // Walk the order from the top; a ranked record deleted or merged as a duplicate since the fit is not live: skipped.
  for (let rank = 0; rank < ranking.size && views.length < count;) {
    const batch: Array<{ id: string; score: number | null }> = []
    for (; rank < ranking.size && batch.length < count + 8; rank++) {
      const id = ranking.idAt(rank)
      if (availability.isAvailable(id)) batch.push({ id, score: ranking.scoreAt(rank) })
    }
    if (batch.length === 0) break
    // When a read is needed anyway, the available records ranked after the batch come with it: the
    // next proposals (also after a retraining, which mostly reorders the same top records) then cost no read.
    const ahead = () => {
      const ids: string[] = []
      for (let r = rank; r < ranking.size && ids.length < READ_AHEAD; r++) {
        const id = ranking.idAt(r)
        if (availability.isAvailable(id)) ids.push(id)
      }
      return ids
    }
    const byId = await recordRows(db, project, batch.map((b) => b.id), ahead)
    for (const { id, score } of batch) {
      const row = byId.get(id)
      if (!row || views.length >= count) continue
      if (views.length === 0) scoreOfFirst = score
      views.push({ ...toArticleView(row, score), status: availability.status(id) })
    }
  }
  if (views.length === 0) return undefined
  return { article: views[0], rankedBy: ranking.by, score: scoreOfFirst, remaining, following: views.slice(1) }
}

type RecordRow = Awaited<ReturnType<typeof readRecordRows>>[number]
/** Rows `next` showed, by project, for one articles version each (undefined: read; null: not live). */
const shownRows = new Map<string, { articlesVersion: number; rows: Map<string, RecordRow | null> }>()
const SHOWN_ROWS = 4096
/** Statements that read records for `next` so far (what the rows held saved is visible in tests). */
export const recordRowReads = { count: 0 }
/** Records read ahead of the ones `next` shows, when it must read some. */
const READ_AHEAD = 32

/** The columns a record view shows (not the original record, often many times larger) of live records. */
function readRecordRows(db: Database, projectId: string, ids: readonly string[]) {
  return db.select(LIST_COLUMNS).from(articles)
    .where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf), sql`${articles.id} = ANY(${sql.param(ids)}::uuid[])`))
}

/**
 * The live records among `ids`, from memory when this process read them at the project's articles
 * version (they change only with it): in a screening session the records proposed next were
 * mostly read with the previous proposal.
 */
async function recordRows(
  db: Database, project: { id: string; articlesVersion: number }, ids: readonly string[], ahead: () => readonly string[] = () => []
): Promise<Map<string, RecordRow>> {
  const version = Number(project.articlesVersion)
  let held = shownRows.get(project.id)
  if (!held || held.articlesVersion !== version) {
    held = keepRecent(shownRows, project.id, { articlesVersion: version, rows: new Map<string, RecordRow | null>() }, 16)
  }
  const missing = ids.filter((id) => !held.rows.has(id))
  if (missing.length > 0) {
    for (const id of ahead()) if (!held.rows.has(id) && !missing.includes(id)) missing.push(id)
    recordRowReads.count++
    const read = new Map((await readRecordRows(db, project.id, missing)).map((r) => [r.id, r]))
    for (const id of missing) held.rows.set(id, read.get(id) ?? null)
    dropOldest(held.rows, SHOWN_ROWS)
  }
  const out = new Map<string, RecordRow>()
  for (const id of ids) {
    const row = held.rows.get(id)
    if (row) out.set(id, row)
  }
  return out
}

/** An order of records that `next` walks: the model's ranking, or the seeded random order (no scores). */
interface QueueOrder {
  by: 'model' | 'random'
  size: number
  idAt(rank: number): string
  scoreAt(rank: number): number | null
}

/** Seeded random orders of live records, by project (one articles version and seed held each). */
const randomOrders = new Map<string, { articlesVersion: number; seed: number; ids: string[] }>()

/**
 * The live records in the seeded random order (seededKey ascending), held in memory per project
 * for its articles version (`projects.articles_version`, bumped by every change to its articles):
 * before the first training, `next` walks it like a ranking.
 */
async function randomOrder(db: Database, project: { id: string; articlesVersion: number }, seed: number): Promise<QueueOrder> {
  let held = randomOrders.get(project.id)
  if (!held || held.articlesVersion !== Number(project.articlesVersion) || held.seed !== seed) {
    // The version is read with the ids, so what is held is labelled with the version it is.
    const { rows } = await db.execute<{ id: string; articles_version: string }>(sql`
      SELECT a.id, p.articles_version FROM ${projects} p JOIN ${articles} a ON a.project_id = p.id AND a.duplicate_of IS NULL WHERE p.id = ${project.id}`)
    const keys = new Map(rows.map((r) => [r.id, seededKey(seed, r.id)]))
    const ids = rows.map((r) => r.id).sort((a, b) => keys.get(a)! - keys.get(b)! || (a < b ? -1 : 1))
    held = keepRecent(randomOrders, project.id, { articlesVersion: rows.length > 0 ? Number(rows[0].articles_version) : -1, seed, ids }, 16)
  }
  const { ids } = held
  return { by: 'random', size: ids.length, idAt: (rank) => ids[rank], scoreAt: () => null }
}

/** For stopping rules: a record anyone wanted to include counts as a hit, unless a resolution said otherwise. */
function stoppingLabel(record: RecordDecisions | undefined): DecisionValue {
  if (record?.resolution) return record.resolution.decision
  if (record?.human.some((d) => d.decision === 'include')) return 'include'
  return record?.human[0]?.decision ?? 'exclude'
}

/**
 * The gain curve (includes found vs records screened, in screening order) as
 * at most `points` + 1 [screened, includes] pairs, always with the last one.
 */
export function gainCurve(sequence: readonly string[], points = 200): Array<[number, number]> {
  const step = Math.max(1, Math.ceil(sequence.length / points))
  const curve: Array<[number, number]> = [[0, 0]]
  let found = 0
  sequence.forEach((d, i) => {
    if (d === 'include') found++
    if ((i + 1) % step === 0 || i + 1 === sequence.length) curve.push([i + 1, found])
  })
  return curve
}

const finite = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : n)

/**
 * Progress and stopping signals of a stage. The screening sequence is the
 * records in the order they were first decided by a human (or resolver).
 */
export async function screeningStats(db: Database, projectId: string, settings: ScreeningSettings, stage: Stage) {
  const [candidates, byRecord, model, firstDecided] = await Promise.all([
    stageCandidates(db, projectId, stage, settings),
    loadStageDecisions(db, projectId, stage),
    getScreeningModel(db, projectId, stage),
    db.execute<{ record_id: string }>(sql`
      SELECT coalesce(a.duplicate_of, a.id) AS record_id FROM ${decisions} d JOIN ${articles} a ON a.id = d.article_id
      WHERE d.project_id = ${projectId} AND d.stage = ${stage} AND d.source IN ('human', 'resolution')
      GROUP BY 1 ORDER BY min(d.created_at), 1`)
  ])
  const inStage = new Set(candidates.ids)
  const statusCounts: Record<RecordStatus, number> = { awaiting: 0, conflict: 0, included: 0, excluded: 0, maybe: 0 }
  for (const id of candidates.ids) statusCounts[recordStatus(byRecord.get(id), settings.reviewersPerRecord)]++
  const sequence = firstDecided.rows.filter((r) => inStage.has(r.record_id)).map((r) => stoppingLabel(byRecord.get(r.record_id)))
  const unscreened = candidates.ids.length - sequence.length
  const recent = estimateRemainingByRecentRate(sequence, unscreened, 100)
  const knee = kneeStoppingSignal(sequence)
  const hypergeometric = hypergeometricStoppingSignal(sequence, candidates.ids.length)
  return {
    stage,
    records: candidates.ids.length,
    screened: sequence.length,
    unscreened,
    statusCounts,
    includesFound: sequence.filter((d) => d === 'include').length,
    sinceLastInclude: recordsSinceLastInclude(sequence),
    remainingRelevant: { method: recent.method, estimate: finite(recent.estimate), upper: finite(recent.upper), assumptions: recent.assumptions },
    knee: { ...knee, slopeRatio: finite(knee.slopeRatio) },
    gain: gainCurve(sequence),
    // The default stopping rule, and the simulation evidence for it and for the other signals (scripts/evaluate-models.ts).
    hypergeometric: { ...hypergeometric, pValue: finite(hypergeometric.pValue), default: true },
    stoppingEvidence,
    model: model
      ? { classifier: model.model, mode: model.stats.mode ?? null, labelled: model.labelled, includes: model.includes, trainedAt: model.trainedAt.toISOString() }
      : null
  }
}
