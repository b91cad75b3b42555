/**
 * PRISMA flow counts (`prismaCounts`) on a project of 100,000 records.
 *
 *   npx tsx bench/prisma.ts [records]
 *
 * Embedded PostgreSQL, migrations applied; the project has 4 file imports (one
 * mixing databases per record), 10% of its records linked as duplicates, two
 * reviewers' title/abstract decisions on 60% of the live records (a 10%
 * conflict rate, resolved), full-text decisions with reasons on the included
 * ones, a PDF linked to 80% of those. Prints the median and worst of 10 runs
 * computed afresh (the project's data version bumped before each, as a write
 * does) and of 10 runs at an unchanged version (the counts cache), with the CPU
 * of this process and of the PostgreSQL server per call (from /proc), and the
 * time to list one box's records. Then the same run compares the query that
 * sorted every decision (before screening_states) with the read of the
 * maintained states, and what keeping them costs each kind of write: each
 * write measured with the state triggers disabled (as before) and enabled.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { createDatabase } from '../src/db/index.ts'
import { applyMigrations } from '../src/db/migrate.ts'
import { prismaCounts, prismaRecords } from '../src/services/prisma.ts'
import { recordHumanDecision } from '../src/services/screening.ts'
import { readScreeningSettings } from '../src/services/screening-settings.ts'
import { sortedFlowCounts } from '../test/support/prisma-sorted-flow.ts'
import { median, onFreePort, postgresCpuMs } from './support.ts'

const count = Number(process.argv[2] ?? 100_000)
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-prisma-bench-'))
await fs.chmod(root, 0o755)
const database = await onFreePort((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port }))
const pool = new pg.Pool({ connectionString: database.url, max: 10 })
await applyMigrations(pool)
const q = (text: string, values: unknown[] = []) => pool.query(text, values)

const { rows: [alice] } = await q('INSERT INTO users (email) VALUES (\'a@example.org\') RETURNING id')
const { rows: [bob] } = await q('INSERT INTO users (email) VALUES (\'b@example.org\') RETURNING id')
const reasons = ['wrong population', 'wrong design', 'wrong outcome']
const { rows: [project] } = await q('INSERT INTO projects (name, screening_settings) VALUES (\'bench\', $1) RETURNING id',
  [{ reviewersPerRecord: 2, exclusionReasons: reasons }])
const p = project.id
const started = performance.now()
for (const db of ['PubMed', 'Embase', 'Web of Science', null]) {
  const { rows: [batch] } = await q('INSERT INTO source_batches (project_id, kind, source_database) VALUES ($1, \'file\', $2) RETURNING id', [p, db])
  // The fourth file mixes databases, each record tagged with its own.
  await q(`INSERT INTO articles (project_id, batch_id, source_index, title, source_database)
    SELECT $1, $2, n, 'Record ' || n, CASE WHEN $3::text IS NULL THEN (ARRAY['Scopus', 'CINAHL', 'ClinicalTrials.gov'])[1 + n % 3] ELSE $3 END
    FROM generate_series(1, $4::int) n`, [p, batch.id, db, Math.floor(count / 4)])
}
await q(`WITH numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM articles WHERE project_id = $1),
  pairs AS (SELECT a.id AS dup, b.id AS prim FROM numbered a JOIN numbered b ON b.n = a.n + 1 WHERE a.n % 10 = 0)
  UPDATE articles SET duplicate_of = pairs.prim FROM pairs WHERE articles.id = pairs.dup`, [p])
const live = 'SELECT id, row_number() OVER (ORDER BY id) AS n FROM articles WHERE project_id = $1 AND duplicate_of IS NULL'
await q(`INSERT INTO decisions (project_id, article_id, reviewer_id, stage, decision, reason)
  SELECT $1, l.id, r.reviewer, 'title_abstract', CASE WHEN l.n % 5 = 0 OR (l.n % 10 = 3 AND r.reviewer = $2) THEN 'include'::decision_value ELSE 'exclude' END, NULL
  FROM (${live}) l CROSS JOIN (VALUES ($2::uuid), ($3::uuid)) r(reviewer) WHERE l.n % 10 < 6`, [p, alice.id, bob.id])
await q(`INSERT INTO decisions (project_id, article_id, reviewer_id, stage, decision, source)
  SELECT $1, l.id, $2, 'title_abstract', 'exclude', 'resolution' FROM (${live}) l WHERE l.n % 10 = 3`, [p, alice.id])
await q(`INSERT INTO decisions (project_id, article_id, reviewer_id, stage, decision, reason)
  SELECT $1, l.id, r.reviewer, 'full_text', CASE WHEN l.n % 3 = 0 THEN 'include'::decision_value ELSE 'exclude' END,
    CASE WHEN l.n % 3 = 0 THEN NULL ELSE ($4::text[])[1 + l.n % 3] END
  FROM (${live}) l CROSS JOIN (VALUES ($2::uuid), ($3::uuid)) r(reviewer) WHERE l.n % 5 = 0`, [p, alice.id, bob.id, reasons])
const { rows: [file] } = await q('INSERT INTO files (project_id, storage_path, original_name, size, sha256) VALUES ($1, \'x.pdf\', \'x.pdf\', 1, \'0\') RETURNING id', [p])
await q(`UPDATE articles SET full_text_file_id = $2 FROM (${live}) l WHERE articles.id = l.id AND l.n % 25 <> 0 AND l.n % 5 = 0`, [p, file.id])
await q('ANALYZE')
console.log(`${count} records built in ${((performance.now() - started) / 1000).toFixed(1)} s, node ${process.version}`)

const db = createDatabase(pool)
const first = await prismaCounts(db, p)
for (const fresh of [true, false]) {
  const times: number[] = []
  let node = 0
  let postgres = 0
  for (let i = 0; i < 10; i++) {
    if (fresh) await q('UPDATE projects SET data_version = data_version + 1 WHERE id = $1', [p])
    const cpu0 = process.cpuUsage()
    const pg0 = postgresCpuMs(path.join(root, 'pg'))
    const t0 = performance.now()
    await prismaCounts(db, p)
    times.push(performance.now() - t0)
    const cpu = process.cpuUsage(cpu0)
    node += (cpu.user + cpu.system) / 1000
    postgres += postgresCpuMs(path.join(root, 'pg')) - pg0
  }
  console.log(`prismaCounts ${fresh ? 'computed afresh' : 'at an unchanged version'}: median ${median(times).toFixed(0)} ms, worst ${Math.max(...times).toFixed(0)} ms; CPU/call node ${(node / 10).toFixed(1)} ms + PostgreSQL ${(postgres / 10).toFixed(1)} ms`)
}
console.log(JSON.stringify({ total: first.identification.total, duplicates: first.identification.duplicatesRemoved, ta: first.screening.titleAbstract, ft: { ...first.screening.fullText, exclusionReasons: first.screening.fullText.exclusionReasons.map((r) => [r.reason, r.count]) } }))
const t0 = performance.now()
const box = await prismaRecords(db, p, { box: 'notRetrieved', limit: 100 })
console.log(`prisma/records?box=notRetrieved (${box.total} records): ${(performance.now() - t0).toFixed(0)} ms`)

/** CPU of this process and of the PostgreSQL server spent by `run`, in ms. */
async function cpuOf(run: () => Promise<unknown>): Promise<{ node: number; postgres: number }> {
  const cpu0 = process.cpuUsage()
  const pg0 = postgresCpuMs(path.join(root, 'pg'))
  await run()
  const cpu = process.cpuUsage(cpu0)
  return { node: (cpu.user + cpu.system) / 1000, postgres: postgresCpuMs(path.join(root, 'pg')) - pg0 }
}
const show = (c: { node: number; postgres: number }, per = 1) => `node ${(c.node / per).toFixed(1)} + PostgreSQL ${(c.postgres / per).toFixed(1)} ms`

