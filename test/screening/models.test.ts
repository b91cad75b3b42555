import t from 'tap'
import { fuseScreeningModels, type ScreeningModel } from '../../src/screening/active-learning.ts'
import type { SparseMatrix } from '../../src/screening/features.ts'
import {
  balancedWeights, createClassifier, createLinearSvm, createLogisticRegression, createNaiveBayes, doubleBalance,
  minimiseLbfgs, sigmoid, unbalanced, type Classifier
} from '../../src/screening/models.ts'
import { createRng } from '../../src/screening/random.ts'

/** CSR matrix from dense rows (zeros dropped). */
function csr(rows: number[][]): SparseMatrix {
  const indptr = [0]
  const indices: number[] = []
  const data: number[] = []
  for (const row of rows) {
    row.forEach((v, j) => { if (v !== 0) { indices.push(j); data.push(v) } })
    indptr.push(indices.length)
  }
  return { rows: rows.length, cols: rows[0].length, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), data: Float32Array.from(data) }
}

t.test('multinomial naive Bayes matches the hand-computed (and scikit-learn) probabilities', async (t) => {
  const X = csr([[1, 0], [0, 1], [0, 1], [0.6, 0.8]])
  const nb = createNaiveBayes(X, { alpha: 1 })
  // Train on rows 0 (include) and 1 (exclude). alpha = 1, V = 2:
  // θ1 = [(1+1)/(1+2), (0+1)/3] = [2/3, 1/3], θ0 = [1/3, 2/3], equal priors.
  // d(row 3) = 0.6·ln(2) + 0.8·ln(1/2) = −0.2·ln 2 = −0.138629; P = σ(d) = 0.465398.
  nb.fit(unbalanced([0], [1]))
  t.ok(Math.abs(nb.decisionValues([3])[0] - -0.2 * Math.log(2)) < 1e-6)
  t.ok(Math.abs(nb.rank([3])[0] - 0.46539803861923645) < 1e-6)
  // With row 2 as a second exclude: θ0 = [(0+1)/(2+2), (2+1)/4] = [1/4, 3/4], log prior ratio ln(1/2):
  // d = ln(1/2) + 0.6·ln((2/3)/(1/4)) + 0.8·ln((1/3)/(3/4)) = −0.753394; sklearn's predict_proba gives 0.320082.
  nb.fit(unbalanced([0], [1, 2]))
  t.ok(Math.abs(nb.decisionValues([3])[0] - -0.7533938017259729) < 1e-6)
  t.ok(Math.abs(nb.rank([3])[0] - 0.32008225853742966) < 1e-6)
  // Weights act as repeated rows: weight 2 on one exclude equals listing two identical excludes.
  nb.fit({ rows: Int32Array.from([0, 1]), labels: Uint8Array.from([1, 0]), weights: Float64Array.from([1, 2]) })
  t.ok(Math.abs(nb.decisionValues([3])[0] - -0.7533938017259729) < 1e-6)
  // The complement variant drops the class prior: d + ln 2.
  const cnb = createNaiveBayes(X, { alpha: 1, variant: 'complement' })
  cnb.fit(unbalanced([0], [1, 2]))
  t.ok(Math.abs(cnb.decisionValues([3])[0] - (-0.7533938017259729 + Math.log(2))) < 1e-6)
  t.throws(() => createNaiveBayes(X).fit(unbalanced([0], [])), /at least one include and one exclude/)
  t.throws(() => createNaiveBayes(X).decisionValues(), /before fit/)
})

