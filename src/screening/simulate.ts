/**
 * Screening simulation on a fully labelled dataset, the way ASReview
 * simulates: per seed, draw prior knowledge (1 include + 1 exclude by default),
 * then repeatedly train on every label revealed so far, show the record the
 * model ranks first ("max"), reveal its label, and record the order.
 *
 * - Retraining happens after every record (`retrainEvery: 1`, ASReview's
 *   n_instances = 1). Larger values screen that many top records per training,
 *   to bound the cost on very large datasets.
 * - The simulation stops once every relevant record has been found (ASReview's
 *   "stop_if min"); the records left are appended in the model's last order.
 *   They are all irrelevant, so every metric is the same as with a full run.
 * - Metrics leave the prior records out (see metrics.ts).
 */
import { parse } from 'csv-parse/sync'
import { recordText, type TfidfFeatures } from './features.ts'
import { screeningMetrics, type ScreeningMetrics } from './metrics.ts'
import { CLASSIFIER_NAMES, type ClassifierName, type ClassifierOptions } from './models.ts'
import { buildModelFeatures, createModel, MODEL_PIPELINES, type Pipeline } from './pipelines.ts'
import { createRng } from './random.ts'

export interface SimulationRecord {
  title?: string | null
  abstract?: string | null
  included: boolean
}

export interface SimulationOptions {
  /** A count n (seeds 1..n) or explicit seeds. Default 1. */
  seeds?: number | readonly number[]
  /** The model (pipelines.ts). Default 'nb'. */
  classifier?: ClassifierName
  classifierOptions?: ClassifierOptions
  /** A model of several pipelines: the fusion constant (pipelines.ts ModelOptions.fusionK). */
  fusionK?: number
  /** Features already built for these records by buildModelFeatures for this model (one row per record, same order). */
  features?: readonly TfidfFeatures[]
  priorIncluded?: number
  priorExcluded?: number
  /** Records screened between two trainings. Default 1. */
  retrainEvery?: number
  /** Stop each run once every relevant record is found (metrics unchanged). Default true. */
  stopWhenAllFound?: boolean
  signal?: AbortSignal
  /** Called as each seed's run ends, with its result (e.g. to save it before the next run starts). */
  onRun?: (run: SeedResult) => void
}

export interface SimulationProgress {
  seed: number
  /** 0-based position of this seed in the list of seeds. */
  run: number
  runs: number
  /** Records screened after the priors. */
  screened: number
  /** Records to screen after the priors. */
  total: number
  /** Relevant records found after the priors. */
  found: number
  relevant: number
}

export interface SeedResult {
  seed: number
  /** Dataset indices of the prior-knowledge records. */
  priorIndices: number[]
  /** Dataset indices in screening order (priors excluded), all records. */
  order: number[]
  /** found[i] = relevant records found after screening i + 1 records of `order`. */
  found: number[]
  /** Records actually screened before the run stopped (the rest of `order` is the model's last ranking). */
  screened: number
  trainings: number
  metrics: ScreeningMetrics
  durationMs: number
}

export interface SimulationResult {
  records: number
  relevant: number
  classifier: ClassifierName
  /** The model's pipelines: features, classifier and balance of each. */
  pipelines: readonly Pipeline[]
  /** Records and relevant records that the metrics count (priors excluded). */
  evaluatedRecords: number
  evaluatedRelevant: number
  runs: SeedResult[]
  /** Mean of each metric over the seeds. */
  mean: ScreeningMetrics
  featureMs: number
}

export class SimulationError extends Error {
  override name = 'SimulationError'
}

