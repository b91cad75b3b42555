import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { recallCurveSvg } from '../../src/screening/recall-svg.ts'
import {
  parseLabelledCsv, parseModels, parsePriors, parseSeeds, simulateScreening, SimulationError, type SimulationProgress
} from '../../src/screening/simulate.ts'

const datasets = fileURLToPath(new URL('../../../shared/datasets/screening/', import.meta.url))
const antihistamines = path.join(datasets, 'Cohen_2006', 'Antihistamines.csv')
const missing = !existsSync(antihistamines) && 'shared screening datasets not available'
const repo = fileURLToPath(new URL('../../', import.meta.url))

const labelled = missing ? [] : parseLabelledCsv(readFileSync(antihistamines)).records

/**
 * WSS@95, WSS@100, RRF@10 and ATD of a screening order of the Antihistamines records, written out by hand
 * (asreview-insights' definitions) with the dataset's constants given: WSS@r = (t' − t)/N with t the 0-based
 * position of the k-th relevant record and t' where round(i·R/(N − 1)) first reaches k; RRF@10 = relevant
 * among the first `first10` records / R; ATD = mean 1-based position of the relevant records / N.
 */
function handMetrics(order: number[], c: { n: number, r: number, first10: number, k95: number, random95: number, random100: number }) {
  const pos = order.flatMap((index, i) => labelled[index].included ? [i + 1] : [])
  if (order.length !== c.n || pos.length !== c.r) throw new Error(`order of ${order.length} records with ${pos.length} relevant`)
  return {
    'WSS@95': (c.random95 - (pos[c.k95 - 1] - 1)) / c.n,
    'WSS@100': (c.random100 - (pos[c.r - 1] - 1)) / c.n,
    'RRF@10': pos.filter((p) => p <= c.first10).length / c.r,
    ATD: pos.reduce((a, b) => a + b, 0) / c.r / c.n
  }
}

t.test('labelled CSV: label_included read as 1/0, unlabelled rows counted, other columns ignored', async (t) => {
  const csv = 'Record_ID,Title,abstract,label_included,extra\n1,"A, title","An abstract",1,x\n2,B,,0,y\n3,C,c,,z\n4,D,d,-1,w\n'
  const { records, unlabelled } = parseLabelledCsv(csv)
  t.same(records, [{ title: 'A, title', abstract: 'An abstract', included: true }, { title: 'B', abstract: '', included: false }])
  t.equal(unlabelled, 2)
  t.throws(() => parseLabelledCsv('title,abstract\nA,B\n'), SimulationError)
  t.throws(() => parseLabelledCsv('title,abstract,label_included\nA,B,perhaps\n'), /row 2/)
})

t.test('a perfectly separable dataset is screened relevant-first', async (t) => {
  const records = Array.from({ length: 200 }, (_, i) => i < 20
    ? { title: `Mindfulness app for anxiety ${i}`, abstract: 'Smartphone mindfulness intervention reduced anxiety in students.', included: true }
    : { title: `Soil nitrogen study ${i}`, abstract: 'Field measurements of nitrogen and crop yield in wheat.', included: false })
  const progress: SimulationProgress[] = []
  const result = await simulateScreening(records, { seeds: [5, 6] }, (p) => progress.push(p))
  t.equal(result.evaluatedRecords, 198)
  t.equal(result.evaluatedRelevant, 19)
  for (const run of result.runs) {
    t.equal(run.priorIndices.length, 2)
    t.ok(records[run.priorIndices[0]].included && !records[run.priorIndices[1]].included)
    t.same([...run.order.slice(0, 19)].every((i) => records[i].included), true, 'the 19 relevant records come first')
    t.equal(run.screened, 19, 'the run stops once all relevant records are found')
    t.equal(run.order.length, 198)
    t.same([...new Set([...run.order, ...run.priorIndices])].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i))
    // Best possible: WSS@100 = (t'_19 − 18)/198 with the random baseline reaching 19 at its last index.
    t.ok(run.metrics.wss95 > 0.8 && run.metrics.wss100 > 0.8)
    t.equal(run.metrics.rrf10, 1)
    t.ok(Math.abs(run.metrics.atdRecords - 10) < 1e-9, 'positions 1..19 average 10')
  }
  t.equal(progress.length, 38)
  t.same(progress[18], { seed: 5, run: 0, runs: 2, screened: 19, total: 198, found: 19, relevant: 19 })
})

