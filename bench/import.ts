/**
 * End-to-end import of 100,000 records (parse, normalise, store, deduplicate)
 * in RIS, BibTeX and PubMed XML, through the real import task, against a
 * plain COPY of the same normalised rows into PostgreSQL in the same run.
 *
 *   npm run build && npx tsx bench/import.ts [records] [formats, default ris,bibtex,pubmed-xml] [--tsx]
 *
 * The service runs in its own process, compiled (`npm run build`) as in
 * production, or through tsx with --tsx; the file is uploaded to it through
 * the API, and its memory is read from /proc. Meanwhile `GET /api/health` is
 * asked every 100 ms: how long the service keeps requests waiting, by phase.
 *
 * The records are real ones (the RIS exports in shared/datasets), varied so
 * that they are distinct (own title suffix, DOI and PMID), with every tenth
 * record a re-formatted copy of the previous one with an extra keyword (about
 * 10% duplicates, as when two databases are searched).
 */
import { createReadStream, createWriteStream, openAsBlob } from 'node:fs'
import fs from 'node:fs/promises'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { toBibtex, toRis } from '../src/export/index.ts'
import { openReferenceFile } from '../src/references/import.ts'
import type { ReferenceRecord } from '../src/references/model.ts'
import { ARTICLE_COPY_COLUMNS } from '../src/jobs/import-references.ts'
import { benchUser, onFreePort, processMemory, quantile, startServer, type ServerBuild } from './support.ts'

const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
const count = Number(args[0] ?? 100_000)
const formats = (args[1] ?? 'ris,bibtex,pubmed-xml').split(',')
const build: ServerBuild = process.argv.includes('--tsx') ? 'tsx' : 'built'
const exportsDir = new URL('../../shared/datasets/exports/', import.meta.url).pathname

async function realRecords(): Promise<ReferenceRecord[]> {
  const records: ReferenceRecord[] = []
  for (const name of (await fs.readdir(exportsDir)).sort()) {
    if (!/\.(ris)$/.test(name) || name.startsWith('baseline_')) continue
    for await (const item of (await openReferenceFile(path.join(exportsDir, name))).items) {
      if (item.kind === 'record' && item.record.title) records.push(item.record)
    }
  }
  return records
}

