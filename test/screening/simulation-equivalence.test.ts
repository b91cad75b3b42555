import t, { type Test } from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildTfidf, recordText, type SparseMatrix } from '../../src/screening/features.ts'
import {
  balancedWeights, createNaiveBayes, createRanker, doubleBalance, unbalanced,
  type Classifier, type ClassifierName, type TrainingSet
} from '../../src/screening/models.ts'
import { createRng, randomPermutation } from '../../src/screening/random.ts'
import { parseLabelledCsv, simulateScreening, type SimulationRecord } from '../../src/screening/simulate.ts'
import { ENSEMBLE_FUSION_K, MODEL_PIPELINES, type Pipeline } from '../../src/screening/pipelines.ts'

/*
 * The screening code is tuned for speed (locals in the SVM's inner loops, scoring only the rows that
 * next() can pick, ranks without a comparator sort). Those changes must not move a single record in
 * a simulated screening order: the orders below are compared with a straightforward implementation
 * (score every record, sort, take the first), for every model and several seeds.
 */

/** Linear SVM by dual coordinate descent, written plainly (same operations in the same order). */
function referenceSvm(matrix: SparseMatrix, C = 0.11, maxPasses = 3, tolerance = 0.01): Classifier {
  const { indptr, indices, data } = matrix
  const weights = new Float64Array(matrix.cols)
  let bias = 0
  let duals = new Map<number, number>()
  const order = createRng(1)
  const addRow = (row: number, amount: number) => {
    for (let p = indptr[row]; p < indptr[row + 1]; p++) weights[indices[p]] += amount * data[p]
    bias += amount
  }
  const rowNorm = Array.from({ length: matrix.rows }, (_, row) => {
    let norm = 0
    for (let p = indptr[row]; p < indptr[row + 1]; p++) norm += data[p] * data[p]
    return norm
  })
  return {
    name: 'svm',
    matrix,
    fit(training) {
      const n = training.rows.length
      const keys = Array.from(training.rows, (row, k) => row * 2 + training.labels[k])
      const current = new Set(keys.filter((_, k) => training.weights[k] > 0))
      for (const [key, a] of duals) if (!current.has(key)) addRow(Math.floor(key / 2), -a * (key % 2 === 1 ? 1 : -1))
      const alpha: number[] = []
      const diag: number[] = []
      const active: number[] = []
      for (let k = 0; k < n; k++) {
        diag[k] = 1 / (2 * C * training.weights[k])
        alpha[k] = duals.get(keys[k]) ?? 0
        if (training.weights[k] > 0) active.push(k)
      }
      let visit = Int32Array.from(active)
      let full = true
      for (let pass = 0; pass < maxPasses; pass++) {
        order.shuffle(visit)
        let maxViolation = 0
        const next: number[] = []
        for (const k of visit) {
          const row = training.rows[k]
          const sign = training.labels[k] === 1 ? 1 : -1
          let margin = bias
          for (let p = indptr[row]; p < indptr[row + 1]; p++) margin += data[p] * weights[indices[p]]
          const gradient = sign * margin - 1 + diag[k] * alpha[k]
          const projected = alpha[k] === 0 ? Math.min(gradient, 0) : gradient
          if (projected !== 0) maxViolation = Math.max(maxViolation, Math.abs(projected))
          const updated = projected === 0 ? alpha[k] : Math.max(alpha[k] - gradient / (rowNorm[row] + 1 + diag[k]), 0)
          if (updated !== alpha[k]) {
            addRow(row, (updated - alpha[k]) * sign)
            alpha[k] = updated
          }
          if (alpha[k] > 0 || projected !== 0) next.push(k)
        }
        if (maxViolation < tolerance) {
          if (full) break
          visit = Int32Array.from(active)
          full = true
        } else {
          visit = Int32Array.from(next)
          full = false
        }
      }
      duals = new Map()
      for (let k = 0; k < n; k++) if (alpha[k] > 0) duals.set(keys[k], alpha[k])
    },
    decisionValues() {
      return Float64Array.from({ length: matrix.rows }, (_, row) => {
        let sum = bias
        for (let p = indptr[row]; p < indptr[row + 1]; p++) sum += data[p] * weights[indices[p]]
        return sum
      })
    },
    rank() { throw new Error('not used') }
  }
}

function referenceClassifier(name: 'nb' | 'svm', matrix: SparseMatrix): Classifier {
  return name === 'nb' ? createNaiveBayes(matrix) : referenceSvm(matrix)
}

/** A pipeline's decision values for every record after training on the labelled ones. */
function referencePipeline(records: readonly SimulationRecord[], pipeline: Pipeline, seed: number) {
  const matrix = buildTfidf(records.map(recordText), pipeline.featureOptions).matrix
  const classifier = referenceClassifier(pipeline.classifier as 'nb' | 'svm', matrix)
  const balanceRng = createRng(seed + 0x9e3779b9)
  return (labelled: readonly number[]): Float64Array => {
    const includes = labelled.filter((i) => records[i].included).sort((a, b) => a - b)
    const excludes = labelled.filter((i) => !records[i].included).sort((a, b) => a - b)
    const training: TrainingSet = pipeline.balance === 'double'
      ? doubleBalance(includes, excludes, balanceRng)
      : pipeline.balance === 'balanced' ? balancedWeights(includes, excludes, pipeline.balanceRatio) : unbalanced(includes, excludes)
    classifier.fit(training)
    return classifier.decisionValues()
  }
}

