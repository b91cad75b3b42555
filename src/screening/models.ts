/**
 * Classifiers for screening prioritisation over a TF-IDF matrix, and the
 * "double" balancing of the training data that ASReview uses by default.
 *
 * A classifier is created for one feature matrix (built once per dataset),
 * trained on a weighted set of labelled rows, then scores any rows. Scores are
 * decision values (log-odds of inclusion as the model sees them) or their
 * logistic transform (probabilities); ranking uses the decision values, which
 * do not saturate to ties at 0 or 1 the way probabilities do in floating point.
 */
import type { SparseMatrix } from './features.ts'
import { createRng, type Rng } from './random.ts'

/** Labelled rows to learn from; `weights[i]` counts how many times row i is in the (resampled) training set. */
export interface TrainingSet {
  rows: Int32Array
  /** 1 = include (relevant), 0 = exclude. */
  labels: Uint8Array
  weights: Float64Array
}

export interface Classifier {
  readonly name: string
  readonly matrix: SparseMatrix
  fit(training: TrainingSet): void
  /**
   * Decision values d (larger = more likely relevant; P(include) = 1/(1+e^−d)
   * under the model) for the given rows, or for every row of the matrix.
   */
  decisionValues(rows?: ArrayLike<number>): Float64Array
  /** Relevance scores of the given rows: the model's probability of inclusion, 0..1. */
  rank(unlabelled: ArrayLike<number>): Float64Array
}

/** The models offered (see pipelines.ts); CLASSIFIER_NAMES lists them for validation. */
export type ClassifierName = 'nb' | 'logistic' | 'svm' | 'ensemble'
export const CLASSIFIER_NAMES: readonly ClassifierName[] = ['nb', 'logistic', 'svm', 'ensemble']
/** The classifiers a pipeline is built on. */
export type BaseClassifierName = Exclude<ClassifierName, 'ensemble'>

export function sigmoid(d: number): number {
  return d >= 0 ? 1 / (1 + Math.exp(-d)) : Math.exp(d) / (1 + Math.exp(d))
}

/** Helper shared by the linear classifiers: d_i = bias + x_i · w for rows (or all rows). */
function linearScores(matrix: SparseMatrix, weights: Float64Array, bias: number, rows?: ArrayLike<number>): Float64Array {
  const { indptr, indices, data } = matrix
  const count = rows ? rows.length : matrix.rows
  const out = new Float64Array(count)
  // Two loops rather than one with `rows ? rows[k] : k`: scoring every record runs after each
  // fit, and the branch-free loop is markedly faster.
  if (!rows) {
    for (let row = 0; row < count; row++) {
      let sum = bias
      const end = indptr[row + 1]
      for (let p = indptr[row]; p < end; p++) sum += data[p] * weights[indices[p]]
      out[row] = sum
    }
    return out
  }
  for (let k = 0; k < count; k++) {
    const row = rows[k]
    let sum = bias
    const end = indptr[row + 1]
    for (let p = indptr[row]; p < end; p++) sum += data[p] * weights[indices[p]]
    out[k] = sum
  }
  return out
}

/** decisionValues() and rank() of a linear model, from its weights and bias once fitted (null before). */
function linearOutputs(matrix: SparseMatrix, state: () => { weights: Float64Array, bias: number } | null): Pick<Classifier, 'decisionValues' | 'rank'> {
  return {
    decisionValues(rows) {
      const fitted = state()
      if (!fitted) throw new Error('classifier used before fit()')
      return linearScores(matrix, fitted.weights, fitted.bias, rows)
    },
    rank(unlabelled) {
      return toProbabilities(this.decisionValues(unlabelled))
    }
  }
}

function toProbabilities(decisions: Float64Array): Float64Array {
  for (let i = 0; i < decisions.length; i++) decisions[i] = sigmoid(decisions[i])
  return decisions
}

