/**
 * Active learning for title/abstract screening: retrain a classifier on the
 * decisions made so far and put the most-likely-relevant unscreened record
 * first ("max" query strategy, ASReview's default).
 *
 * Before both an include and an exclude exist no classifier can be trained;
 * the order is then the prior scores when given (e.g. an LLM's probability of
 * inclusion), otherwise a random order fixed by the seed.
 */
import { buildTfidf, recordText, type SparseMatrix, type TfidfFeatures, type TfidfOptions } from './features.ts'
import {
  balancedWeights, createClassifier, createRanker, descendingPositions, doubleBalance, sigmoid, unbalanced,
  type BalanceStrategy, type BaseClassifierName, type Classifier, type DoubleBalanceParameters,
  type ClassifierOptions
} from './models.ts'
import { createRng, randomPermutation } from './random.ts'

/** A screening decision as the model accepts it; 1/true mean include, 0/false exclude. */
export type LabelValue = 'include' | 'exclude' | 'maybe' | 0 | 1 | boolean

export interface LabelledRecord {
  /** Row of the record in the feature matrix (its position in the dataset). */
  index: number
  label: LabelValue
}

export type RankingMode = 'model' | 'prior' | 'random'

export interface ScreeningModelOptions {
  /** Seeds the random order before training and the resampling of double balance. */
  seed: number
  /** Precomputed features: compute them once per dataset and reuse them (buildTfidf). */
  features?: TfidfFeatures | SparseMatrix
  /** Alternatively the records' texts (title + abstract, see recordText), vectorised here. */
  texts?: readonly string[]
  featureOptions?: TfidfOptions
  /** Default 'nb' (multinomial naive Bayes, alpha 3.822, as ASReview's default). Models of several pipelines: pipelines.ts. */
  classifier?: BaseClassifierName
  classifierOptions?: ClassifierOptions
  /** Default 'double' (ASReview's default). */
  balance?: BalanceStrategy
  balanceParameters?: DoubleBalanceParameters
  /** For balance 'balanced': total weight of excludes over includes (see balancedWeights). Default 1. */
  balanceRatio?: number
  /**
   * Relevance known before any training, one per record (e.g. an LLM's
   * probability of inclusion); null, undefined or NaN where unknown. Used for
   * the order until the model can be trained; records without a prior score
   * come after those with one.
   */
  priorScores?: ArrayLike<number | null | undefined>
  /** How "maybe" decisions train the model: ignored (default) or counted as includes. */
  maybeAs?: 'ignore' | 'include'
}

export interface FitSummary {
  mode: RankingMode
  includes: number
  excludes: number
  maybes: number
  /** Distinct records the classifier was trained on (0 when no training happened). */
  trainingRecords: number
  durationMs: number
}

export interface ScreeningModel {
  /** Number of records (rows of the feature matrix). */
  readonly size: number
  readonly features: SparseMatrix
  /** How the current order is made: 'model' once trained, else 'prior' or 'random'. */
  readonly mode: RankingMode
  /**
   * Takes all decisions made so far (not only new ones) and retrains when both
   * an include and an exclude are among them. Later entries for the same
   * index replace earlier ones.
   */
  fit(labelled: readonly LabelledRecord[]): FitSummary
  /**
   * One relevance score per record, labelled or not:
   * - mode 'model': the classifier's probability of inclusion (0..1);
   * - mode 'prior': the prior score (NaN where none was given);
   * - mode 'random': 1 − position/size in the seeded random order (carries no information).
   */
  scoreAll(): Float64Array
  /**
   * The classifier's decision values (log-odds of inclusion, larger = more
   * relevant) for every record, or null before the first training. Unlike
   * probabilities they do not tie at 0 or 1, so sort by these.
   */
  decisionValues(): Float64Array | null
  /**
   * decisionValues() of the records not labelled in the last fit only (the others NaN), or null
   * before the first training: what rank() and next() need, and cheaper once many records are
   * labelled. Optional: a model without it is asked for decisionValues().
   */
  unlabelledDecisionValues?(): Float64Array | null
  /** Indices of the records not labelled in the last fit, most relevant first ("max" query). */
  rank(): Int32Array
  /** The first `count` records of rank() (default 1), computed without sorting everything. */
  next(count?: number): number[]
}

/** Normalises the accepted label forms to include / exclude / maybe. */
export function labelDecision(label: LabelValue): 'include' | 'exclude' | 'maybe' {
  if (label === 1 || label === true || label === 'include') return 'include'
  if (label === 0 || label === false || label === 'exclude') return 'exclude'
  if (label === 'maybe') return 'maybe'
  throw new RangeError(`unknown screening label ${JSON.stringify(label)}`)
}

