import t from 'tap'
import { stat, readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { createTestDatabase, needsServices, tempDir } from '../helper.ts'
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
