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
import { parseFile } from './support.ts'

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
  const run = await parseFile(path)
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0)
  console.log(`file: ${recordCount} records from ${records.length} distinct real records, ${megabytes.toFixed(1)} MiB, format ${run.format}, ${run.encoding}`)
  console.log(`parsed ${run.records} records, ${run.errors} errors in ${run.seconds.toFixed(2)} s`)
  console.log(`${Math.round(run.records / run.seconds).toLocaleString('en')} records/s, ${(megabytes / run.seconds).toFixed(0)} MiB/s`)
  console.log(`RSS before parsing ${mib(run.rssBefore)} MiB, peak while parsing ${mib(run.peakRss)} MiB`)
} finally {
  rmSync(directory, { recursive: true, force: true })
}
