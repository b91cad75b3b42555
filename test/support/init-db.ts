import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import type { Test as Tap } from 'tap'
import { startEmbeddedPostgres } from '../../src/db/embedded.ts'

/** Runs `scripts/init-db.ts` in a child process with `env` added; its exit code and output (stdout and stderr). */
export function initDb(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/init-db.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { out += c.toString() })
    child.on('exit', (code) => resolve({ code, out }))
  })
}

/** What N concurrent runs on one embedded data directory leave: exit codes, tokens printed, and the database state. */
export async function concurrentRuns(t: Tap, dir: string, port: number, runs: number) {
  const env = { DATABASE_URL: '', EMBEDDED_PG_DIR: path.join(dir, 'pg'), EMBEDDED_PG_PORT: String(port), ADMIN_TOKEN_FILE: path.join(dir, 'admin-token') }
  const results = await Promise.all(Array.from({ length: runs }, () => initDb(env)))
  t.same(results.map((r) => r.code), results.map(() => 0), `${runs} concurrent runs exit 0\n${results.map((r) => r.out).join('\n')}`)
  return { printed: results.filter((r) => /alt_/.test(r.out)).length, env }
}

export async function embeddedState(dir: string, port: number) {
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port })
  try {
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    try {
      const count = async (sql: string) => Number((await client.query(sql)).rows[0].n)
      return {
        migrations: await count('SELECT count(*) AS n FROM drizzle.__drizzle_migrations'),
        admins: await count('SELECT count(*) AS n FROM users WHERE is_admin'),
        tokens: await count('SELECT count(*) AS n FROM api_tokens'),
        profiles: await count('SELECT count(*) AS n FROM analysis_profiles')
      }
    } finally {
      await client.end()
    }
  } finally {
    await server.stop()
  }
}

export function serverLeftRunning(dir: string): boolean {
  try {
    process.kill(Number(readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]), 0)
    return true
  } catch {
    return false
  }
}