export interface NaiveBayesOptions {
  /** Additive (Lidstone) smoothing. ASReview's default: 3.822. */
  alpha?: number
  /**
   * 'multinomial' (scikit-learn MultinomialNB, ASReview's "nb") or
   * 'complement' (ComplementNB). For two classes the complement model has the
   * same per-feature weights as the multinomial one and differs only by
   * ignoring the class prior, which is what this option does.
   */
  variant?: 'multinomial' | 'complement'
}

/**
 * Multinomial naive Bayes on TF-IDF values, as scikit-learn computes it:
 *   θ_cj = (N_cj + α) / (N_c + α·V)       N_cj = Σ_{i in c} w_i x_ij, N_c = Σ_j N_cj
 *   log P(c) = log(Σ_{i in c} w_i / Σ_i w_i)
 *   d(x) = log P(1) − log P(0) + Σ_j x_j (log θ_1j − log θ_0j)
 * V is the full vocabulary of the matrix (learnt from all records).
 */
export function createNaiveBayes(matrix: SparseMatrix, options: NaiveBayesOptions = {}): Classifier {
  const alpha = options.alpha ?? 3.822
  const useClassPrior = (options.variant ?? 'multinomial') === 'multinomial'
  const vocabularySize = matrix.cols
  const count1 = new Float64Array(vocabularySize)
  const count0 = new Float64Array(vocabularySize)
  const weights = new Float64Array(vocabularySize)
  const touched = new Uint8Array(vocabularySize)
  const touchedList = new Int32Array(vocabularySize)
  let bias = 0
  let fitted = false

  return {
    name: useClassPrior ? 'nb' : 'complement-nb',
    matrix,
    fit(training) {
      const { indptr, indices, data } = matrix
      let touchedCount = 0
      let total1 = 0
      let total0 = 0
      let classWeight1 = 0
      let classWeight0 = 0
      // One loop per class (the same additions in the same order as a single loop testing the
      // label at every term, which is slower): this runs over every labelled term at each fit.
      for (let k = 0; k < training.rows.length; k++) {
        const row = training.rows[k]
        const w = training.weights[k]
        if (w === 0) continue
        const end = indptr[row + 1]
        if (training.labels[k] === 1) {
          classWeight1 += w
          for (let p = indptr[row]; p < end; p++) {
            const j = indices[p]
            const v = w * data[p]
            count1[j] += v
            total1 += v
            if (!touched[j]) {
              touched[j] = 1
              touchedList[touchedCount++] = j
            }
          }
        } else {
          classWeight0 += w
          for (let p = indptr[row]; p < end; p++) {
            const j = indices[p]
            const v = w * data[p]
            count0[j] += v
            total0 += v
            if (!touched[j]) {
              touched[j] = 1
              touchedList[touchedCount++] = j
            }
          }
        }
      }
      if (classWeight1 === 0 || classWeight0 === 0) throw new Error('naive Bayes needs at least one include and one exclude to train')
      const logAlpha = Math.log(alpha)
      const normaliser = Math.log(total1 + alpha * vocabularySize) - Math.log(total0 + alpha * vocabularySize)
      // Features never seen in training have count 0 in both classes: weight −normaliser.
      weights.fill(-normaliser)
      for (let t = 0; t < touchedCount; t++) {
        const j = touchedList[t]
        const l1 = count1[j] > 0 ? Math.log(count1[j] + alpha) : logAlpha
        const l0 = count0[j] > 0 ? Math.log(count0[j] + alpha) : logAlpha
        weights[j] = l1 - l0 - normaliser
        count1[j] = 0
        count0[j] = 0
        touched[j] = 0
      }
      bias = useClassPrior ? Math.log(classWeight1) - Math.log(classWeight0) : 0
      fitted = true
    },
    ...linearOutputs(matrix, () => (fitted ? { weights, bias } : null))
  }
}

