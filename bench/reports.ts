/**
 * Report builders without the database: the bibliography of N articles in
 * each style (first call, which builds the style's engine, and a second
 * call), a report workbook of N articles and 2N decisions, and the longest
 * stall of the event loop while N references (APA) and 20 figures are made on
 * this thread and in the reporting thread (what requests would wait through).
 *
 *   npx tsx bench/reports.ts [articles, default 10000]
 */
import { Writable } from 'node:stream'
import type { ExportItem } from '../src/export/item.ts'
import { emptyRecord } from '../src/references/model.ts'
import { BIBLIOGRAPHY_STYLES, formatBibliography, type BibliographyStyle } from '../src/reporting/bibliography.ts'
import { writeWorkbook } from '../src/reporting/workbook.ts'
import { drawPng, svgToPng } from '../src/reporting/render.ts'
import { formatBibliographyInThread } from '../src/reporting/reporting-thread.ts'
import { closeModuleThreads } from '../src/threads/module-thread.ts'

const n = Number(process.argv[2] ?? 10_000)
const items: ExportItem[] = Array.from({ length: n }, (_, k) => ({
  record: {
    ...emptyRecord(), title: `Effects of intervention ${k} on outcome ${k % 97} in a randomised trial`,
    authors: [{ family: `Author${k % 500}`, given: 'Anna M.' }, { family: 'van der Berg', given: 'Jan' }], year: 1990 + (k % 35),
    journal: 'Journal of Benchmarks', volume: String(k % 40), issue: String(k % 12), pages: `${k}-${k + 9}`, doi: `10.5555/bench.${k}`
  }
}))

const ms = (start: bigint) => `${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(0)} ms`
for (const style of Object.keys(BIBLIOGRAPHY_STYLES) as BibliographyStyle[]) {
  let start = process.hrtime.bigint()
  formatBibliography(items.slice(0, 1), { style, format: 'text' })
  const first = ms(start)
  start = process.hrtime.bigint()
  const { body } = formatBibliography(items, { style, format: 'text' })
  console.log(`bibliography ${style}: engine + 1 item ${first}; ${n} items ${ms(start)} (${body.length} chars)`)
}

let bytes = 0
const sink = new Writable({ write(chunk: Buffer, _enc, done) { bytes += chunk.length; done() } })
const start = process.hrtime.bigint()
const before = process.memoryUsage().rss
await writeWorkbook([
  { name: 'Articles', columns: ['title', 'authors', 'year', 'doi'].map((key) => ({ key })), rows: items.map((i) => ({ title: i.record.title, authors: i.record.authors.map((a) => a.family).join('; '), year: i.record.year, doi: i.record.doi })) },
  { name: 'Decisions', columns: ['article', 'decision', 'reason', 'date'].map((key) => ({ key })), rows: (function* () { for (let k = 0; k < 2 * n; k++) yield { article: k >> 1, decision: k % 3 ? 'include' : 'exclude', reason: 'wrong population', date: new Date() } })() }
], sink)
console.log(`workbook: ${n} articles + ${2 * n} decisions in ${ms(start)}, ${(bytes / 1e6).toFixed(1)} MB, RSS +${((process.memoryUsage().rss - before) / 1e6).toFixed(0)} MB`)

/** The longest the event loop waited while `work` ran (ms, from a 1 ms timer's gaps), and the work's wall time. */
async function stall(work: () => Promise<unknown>): Promise<string> {
  let last = performance.now()
  let worst = 0
  let probing = true
  const probe = () => {
    const now = performance.now()
    worst = Math.max(worst, now - last)
    last = now
    if (probing) setTimeout(probe, 1)
  }
  setTimeout(probe, 1)
  const start = process.hrtime.bigint()
  await work()
  const took = ms(start)
  // One more gap for the probe to see the end of work that held the loop.
  await new Promise((resolve) => setTimeout(resolve, 5))
  probing = false
  return `longest event-loop stall ${worst.toFixed(0)} ms, ${took} in all`
}
const figure = (k: number) => `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">${Array.from({ length: 12 }, (_, i) =>
  `<rect x="${20 + (i % 3) * 260}" y="${20 + Math.floor(i / 3) * 140}" width="240" height="110" fill="none" stroke="black"/><text x="${30 + (i % 3) * 260}" y="${60 + Math.floor(i / 3) * 140}" font-family="sans-serif" font-size="13">Records ${k}-${i} (n = ${k * 31 + i})</text>`).join('')}</svg>`
await formatBibliographyInThread(items.slice(0, 1), { style: 'apa', format: 'text' })
console.log(`bibliography apa, ${n} items, this thread: ${await stall(async () => formatBibliography(items, { style: 'apa', format: 'text' }))}`)
console.log(`bibliography apa, ${n} items, reporting thread: ${await stall(() => formatBibliographyInThread(items, { style: 'apa', format: 'text' }))}`)
console.log(`20 figures as PNG, this thread: ${await stall(async () => { for (let k = 0; k < 20; k++) await drawPng(figure(k), 2) })}`)
console.log(`20 figures as PNG, reporting thread: ${await stall(async () => { for (let k = 0; k < 20; k++) await svgToPng(figure(k)) })}`)
await closeModuleThreads()
