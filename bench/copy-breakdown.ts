/**
 * Where PostgreSQL spends an import's time: a COPY of the same normalised
 * rows (real records from the shared RIS exports, originals left out) into
 * variants of the `articles` table, each in one transaction, run twice.
 *
 *   npx tsx bench/copy-breakdown.ts [rows, default 20000]
 *
 * Prints microseconds per row for the rows and their B-trees alone, with the
 * search-vector trigger but no GIN index, with the GIN index as `articles`
 * has it, and the alternatives tried (larger pending list, fastupdate off,
 * vectors inserted after the COPY, the index built after the load), then the
 * cost of to_tsvector alone.
 */
import fs from 'node:fs/promises'
import { createReadStream, createWriteStream } from 'node:fs'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { copyValue } from '../src/db/copy.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { applyMigrations } from '../src/db/migrate.ts'
import { ARTICLE_COPY_COLUMNS } from '../src/jobs/import-references.ts'
import { openReferenceFile } from '../src/references/import.ts'
import type { ReferenceRecord } from '../src/references/model.ts'
import { recordToRow } from '../src/services/articles.ts'
import { onFreePort } from './support.ts'

const count = Number(process.argv[2] ?? 20_000)
const exportsDir = new URL('../../shared/datasets/exports/', import.meta.url).pathname
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-copy-bench-'))
await fs.chmod(root, 0o755)
const database = await onFreePort((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port }))
const pool = new pg.Pool({ connectionString: database.url, max: 1 })
await applyMigrations(pool)
await pool.end()
const client = new pg.Client({ connectionString: database.url })
await client.connect()

const records: ReferenceRecord[] = []
for (const name of (await fs.readdir(exportsDir)).sort()) {
  if (!name.endsWith('.ris') || name.startsWith('baseline_')) continue
  for await (const item of (await openReferenceFile(path.join(exportsDir, name))).items) if (item.kind === 'record' && item.record.title) records.push(item.record)
}
const { rows: [user] } = await client.query('INSERT INTO users (email) VALUES (\'bench@example.org\') RETURNING id')
const { rows: [project] } = await client.query('INSERT INTO projects (name, created_by) VALUES (\'bench\', $1) RETURNING id', [user.id])
const { rows: [batch] } = await client.query('INSERT INTO source_batches (project_id, kind) VALUES ($1, \'file\') RETURNING id', [project.id])
const dump = path.join(root, 'rows.copy')
const out = createWriteStream(dump)
for (let i = 0; i < count; i++) {
  const base = records[i % records.length]
  const row = recordToRow({ ...base, title: `${base.title} ${i}` })
  const line = [randomUUID(), project.id, batch.id, i, row.title, row.abstract, row.authors, row.year, row.journal, row.volume, row.issue,
    row.pages, row.doi, row.pmid, row.pmcid, row.arxivId, row.type, row.sourceDatabase, row.data, null, row.completeness]
  if (!out.write(line.map(copyValue).join('\t') + '\n')) await once(out, 'drain')
}
out.end()
await once(out, 'finish')

const columns = ARTICLE_COPY_COLUMNS.map((c) => `"${c}"`).join(', ')
const VECTOR = 'to_tsvector(\'simple\', coalesce(title, \'\') || \' \' || coalesce(abstract, \'\'))'
const TRIGGER = `CREATE FUNCTION t_search() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    INSERT INTO ts VALUES (NEW.id, to_tsvector('simple', coalesce(NEW.title, '') || ' ' || coalesce(NEW.abstract, ''))); RETURN NULL; END $$;
  CREATE TRIGGER t_search AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_search();`

async function timeCopy(label: string, setup: string, before = '', after = ''): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS ts; DROP FUNCTION IF EXISTS t_search();
    CREATE TABLE t (LIKE articles INCLUDING ALL); CREATE TABLE ts (article_id uuid PRIMARY KEY, search tsvector NOT NULL); ${setup}`)
  await client.query('CHECKPOINT')
  const started = performance.now()
  await client.query('BEGIN')
  if (before) await client.query(before)
  await pipeline(createReadStream(dump), client.query(copyStreams.from(`COPY t (${columns}) FROM STDIN`)))
  if (after) await client.query(after)
  await client.query('COMMIT')
  const ms = performance.now() - started
  console.log(`  ${label}: ${((ms * 1000) / count).toFixed(0)} µs/row (${Math.round(count / (ms / 1000))} rows/s)`)
}

console.log(`${count} rows`)
for (let round = 1; round <= 2; round++) {
  console.log(`round ${round}`)
  await timeCopy('rows and B-trees only', '')
  await timeCopy('+ search vectors by trigger, no GIN', TRIGGER)
  await timeCopy('+ GIN index (as articles)', `${TRIGGER} CREATE INDEX ON ts USING gin (search);`)
  await timeCopy('  GIN with a 64 MB pending list and work_mem', `${TRIGGER} CREATE INDEX ON ts USING gin (search) WITH (gin_pending_list_limit = 65536);`, 'SET LOCAL work_mem = \'64MB\'')
  await timeCopy('  GIN with fastupdate off', `${TRIGGER} CREATE INDEX ON ts USING gin (search) WITH (fastupdate = off);`)
  await timeCopy('  vectors by INSERT … SELECT after the COPY', 'CREATE INDEX ON ts USING gin (search);', '', `INSERT INTO ts SELECT id, ${VECTOR} FROM t`)
  await timeCopy('  vectors after the COPY, GIN built after them', '', 'SET LOCAL maintenance_work_mem = \'128MB\'', `INSERT INTO ts SELECT id, ${VECTOR} FROM t; CREATE INDEX ON ts USING gin (search)`)
}
const started = performance.now()
const { rows: [text] } = await client.query(`SELECT avg(length(coalesce(title, '') || ' ' || coalesce(abstract, '')))::int AS chars, avg(length(${VECTOR}))::int AS lexemes FROM t`)
console.log(`to_tsvector alone (with reading the text): ${(((performance.now() - started) * 1000) / count).toFixed(0)} µs/row; ${text.chars} characters, ${text.lexemes} lexemes per row`)
await client.end()
await database.stop()
await fs.rm(root, { recursive: true, force: true })