const DECISION_CODE = { include: 1, exclude: 0, maybe: 2 } as const

export function createScreeningModel(options: ScreeningModelOptions): ScreeningModel {
  const matrix = resolveFeatures(options)
  const size = matrix.rows
  const classifierName = options.classifier ?? 'nb'
  const balance = options.balance ?? 'double'
  const maybeAs = options.maybeAs ?? 'ignore'
  const classifier: Classifier = createClassifier(classifierName, matrix, options.classifierOptions)
  // Separate streams so the random order does not depend on how many fits happened.
  const ordering = createOrdering(size, options.seed)
  const { tieBreak } = ordering
  const balanceRng = createRng(options.seed + 0x9e3779b9)

  const prior = options.priorScores ? readPrior(options.priorScores, size) : null
  let mode: RankingMode = prior ? 'prior' : 'random'
  let labelled = new Uint8Array(size)
  // The classifier's decision values, computed when first needed after a fit: for every record,
  // or (for next()) only the unlabelled ones, `complete` saying which.
  let decisions: Float64Array | null = null
  let complete = false
  const allDecisions = (): Float64Array => {
    if (!decisions || !complete) {
      decisions = classifier.decisionValues()
      complete = true
    }
    return decisions
  }
  const unlabelledDecisions = (): Float64Array => {
    if (decisions) return decisions
    const rows: number[] = []
    for (let i = 0; i < size; i++) if (!labelled[i]) rows.push(i)
    const values = classifier.decisionValues(rows)
    decisions = new Float64Array(size).fill(NaN)
    for (let k = 0; k < rows.length; k++) decisions[rows[k]] = values[k]
    return decisions
  }

  /** Sort key, larger first: decision value, prior score, or random position. */
  const key = (): Float64Array => {
    if (mode === 'model') return unlabelledDecisions()
    const out = new Float64Array(size)
    for (let i = 0; i < size; i++) {
      if (mode === 'prior' && !Number.isNaN(prior![i])) out[i] = prior![i]
      else out[i] = mode === 'prior' ? -Infinity : -tieBreak[i]
    }
    return out
  }
  return {
    size,
    features: matrix,
    get mode() { return mode },
    fit(records) {
      const started = performance.now()
      // Latest decision per record (later entries replace earlier ones): 1 include, 0 exclude, 2 maybe.
      const latest = new Int8Array(size).fill(-1)
      for (const { index, label } of records) {
        if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`record index ${index} is outside 0..${size - 1}`)
        latest[index] = DECISION_CODE[labelDecision(label)]
      }
      labelled = new Uint8Array(size)
      // Collected in index order: a deterministic training order whatever order the caller listed decisions in.
      const includeRows: number[] = []
      const excludeRows: number[] = []
      let maybes = 0
      for (let index = 0; index < size; index++) {
        const decision = latest[index]
        if (decision < 0) continue
        labelled[index] = 1
        if (decision === 1) includeRows.push(index)
        else if (decision === 0) excludeRows.push(index)
        else {
          maybes++
          if (maybeAs === 'include') includeRows.push(index)
        }
      }
      let trainingRecords = 0
      if (includeRows.length > 0 && excludeRows.length > 0) {
        const training = balance === 'double'
          ? doubleBalance(includeRows, excludeRows, balanceRng, options.balanceParameters)
          : balance === 'balanced'
            ? balancedWeights(includeRows, excludeRows, options.balanceRatio)
            : unbalanced(includeRows, excludeRows)
        classifier.fit(training)
        decisions = null
        complete = false
        trainingRecords = training.rows.length
        mode = 'model'
      } else {
        decisions = null
        mode = prior ? 'prior' : 'random'
      }
      return {
        mode,
        includes: includeRows.length - (maybeAs === 'include' ? maybes : 0),
        excludes: excludeRows.length,
        maybes,
        trainingRecords,
        durationMs: performance.now() - started
      }
    },
    scoreAll() {
      if (mode === 'model') return allDecisions().map(sigmoid)
      if (mode === 'prior') return Float64Array.from(prior!)
      const out = new Float64Array(size)
      for (let i = 0; i < size; i++) out[i] = 1 - tieBreak[i] / size
      return out
    },
    decisionValues() {
      return mode === 'model' ? Float64Array.from(allDecisions()) : null
    },
    unlabelledDecisionValues() {
      return mode === 'model' ? Float64Array.from(unlabelledDecisions()) : null
    },
    rank() {
      return ordering.rank(key(), labelled)
    },
    next(count = 1) {
      return ordering.next(key(), labelled, count)
    }
  }
}