t.test("double balance follows ASReview's formula", async (t) => {
  // n1 = 2, n0 = 98, n = 100: w1 = 2.155·(2/98)^−0.94 = 83.64…, w0 = 1 − 0.211/(1 + ln 100) = 0.96236…
  // n1' = w1·n1·n/(w1·n1 + w0·n0) = 63.95… → 63 or 64 (random round); n0' = 100 − n1'.
  const includes = [0, 1]
  const excludes = Array.from({ length: 98 }, (_, i) => i + 2)
  const w1 = 2.155 * Math.pow(2 / 98, -0.94)
  const w0 = 1 - 0.211 * Math.pow(1 + Math.log(100), -1)
  const target = (w1 * 2 * 100) / (w1 * 2 + w0 * 98)
  t.ok(target > 63 && target < 64)
  const seen = new Set<number>()
  for (let seed = 1; seed <= 40; seed++) {
    const set = doubleBalance(includes, excludes, createRng(seed))
    let includeWeight = 0
    let excludeWeight = 0
    for (let k = 0; k < set.rows.length; k++) {
      if (set.labels[k] === 1) includeWeight += set.weights[k]
      else { excludeWeight += set.weights[k]; t.equal(set.weights[k], 1) }
    }
    t.equal(includeWeight + excludeWeight, 100, 'training size stays n')
    t.ok(includeWeight === 63 || includeWeight === 64)
    seen.add(includeWeight)
  }
  t.same([...seen].sort(), [63, 64], 'both roundings occur (64 about 95% of the time)')
  // n1 = 1, n0 = 1: n1' is clamped to [1, n − 2] = [1, 0] → 1; one record each.
  const tiny = doubleBalance([5], [6], createRng(1))
  t.same([...tiny.weights], [1, 1])
})

t.test('balanced weights give excludes 1/ratio of the total weight of includes, summing to n', async (t) => {
  const set = balancedWeights([0, 1], [2, 3, 4, 5, 6, 7, 8, 9], 4)
  let wi = 0
  let we = 0
  set.rows.forEach((_, k) => { if (set.labels[k]) wi += set.weights[k]; else we += set.weights[k] })
  t.ok(Math.abs(wi + we - 10) < 1e-12)
  t.ok(Math.abs(we / wi - 0.25) < 1e-12)
})

t.test('L-BFGS finds the minimum of the Rosenbrock function', async (t) => {
  const rosenbrock = (x: Float64Array, g: Float64Array) => {
    const [a, b] = x
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a)
    g[1] = 200 * (b - a * a)
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2
  }
  const x = minimiseLbfgs(rosenbrock, Float64Array.from([-1.2, 1]), { maxIterations: 500, tolerance: 1e-8 })
  t.ok(Math.abs(x[0] - 1) < 1e-4 && Math.abs(x[1] - 1) < 1e-4, `got ${x[0]}, ${x[1]}`)
})

t.test('logistic regression reaches the optimum of its regularised loss', async (t) => {
  const rows = [[1, 0, 0.5], [0.9, 0.1, 0], [0, 1, 0.2], [0.1, 0.8, 0.6], [0.7, 0.2, 0.1], [0, 0.3, 0.9], [0.5, 0.5, 0.5]]
  const X = csr(rows)
  const labels = [1, 1, 0, 0, 1, 0]
  const C = 2
  const lr = createLogisticRegression(X, { C, tolerance: 1e-8, maxIterations: 500 })
  const training = { rows: Int32Array.from([0, 1, 2, 3, 4, 5]), labels: Uint8Array.from(labels), weights: Float64Array.from([1, 1, 1, 1, 2, 1]) }
  lr.fit(training)
  // At the optimum the gradient of C Σ w_i logloss(z_i) + ½‖β‖² vanishes: β = −C Σ w_i (σ(z_i) − y_i) x_i
  // and Σ w_i (σ(z_i) − y_i) = 0. Both are checked from the decision values z_i alone.
  const d = lr.decisionValues()
  const grad = [0, 0, 0]
  let gradBias = 0
  for (let i = 0; i < 6; i++) {
    const r = C * training.weights[i] * (sigmoid(d[i]) - labels[i])
    for (let j = 0; j < 3; j++) grad[j] += r * rows[i][j]
    gradBias += r
  }
  // With β from the stationarity condition, every decision value must be b + x·β for one common b.
  const beta = grad.map((g) => -g)
  const bias = d[0] - rows[0].reduce((s, v, j) => s + v * beta[j], 0)
  for (let i = 0; i < rows.length; i++) {
    const predicted = bias + rows[i].reduce((s, v, j) => s + v * beta[j], 0)
    t.ok(Math.abs(predicted - d[i]) < 1e-4, `row ${i}: stationarity`)
  }
  t.ok(Math.abs(gradBias) < 1e-4, 'intercept gradient vanishes')
  const p = lr.rank([0, 2])
  t.ok(p[0] > 0.5 && p[1] < 0.5, 'separates the classes')
})

