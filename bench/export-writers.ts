/**
 * Export writers' throughput with screening labels: builds N records with
 * three current decisions each (two reviewers and a resolution, with
 * reasons, notes and tags), writes them in every format to a counting sink
 * and prints records per second and output size — what the label block
 * (label lines plus the base64 "AnalyLit data" line or the `analylit` column)
 * costs on top of the records.
 *
 *   npx tsx bench/export-writers.ts [recordCount] [format]
 */
import { Writable } from 'node:stream'
import { EXPORT_FORMATS, writeExport, type ExportFormatId, type ExportItem } from '../src/export/index.ts'
import { emptyRecord } from '../src/references/model.ts'

const count = Number(process.argv[2] ?? 20_000)
const only = process.argv[3]

function item(k: number): ExportItem {
  const reviewer = (n: number) => ({ email: `reviewer${n}@example.org`, name: `Reviewer ${n}`, kind: 'human' })
  const at = new Date(Date.UTC(2026, 0, 1) + k * 1000).toISOString()
  return {
    record: {
      ...emptyRecord(), title: `Digital therapeutic alliance in conversational agents, study ${k}`, year: 2000 + (k % 25),
      authors: [{ family: 'Müller', given: 'Anna' }, { family: 'Zhang', given: 'Wei' }], journal: 'J Med Internet Res',
      abstract: 'Background: '.padEnd(1200, 'x'), doi: `10.5555/bench.${k}`, keywords: ['alliance', 'chatbot'], sourceDatabase: 'Scopus'
    },
    decision: [{ stage: 'title_abstract', decision: 'include' }, { stage: 'full_text', decision: 'exclude', reason: 'wrong design', note: 'single arm' }],
    tags: ['pilot'],
    screening: [
      { stage: 'title_abstract', decision: 'include', tags: ['pilot'], source: 'human', reviewer: reviewer(1), at },
      { stage: 'full_text', decision: 'maybe', note: 'unclear control group', source: 'human', reviewer: reviewer(2), at },
      { stage: 'full_text', decision: 'exclude', reason: 'wrong design', note: 'single arm', source: 'resolution', reviewer: reviewer(1), at }
    ]
  }
}

const items = Array.from({ length: count }, (_, k) => item(k))
for (const format of Object.keys(EXPORT_FORMATS) as ExportFormatId[]) {
  if (only && format !== only) continue
  let bytes = 0
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { bytes += chunk.length; done() } })
  const start = performance.now()
  await writeExport(format, items, sink)
  const ms = performance.now() - start
  console.log(`${format.padEnd(8)} ${count} records  ${Math.round(ms)} ms  ${Math.round(count / (ms / 1000))} records/s  ${(bytes / 1e6).toFixed(1)} MB`)
}