t.test('simulation on a real dataset (Cohen 2006, Antihistamines) beats random screening and is reproducible', { skip: missing }, async (t) => {
  const { records } = parseLabelledCsv(readFileSync(antihistamines))
  t.equal(records.length, 310)
  t.equal(records.filter((r) => r.included).length, 16)
  const first = await simulateScreening(records, { seeds: 2 })
  const again = await simulateScreening(records, { seeds: [1] })
  t.same(again.runs[0].order, first.runs[0].order, 'same seed, same screening order')
  t.notSame(first.runs[0].priorIndices, first.runs[1].priorIndices)
  const found = first.runs[0].found
  t.ok(found.every((v, i) => i === 0 || v >= found[i - 1]))
  t.equal(found.at(-1), 15)
  // Random screening of the 308 evaluated records (15 relevant): RRF@10 counts the relevant records in the
  // first 30, hypergeometric with mean 30·15/308 = 1.46 (RRF@10 ≈ 0.097). Over two seeds the 30 relevant
  // records give P(found ≥ 8 of 30) = 0.0054, so a mean RRF@10 ≥ 0.25 is what random screening does not reach
  // (P(≥ 5) = 0.16, so the former bound 0.15 was met by one random order in six). Measured: 0.30 (4 + 5 of 30),
  // so one relevant record of margin for changes to the model.
  t.ok(first.mean.rrf10 >= 0.25, `RRF@10 ${first.mean.rrf10} well above the 0.097 of random screening`)
  // Random ATD is (N + 1)/2N ≈ 0.50 with sd 0.289·√(293/307)/√15 = 0.073 per run, 0.052 for the mean of two:
  // ATD < 0.30 is 3.9 sd below random (p ≈ 5·10⁻⁵). Measured: 0.244.
  t.ok(first.mean.atd < 0.3, `ATD ${first.mean.atd} well below the 0.50 of random screening`)
  t.equal(first.mean.wss95, (first.runs[0].metrics.wss95 + first.runs[1].metrics.wss95) / 2)

  const svg = recallCurveSvg(first, { title: 'Antihistamines <nb>' })
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  t.equal(svg.match(/<polyline /g)?.length, 2, 'one line per seed')
  t.match(svg, 'stroke-dasharray', 'random baseline')
  t.match(svg, 'Antihistamines &lt;nb&gt;')
})

t.test('datasets too small for prior knowledge are refused', async (t) => {
  await t.rejects(simulateScreening([{ title: 'a', included: true }, { title: 'b', included: false }]), SimulationError)
  await t.rejects(simulateScreening([{ title: 'a', included: true }, { title: 'b', included: true }, { title: 'c', included: false }], { seeds: [] }), /seed/)
})

t.test('the CLI prints recall progress and the summary lines, and writes SVG and JSON', { skip: missing }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'simulate-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import', 'tsx', 'scripts/simulate.ts', antihistamines, '--seeds', '1', '--every', '100',
    '--svg', path.join(dir, 'curve.svg'), '--json', path.join(dir, 'result.json')
  ], { cwd: repo })
  const lines = stdout.trim().split('\n')
  t.match(lines[0], /^Antihistamines\.csv: 310 records, 16 relevant; model nb, 1 seed/)
  t.match(lines[1], /^seed 1: 100\/308 screened \(32\.5%\), recall \d+\.\d% \(\d+\/15\)$/)
  const summary = lines.slice(-4)
  t.match(summary[0], /^WSS@95: -?\d+\.\d$/)
  t.match(summary[1], /^WSS@100: -?\d+\.\d$/)
  t.match(summary[2], /^RRF@10: \d+\.\d$/)
  t.match(summary[3], /^ATD: \d+\.\d$/)
  const json = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'))
  t.equal(json.dataset, 'Antihistamines.csv')
  t.equal(json.complete, true)
  // The printed metrics, recomputed by hand from the written order and the CSV's labels (not from the JSON's
  // metrics): N = 310 − 2 priors = 308 records, R = 15. RRF@10 counts the first 30 records (30/308 ≤ 10% < 31/308);
  // WSS@95 looks at the 14th relevant record (14/15 ≤ 0.95 < 15/15); the random baseline round(i·15/307) first
  // reaches 14 at i = 277 (277·15/307 = 13.53; 276 gives 13.49) and 15 at i = 297 (14.51; 296 gives 14.46).
  const hand = handMetrics(json.models.nb.runs[0].order, { n: 308, r: 15, first10: 30, k95: 14, random95: 277, random100: 297 })
  const printed = summary.map((line) => Number(line.split(': ')[1]))
  for (const [i, name] of (['WSS@95', 'WSS@100', 'RRF@10', 'ATD'] as const).entries()) {
    t.ok(Math.abs(printed[i] - hand[name] * 100) <= 0.05 + 1e-9, `${name} printed ${printed[i]}, by hand ${(hand[name] * 100).toFixed(3)}`)
  }
  t.match(readFileSync(path.join(dir, 'curve.svg'), 'utf8'), /<polyline /)

  const bad = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/simulate.ts', antihistamines, '--model', 'nb,forest'], { cwd: repo })
    .then(() => undefined, (error: { code: number, stderr: string }) => error)
  t.equal(bad?.code, 2)
  t.match(bad?.stderr, /--model must be one or more of nb, logistic, svm, ensemble/)
})