export interface LogisticOptions {
  /** Inverse L2 regularisation strength, as scikit-learn's C. Default 1. */
  C?: number
  /**
   * L-BFGS iterations per fit. Default 15: each fit warm-starts from the
   * previous weights, so in active learning the optimisation continues over
   * successive fits (incremental training) instead of converging every time.
   */
  maxIterations?: number
  /** Stop when the largest gradient component falls below this. Default 1e-4. */
  tolerance?: number
}

/**
 * L2-regularised logistic regression fitted by L-BFGS:
 *   minimise  C Σ_i w_i log(1 + exp(−s_i (x_i·β + b))) + ½‖β‖²      s_i = ±1
 * (the intercept b is not penalised, like scikit-learn's lbfgs solver).
 *
 * Only features present in the training rows can get a non-zero weight (the
 * gradient of every other coordinate is its own L2 term, zero at zero), so the
 * optimisation runs in that subspace: its size is the vocabulary of the
 * labelled records, not of the whole dataset. Each fit warm-starts from the
 * previous weights, which makes a retrain after one more label cheap.
 */
export function createLogisticRegression(matrix: SparseMatrix, options: LogisticOptions = {}): Classifier {
  const C = options.C ?? 1
  const maxIterations = options.maxIterations ?? 15
  const tolerance = options.tolerance ?? 1e-4
  const weights = new Float64Array(matrix.cols)
  const local = new Int32Array(matrix.cols).fill(-1)
  let bias = 0
  let fitted = false

  return {
    name: 'logistic',
    matrix,
    fit(training) {
      const { indptr, indices, data } = matrix
      // Local CSR of the training rows over the active features.
      const active: number[] = []
      let nnz = 0
      for (const row of training.rows) nnz += indptr[row + 1] - indptr[row]
      const tIndptr = new Int32Array(training.rows.length + 1)
      const tIndices = new Int32Array(nnz)
      const tData = new Float64Array(nnz)
      let q = 0
      for (let k = 0; k < training.rows.length; k++) {
        const row = training.rows[k]
        for (let p = indptr[row]; p < indptr[row + 1]; p++) {
          const j = indices[p]
          if (local[j] < 0) { local[j] = active.length; active.push(j) }
          tIndices[q] = local[j]
          tData[q] = data[p]
          q++
        }
        tIndptr[k + 1] = q
      }
      const m = active.length
      const x0 = new Float64Array(m + 1)
      for (let a = 0; a < m; a++) x0[a] = weights[active[a]]
      x0[m] = bias
      const n = training.rows.length
      const z = new Float64Array(n)
      const objective = (x: Float64Array, grad: Float64Array): number => {
        grad.fill(0)
        let f = 0
        for (let a = 0; a < m; a++) {
          f += 0.5 * x[a] * x[a]
          grad[a] = x[a]
        }
        for (let k = 0; k < n; k++) {
          let s = x[m]
          for (let p = tIndptr[k]; p < tIndptr[k + 1]; p++) s += tData[p] * x[tIndices[p]]
          z[k] = s
        }
        for (let k = 0; k < n; k++) {
          const w = training.weights[k] * C
          if (w === 0) continue
          const y = training.labels[k] === 1 ? 1 : 0
          const margin = y === 1 ? z[k] : -z[k]
          // log(1 + e^−margin), computed without overflow.
          f += w * (margin > 0 ? Math.log1p(Math.exp(-margin)) : -margin + Math.log1p(Math.exp(margin)))
          const residual = w * (sigmoid(z[k]) - y)
          for (let p = tIndptr[k]; p < tIndptr[k + 1]; p++) grad[tIndices[p]] += residual * tData[p]
          grad[m] += residual
        }
        return f
      }
      const solution = minimiseLbfgs(objective, x0, { maxIterations, tolerance })
      for (let a = 0; a < m; a++) {
        weights[active[a]] = solution[a]
        local[active[a]] = -1
      }
      bias = solution[m]
      fitted = true
    },
    ...linearOutputs(matrix, () => (fitted ? { weights, bias } : null))
  }
}