/**
 * Several screening models (pipelines with their own features, classifier and balance, trained on
 * the same decisions) fused by reciprocal-rank fusion (Cormack, Clarke & Büttcher 2009): an
 * unlabelled record scores Σ_m 1 / (k + rank_m), rank_m being its 1-based position among the
 * unlabelled records when ordered by model m (ties by index); k is 60 unless given (the ensemble's
 * is chosen in pipelines.ts). Scale-free, so models whose decision values live on different scales
 * (naive Bayes log-odds, SVM margins) weigh the same. A small k lets a record that one member puts
 * near the top come early; a k large next to the number of records approaches the sum of ranks, so
 * records that every member ranks fairly high come first. A labelled record (never proposed) is
 * placed by the count of unlabelled records each member ranks above it, so that every record has a
 * value to store and display. The fused decision value is log(sum / best possible sum) × 10: 0 for a
 * record every member ranks first, comparable across fits (not a log-odds). Its score (scoreAll) is
 * the sum placed between the worst and the best possible, in [0, 1]: 1 for a record every member
 * ranks first, 0 for one every member ranks last; with a k large next to the number of records, about
 * the share of the other records the members rank below it, on average (not a probability). Before
 * the members can train, the order is the first member's (prior scores or the seeded random order, as
 * for one model).
 */
export function fuseScreeningModels(members: readonly ScreeningModel[], options: { seed: number; k?: number }): ScreeningModel {
  if (members.length === 0) throw new RangeError('an ensemble needs at least one model')
  const [first] = members
  const size = first.size
  const k = options.k ?? 60
  const ordering = createOrdering(size, options.seed)
  const ranker = createRanker(size)
  let labelled = new Uint8Array(size)
  let unlabelledRows = new Int32Array(0)
  let fused: Float64Array | null = null
  let fusedUnlabelled: Float64Array | null = null
  const top = members.length / (k + 1)

  const memberValues = new Float64Array(size)
  const memberRanks = new Float64Array(size)
  /**
   * Adds 1 / (k + rank) to `sums` (one per unlabelled record, in index order) for each unlabelled
   * record ranked among the unlabelled ones by `values` (ties by index); returns their values.
   */
  const addUnlabelledRanks = (values: Float64Array, sums: Float64Array): Float64Array => {
    const count = unlabelledRows.length
    const unlabelled = memberValues.subarray(0, count)
    const ranks = memberRanks.subarray(0, count)
    for (let j = 0; j < count; j++) unlabelled[j] = values[unlabelledRows[j]]
    ranker.ranks(unlabelled, ranks)
    for (let j = 0; j < count; j++) sums[j] += 1 / (k + ranks[j])
    return unlabelled
  }
  /**
   * The fused values: `placeLabelled` also places the labelled records among the unlabelled (for
   * scores); without it they are -Infinity, and each member is asked for its values of the
   * unlabelled records alone — all that next() and rank() need, after every fit of a simulation,
   * when most records may be labelled.
   */
  const fuse = (placeLabelled: boolean): Float64Array => {
    const sum = new Float64Array(size).fill(placeLabelled ? 0 : -Infinity)
    const sums = new Float64Array(unlabelledRows.length)
    for (const member of members) {
      const values = placeLabelled ? member.decisionValues()! : member.unlabelledDecisionValues?.() ?? member.decisionValues()!
      const unlabelled = addUnlabelledRanks(values, sums)
      if (!placeLabelled) continue
      const ascending = unlabelled.slice().sort()
      for (let i = 0; i < size; i++) {
        // Labelled: 1 + the unlabelled records this member ranks above it.
        if (labelled[i]) sum[i] += 1 / (k + 1 + ascending.length - upperBound(ascending, values[i]))
      }
    }
    for (let j = 0; j < unlabelledRows.length; j++) sum[unlabelledRows[j]] = sums[j]
    for (let i = 0; i < size; i++) if (placeLabelled || !labelled[i]) sum[i] = Math.log(sum[i] / top) * 10
    return sum
  }
  const current = (): Float64Array => (fused ??= fuse(true))
  const ordered = (): Float64Array => (fusedUnlabelled ??= fuse(false))

  return {
    size,
    features: first.features,
    get mode() { return first.mode },
    fit(records) {
      const started = performance.now()
      let summary: FitSummary | undefined
      for (const member of members) summary = member.fit(records)
      labelled = new Uint8Array(size)
      for (const { index } of records) labelled[index] = 1
      const rows: number[] = []
      for (let i = 0; i < size; i++) if (!labelled[i]) rows.push(i)
      unlabelledRows = Int32Array.from(rows)
      fused = null
      fusedUnlabelled = null
      return { ...summary!, durationMs: performance.now() - started }
    },
    scoreAll() {
      if (first.mode !== 'model') return first.scoreAll()
      // No rank is beyond the number of records (a labelled record comes after at most every unlabelled one).
      const bottom = members.length / (k + size)
      return current().map((v) => (top === bottom ? 1 : Math.min(1, Math.max(0, (Math.exp(v / 10) * top - bottom) / (top - bottom)))))
    },
    decisionValues() {
      return first.mode === 'model' ? Float64Array.from(current()) : null
    },
    rank() {
      return first.mode === 'model' ? ordering.rank(ordered(), labelled) : first.rank()
    },
    next(count = 1) {
      return first.mode === 'model' ? ordering.next(ordered(), labelled, count) : first.next(count)
    }
  }
}

