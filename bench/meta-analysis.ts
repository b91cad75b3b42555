/**
 * Meta-analysis speed: a full analysis (REML, Q-profile interval, prediction
 * interval, Egger's tests, trim-and-fill) of k generated studies, with and
 * without leave-one-out, and the forest plot.
 *
 *   npx tsx bench/meta-analysis.ts [--k 1000] [--runs 20]
 *
 * Prints the median and best time of each over the runs (after 3 warm-up runs).
 */
import { parseArgs } from 'node:util'
import { metaAnalysis, type MetaAnalysisInput } from '../src/synthesis/meta-analysis/index.ts'
import { forestPlotSvg } from '../src/synthesis/meta-analysis/plots.ts'

const { values } = parseArgs({ options: { k: { type: 'string', default: '1000' }, runs: { type: 'string', default: '20' } } })
const k = Number(values.k); const runs = Number(values.runs)
// A deterministic, heterogeneous, somewhat asymmetric set of studies.
let seed = 12345
const random = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
const studies = Array.from({ length: k }, (_, i) => {
  const se = 0.05 + random() * 0.5
  return { id: `s${i}`, yi: 0.3 + (random() - 0.5) * 0.8 + (se > 0.4 ? 0.2 : 0), se }
})

function time(label: string, fn: () => unknown): void {
  for (let i = 0; i < 3; i++) fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) { const t = performance.now(); fn(); times.push(performance.now() - t) }
  times.sort((a, b) => a - b)
  console.log(`${label.padEnd(48)} median ${times[Math.floor(times.length / 2)].toFixed(1)} ms   best ${times[0].toFixed(1)} ms`)
}

const base: MetaAnalysisInput = { kind: 'generic', measure: 'GEN', method: 'REML', studies, leaveOneOut: false }
console.log(`k = ${k}, ${runs} runs`)
time('REML analysis (no leave-one-out)', () => metaAnalysis(base))
time('DerSimonian–Laird analysis (no leave-one-out)', () => metaAnalysis({ ...base, method: 'DL' }))
time('REML analysis with leave-one-out', () => metaAnalysis({ ...base, leaveOneOut: true }))
const result = metaAnalysis(base)
time('forest plot SVG', () => forestPlotSvg(result))
