import t, { type Test as Tap } from 'tap'
import { readFileSync } from 'node:fs'
import { stat, readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { build, createTestDatabase, freePort, needsServices, tempDir } from '../helper.ts'
import { startEmbeddedPostgres } from '../../src/db/embedded.ts'
import { expectedMigrationCount } from '../../src/db/migrate.ts'
import { hashToken } from '../../src/auth/tokens.ts'
import { initDb } from '../support/init-db.ts'

// Dozens of init-db processes, each starting Node and TypeScript: slow on a loaded machine.
t.setTimeout(600000)

async function snapshot(url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const q = async (sql: string) => (await client.query(sql)).rows
    return {
      profiles: await q('SELECT id, name, preprocess_model, extract_model, synthesis_model, is_custom FROM analysis_profiles ORDER BY id'),
      prompts: await q('SELECT key, kind, name FROM prompt_templates ORDER BY key'),
      grids: await q('SELECT key, name, jsonb_array_length(fields) AS n FROM grid_templates ORDER BY key'),
      admins: await q('SELECT email, is_admin FROM users ORDER BY email'),
      tokens: await q('SELECT u.email, t.token_hash FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY u.email')
    }
  } finally {
    await client.end()
  }
}

t.test('init-db seeds once, prints the token once, and is safe to run again and concurrently', { skip: needsServices }, async (t) => {
  const url = await createTestDatabase(t)
  const dir = await tempDir(t)
  const tokenFile = path.join(dir, 'admin-token')
  const env = { DATABASE_URL: url, ADMIN_TOKEN_FILE: tokenFile, ADMIN_EMAIL: 'admin@review.org' }

  const first = await initDb(env)
  t.equal(first.code, 0, first.out)
  const tokenLine = first.out.split('\n').find((l) => /token/i.test(l) && /alt_/.test(l))
  t.ok(tokenLine, 'the token is printed on a line containing "token"')
  const token = /alt_[\w-]+/.exec(tokenLine ?? '')![0]
  t.equal((await readFile(tokenFile, 'utf8')).trim(), token, 'and written to the token file')
  t.equal((await stat(tokenFile)).mode & 0o777, 0o600, 'readable by its owner only')

  const state = await snapshot(url)
  t.equal(state.profiles.length, 5, 'five analysis profiles')
  t.ok(state.profiles.every((p: { is_custom: boolean }) => !p.is_custom), 'seeded profiles are defaults')
  t.same(state.grids, [{ key: 'atn-standard', name: "Grille d'extraction ATN Standardisée", n: 30 }])
  t.ok(state.prompts.some((p: { kind: string }) => p.kind === 'screening'), 'a screening prompt template')
  t.ok(state.prompts.some((p: { kind: string }) => p.kind === 'extraction'), 'an extraction prompt template')
  t.same(state.admins, [{ email: 'admin@review.org', is_admin: true }])
  t.same(state.tokens.map((r: { token_hash: string }) => r.token_hash), [hashToken(token)], 'only the hash is stored')

  const again = await Promise.all([initDb(env), initDb(env), initDb(env), initDb(env)])
  t.same(again.map((r) => r.code), [0, 0, 0, 0], again.map((r) => r.out).join('\n'))
  t.notOk(again.some((r) => /alt_/.test(r.out)), 'no new token printed')
  t.same(await snapshot(url), state, 'same state after four concurrent runs')
})

/** What N concurrent runs on one embedded data directory leave: exit codes, tokens printed, and the database state. */
async function concurrentRuns(t: Tap, dir: string, port: number, runs: number) {
  const env = { DATABASE_URL: '', EMBEDDED_PG_DIR: path.join(dir, 'pg'), EMBEDDED_PG_PORT: String(port), ADMIN_TOKEN_FILE: path.join(dir, 'admin-token') }
  const results = await Promise.all(Array.from({ length: runs }, () => initDb(env)))
  t.same(results.map((r) => r.code), results.map(() => 0), `${runs} concurrent runs exit 0\n${results.map((r) => r.out).join('\n')}`)
  return { printed: results.filter((r) => /alt_/.test(r.out)).length, env }
}

async function embeddedState(dir: string, port: number) {
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

function serverLeftRunning(dir: string): boolean {
  try {
    process.kill(Number(readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]), 0)
    return true
  } catch {
    return false
  }
}

t.test('concurrent init-db runs on one embedded data directory: empty, existing, and with the service running on it', { skip: needsServices }, async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  const expected = { migrations: expectedMigrationCount(), admins: 1, tokens: 1, profiles: 5 }

  const empty = await concurrentRuns(t, dir, port, 4)
  t.equal(empty.printed, 1, 'one run created the administrator and printed its token')
  t.notOk(serverLeftRunning(dir), 'the last run stopped the server')
  t.same(await embeddedState(dir, port), expected, 'one schema, one administrator')

  const existing = await concurrentRuns(t, dir, port, 8)
  t.equal(existing.printed, 0, 'no new token on an existing database')
  t.notOk(serverLeftRunning(dir))
  t.same(await embeddedState(dir, port), expected)

  // The service boots on the same directory while eight runs start, then more runs while it serves.
  const [app, during] = await Promise.all([
    build(t, { DATABASE_URL: undefined, EMBEDDED_PG_DIR: existing.env.EMBEDDED_PG_DIR, EMBEDDED_PG_PORT: String(port) }),
    concurrentRuns(t, dir, port, 4)
  ])
  t.equal(during.printed, 0)
  const after = await concurrentRuns(t, dir, port, 4)
  t.equal(after.printed, 0)
  t.ok(serverLeftRunning(dir), 'no run stopped the server the service uses')
  t.equal((await app.inject({ url: '/api/health/ready' })).statusCode, 200, 'the service is still ready')
  const admin = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${(await readFile(path.join(dir, 'admin-token'), 'utf8')).trim()}` } })
  t.equal(admin.statusCode, 200, 'the administrator token created by the first run works')
  await app.close()
  t.notOk(serverLeftRunning(dir), 'the service, last to use it, stopped the server')
  t.same(await embeddedState(dir, port), expected)
})

t.test('a second empty data directory with eight concurrent runs', { skip: needsServices }, async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  const runs = await concurrentRuns(t, dir, port, 8)
  t.equal(runs.printed, 1)
  t.notOk(serverLeftRunning(dir))
  t.same(await embeddedState(dir, port), { migrations: expectedMigrationCount(), admins: 1, tokens: 1, profiles: 5 })
})
