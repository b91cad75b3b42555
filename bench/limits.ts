/**
 * Worst-case uploads of each accepted format through the running service, with
 * its peak resident memory read from /proc: decompression bombs (an XLSX whose
 * shared strings inflate to 4.3 GiB), one enormous cell or field (1 GiB in an
 * XLSX; in a text format as large as the upload limit allows), records just
 * under IMPORT_MAX_RECORD_CHARS, and 100,000 tiny records. Files are generated here, never committed.
 *
 *   npx tsx bench/limits.ts [cases, default all] [--tsx]      (compiled service: `npm run build` first)
 */
import { createWriteStream, openAsBlob } from 'node:fs'
import fs from 'node:fs/promises'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { SHARED_STRINGS_CLOSE, SHARED_STRINGS_OPEN, repeated, xlsxWorkbook } from '../test/support/xlsx-bomb.ts'
import { benchUser, onFreePort, processMemory, startServer, type ServerBuild } from './support.ts'

const build: ServerBuild = process.argv.includes('--tsx') ? 'tsx' : 'built'
const only = process.argv.slice(2).find((arg) => !arg.startsWith('--'))?.split(',')
const TINY = 100_000
const UPLOAD_MAX_BYTES = 200 * 1024 * 1024
/** The largest field a text upload can carry under the default UPLOAD_MAX_BYTES. */
const BIG_FIELD = UPLOAD_MAX_BYTES - 1024 * 1024

type Pieces = Iterable<Buffer | string>
const tiny = (line: (i: number) => string, head = '', tail = ''): Pieces => (function* () {
  yield head
  for (let i = 0; i < TINY; i++) yield line(i)
  yield tail
})()
const big = (head: string, tail: string): Pieces => [head, ...repeated('a', BIG_FIELD), tail]

const pubmed = (pmid: number, title: string, abstract: Pieces = []): Pieces => [
  `<PubmedArticle><MedlineCitation><PMID>${pmid}</PMID><Article><ArticleTitle>${title}</ArticleTitle><Abstract><AbstractText>`,
  ...abstract, '</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n']
const PUBMED_OPEN = '<?xml version="1.0" ?>\n<PubmedArticleSet>\n'

/** name → file name and content. */
const cases: Record<string, () => Promise<{ file: string; pieces: Pieces }>> = {
  'xlsx bomb (shared strings inflate to 4.3 GiB)': async () => ({ file: 'bomb.xlsx', pieces: [await xlsxWorkbook({
    rows: [['Title']], sharedStrings: [SHARED_STRINGS_OPEN, ...repeated('<si><t>A title</t></si>', 4.3 * 2 ** 30), SHARED_STRINGS_CLOSE]
  })] }),
  // the same, declaring 1 kB: the inflated bytes are counted as they come
  'xlsx bomb declaring 1 kB (inflates to 4.3 GiB)': async () => ({ file: 'bomb.xlsx', pieces: [await xlsxWorkbook({
    rows: [['Title']], sharedStrings: [SHARED_STRINGS_OPEN, ...repeated('<si><t>A title</t></si>', 4.3 * 2 ** 30), SHARED_STRINGS_CLOSE],
    declaredSizes: { 'xl/sharedStrings.xml': 1000 }
  })] }),
  'xlsx one 1 GiB cell, declaring 1 kB': async () => ({ file: 'cell.xlsx', pieces: [await xlsxWorkbook({
    rows: [['Title']], sharedStrings: [SHARED_STRINGS_OPEN, '<si><t>Title</t></si><si><t>', ...repeated('a', 2 ** 30), '</t></si>', SHARED_STRINGS_CLOSE],
    declaredSizes: { 'xl/sharedStrings.xml': 1000 }
  })] }),
  // within every limit: 480 MiB of shared strings (100,000 of 5,000 characters) wait in the spool file
  'xlsx 480 MiB of shared strings': async () => ({ file: 'strings.xlsx', pieces: [await xlsxWorkbook({
    rows: [['Title'], ...Array.from({ length: 100 }, (_, i) => [`T${i}`])],
    sharedStrings: [SHARED_STRINGS_OPEN, '<si><t>Title</t></si>', ...Array.from({ length: 100 }, (_, i) => `<si><t>T${i}</t></si>`),
      ...repeated(`<si><t>${'a'.repeat(5000)}</t></si>`, 100_000 * 5016), SHARED_STRINGS_CLOSE]
  })] }),
  'xlsx 100k tiny records': async () => ({ file: 'tiny.xlsx', pieces: [await xlsxWorkbook({ rows: [['Title', 'Year'], ...Array.from({ length: TINY }, (_, i) => [`T${i}`, '2000'])] })] }),
  'csv one 199 MiB cell': async () => ({ file: 'cell.csv', pieces: big('Title,Abstract\nBig,"', '"\n') }),
  'csv 100k tiny records': async () => ({ file: 'tiny.csv', pieces: tiny((i) => `T${i},2000\n`, 'Title,Year\n') }),
  'tsv 100k tiny records': async () => ({ file: 'tiny.tsv', pieces: tiny((i) => `T${i}\t2000\n`, 'Title\tYear\n') }),
  'ris one 199 MiB field': async () => ({ file: 'field.ris', pieces: big('TY  - JOUR\nTI  - Big\nAB  - ', '\nER  - \n') }),
  'ris 100k tiny records': async () => ({ file: 'tiny.ris', pieces: tiny((i) => `TY  - JOUR\nTI  - T${i}\nER  - \n`) }),
  'medline one 199 MiB field': async () => ({ file: 'field.nbib', pieces: big('PMID- 1\nTI  - Big\nAB  - ', '\n\n') }),
  'medline 100k tiny records': async () => ({ file: 'tiny.nbib', pieces: tiny((i) => `PMID- ${i + 1}\nTI  - T${i}\n\n`) }),
  'bibtex one 199 MiB field': async () => ({ file: 'field.bib', pieces: big('@article{big,\n  title = {Big},\n  abstract = {', '}\n}\n') }),
  'bibtex 100k tiny records': async () => ({ file: 'tiny.bib', pieces: tiny((i) => `@article{k${i}, title = {T${i}}}\n`) }),
  'csl-json one 199 MiB field': async () => ({ file: 'field.json', pieces: big('[{"type":"article-journal","title":"Big","abstract":"', '"}]') }),
  'csl-json 100k tiny records': async () => ({ file: 'tiny.json', pieces: tiny((i) => `${i ? ',' : ''}{"type":"article-journal","title":"T${i}"}`, '[', ']') }),
  'pubmed-xml one 199 MiB field': async () => ({ file: 'field.xml', pieces: [PUBMED_OPEN, ...pubmed(1, 'Big', repeated('a', BIG_FIELD)), '</PubmedArticleSet>\n'] }),
  'pubmed-xml 100k tiny records': async () => ({ file: 'tiny.xml', pieces: tiny((i) => [...pubmed(i + 1, `T${i}`)].join(''), PUBMED_OPEN, '</PubmedArticleSet>\n') }),
  // last, as its peak stays in the process: within the limits, as many records as fit, each just under IMPORT_MAX_RECORD_CHARS (4,000,000 characters)
  'ris 50 records of 3.9 M characters': async () => ({ file: 'under.ris', pieces: (function* () {
    for (let i = 0; i < 50; i++) yield* [`TY  - JOUR\nTI  - Record ${i}\nAB  - `, ...repeated('lorem ipsum ', 3_900_000), '\nER  - \n']
  })() })
}