t.test('logistic regression warm starts: refitting on the same data changes nothing', async (t) => {
  const X = csr([[1, 0], [0, 1], [0.8, 0.2], [0.2, 0.8]])
  const lr = createLogisticRegression(X, { tolerance: 1e-9, maxIterations: 300 })
  const set = unbalanced([0, 2], [1, 3])
  lr.fit(set)
  const first = lr.decisionValues()
  lr.fit(set)
  const second = lr.decisionValues()
  for (let i = 0; i < 4; i++) t.ok(Math.abs(first[i] - second[i]) < 1e-6)
})

/** A separable toy set: includes use terms 0–2, excludes terms 3–5, with noise terms 6–7 in both. */
function separable(): { X: SparseMatrix, includes: number[], excludes: number[] } {
  const rng = createRng(11)
  const rows: number[][] = []
  const includes: number[] = []
  const excludes: number[] = []
  for (let i = 0; i < 40; i++) {
    const relevant = i % 4 === 0
    const row = new Array<number>(8).fill(0)
    const offset = relevant ? 0 : 3
    row[offset + rng.int(3)] = 1 + rng.next()
    row[offset + rng.int(3)] += 0.5
    row[6 + rng.int(2)] = rng.next() * 2
    rows.push(row)
    ;(relevant ? includes : excludes).push(i)
  }
  return { X: csr(rows), includes, excludes }
}

t.test('SVM, logistic regression and naive Bayes rank a separable set perfectly', async (t) => {
  const { X, includes, excludes } = separable()
  for (const name of ['svm', 'logistic', 'nb'] as const) {
    const model: Classifier = createClassifier(name, X)
    // Train on two of each class only; every other include must outrank every other exclude.
    model.fit(balancedWeights(includes.slice(0, 2), excludes.slice(0, 2)))
    const d = model.decisionValues()
    const lowestInclude = Math.min(...includes.map((i) => d[i]))
    const highestExclude = Math.max(...excludes.map((i) => d[i]))
    t.ok(lowestInclude > highestExclude, `${name}: lowest include ${lowestInclude} above highest exclude ${highestExclude}`)
  }
})

t.test('the linear SVM reaches the optimum of the squared hinge loss (KKT conditions)', async (t) => {
  const rows = [[1, 0, 0.5], [0.9, 0.1, 0], [0, 1, 0.2], [0.1, 0.8, 0.6], [0.7, 0.2, 0.1], [0, 0.3, 0.9]]
  const X = csr(rows)
  const labels = [1, 1, 0, 0, 1, 0]
  const C = 0.5
  const svm = createLinearSvm(X, { svmC: C, maxPasses: 2000, svmTolerance: 1e-10 })
  const weights = [1, 1, 1, 1, 2, 1]
  svm.fit({ rows: Int32Array.from([0, 1, 2, 3, 4, 5]), labels: Uint8Array.from(labels), weights: Float64Array.from(weights) })
  // Primal ½‖(w, b)‖² + C Σ c_i max(0, 1 − s_i z_i)²: at the optimum (w, b) = Σ 2 C c_i max(0, 1 − s_i z_i) s_i (x_i, 1).
  const d = svm.decisionValues()
  const w = [0, 0, 0]
  let b = 0
  for (let i = 0; i < 6; i++) {
    const s = labels[i] ? 1 : -1
    const slack = Math.max(0, 1 - s * d[i])
    for (let j = 0; j < 3; j++) w[j] += 2 * C * weights[i] * slack * s * rows[i][j]
    b += 2 * C * weights[i] * slack * s
  }
  for (let i = 0; i < 6; i++) {
    const predicted = b + rows[i].reduce((sum, v, j) => sum + v * w[j], 0)
    t.ok(Math.abs(predicted - d[i]) < 1e-6, `row ${i}: ${predicted} = ${d[i]}`)
  }
})

t.test('the SVM warm-starts: a refit on the same rows keeps the solution; a label change is learnt', async (t) => {
  const X = csr([[1, 0], [0, 1], [0.8, 0.2], [0.2, 0.8]])
  const svm = createLinearSvm(X, { maxPasses: 500, svmTolerance: 1e-9 })
  svm.fit(unbalanced([0, 2], [1, 3]))
  const first = svm.decisionValues()
  svm.fit(unbalanced([0, 2], [1, 3]))
  const second = svm.decisionValues()
  for (let i = 0; i < 4; i++) t.ok(Math.abs(first[i] - second[i]) < 1e-6)
  svm.fit(unbalanced([1, 3], [0, 2]))
  const flipped = svm.decisionValues()
  t.ok(flipped[1] > flipped[0] && flipped[3] > flipped[2], 'swapped labels swap the ranking')
})

