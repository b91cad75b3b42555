/**
 * Requests/s and p99 latency on GET /api/health and on a page of 50 articles
 * from a project holding 20,000 articles, with autocannon over loopback.
 *   npx tsx bench/http.ts [seconds]
 */
import autocannon from 'autocannon'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { onFreePort, startServer } from './support.ts'

const seconds = Number(process.argv[2] ?? 10)
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-bench-'))
await fs.chmod(root, 0o755)
const database = await onFreePort((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port }))
const server = await startServer({ DATABASE_URL: database.url, STORAGE_DIR: path.join(root, 'files') })

const client = new pg.Client({ connectionString: database.url })
await client.connect()
const token = 'alt_bench-token-0000000000000000000000000000'
const { rows: [user] } = await client.query(`INSERT INTO users (email, name) VALUES ('bench@example.org', 'Bench') RETURNING id`)
await client.query(`INSERT INTO api_tokens (user_id, token_hash) VALUES ($1, encode(sha256($2::bytea), 'hex'))`, [user.id, token])
const { rows: [project] } = await client.query(`INSERT INTO projects (name, created_by) VALUES ('Bench', $1) RETURNING id`, [user.id])
await client.query(`INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, 'owner')`, [project.id, user.id])
await client.query(`
  INSERT INTO articles (project_id, source_index, title, abstract, authors, year, journal, doi)
  SELECT $1, i, 'Study ' || i || ' of conversational agents and the therapeutic alliance',
         repeat('An abstract sentence about digital mental health interventions. ', 20),
         '[{"family":"Doe","given":"Jane"},{"family":"Roe","given":"Rick"}]'::jsonb,
         1990 + i % 35, 'Journal of Medical Internet Research', '10.1000/bench.' || i
  FROM generate_series(1, 20000) AS i`, [project.id])
await client.query('ANALYZE articles')
await client.end()

async function run(title: string, url: string) {
  const result = await autocannon({ url, connections: 20, duration: seconds, headers: { authorization: `Bearer ${token}` } })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${title}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
  console.log(`${title}: ${result.requests.average.toFixed(0)} requests/s, p99 ${result.latency.p99} ms, p50 ${result.latency.p50} ms (20 connections, ${seconds} s)`)
}

const base = `http://127.0.0.1:${server.port}/api`
await run('GET /api/health', `${base}/health`)
await run('GET a page of 50 of 20,000 articles', `${base}/projects/${project.id}/articles?page=7&pageSize=50&sort=title`)
await server.stop()
await database.stop()
await fs.rm(root, { recursive: true, force: true })