/** The number of values ≤ v in an ascending array (its insertion point after equal values). */
function upperBound(ascending: Float64Array, v: number): number {
  let low = 0
  let high = ascending.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (ascending[middle] <= v) low = middle + 1
    else high = middle
  }
  return low
}

/**
 * Orders unlabelled records by a key, larger first, ties in a seeded random order (the same
 * permutation for a given seed and size, so tied records keep their order across fits).
 */
function createOrdering(size: number, seed: number) {
  const permutation = randomPermutation(size, createRng(seed))
  // tieBreak[i]: position of record i in the seeded random order; ties in any score follow it.
  const tieBreak = new Int32Array(size)
  for (let p = 0; p < size; p++) tieBreak[permutation[p]] = p
  const before = (scores: Float64Array, a: number, b: number) =>
    scores[a] !== scores[b] ? scores[a] > scores[b] : tieBreak[a] < tieBreak[b]
  return {
    tieBreak,
    /** Every unlabelled record, first to last. */
    rank(scores: Float64Array, labelled: Uint8Array): Int32Array {
      // Unlabelled records in tie-break order, placed by their score without a comparator sort.
      const rows: number[] = []
      for (let p = 0; p < size; p++) if (!labelled[permutation[p]]) rows.push(permutation[p])
      const keys = new Float64Array(rows.length)
      for (let k = 0; k < rows.length; k++) keys[k] = scores[rows[k]]
      const positions = new Int32Array(rows.length)
      const order = new Int32Array(rows.length)
      if (descendingPositions(keys, positions)) {
        for (let k = 0; k < rows.length; k++) order[positions[k]] = rows[k]
        return order
      }
      const candidates: number[] = []
      for (let i = 0; i < size; i++) if (!labelled[i]) candidates.push(i)
      candidates.sort((a, b) => (before(scores, a, b) ? -1 : 1))
      return Int32Array.from(candidates)
    },
    /** The first `count` unlabelled records, without sorting them all. */
    next(scores: Float64Array, labelled: Uint8Array, count: number): number[] {
      // Partial selection: keep the best `count` in a small sorted buffer.
      const best: number[] = []
      for (let i = 0; i < size; i++) {
        if (labelled[i]) continue
        if (best.length === count && !before(scores, i, best[best.length - 1])) continue
        let position = best.length
        while (position > 0 && before(scores, i, best[position - 1])) position--
        best.splice(position, 0, i)
        if (best.length > count) best.pop()
      }
      return best
    }
  }
}

function resolveFeatures(options: ScreeningModelOptions): SparseMatrix {
  if (options.features) return 'matrix' in options.features ? options.features.matrix : options.features
  if (options.texts) return buildTfidf(options.texts, options.featureOptions).matrix
  throw new TypeError('createScreeningModel needs features or texts')
}

function readPrior(values: ArrayLike<number | null | undefined>, size: number): Float64Array {
  if (values.length !== size) throw new RangeError(`priorScores has ${values.length} values for ${size} records`)
  const out = new Float64Array(size)
  for (let i = 0; i < size; i++) {
    const v = values[i]
    out[i] = v === null || v === undefined || !Number.isFinite(v) ? NaN : v
  }
  return out
}

/** Features for a list of records (title + abstract), built once per dataset. */
export function buildRecordFeatures(records: ReadonlyArray<{ title?: string | null, abstract?: string | null }>, options?: TfidfOptions): TfidfFeatures {
  return buildTfidf(records.map(recordText), options)
}
