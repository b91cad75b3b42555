/**
 * Descriptive statistics and concept-graph speed on n generated records (in
 * memory: the counting, not the database read): counts by every dimension, a
 * cross-tabulation, and the keyword co-occurrence graph, without and with
 * LLM concepts (0–6 a record, from 1,000) beside the keywords.
 *
 *   npx tsx bench/descriptive.ts [--n 100000] [--runs 5]
 */
import { parseArgs } from 'node:util'
import { conceptGraph, countBy, crossTabulate, DIMENSIONS, toGraphml, type RecordFacts } from '../src/synthesis/descriptive/index.ts'

const { values } = parseArgs({ options: { n: { type: 'string', default: '100000' }, runs: { type: 'string', default: '5' } } })
const n = Number(values.n); const runs = Number(values.runs)
let seed = 42
const random = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
const vocabulary = Array.from({ length: 2000 }, (_, i) => `Concept ${i}${i % 3 === 0 ? 's' : ''}`)
// Keywords drawn with a skewed frequency (a few frequent, many rare), 0–8 per record.
const records: RecordFacts[] = Array.from({ length: n }, () => ({
  year: 1990 + Math.floor(random() * 35), journal: `Journal ${Math.floor(random() ** 2 * 500)}`, country: [], design: random() < 0.8 ? 'article' : 'review',
  keywords: Array.from({ length: Math.floor(random() * 9) }, () => vocabulary[Math.floor(random() ** 3 * vocabulary.length)]), database: 'PubMed'
}))

function time(label: string, fn: () => unknown): void {
  fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) { const t = performance.now(); fn(); times.push(performance.now() - t) }
  times.sort((a, b) => a - b)
  console.log(`${label.padEnd(44)} median ${times[Math.floor(times.length / 2)].toFixed(1)} ms   best ${times[0].toFixed(1)} ms`)
}

console.log(`n = ${n} records, ${runs} runs`)
time('counts by every dimension (top 50)', () => DIMENSIONS.map((d) => countBy(records, d, 50)))
time('cross-tabulation year × journal', () => crossTabulate(records, 'year', 'journal', 50))
const keywordLists = records.map((r) => r.keywords)
time('concept graph (300 nodes)', () => conceptGraph(keywordLists, { maxNodes: 300 }))
const graph = conceptGraph(keywordLists, { maxNodes: 300 })
console.log(`  ${graph.nodes.length} nodes, ${graph.edges.length} edges`)
time('GraphML of that graph', () => toGraphml(graph))
const withConcepts = keywordLists.map((keyword) => ({
  keyword, 'llm-concept': Array.from({ length: Math.floor(random() * 7) }, () => `Theme ${Math.floor(random() ** 2 * 1000)}`)
}))
time('concept graph with LLM concepts (300 nodes)', () => conceptGraph(withConcepts, { maxNodes: 300 }))