export interface SvmOptions {
  /** Penalty of the squared hinge loss, as scikit-learn LinearSVC's C. Default 0.11 (ASReview 2's ELAS u4). */
  svmC?: number
  /** Most passes over the training rows per fit. Default 3: fits warm-start, so successive fits continue the optimisation. */
  maxPasses?: number
  /** Stop when the largest projected-gradient violation of a pass falls below this. Default 0.01. */
  svmTolerance?: number
}

/**
 * Linear SVM with the squared hinge loss and an L2 penalty (scikit-learn's
 * LinearSVC, which ASReview 2's default "ELAS u4" uses):
 *   minimise  ½‖w‖² + C Σ_i w_i max(0, 1 − s_i (x_i·w + b))²
 * solved in the dual by coordinate descent (Hsieh et al. 2008, as liblinear),
 * the intercept being the weight of a constant feature 1 (regularised, as in
 * liblinear). Each fit warm-starts from the dual variables of the previous
 * fit: a record labelled earlier keeps its α, a new one starts at 0, so a
 * retrain after one more label needs a pass or two over the training rows.
 * Decision values are margins (not probabilities); ranking only needs their order.
 */
export function createLinearSvm(matrix: SparseMatrix, options: SvmOptions = {}): Classifier {
  const C = options.svmC ?? 0.11
  const maxPasses = options.maxPasses ?? 3
  const tolerance = options.svmTolerance ?? 0.01
  // w = Σ α_i s_i x_i and the bias, kept across fits together with the α that make them up,
  // keyed by row · 2 + label (a relabelled record is a different dual variable).
  const weights = new Float64Array(matrix.cols)
  const state = { bias: 0, fitted: false }
  let duals = new Map<number, number>()
  const rowNorms = new Float64Array(matrix.rows).fill(-1)
  const order = createRng(1)

  return {
    name: 'svm',
    matrix,
    fit(training) {
      // The loops below read the matrix, w and b through locals (not the closure): this is the
      // hot path of every retraining, and the arithmetic is the same either way.
      const { indptr, indices, data } = matrix
      const w = weights
      const { rows, labels } = training
      let bias = state.bias
      const n = rows.length
      const alpha = new Float64Array(n)
      const diag = new Float64Array(n)
      const qii = new Float64Array(n)
      const keys = new Int32Array(n)
      const current = new Set<number>()
      for (let k = 0; k < n; k++) {
        keys[k] = rows[k] * 2 + labels[k]
        if (training.weights[k] > 0) current.add(keys[k])
      }
      // Dual variables of rows no longer trained on (or weighing 0) leave w.
      for (const [key, a] of duals) {
        if (current.has(key)) continue
        const row = Math.floor(key / 2)
        const amount = -a * (key % 2 === 1 ? 1 : -1)
        for (let p = indptr[row]; p < indptr[row + 1]; p++) w[indices[p]] += amount * data[p]
        bias += amount
      }
      let activeCount = 0
      const active = new Int32Array(n)
      for (let k = 0; k < n; k++) {
        const row = rows[k]
        const weight = training.weights[k]
        if (!(weight > 0)) continue
        diag[k] = 1 / (2 * C * weight)
        if (rowNorms[row] < 0) {
          let norm = 0
          for (let p = indptr[row]; p < indptr[row + 1]; p++) norm += data[p] * data[p]
          rowNorms[row] = norm
        }
        qii[k] = rowNorms[row] + 1 + diag[k]
        alpha[k] = duals.get(keys[k]) ?? 0
        active[activeCount++] = k
      }
      // Dual coordinate descent with shrinking: after a full pass, only the records with α > 0 or a
      // violated optimality condition are revisited; a last full pass confirms convergence.
      let visit = active.slice(0, activeCount)
      const next = new Int32Array(activeCount)
      let full = true
      for (let pass = 0; pass < maxPasses; pass++) {
        order.shuffle(visit)
        let maxViolation = 0
        let nextCount = 0
        for (let v = 0; v < visit.length; v++) {
          const k = visit[v]
          const row = rows[k]
          const start = indptr[row]
          const end = indptr[row + 1]
          const sign = labels[k] === 1 ? 1 : -1
          let margin = bias
          for (let p = start; p < end; p++) margin += data[p] * w[indices[p]]
          const a = alpha[k]
          const gradient = sign * margin - 1 + diag[k] * a
          const projected = a === 0 ? Math.min(gradient, 0) : gradient
          if (projected !== 0) maxViolation = Math.max(maxViolation, Math.abs(projected))
          const updated = projected === 0 ? a : Math.max(a - gradient / qii[k], 0)
          if (updated !== a) {
            const amount = (updated - a) * sign
            for (let p = start; p < end; p++) w[indices[p]] += amount * data[p]
            bias += amount
            alpha[k] = updated
          }
          if (updated > 0 || projected !== 0) next[nextCount++] = k
        }
        if (maxViolation < tolerance) {
          if (full) break
          visit = active.slice(0, activeCount)
          full = true
        } else {
          visit = next.slice(0, nextCount)
          full = false
        }
      }
      state.bias = bias
      duals = new Map()
      for (let k = 0; k < n; k++) if (alpha[k] > 0) duals.set(keys[k], alpha[k])
      state.fitted = true
    },
    ...linearOutputs(matrix, () => (state.fitted ? { weights, bias: state.bias } : null))
  }
}

