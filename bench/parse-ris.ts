/**
 * RIS import throughput: builds a 100,000-record RIS file in a temporary
 * directory from the real records of the shared exports (all dialects,
 * cycled), imports it through openReferenceFile like the import job does,
 * and prints records per second and peak resident memory.
 *
 *   npx tsx bench/parse-ris.ts [recordCount]
 */
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeBytes } from '../src/references/encoding.ts'
import { openReferenceFile } from '../src/references/import.ts'

const recordCount = Number(process.argv[2] ?? 100_000)
const exportsDir = fileURLToPath(new URL('../../shared/datasets/exports/', import.meta.url))

/** Records of the real dialect files (the hand-made baseline_* edge-case files are left out). */
function realRecords(): string[] {
  const records: string[] = []
  for (const name of readdirSync(exportsDir).sort()) {
    if (!/\.(ris|txt)$/.test(name) || name.startsWith('baseline_')) continue
    const text = decodeBytes(readFileSync(join(exportsDir, name)))
    for (const block of text.split(/^ER {2}-.*$/m)) {
      const start = block.search(/^TY {2}-/m)
      if (start >= 0) records.push(`${block.slice(start).trimEnd()}\r\nER  - \r\n\r\n`)
    }
  }
  return records
}

async function writeFile(path: string, records: string[]): Promise<void> {
  const out = createWriteStream(path)
  for (let i = 0; i < recordCount; i++) {
    if (!out.write(records[i % records.length])) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

const directory = mkdtempSync(join(tmpdir(), 'analylit-bench-'))
try {
  const path = join(directory, 'library.ris')
  const records = realRecords()
  await writeFile(path, records)
  const megabytes = statSync(path).size / 1024 / 1024
  global.gc?.()
  const rssBefore = process.memoryUsage().rss
  let peakRss = rssBefore
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 20)

  const started = performance.now()
  const opened = await openReferenceFile(path)
  let parsed = 0
  let errors = 0
  for await (const item of opened.items) {
    if (item.kind === 'record') parsed++
    else errors++
    if ((parsed & 0xfff) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  peakRss = Math.max(peakRss, process.memoryUsage().rss)

  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0)
  console.log(`file: ${recordCount} records from ${records.length} distinct real records, ${megabytes.toFixed(1)} MiB, format ${opened.format.id}, ${opened.encoding}`)
  console.log(`parsed ${parsed} records, ${errors} errors in ${seconds.toFixed(2)} s`)
  console.log(`${Math.round(parsed / seconds).toLocaleString('en')} records/s, ${(megabytes / seconds).toFixed(0)} MiB/s`)
  console.log(`RSS before parsing ${mib(rssBefore)} MiB, peak while parsing ${mib(peakRss)} MiB`)
} finally {
  rmSync(directory, { recursive: true, force: true })
}