t.test('command-line options: seed ranges and lists, prior counts, model lists', async (t) => {
  t.same(parseSeeds('3'), [1, 2, 3], 'a count')
  t.same(parseSeeds('1..15'), Array.from({ length: 15 }, (_, i) => i + 1))
  t.same(parseSeeds('4,7..9'), [4, 7, 8, 9])
  t.throws(() => parseSeeds('9..7'), /ends before it starts/)
  t.throws(() => parseSeeds('1,1'), /twice/)
  t.throws(() => parseSeeds('x'), /--seeds takes/)
  t.throws(() => parseSeeds('0'), /at least 1/)
  t.same(parsePriors('1,1'), { priorIncluded: 1, priorExcluded: 1 })
  t.same(parsePriors(' 5, 10 '), { priorIncluded: 5, priorExcluded: 10 })
  t.throws(() => parsePriors('1'), /--priors/)
  t.throws(() => parsePriors('0,1'), /--priors/)
  t.same(parseModels('nb,svm,ensemble'), ['nb', 'svm', 'ensemble'])
  t.throws(() => parseModels('nb,nb'), /twice/)
})

t.test('the CLI runs several models with given priors and seeds, one table row per model', { skip: missing }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'simulate-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const json = path.join(dir, 'runs.json')
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import', 'tsx', 'scripts/simulate.ts', antihistamines, '--seeds', '2..3', '--priors', '2,3', '--model', 'nb,svm', '--every', '1000', '--json', json
  ], { cwd: repo })
  t.match(stdout, /model nb, svm, 2 seed\(s\), priors 2 relevant \+ 3 irrelevant/)
  const table = stdout.trim().split('\n').slice(-4)
  t.same(table.slice(0, 2), ['| model | WSS@95 | WSS@100 | RRF@10 | ATD |', '|---|---|---|---|---|'])
  t.match(table[2], /^\| nb \| -?\d+\.\d \| /)
  t.match(table[3], /^\| svm \| -?\d+\.\d \| /)
  const result = JSON.parse(readFileSync(json, 'utf8'))
  t.equal(result.complete, true)
  t.same(result.seeds, [2, 3])
  for (const model of ['nb', 'svm']) {
    t.same(result.models[model].runs.map((r: { seed: number }) => r.seed), [2, 3])
    t.equal(result.models[model].runs[0].priorIndices.length, 5, '2 + 3 prior records')
    t.equal(result.models[model].runs[0].order.length, 310 - 5)
  }
  // Each row's figures, by hand from the two seeds' orders: N = 310 − 5 priors = 305, R = 16 − 2 = 14. RRF@10
  // counts the first 30 records (30/305 ≤ 10% < 31/305); WSS@95 the 13th relevant record (13/14 ≤ 0.95);
  // round(i·14/304) first reaches 13 at i = 272 (12.53; 271 gives 12.48) and 14 at i = 294 (13.54; 293 gives 13.49).
  for (const [row, model] of [[table[2], 'nb'], [table[3], 'svm']] as const) {
    const runs = result.models[model].runs.map((run: { order: number[] }) => handMetrics(run.order, { n: 305, r: 14, first10: 30, k95: 13, random95: 272, random100: 294 }))
    const cells = row.split('|').slice(2, 6).map(Number)
    for (const [i, name] of (['WSS@95', 'WSS@100', 'RRF@10', 'ATD'] as const).entries()) {
      const mean = (runs[0][name] + runs[1][name]) / 2
      t.ok(Math.abs(cells[i] - mean * 100) <= 0.05 + 1e-9, `${model} ${name} printed ${cells[i]}, by hand ${(mean * 100).toFixed(3)}`)
    }
  }
})