/**
 * The 0-based position of each key when the keys are sorted largest first, equal keys (−0 and +0
 * included) keeping their order in `keys`: what a stable comparator sort gives, found without a
 * comparator (which costs most of a sort of every record at each fit). The keys are sorted
 * natively; a key's position is the count of larger keys plus the count of equal keys before it.
 * Returns false, leaving `out` unspecified, when a key is NaN (no consistent order exists).
 */
export function descendingPositions(keys: Float64Array, out: Int32Array, sorted = new Float64Array(keys.length), tied = new Int32Array(keys.length)): boolean {
  const n = keys.length
  const ascending = sorted.subarray(0, n)
  ascending.set(keys)
  ascending.sort()
  if (n > 0 && Number.isNaN(ascending[n - 1])) return false
  tied.fill(0, 0, n)
  for (let i = 0; i < n; i++) {
    const v = keys[i]
    // Keys larger than v: those after the last position holding a key ≤ v.
    let low = 0
    let high = n
    while (low < high) {
      const middle = (low + high) >>> 1
      if (ascending[middle] > v) high = middle
      else low = middle + 1
    }
    const larger = n - low
    out[i] = larger + tied[larger]++
  }
  return true
}

/**
 * 1-based ranks of values in descending order, equal values in ascending index order: the ranks
 * that sorting the indices by (a, b) => v[b] − v[a] || a − b gives (see descendingPositions).
 */
export function createRanker(size: number): { ranks(values: Float64Array, out: Float64Array): void } {
  const sorted = new Float64Array(size)
  const tied = new Int32Array(size)
  const positions = new Int32Array(size)
  return {
    ranks(values, out) {
      const n = values.length
      if (descendingPositions(values, positions, sorted, tied)) {
        for (let i = 0; i < n; i++) out[i] = positions[i] + 1
        return
      }
      // NaN compares as a tie with everything in the comparator: keep its exact behaviour.
      const order = positions.subarray(0, n)
      for (let i = 0; i < n; i++) order[i] = i
      order.sort((a, b) => values[b] - values[a] || a - b)
      for (let r = 0; r < n; r++) out[order[r]] = r + 1
    }
  }
}

export type ClassifierOptions = NaiveBayesOptions & LogisticOptions & SvmOptions

