/**
 * End-to-end import of 100,000 records (parse, normalise, store, deduplicate)
 * in RIS, BibTeX and PubMed XML, through the real import task, against a
 * plain COPY of the same normalised rows into PostgreSQL in the same run.
 *
 *   npx tsx bench/import.ts [records] [formats, default ris,bibtex,pubmed-xml]
 *
 * The records are real ones (the RIS exports in shared/datasets), varied so
 * that they are distinct (own title suffix, DOI and PMID), with every tenth
 * record a re-formatted copy of the previous one with an extra keyword (about
 * 10% duplicates, as when two databases are searched).
 */
import { createReadStream, createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { eq } from 'drizzle-orm'
import { loadConfig } from '../src/config.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { files, tasks } from '../src/db/schema.ts'
import { toBibtex, toRis } from '../src/export/index.ts'
import { openReferenceFile } from '../src/references/import.ts'
import type { ReferenceRecord } from '../src/references/model.ts'
import { buildServer } from '../src/server.ts'
import { createUser } from '../src/auth/users.ts'
import { createProject } from '../src/services/projects.ts'
import { ARTICLE_COPY_COLUMNS } from '../src/jobs/import-references.ts'
import { freePort } from './support.ts'

const count = Number(process.argv[2] ?? 100_000)
const formats = (process.argv[3] ?? 'ris,bibtex,pubmed-xml').split(',')
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
const database = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port: await freePort() })
const app = buildServer(loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'warn', STORAGE_DIR: path.join(root, 'files'), JOB_CONCURRENCY: '1' }))
await app.ready()
const user = await createUser(app.db, { email: 'bench@example.org' })
const client = new pg.Client({ connectionString: database.url })
await client.connect()
const base = await realRecords()
console.log(`${count} records per file, varied from ${base.length} real records (every tenth a re-formatted duplicate)`)

for (const format of formats) {
  const file = path.join(app.storageDir, `bench.${format}`)
  await writeFile(file, generate(format, base))
  const size = (await fs.stat(file)).size
  const project = await createProject(app.db, user, { name: `bench ${format}` })
  const [fileRow] = await app.db.insert(files).values({ projectId: project.id, storagePath: path.basename(file), originalName: path.basename(file), size, sha256: '-', createdBy: user.id }).returning()

  global.gc?.()
  const rssBefore = process.memoryUsage().rss
  let peak = rssBefore
  let phase = 'import'
  const peakByPhase: Record<string, number> = {}
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss
    peak = Math.max(peak, rss)
    peakByPhase[phase] = Math.max(peakByPhase[phase] ?? 0, rss)
  }, 25)
  const started = performance.now()
  const task = await app.tasks.submit({ type: 'import-references', projectId: project.id, createdBy: user.id, payload: { fileId: fileRow.id } })
  let row
  for (;;) {
    [row] = await app.db.select().from(tasks).where(eq(tasks.id, task.id))
    if (row.message === 'finding duplicates') phase = 'deduplication'
    if (row.status !== 'queued' && row.status !== 'running') break
    await new Promise((r) => setTimeout(r, 100))
  }
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  if (row.status !== 'succeeded') throw new Error(`${format} import ${row.status}: ${row.error}`)
  const result = row.result as { imported: number; errorCount: number; deduplication: { duplicates: number; durationMs: number; comparisons: number; phasesMs: Record<string, number> } }

  const { plainMs: copyMs, withSearchMs } = await copyBaselines(client, project.id, path.join(root, 'dump.copy'))
  const importMs = seconds * 1000 - result.deduplication.durationMs

  console.log(`\n${format}: ${(size / 1024 / 1024).toFixed(0)} MiB, ${result.imported} records imported, ${result.errorCount} errors`)
  console.log(`  end to end (parse, normalise, store, deduplicate): ${seconds.toFixed(1)} s = ${Math.round(result.imported / seconds)} records/s`)
  console.log(`  of which deduplication: ${(result.deduplication.durationMs / 1000).toFixed(1)} s, ${result.deduplication.duplicates} duplicates found, ${result.deduplication.comparisons} comparisons (${Object.entries(result.deduplication.phasesMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')})`)
  console.log(`  import without deduplication: ${Math.round(result.imported / (importMs / 1000))} records/s`)
  console.log(`  plain COPY of the same rows: ${(copyMs / 1000).toFixed(1)} s; import / COPY = ${(importMs / copyMs).toFixed(2)}x`)
  console.log(`  COPY of the same rows with their search vectors: ${(withSearchMs / 1000).toFixed(1)} s; import / that COPY = ${(importMs / withSearchMs).toFixed(2)}x`)
  console.log(`  peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB (${((peak - rssBefore) / 1024 / 1024).toFixed(0)} MB above the idle service); ` +
    Object.entries(peakByPhase).map(([p, v]) => `${p} ${(v / 1024 / 1024).toFixed(0)} MB`).join(', '))
  await client.query('DELETE FROM projects WHERE id = $1', [project.id])
  await fs.rm(file)
}
await client.end()
await app.close()
await database.stop()
await fs.rm(root, { recursive: true, force: true })
