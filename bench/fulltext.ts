/**
 * Text extraction throughput: generates a 300-page two-column article PDF
 * (pdf-lib), extracts it with the worker-thread extractor as the service
 * does, and prints pages per second and peak resident memory (maxRSS of a
 * child process that only extracts, worker thread included: generating the
 * PDF takes more memory than reading it).
 *
 *   npx tsx bench/fulltext.ts [pages] [runs]
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PdfExtractor } from '../src/fulltext/extract.ts'
import { articlePdf } from '../test/support/pdfs.ts'

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0)

if (process.argv[2] === '--file') {
  const [file, pages, runs] = [process.argv[3], Number(process.argv[4]), Number(process.argv[5])]
  console.log(`RSS before extraction ${mb(process.memoryUsage().rss)} MB`)
  const extractor = new PdfExtractor({ timeoutMs: 600_000, maxPages: 100_000, maxBytes: 1 << 30, memoryMb: 512, ocr: false })
  for (let run = 1; run <= runs; run++) {
    const started = performance.now()
    const outcome = await extractor.extract(file)
    const seconds = (performance.now() - started) / 1000
    if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`)
    const chars = outcome.text.pages.reduce((n, p) => n + p.text.length, 0)
    console.log(`run ${run}: ${seconds.toFixed(2)} s, ${(pages / seconds).toFixed(0)} pages/s, ${chars} characters, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
  }
  await extractor.close()
  process.exit(0)
}

const pages = Number(process.argv[2] ?? 300)
const runs = Number(process.argv[3] ?? 3)
const WORDS = 'the digital therapeutic alliance was measured in adults using a validated questionnaire after eight weeks of treat- ment with a conversational agent'.split(' ')
const line = (seed: number) => Array.from({ length: 9 }, (_, i) => WORDS[(seed * 7 + i * 3) % WORDS.length]).join(' ')

const pdf = await articlePdf({
  pages, columns: 2, header: 'Journal of Digital Health 12 (2024) 1-300', pageNumbers: true, title: 'A generated article for the extraction benchmark',
  body: (p, c) => Array.from({ length: 55 }, (_, i) => line(p * 131 + c * 59 + i))
})
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-bench-pdf-'))
const file = path.join(dir, 'article.pdf')
await fs.writeFile(file, pdf)
console.log(`PDF: ${pages} pages, ${mb(pdf.byteLength)} MB`)
try {
  execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--file', file, String(pages), String(runs)], { stdio: 'inherit' })
} finally {
  await fs.rm(dir, { recursive: true, force: true })
}