async function writeFile(file: string, pieces: Pieces): Promise<void> {
  const out = createWriteStream(file)
  for (const piece of pieces) if (!out.write(piece)) await once(out, 'drain')
  out.end()
  await once(out, 'finish')
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-limits-bench-'))
await fs.chmod(root, 0o755)
const database = await onFreePort((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port }))
const server = await startServer({ DATABASE_URL: database.url, STORAGE_DIR: path.join(root, 'files'), JOB_CONCURRENCY: '1' }, build)
const api = `http://127.0.0.1:${server.port}/api`
const { client, auth } = await benchUser(database.url)
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`
let exited = false
server.child.once('exit', () => { exited = true })
console.log(`service run through ${build === 'built' ? 'its compiled JavaScript' : 'tsx'}, default limits; idle RSS ${mb(processMemory(server.child.pid!).rss)}`)
console.log('| upload | file size | outcome | seconds | service peak RSS |\n|---|---|---|---|---|')

for (const [name, make] of Object.entries(cases)) {
  if (only && !only.some((word) => name.startsWith(word))) continue
  const { file: fileName, pieces } = await make()
  const file = path.join(root, fileName)
  await writeFile(file, pieces)
  const size = (await fs.stat(file)).size
  const project = await (await fetch(`${api}/projects`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name })
  })).json() as { id: string }
  let peak = processMemory(server.child.pid!).rss
  const sampler = setInterval(() => { if (!exited) peak = Math.max(peak, processMemory(server.child.pid!).rss) }, 20)
  const started = performance.now()
  const form = new FormData()
  form.append('file', await openAsBlob(file), fileName)
  const response = await fetch(`${api}/projects/${project.id}/imports`, { method: 'POST', headers: auth, body: form })
  let outcome: string
  if (response.status !== 202) outcome = `${response.status}: ${(await response.json() as { message: string }).message}`
  else {
    const task = await response.json() as { id: string }
    for (;;) {
      const [row] = (await client.query('SELECT status, result, error FROM tasks WHERE id = $1', [task.id])).rows
      if (exited) { outcome = 'SERVICE DIED'; break }
      if (row.status !== 'queued' && row.status !== 'running') {
        outcome = row.status === 'succeeded' ? `${row.result.imported} imported, ${row.result.errorCount} errors` : `${row.status}: ${row.error}`
        break
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  clearInterval(sampler)
  console.log(`| ${name} | ${(size / 1024 / 1024).toFixed(1)} MiB | ${outcome.slice(0, 200)} | ${((performance.now() - started) / 1000).toFixed(1)} | ${mb(peak)} |`)
  await fs.rm(file)
  if (exited) break
  await client.query('DELETE FROM projects WHERE id = $1', [project.id])
}
await client.end()
await server.stop()
await database.stop()
await fs.rm(root, { recursive: true, force: true })