/** A trained "model" whose decision values are fixed: what the fusion is given, without a classifier. */
function fixed(values: number[]): ScreeningModel {
  return {
    size: values.length, features: csr(values.map(() => [1])), mode: 'model',
    fit: () => ({ mode: 'model', includes: 1, excludes: 1, maybes: 0, trainingRecords: 2, durationMs: 0 }),
    scoreAll: () => Float64Array.from(values), decisionValues: () => Float64Array.from(values),
    rank: () => { throw new Error('not used') }, next: () => { throw new Error('not used') }
  }
}

t.test('reciprocal-rank fusion of models: ranks among the unlabelled records, sum of 1/(60 + rank)', async (t) => {
  // Two fixed "models" over 5 records; record 4 is labelled. Among records 0–3 one ranks 3,2,1,0,
  // the other 2,0,1,3.
  const fused = fuseScreeningModels([fixed([1, 2, 3, 4, 5]), fixed([3, 2, 4, 1, 5])], { seed: 1 })
  fused.fit([{ index: 4, label: 1 }])
  const d = fused.decisionValues()!
  // Ranks: row 0 → 4 and 2; row 1 → 3 and 3; row 2 → 2 and 1; row 3 → 1 and 4.
  // Sums: 1/64 + 1/62 = 0.031754; 2/63 = 0.031746; 1/62 + 1/61 = 0.032522; 1/61 + 1/64 = 0.032018.
  t.same([...fused.rank()], [2, 3, 0, 1])
  t.same(fused.next(2), [2, 3])
  t.ok(Math.abs(d[2] - Math.log((1 / 62 + 1 / 61) / (2 / 61)) * 10) < 1e-9, 'scaled log of the sum over its maximum')
  t.equal(d[4], 0, 'the labelled record, above every unlabelled one for both models, has the value of rank 1 in both')
  const scores = fused.scoreAll()
  t.equal(scores[4], 1, 'its score is the best possible')
  // Between the worst possible sum (both rank it 5th of 5: 2/65) and the best (2/61).
  t.ok(Math.abs(scores[2] - (1 / 62 + 1 / 61 - 2 / 65) / (2 / 61 - 2 / 65)) < 1e-12, 'a score places the fused sum between the worst and the best possible')
  t.ok(scores.every((s) => s >= 0 && s <= 1), 'every score in [0, 1]')
})

t.test('the fusion constant: a small k favours the record one model ranks first, a large k the one both rank fairly high', async (t) => {
  // 120 records, none labelled. Record 0 ranks 1st for model A and 100th for model B; record 1 ranks
  // 30th for both; the other records fill the remaining places.
  const size = 120
  const placeA = Array.from({ length: size }, (_, i) => i)
  const placeB = Array.from({ length: size }, (_, i) => i)
  const move = (place: number[], record: number, rank: number) => {
    const from = place.indexOf(record)
    place.splice(from, 1)
    place.splice(rank - 1, 0, record)
  }
  move(placeA, 0, 1); move(placeA, 1, 30)
  move(placeB, 0, 100); move(placeB, 1, 30)
  const valuesOf = (place: number[]) => { const v = new Array<number>(size); place.forEach((record, r) => { v[record] = size - r }); return v }
  const order = (k: number) => {
    const fused = fuseScreeningModels([fixed(valuesOf(placeA)), fixed(valuesOf(placeB))], { seed: 1, k })
    fused.fit([])
    const ranked = [...fused.rank()]
    return { first: ranked.indexOf(0), second: ranked.indexOf(1) }
  }
  // k 60: 1/61 + 1/160 = 0.0226 for record 0, 2/90 = 0.0222 for record 1.
  const small = order(60)
  t.ok(small.first < small.second, 'k 60: the record one model ranks first comes earlier')
  // k 2000: 1/2001 + 1/2100 = 0.000976, 2/2030 = 0.000985.
  const large = order(2000)
  t.ok(large.second < large.first, 'k 2000: the record both rank 30th comes earlier')
})