export function createClassifier(name: BaseClassifierName, matrix: SparseMatrix, options: ClassifierOptions = {}): Classifier {
  if (name === 'nb') return createNaiveBayes(matrix, options)
  if (name === 'logistic') return createLogisticRegression(matrix, options)
  if (name === 'svm') return createLinearSvm(matrix, options)
  throw new RangeError(`unknown classifier "${name as string}"`)
}

/**
 * Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4/7.5) with a
 * backtracking Armijo line search. `fg` returns f(x) and writes ∇f(x) into grad.
 */
export function minimiseLbfgs(
  fg: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  options: { maxIterations?: number, tolerance?: number, memory?: number } = {}
): Float64Array {
  const maxIterations = options.maxIterations ?? 100
  const tolerance = options.tolerance ?? 1e-5
  const memory = options.memory ?? 7
  const dim = x0.length
  let x = Float64Array.from(x0)
  let g = new Float64Array(dim)
  let f = fg(x, g)
  const sList: Float64Array[] = []
  const yList: Float64Array[] = []
  const rhoList: number[] = []
  const direction = new Float64Array(dim)
  const alphas = new Float64Array(memory)
  let xNext = new Float64Array(dim)
  let gNext = new Float64Array(dim)

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (maxAbs(g) < tolerance) break
    // Two-loop recursion: direction = −H·g.
    for (let i = 0; i < dim; i++) direction[i] = -g[i]
    for (let k = sList.length - 1; k >= 0; k--) {
      const a = rhoList[k] * dot(sList[k], direction)
      alphas[k] = a
      axpy(-a, yList[k], direction)
    }
    if (sList.length > 0) {
      const last = sList.length - 1
      const gamma = dot(sList[last], yList[last]) / dot(yList[last], yList[last])
      for (let i = 0; i < dim; i++) direction[i] *= gamma
    } else {
      // First step: a unit-length steepest descent step keeps the line search sane.
      const norm = Math.sqrt(dot(g, g))
      if (norm > 0) for (let i = 0; i < dim; i++) direction[i] /= Math.max(1, norm)
    }
    for (let k = 0; k < sList.length; k++) {
      const b = rhoList[k] * dot(yList[k], direction)
      axpy(alphas[k] - b, sList[k], direction)
    }
    let slope = dot(g, direction)
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      for (let i = 0; i < dim; i++) direction[i] = -g[i]
      slope = dot(g, direction)
      sList.length = 0; yList.length = 0; rhoList.length = 0
    }
    let step = 1
    let fNext = Infinity
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < dim; i++) xNext[i] = x[i] + step * direction[i]
      fNext = fg(xNext, gNext)
      if (fNext <= f + 1e-4 * step * slope) break
      step *= 0.5
    }
    if (!(fNext < f)) break
    const s = new Float64Array(dim)
    const y = new Float64Array(dim)
    for (let i = 0; i < dim; i++) {
      s[i] = xNext[i] - x[i]
      y[i] = gNext[i] - g[i]
    }
    const sy = dot(s, y)
    if (sy > 1e-12) {
      if (sList.length === memory) { sList.shift(); yList.shift(); rhoList.shift() }
      sList.push(s); yList.push(y); rhoList.push(1 / sy)
    }
    const converged = Math.abs(f - fNext) <= 1e-10 * Math.max(1, Math.abs(f))
    ;[x, xNext] = [xNext, x]
    ;[g, gNext] = [gNext, g]
    f = fNext
    if (converged) break
  }
  return x
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i]
}

function maxAbs(a: Float64Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]))
  return m
}

/** Parameters of ASReview's double balance (defaults are ASReview's). */
export interface DoubleBalanceParameters {
  a?: number
  alpha?: number
  b?: number
  beta?: number
}

export type BalanceStrategy = 'double' | 'balanced' | 'none'