// The statuses as computed before screening_states: every human and resolution decision of the project sorted per reviewer.
const settings = readScreeningSettings({ reviewersPerRecord: 2, exclusionReasons: reasons })
const sorted = await cpuOf(async () => {
  for (let i = 0; i < 5; i++) {
    await db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL work_mem = '64MB'`)
      await sortedFlowCounts(tx, p, settings)
    })
  }
})
const maintained = await cpuOf(async () => {
  for (let i = 0; i < 5; i++) {
    await q('UPDATE projects SET data_version = data_version + 1 WHERE id = $1', [p])
    await prismaCounts(db, p)
  }
})
console.log(`flow statuses, 5 calls each, CPU per call: sorting every decision ${show(sorted, 5)}; prismaCounts afresh from screening_states ${show(maintained, 5)}`)

// What keeping the states and source counts costs the writes: each write with their triggers off (as before), undone, then on.
const STATE_TRIGGERS = ['decisions_inserted_screening_states', 'decisions_updated_screening_states', 'decisions_updated_before_screening_states', 'decisions_deleted_screening_states']
async function withStates(on: boolean) {
  for (const trigger of STATE_TRIGGERS) await q(`ALTER TABLE decisions ${on ? 'ENABLE' : 'DISABLE'} TRIGGER ${trigger}`)
  for (const trigger of ['articles_updated_screening_states', 'articles_deleted_screening_states', 'articles_inserted_source_counts', 'articles_updated_source_counts', 'articles_deleted_source_counts']) await q(`ALTER TABLE articles ${on ? 'ENABLE' : 'DISABLE'} TRIGGER ${trigger}`)
}
async function compare(label: string, write: () => Promise<unknown>, undo: () => Promise<unknown>, per = 1) {
  await withStates(false)
  const before = await cpuOf(write)
  await undo()
  await withStates(true)
  const after = await cpuOf(write)
  await undo()
  console.log(`${label}: without states ${show(before, per)}; with states ${show(after, per)}`)
}
const { rows: [carol] } = await q('INSERT INTO users (email) VALUES (\'c@example.org\') RETURNING id')
const { rows: sample } = await q(`${live} ORDER BY n LIMIT 200`, [p])
await compare('decision route (recordHumanDecision), per decision of 200', async () => {
  for (const r of sample) await recordHumanDecision(db, p, settings, carol.id, { articleId: r.id, stage: 'title_abstract', decision: 'maybe' })
}, () => q('DELETE FROM decisions WHERE reviewer_id = $1', [carol.id]), sample.length)
await compare(`bulk human decisions on every live record (one INSERT of ${Math.round(count * 0.9)})`, () => q(`INSERT INTO decisions (project_id, article_id, reviewer_id, stage, decision)
  SELECT $1, l.id, $2, 'title_abstract', 'maybe' FROM (${live}) l`, [p, carol.id]), () => q('DELETE FROM decisions WHERE reviewer_id = $1', [carol.id]))
await compare(`imported labels on every record (COPY-like INSERT of ${count}, source import)`, () => q(`INSERT INTO decisions (project_id, article_id, stage, decision, source)
  SELECT $1, id, 'title_abstract', 'include', 'import' FROM articles WHERE project_id = $1`, [p]), () => q('DELETE FROM decisions WHERE project_id = $1 AND source = \'import\'', [p]))
const { rows: [extra] } = await q('INSERT INTO source_batches (project_id, kind, source_database) VALUES ($1, \'file\', \'CINAHL\') RETURNING id', [p])
await compare(`import of ${count} records into a new batch (one INSERT)`, () => q(`INSERT INTO articles (project_id, batch_id, source_index, title)
  SELECT $1, $2, n, 'Imported ' || n FROM generate_series(1, $3::int) n`, [p, extra.id, count]), () => q('DELETE FROM articles WHERE batch_id = $1', [extra.id]))
await q('DELETE FROM source_batches WHERE id = $1', [extra.id])
const pairs = `WITH n AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM articles WHERE project_id = $1 AND duplicate_of IS NULL)
  SELECT a.id AS dup, b.id AS prim FROM n a JOIN n b ON b.n = a.n + 1 WHERE a.n % 9 = 4`
const { rows: links } = await q(pairs, [p])
await compare(`deduplication linking ${links.length} decided records to others (one UPDATE)`, () => q(`UPDATE articles SET duplicate_of = u.prim
  FROM unnest($1::uuid[], $2::uuid[]) u(dup, prim) WHERE articles.id = u.dup`, [links.map((l) => l.dup), links.map((l) => l.prim)]),
() => q('UPDATE articles SET duplicate_of = NULL WHERE id = ANY($1::uuid[])', [links.map((l) => l.dup)]))
const after = await prismaCounts(db, p)
console.log(after.screening.titleAbstract.included === first.screening.titleAbstract.included && JSON.stringify(after.screening) === JSON.stringify(first.screening)
  ? 'counts after the write round trips: unchanged' : 'counts after the write round trips: CHANGED')
await pool.end()
await database.stop()
await fs.rm(root, { recursive: true, force: true })
