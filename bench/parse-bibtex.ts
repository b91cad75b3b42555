/**
 * BibTeX parsing throughput: writes the real records of the shared exports
 * (cycled to the record count) as BibTeX twice — in UTF-8, as JabRef, Zotero's
 * BibLaTeX export and AnalyLit's own export write it, and in ASCII with the
 * accented letters as LaTeX commands ({\"u}), as Better BibTeX writes BibTeX
 * by default — parses each through openReferenceFile like the import job, and
 * prints records per second, how many entries needed the LaTeX converter, and
 * peak resident memory.
 *
 *   npx tsx bench/parse-bibtex.ts [recordCount]
 */
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { toBibtex } from '../src/export/index.ts'
import { openReferenceFile } from '../src/references/import.ts'
import type { ReferenceRecord } from '../src/references/model.ts'
import { BibtexSplitter } from '../src/references/formats/bibtex.ts'
import { readPlainFields, scanBibtexEntry } from '../src/references/formats/bibtex-plain.ts'
import { parseFile } from './support.ts'

const recordCount = Number(process.argv[2] ?? 100_000)
const exportsDir = fileURLToPath(new URL('../../shared/datasets/exports/', import.meta.url))

async function realRecords(): Promise<ReferenceRecord[]> {
  const records: ReferenceRecord[] = []
  for (const name of readdirSync(exportsDir).sort()) {
    if (!/\.(ris|txt)$/.test(name) || name.startsWith('baseline_')) continue
    for await (const item of (await openReferenceFile(join(exportsDir, name))).items) {
      if (item.kind === 'record' && item.record.title) records.push(item.record)
    }
  }
  return records
}

/** LaTeX accent commands for the accented letters of the Latin-1 range (what an ASCII export writes). */
const ACCENTS: Record<string, string> = { '\u0300': '`', '\u0301': "'", '\u0302': '^', '\u0303': '~', '\u0308': '"', '\u0327': 'c ' }
function asciiLatex(text: string): string {
  return text.replace(/[\u00c0-\u00ff]/g, (character) => {
    const [letter, mark] = character.normalize('NFD')
    if (mark === undefined || !ACCENTS[mark]) return character
    return ACCENTS[mark] === 'c ' ? `{\\c{${letter}}}` : `{\\${ACCENTS[mark]}${letter}}`
  })
}

async function writeFile(path: string, records: ReferenceRecord[], transform: (text: string) => string): Promise<void> {
  const out = createWriteStream(path)
  const items = function* () {
    for (let i = 0; i < recordCount; i++) {
      const record = records[i % records.length]
      yield { record: { ...record, title: `${record.title} (${i})`, doi: `10.5555/bib.${i}` } }
    }
  }
  for (const entry of toBibtex(items())) {
    if (!out.write(transform(entry))) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

/** How many entries hold at least one field only the LaTeX converter can read. */
async function entriesNeedingConverter(path: string): Promise<number> {
  const splitter = new BibtexSplitter()
  let needing = 0
  for await (const text of createReadStream(path, { encoding: 'utf8' })) {
    splitter.feed(text as string)
    for (const chunk of splitter.chunks.splice(0)) {
      const entry = scanBibtexEntry(chunk.text)
      if (!entry || readPlainFields(entry).left.length > 0) needing++
    }
  }
  return needing
}

const directory = mkdtempSync(join(tmpdir(), 'analylit-bench-'))
try {
  const records = await realRecords()
  for (const [label, transform] of [['UTF-8', (text: string) => text], ['ASCII with LaTeX accents', asciiLatex]] as const) {
    const path = join(directory, 'library.bib')
    await writeFile(path, records, transform)
    const megabytes = statSync(path).size / 1024 / 1024
    const run = await parseFile(path)
    const needing = await entriesNeedingConverter(path)
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0)
    console.log(`${label}: ${recordCount} entries from ${records.length} distinct real records, ${megabytes.toFixed(1)} MiB`)
    console.log(`  parsed ${run.records} records, ${run.errors} errors in ${run.seconds.toFixed(2)} s = ${Math.round(run.records / run.seconds).toLocaleString('en')} records/s`)
    console.log(`  entries with a field for the LaTeX converter: ${needing} (${((needing / recordCount) * 100).toFixed(1)}%)`)
    console.log(`  RSS before parsing ${mib(run.rssBefore)} MiB, peak while parsing ${mib(run.peakRss)} MiB`)
  }
} finally {
  rmSync(directory, { recursive: true, force: true })
}