/**
 * ASReview's "double" balance: resample the labelled records so that
 * inclusions, rare at first, weigh more — the fewer inclusions relative to
 * exclusions, the more they are oversampled — while exclusions get a weight
 * that grows with the number of records read. With n1 inclusions, n0
 * exclusions, n = n1 + n0:
 *
 *   w1 = a · (n1/n0)^(−alpha)                 (a = 2.155, alpha = 0.94)
 *   w0 = 1 − (1 − b) · (1 + ln n)^(−beta)     (b = 0.789, beta = 1)
 *   n1' = random_round(w1·n1·n / (w1·n1 + w0·n0)), clamped to [1, n − 2]
 *   n0' = n − n1'
 *
 * and each class is filled to its size by repeating all its records
 * floor(size / count) times plus a sample without replacement for the rest.
 * random_round rounds x up with probability x − floor(x). The training set
 * keeps its size n; records appear with integer multiplicities (weights).
 */
export function doubleBalance(
  includeRows: readonly number[],
  excludeRows: readonly number[],
  rng: Rng,
  parameters: DoubleBalanceParameters = {}
): TrainingSet {
  const { a = 2.155, alpha = 0.94, b = 0.789, beta = 1 } = parameters
  const n1 = includeRows.length
  const n0 = excludeRows.length
  if (n1 === 0 || n0 === 0) return unbalanced(includeRows, excludeRows)
  const n = n1 + n0
  const w1 = a * Math.pow(n1 / n0, -alpha)
  const w0 = 1 - (1 - b) * Math.pow(1 + Math.log(n), -beta)
  const target = (w1 * n1 * n) / (w1 * n1 + w0 * n0)
  let n1Train = Math.floor(target)
  if (rng.next() < target - n1Train) n1Train++
  n1Train = Math.max(1, Math.min(n - 2, n1Train))
  const n0Train = n - n1Train

  const rows = new Int32Array(n)
  const labels = new Uint8Array(n)
  const weights = new Float64Array(n)
  let k = 0
  for (const [source, size, label] of [[includeRows, n1Train, 1], [excludeRows, n0Train, 0]] as const) {
    const copies = Math.floor(size / source.length)
    const extra = size - copies * source.length
    const extraRows = new Set(rng.sample(source, extra))
    for (const row of source) {
      const w = copies + (extraRows.has(row) ? 1 : 0)
      if (w === 0) continue
      rows[k] = row
      labels[k] = label
      weights[k] = w
      k++
    }
  }
  return { rows: rows.slice(0, k), labels: labels.slice(0, k), weights: weights.slice(0, k) }
}

/**
 * ASReview 2's "balanced" sample weights: includes weigh 1, excludes
 * n1 / (ratio · n0), then all weights are rescaled to sum to n = n1 + n0.
 * With ratio = 1 both classes weigh the same in total; ASReview 2's default
 * model uses ratio 9.8 (excludes keep ~9.8 times the total weight of includes).
 */
export function balancedWeights(includeRows: readonly number[], excludeRows: readonly number[], ratio = 1): TrainingSet {
  const set = unbalanced(includeRows, excludeRows)
  const n1 = includeRows.length
  const n0 = excludeRows.length
  if (n1 === 0 || n0 === 0) return set
  const w0 = n1 / (ratio * n0)
  const total = n1 + w0 * n0
  const scale = (n1 + n0) / total
  for (let k = 0; k < set.rows.length; k++) set.weights[k] = (set.labels[k] === 1 ? 1 : w0) * scale
  return set
}

/** Every labelled record once (no balancing). */
export function unbalanced(includeRows: readonly number[], excludeRows: readonly number[]): TrainingSet {
  const n = includeRows.length + excludeRows.length
  const rows = new Int32Array(n)
  const labels = new Uint8Array(n)
  rows.set(includeRows, 0)
  rows.set(excludeRows, includeRows.length)
  labels.fill(1, 0, includeRows.length)
  return { rows, labels, weights: new Float64Array(n).fill(1) }
}
