/**
 * Screening simulation as a task: replays active-learning screening on
 * records whose labels are known (ASReview's protocol, src/screening/simulate.ts)
 * and reports the same metrics as `npm run simulate`: WSS@95, WSS@100, RRF@10,
 * ATD, and recall curves.
 *
 * Records and labels: the project's records with the labels their imports
 * brought (decisions of source 'import', e.g. an ASReview CSV's
 * label_included), or the project's own title/abstract screening outcome;
 * optionally only the records of one import batch.
 */
import { Type, type Static } from '@sinclair/typebox'
import { Classifier } from '../http/schemas/screening.ts'
import { and, desc, eq, inArray, isNull } from 'drizzle-orm'
import { articles, decisions } from '../db/schema.ts'
import { simulateScreening, SimulationError, type SimulationRecord } from '../screening/simulate.ts'
import { loadStageDecisions, trainingLabel } from '../services/screening.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export const SimulationPayload = Type.Object({
  /** Only the records of this import batch (each with its own label). */
  batchId: Type.Optional(Type.String()),
  /** 'import': labels brought by imports (default); 'screening': the title/abstract decisions made in the project. */
  labels: Type.Optional(Type.Union([Type.Literal('import'), Type.Literal('screening')])),
  seeds: Type.Optional(Type.Integer({ minimum: 1 })),
  classifier: Type.Optional(Classifier),
  retrainEvery: Type.Optional(Type.Integer({ minimum: 1 }))
})
export type SimulationPayload = Static<typeof SimulationPayload>

const CURVE_POINTS = 200

/** At most CURVE_POINTS + 1 points [records screened, relevant found] of a run, always with the first and last. */
export function recallCurvePoints(found: readonly number[]): Array<[number, number]> {
  const n = found.length
  const step = Math.max(1, Math.ceil(n / CURVE_POINTS))
  const points: Array<[number, number]> = [[0, 0]]
  for (let i = step; i < n; i += step) points.push([i, found[i - 1]])
  if (n > 0) points.push([n, found[n - 1]])
  return points
}

export async function screeningSimulation(ctx: JobContext, payload: SimulationPayload) {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('simulation task has no project')
  const labelSource = payload.labels ?? 'import'

  let rows: Array<{ id: string; title: string; abstract: string }>
  const labels = new Map<string, 'include' | 'exclude' | 'maybe'>()
  if (payload.batchId) {
    rows = await ctx.db.select({ id: articles.id, title: articles.title, abstract: articles.abstract }).from(articles)
      .where(and(eq(articles.projectId, projectId), eq(articles.batchId, payload.batchId))).orderBy(articles.sourceIndex)
  } else {
    rows = await ctx.db.select({ id: articles.id, title: articles.title, abstract: articles.abstract }).from(articles)
      .where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf))).orderBy(articles.createdAt, articles.sourceIndex)
  }
  if (labelSource === 'import' && payload.batchId) {
    // Each record of the batch with its own imported label (duplicates of earlier records included).
    for (let i = 0; i < rows.length; i += 5000) {
      const ids = rows.slice(i, i + 5000).map((r) => r.id)
      const found = await ctx.db.selectDistinctOn([decisions.articleId], { articleId: decisions.articleId, decision: decisions.decision }).from(decisions)
        .where(and(inArray(decisions.articleId, ids), eq(decisions.stage, 'title_abstract'), eq(decisions.source, 'import')))
        .orderBy(decisions.articleId, desc(decisions.createdAt))
      for (const f of found) labels.set(f.articleId, f.decision)
    }
  } else {
    const byRecord = await loadStageDecisions(ctx.db, projectId, 'title_abstract')
    for (const row of rows) {
      const record = byRecord.get(row.id)
      const label = labelSource === 'import' ? record?.imported?.decision : trainingLabel(record)
      if (label) labels.set(row.id, label)
    }
  }

  const records: SimulationRecord[] = []
  let unlabelled = 0
  let maybe = 0
  for (const row of rows) {
    const label = labels.get(row.id)
    if (!label) { unlabelled++; continue }
    if (label === 'maybe') { maybe++; continue }
    records.push({ title: row.title, abstract: row.abstract, included: label === 'include' })
  }
  if (records.length === 0) {
    throw new TaskError(labelSource === 'import'
      ? 'no record has an imported label: import a file with labels (e.g. an ASReview CSV with label_included), or simulate on the project\'s screening decisions with labels: "screening"'
      : 'no record has a title/abstract decision yet')
  }

  await ctx.progress(0.02, `simulating on ${records.length} labelled records`)
  let lastFraction = 0
  let result
  try {
    result = await simulateScreening(records, {
      seeds: payload.seeds ?? 1, classifier: payload.classifier ?? 'nb', retrainEvery: payload.retrainEvery ?? 1, signal: ctx.signal
    }, (p) => {
      const fraction = 0.02 + 0.97 * ((p.run + p.found / Math.max(1, p.relevant)) / p.runs)
      if (fraction - lastFraction < 0.01) return
      lastFraction = fraction
      // Throttled by the runner; a cancellation aborts ctx.signal, which stops the simulation.
      ctx.progress(fraction, `seed ${p.seed}: ${p.screened}/${p.total} screened, ${p.found}/${p.relevant} relevant found`).catch(() => {})
    })
  } catch (error) {
    if (error instanceof SimulationError) throw new TaskError(error.message)
    throw error
  }
  return {
    source: { batchId: payload.batchId ?? null, labels: labelSource },
    records: result.records,
    relevant: result.relevant,
    skipped: { unlabelled, maybe },
    classifier: result.classifier,
    pipelines: result.pipelines,
    evaluatedRecords: result.evaluatedRecords,
    evaluatedRelevant: result.evaluatedRelevant,
    /** Fractions (0.831 = 83.1%), mean over the seeds. */
    mean: result.mean,
    runs: result.runs.map((run) => ({
      seed: run.seed, metrics: run.metrics, screened: run.screened, trainings: run.trainings, durationMs: run.durationMs,
      recallCurve: recallCurvePoints(run.found)
    })),
    featureMs: result.featureMs
  }
}