/**
 * One seed of simulateScreening's loop: train every pipeline on every label, sort the unlabelled
 * records (several pipelines: by the sum of 1/(k + rank) of their comparator-sorted ranks among
 * the unlabelled records, ties by index), screen the first.
 */
function referenceOrder(records: readonly SimulationRecord[], name: ClassifierName, seed: number): number[] {
  const pipelines = MODEL_PIPELINES[name].map((pipeline) => referencePipeline(records, pipeline, seed))
  const size = records.length
  const included = records.flatMap((r, i) => (r.included ? [i] : []))
  const excluded = records.flatMap((r, i) => (r.included ? [] : [i]))
  const priorRng = createRng(seed)
  const labelled = [...priorRng.sample(included, 1), ...priorRng.sample(excluded, 1)]
  const permutation = randomPermutation(size, createRng(seed))
  const tieBreak = new Int32Array(size)
  permutation.forEach((row, position) => { tieBreak[row] = position })
  const ranking = () => {
    const done = new Set(labelled)
    const unlabelled = Array.from({ length: size }, (_, i) => i).filter((i) => !done.has(i))
    const values = pipelines.map((fit) => fit(labelled))
    let key: Float64Array
    if (values.length === 1) {
      key = values[0]
    } else {
      key = new Float64Array(size)
      for (const d of values) {
        const byValue = [...unlabelled].sort((a, b) => d[b] - d[a] || a - b)
        byValue.forEach((row, r) => { key[row] += 1 / (ENSEMBLE_FUSION_K + r + 1) })
      }
    }
    return unlabelled.sort((a, b) => (key[a] !== key[b] ? key[b] - key[a] : tieBreak[a] - tieBreak[b]))
  }
  const order: number[] = []
  let missing = included.length - 1
  while (missing > 0) {
    const first = ranking()[0]
    labelled.push(first)
    order.push(first)
    if (records[first].included) missing--
  }
  return [...order, ...ranking()]
}

/** A seeded corpus with duplicate records (tied scores) and an empty one (a zero row). */
function generatedRecords(count: number, seed: number): SimulationRecord[] {
  const rng = createRng(seed)
  const common = Array.from({ length: 240 }, (_, i) => `word${i}`)
  const topic = ['randomised', 'beta', 'blocker', 'mortality', 'heart failure', 'trial', 'placebo', 'survival']
  const records: SimulationRecord[] = []
  for (let i = 0; i < count; i++) {
    const included = rng.next() < 0.08
    const words = Array.from({ length: 20 + rng.int(40) }, () => (included && rng.next() < 0.3 ? topic[rng.int(topic.length)] : common[rng.int(common.length)]))
    records.push({ title: words.slice(0, 6).join(' '), abstract: words.slice(6).join(' '), included })
  }
  records.push({ ...records[3] }, { ...records[10] }, { ...records[records.findIndex((r) => r.included)] }, { title: '', abstract: '', included: false })
  return records
}

const models: ClassifierName[] = ['svm', 'nb', 'ensemble']

async function compareOrders(t: Test, records: SimulationRecord[]) {
  for (const classifier of models) {
    const simulated = await simulateScreening(records, { seeds: [1, 2, 3], classifier })
    for (const run of simulated.runs) {
      t.same(run.order, referenceOrder(records, classifier, run.seed), `${classifier}, seed ${run.seed}: same screening order`)
    }
  }
}

t.test('simulated screening orders equal a plain score-everything-and-sort implementation (generated records)', async (t) => {
  await compareOrders(t, generatedRecords(260, 7))
})

const antihistamines = fileURLToPath(new URL('../../../shared/datasets/screening/Cohen_2006/Antihistamines.csv', import.meta.url))
t.test('simulated screening orders equal the plain implementation (Antihistamines)', { skip: !existsSync(antihistamines) && 'shared screening datasets not available' }, async (t) => {
  await compareOrders(t, parseLabelledCsv(readFileSync(antihistamines)).records)
})

t.test('ranks without a comparator equal the ranks of a comparator sort, ties by index', async (t) => {
  const rng = createRng(3)
  const cases = [
    Float64Array.from({ length: 500 }, () => rng.int(20) - 10),
    Float64Array.from({ length: 500 }, () => rng.next() - 0.5),
    Float64Array.from([0, -0, 0, Infinity, -Infinity, 1, -0, Infinity, 1e-300, -1e-300]),
    Float64Array.from([2, NaN, 1, NaN, 2, 0]),
    new Float64Array(0)
  ]
  for (const values of cases) {
    const expected = new Float64Array(values.length)
    Int32Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b)
      .forEach((row, r) => { expected[row] = r + 1 })
    const ranks = new Float64Array(values.length)
    createRanker(values.length).ranks(values, ranks)
    t.same(Array.from(ranks), Array.from(expected), `ranks of [${Array.from(values.slice(0, 6)).join(', ')}…]`)
  }
})