function* variedRecords(base: ReferenceRecord[]): Generator<ReferenceRecord> {
  let previous: ReferenceRecord | undefined
  for (let i = 0; i < count; i++) {
    if (i % 10 === 9 && previous) {
      // As another database exports the same record: its own casing and journal abbreviation, no DOI, and an index
      // term of its own, which the cluster's primary gains (so deduplication rewrites every primary).
      yield {
        ...previous, title: previous.title!.toUpperCase(), journal: previous.journal?.replace(/\bJournal\b/, 'J'), doi: undefined,
        keywords: [...previous.keywords, 'cohort studies']
      }
      continue
    }
    const r = base[i % base.length]
    previous = { ...r, title: `${r.title} (cohort ${i})`, doi: `10.5555/bench.${i}`, pmid: String(40000000 + i), pmcid: undefined, arxivId: undefined, original: null }
    yield previous
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
function pubmedXml(r: ReferenceRecord): string {
  const authors = r.authors.map((a) => a.literal
    ? `<Author><CollectiveName>${esc(a.family)}</CollectiveName></Author>`
    : `<Author><LastName>${esc(a.family)}</LastName><ForeName>${esc(a.given ?? '')}</ForeName></Author>`).join('')
  return `<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">${r.pmid}</PMID><Article PubModel="Print">` +
    `<Journal><JournalIssue><Volume>${esc(r.volume ?? '')}</Volume><Issue>${esc(r.issue ?? '')}</Issue><PubDate><Year>${r.year ?? 2000}</Year></PubDate></JournalIssue>` +
    `<Title>${esc(r.journal ?? 'Unknown journal')}</Title></Journal><ArticleTitle>${esc(r.title ?? '')}</ArticleTitle>` +
    `<Pagination><MedlinePgn>${esc(r.pages ?? '')}</MedlinePgn></Pagination>` +
    (r.abstract ? `<Abstract><AbstractText>${esc(r.abstract)}</AbstractText></Abstract>` : '') +
    `<AuthorList>${authors}</AuthorList></Article></MedlineCitation><PubmedData><ArticleIdList>` +
    `<ArticleId IdType="pubmed">${r.pmid}</ArticleId>${r.doi ? `<ArticleId IdType="doi">${esc(r.doi)}</ArticleId>` : ''}</ArticleIdList></PubmedData></PubmedArticle>\n`
}

async function writeFile(file: string, chunks: Iterable<string>): Promise<void> {
  const out = createWriteStream(file)
  for (const chunk of chunks) if (!out.write(chunk)) await once(out, 'drain')
  out.end()
  await once(out, 'finish')
}

function* generate(format: string, base: ReferenceRecord[]): Generator<string> {
  const items = (function* () { for (const record of variedRecords(base)) yield { record } })()
  if (format === 'ris') yield* toRis(items)
  else if (format === 'bibtex') yield* toBibtex(items)
  else {
    yield '<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">\n<PubmedArticleSet>\n'
    for (const { record } of items) yield pubmedXml(record)
    yield '</PubmedArticleSet>\n'
  }
}

/**
 * The baselines: the very rows the import stored, dumped with COPY TO, then
 * loaded with a plain COPY FROM into a table shaped like `articles` (same
 * indexes), timed alone; and the same again with the search vectors written
 * by a trigger into a GIN-indexed side table, as `articles` does.
 */
async function copyBaselines(client: pg.Client, projectId: string, dump: string): Promise<{ plainMs: number; withSearchMs: number }> {
  const columns = ARTICLE_COPY_COLUMNS.map((c) => `"${c}"`).join(', ')
  await pipeline(client.query(copyStreams.to(`COPY (SELECT ${columns} FROM articles WHERE project_id = '${projectId}') TO STDOUT`)), createWriteStream(dump))
  const timeCopy = async (setup: string): Promise<number> => {
    await client.query(`DROP TABLE IF EXISTS copy_baseline; DROP TABLE IF EXISTS copy_baseline_search; CREATE TABLE copy_baseline (LIKE articles INCLUDING ALL); ${setup}`)
    await client.query('CHECKPOINT')
    const started = performance.now()
    await client.query('BEGIN')
    await pipeline(createReadStream(dump), client.query(copyStreams.from(`COPY copy_baseline (${columns}) FROM STDIN`)))
    await client.query('COMMIT')
    return performance.now() - started
  }
  const plainMs = await timeCopy('')
  const withSearchMs = await timeCopy(`
    CREATE TABLE copy_baseline_search (article_id uuid PRIMARY KEY, search tsvector NOT NULL);
    CREATE INDEX ON copy_baseline_search USING gin (search);
    CREATE OR REPLACE FUNCTION copy_baseline_search() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      INSERT INTO copy_baseline_search VALUES (NEW.id, to_tsvector('simple', coalesce(NEW.title, '') || ' ' || coalesce(NEW.abstract, '')));
      RETURN NULL; END $$;
    CREATE TRIGGER copy_baseline_search AFTER INSERT ON copy_baseline FOR EACH ROW EXECUTE FUNCTION copy_baseline_search();`)
  await client.query('DROP TABLE copy_baseline; DROP TABLE copy_baseline_search; DROP FUNCTION copy_baseline_search()')
  await fs.rm(dump)
  return { plainMs, withSearchMs }
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-import-bench-'))
await fs.chmod(root, 0o755)
const database = await onFreePort((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port }))
// The service in its own process, as deployed: its memory is measured apart from the benchmark's.
const server = await startServer({
  DATABASE_URL: database.url, STORAGE_DIR: path.join(root, 'files'), JOB_CONCURRENCY: '1', UPLOAD_MAX_BYTES: String(2 ** 31)
}, build)
const api = `http://127.0.0.1:${server.port}/api`
const { client, auth } = await benchUser(database.url)
const base = await realRecords()
console.log(`${count} records per file, varied from ${base.length} real records (every tenth a re-formatted duplicate); service run through ${build === 'built' ? 'its compiled JavaScript (npm run build)' : 'tsx'}`)

for (const format of formats) {
  const file = path.join(root, `bench.${format}`)
  await writeFile(file, generate(format, base))
  const size = (await fs.stat(file)).size
  const project = await (await fetch(`${api}/projects`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: `bench ${format}` })
  })).json() as { id: string }

  const idle = processMemory(server.child.pid!).rss
  let peak = idle
  let phase = 'upload'
  const peakByPhase: Record<string, number> = {}
  const sampler = setInterval(() => {
    const { rss } = processMemory(server.child.pid!)
    peak = Math.max(peak, rss)
    peakByPhase[phase] = Math.max(peakByPhase[phase] ?? 0, rss)
  }, 25)
  // A request of someone else meanwhile: its latency, by phase.
  const healthByPhase: Record<string, number[]> = {}
  let polling = true
  const poller = (async () => {
    while (polling) {
      const at = performance.now()
      const asked = phase
      await fetch(`${api}/health`).then((r) => r.arrayBuffer())
      ;(healthByPhase[asked] ??= []).push(performance.now() - at)
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  const uploadStarted = performance.now()
  const form = new FormData()
  form.append('file', await openAsBlob(file), path.basename(file))
  const response = await fetch(`${api}/projects/${project.id}/imports`, { method: 'POST', headers: auth, body: form })
  if (response.status !== 202) throw new Error(`upload answered ${response.status}: ${await response.text()}`)
  const task = await response.json() as { id: string }
  const started = performance.now()
  const uploadSeconds = (started - uploadStarted) / 1000
  phase = 'import'
  let row: { status: string; message: string | null; result: unknown; error: string | null }
  for (;;) {
    [row] = (await client.query('SELECT status, message, result, error FROM tasks WHERE id = $1', [task.id])).rows
    if (row.message === 'finding duplicates') phase = 'deduplication'
    if (row.status !== 'queued' && row.status !== 'running') break
    await new Promise((r) => setTimeout(r, 100))
  }
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  polling = false
  await poller
  if (row.status !== 'succeeded') throw new Error(`${format} import ${row.status}: ${row.error}`)
  const result = row.result as { imported: number; errorCount: number; deduplication: { duplicates: number; durationMs: number; comparisons: number; phasesMs: Record<string, number> } }

  const { plainMs: copyMs, withSearchMs } = await copyBaselines(client, project.id, path.join(root, 'dump.copy'))
  const importMs = seconds * 1000 - result.deduplication.durationMs
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`

  console.log(`\n${format}: ${(size / 1024 / 1024).toFixed(0)} MiB (uploaded in ${uploadSeconds.toFixed(1)} s), ${result.imported} records imported, ${result.errorCount} errors`)
  console.log(`  end to end (parse, normalise, store, deduplicate): ${seconds.toFixed(1)} s = ${Math.round(result.imported / seconds)} records/s`)
  console.log(`  of which deduplication: ${(result.deduplication.durationMs / 1000).toFixed(1)} s, ${result.deduplication.duplicates} duplicates found, ${result.deduplication.comparisons} comparisons (${Object.entries(result.deduplication.phasesMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')})`)
  console.log(`  import without deduplication: ${Math.round(result.imported / (importMs / 1000))} records/s`)
  console.log(`  plain COPY of the same rows: ${(copyMs / 1000).toFixed(1)} s; import / COPY = ${(importMs / copyMs).toFixed(2)}x`)
  console.log(`  COPY of the same rows with their search vectors: ${(withSearchMs / 1000).toFixed(1)} s; import / that COPY = ${(importMs / withSearchMs).toFixed(2)}x`)
  console.log(`  service RSS: ${mb(idle)} idle, peak ${mb(peak)} (${mb(peak - idle)} above idle); by phase ` +
    Object.entries(peakByPhase).map(([p, v]) => `${p} ${mb(v)}`).join(', ') + `; the kernel's high-water mark since start ${mb(processMemory(server.child.pid!).peak)}`)
  console.log('  GET /api/health meanwhile (every 100 ms), p50 / p99 / max: ' + Object.entries(healthByPhase)
    .map(([p, v]) => `${p} ${quantile(v, 0.5).toFixed(0)} / ${quantile(v, 0.99).toFixed(0)} / ${Math.max(...v).toFixed(0)} ms (${v.length})`).join(', '))
  await client.query('DELETE FROM projects WHERE id = $1', [project.id])
  await fs.rm(file)
}
await client.end()
await server.stop()
await database.stop()
await fs.rm(root, { recursive: true, force: true })