export async function simulateScreening(
  records: readonly SimulationRecord[],
  options: SimulationOptions = {},
  onProgress?: (progress: SimulationProgress) => void
): Promise<SimulationResult> {
  const seeds = typeof options.seeds === 'number' || options.seeds === undefined
    ? Array.from({ length: options.seeds ?? 1 }, (_, i) => i + 1)
    : [...options.seeds]
  if (seeds.length === 0) throw new SimulationError('at least one seed is needed')
  const priorIncluded = options.priorIncluded ?? 1
  const priorExcluded = options.priorExcluded ?? 1
  const retrainEvery = Math.max(1, Math.floor(options.retrainEvery ?? 1))
  const stopWhenAllFound = options.stopWhenAllFound ?? true
  const classifier = options.classifier ?? 'nb'
  const pipelines = MODEL_PIPELINES[classifier]
  if (!pipelines) throw new SimulationError(`unknown classifier "${classifier}"`)

  const includedIdx: number[] = []
  const excludedIdx: number[] = []
  records.forEach((r, i) => (r.included ? includedIdx : excludedIdx).push(i))
  if (includedIdx.length < priorIncluded + 1) {
    throw new SimulationError(`the dataset has ${includedIdx.length} relevant records; at least ${priorIncluded + 1} are needed (${priorIncluded} as prior knowledge)`)
  }
  if (excludedIdx.length < priorExcluded) throw new SimulationError(`the dataset has ${excludedIdx.length} irrelevant records; ${priorExcluded} are needed as prior knowledge`)

  const featureStart = performance.now()
  const features = options.features ?? buildModelFeatures(records.map(recordText), classifier)
  if (features.length !== pipelines.length || features.some((f) => f.matrix.rows !== records.length)) {
    throw new SimulationError('features do not have one row per record for each of the model\'s pipelines')
  }
  const featureMs = performance.now() - featureStart

  const n = records.length
  const evaluatedRecords = n - priorIncluded - priorExcluded
  const evaluatedRelevant = includedIdx.length - priorIncluded
  const runs: SeedResult[] = []

  for (let run = 0; run < seeds.length; run++) {
    const seed = seeds[run]
    const started = performance.now()
    const priorRng = createRng(seed)
    const priorIndices = [...priorRng.sample(includedIdx, priorIncluded), ...priorRng.sample(excludedIdx, priorExcluded)]
    const model = createModel(classifier, features, { seed, classifierOptions: options.classifierOptions, fusionK: options.fusionK })
    const labelled = priorIndices.map((index) => ({ index, label: records[index].included }))
    const order: number[] = []
    const found: number[] = []
    let foundCount = 0
    let trainings = 0
    while (order.length < evaluatedRecords) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('simulation aborted')
      model.fit(labelled)
      trainings++
      const batch = model.next(Math.min(retrainEvery, evaluatedRecords - order.length))
      for (const index of batch) {
        const included = records[index].included
        labelled.push({ index, label: included })
        order.push(index)
        if (included) foundCount++
        found.push(foundCount)
        onProgress?.({ seed, run, runs: seeds.length, screened: order.length, total: evaluatedRecords, found: foundCount, relevant: evaluatedRelevant })
      }
      if (stopWhenAllFound && foundCount === evaluatedRelevant) break
      // Let other work (an API's requests, progress events) run during long simulations.
      if (trainings % 25 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    const screened = order.length
    if (screened < evaluatedRecords) {
      model.fit(labelled)
      for (const index of model.rank()) {
        order.push(index)
        found.push(foundCount)
      }
    }
    const labels = order.map((index) => (records[index].included ? 1 : 0))
    const result: SeedResult = { seed, priorIndices, order, found, screened, trainings, metrics: screeningMetrics(labels), durationMs: performance.now() - started }
    runs.push(result)
    options.onRun?.(result)
  }

  return {
    records: n,
    relevant: includedIdx.length,
    classifier,
    pipelines,
    evaluatedRecords,
    evaluatedRelevant,
    runs,
    mean: meanMetrics(runs.map((r) => r.metrics)),
    featureMs
  }
}

export function meanMetrics(all: ScreeningMetrics[]): ScreeningMetrics {
  const keys = Object.keys(all[0]) as (keyof ScreeningMetrics)[]
  const mean = {} as ScreeningMetrics
  for (const key of keys) mean[key] = all.reduce((s, m) => s + m[key], 0) / all.length
  return mean
}

/**
 * Reads a labelled screening CSV (ASReview's format): columns `title`,
 * `abstract` and `label_included` (1/0; also accepts true/false, yes/no,
 * include/exclude). Column names are matched case-insensitively; other columns
 * are ignored. Rows without a label (empty, or ASReview's -1) are skipped and counted.
 */
export function parseLabelledCsv(text: string | Buffer): { records: SimulationRecord[], unlabelled: number } {
  const rows = parse(text, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), bom: true, skip_empty_lines: true, relax_column_count: true }) as Record<string, string>[]
  if (rows.length > 0 && !('label_included' in rows[0])) {
    throw new SimulationError('the CSV has no label_included column')
  }
  const records: SimulationRecord[] = []
  let unlabelled = 0
  for (const [i, row] of rows.entries()) {
    const raw = (row.label_included ?? '').trim().toLowerCase()
    if (raw === '' || raw === '-1') { unlabelled++; continue }
    let included: boolean
    if (['1', 'true', 'yes', 'include', 'included'].includes(raw)) included = true
    else if (['0', 'false', 'no', 'exclude', 'excluded'].includes(raw)) included = false
    else throw new SimulationError(`row ${i + 2}: label_included "${row.label_included}" is not 1/0`)
    records.push({ title: row.title ?? '', abstract: row.abstract ?? '', included })
  }
  return { records, unlabelled }
}

/**
 * Seeds as the command line gives them: "5" (seeds 1 to 5), "3..7" (a range,
 * inclusive), or a comma-separated list of seeds and ranges ("1,4..6").
 */
export function parseSeeds(text: string): number[] {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) {
    const count = Number(trimmed)
    if (count < 1) throw new SimulationError(`--seeds must be at least 1 (got "${text}")`)
    return Array.from({ length: count }, (_, i) => i + 1)
  }
  const seeds: number[] = []
  for (const part of trimmed.split(',')) {
    const range = /^(\d+)\.\.(\d+)$/.exec(part.trim())
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])]
      if (to < from) throw new SimulationError(`--seeds range "${part}" ends before it starts`)
      for (let seed = from; seed <= to; seed++) seeds.push(seed)
    } else if (/^\d+$/.test(part.trim())) {
      seeds.push(Number(part))
    } else {
      throw new SimulationError(`--seeds takes a count, a range like 1..15 or a list like 1,3,5..7 (got "${text}")`)
    }
  }
  if (new Set(seeds).size !== seeds.length) throw new SimulationError(`--seeds lists a seed twice ("${text}")`)
  return seeds
}

/** Prior knowledge as "included,excluded" counts, e.g. "1,1" (ASReview's default) or "5,10". */
export function parsePriors(text: string): { priorIncluded: number, priorExcluded: number } {
  const match = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(text)
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new SimulationError(`--priors takes two counts of at least 1, relevant and irrelevant, like 1,1 (got "${text}")`)
  }
  return { priorIncluded: Number(match[1]), priorExcluded: Number(match[2]) }
}

/** Classifier names from a comma-separated list, validated. */
export function parseModels(text: string): ClassifierName[] {
  const names = text.split(',').map((s) => s.trim())
  for (const name of names) {
    if (!(CLASSIFIER_NAMES as readonly string[]).includes(name)) {
      throw new SimulationError(`--model must be one or more of ${CLASSIFIER_NAMES.join(', ')}, comma-separated (got "${name}")`)
    }
  }
  if (new Set(names).size !== names.length) throw new SimulationError(`--model lists a model twice ("${text}")`)
  return names as ClassifierName[]
}
