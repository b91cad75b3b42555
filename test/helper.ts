/**
 * Test helpers: a fresh database per test file on the suite's real
 * PostgreSQL (started by test/run.ts), and `build(t)` returning a ready app
 * to exercise with `inject`.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { sql } from 'drizzle-orm'
import { AUTH_CHANNEL } from '../src/auth/cache.ts'
import { loadConfig, type Config } from '../src/config.ts'
import { buildServer } from '../src/server.ts'
import { createUser, issueToken, type AuthUser } from '../src/auth/users.ts'
import { needs } from './support/skips.ts'
export { freePort, onFreePort } from './support/ports.ts'

type Test = { teardown(fn: () => unknown): void; skip?: unknown }

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL
// Skip reasons for a missing dependency start with "needs " (test/support/skips.ts): CI fails on them.
export const needsServices = TEST_DATABASE_URL ? false : needs('the test services', 'run through `npm test`')
export const needsRedis = TEST_REDIS_URL ? false : needs('redis-server', 'run through `npm test` with redis-server installed')

export const DATASETS = path.resolve(import.meta.dirname, '../../shared/datasets')

export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/** Creates an empty database for this test file and drops it at teardown. */
export async function createTestDatabase(t: Test): Promise<string> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set: run the suite with `npm test`')
  const name = `t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.end()
  })
  return withDatabase(TEST_DATABASE_URL, name)
}

export async function tempDir(t: Test, prefix = 'analylit-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(process.env.TEST_TMP ?? os.tmpdir(), prefix))
  // Traversable by others: as root, the embedded PostgreSQL runs as the unprivileged postgres user.
  await fs.chmod(dir, 0o755)
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  return dir
}

/** Test configuration: a fresh database, private storage, quiet logs, and a private Redis namespace. */
export async function testConfig(t: Test, env: Record<string, string | undefined> = {}): Promise<Config> {
  const databaseUrl = 'DATABASE_URL' in env ? env.DATABASE_URL : await createTestDatabase(t)
  const storage = await tempDir(t)
  return loadConfig({
    LOG_LEVEL: 'silent', STORAGE_DIR: storage, QUEUE_PREFIX: `test-${randomBytes(4).toString('hex')}`,
    ...env, DATABASE_URL: databaseUrl
  })
}

export async function build(t: Test, env: Record<string, string | undefined> = {}): Promise<FastifyInstance> {
  const config = await testConfig(t, env)
  const app = buildServer(config)
  t.teardown(() => app.close())
  await app.ready()
  return app
}

export async function userWithToken(app: FastifyInstance, email = `${randomBytes(4).toString('hex')}@example.org`, isAdmin = false): Promise<{ user: AuthUser; token: string; auth: { authorization: string } }> {
  const user = await createUser(app.db, { email, isAdmin })
  const { token } = await issueToken(app.db, user.id)
  return { user, token, auth: { authorization: `Bearer ${token}` } }
}

/**
 * How much longer than its nominal timeout `waitFor` waits: the nominal figure is what an idle
 * machine needs with a wide margin, and a loaded CI machine (two cores, several test files and
 * their child processes at once) can be several times slower. Only a failing wait takes longer.
 */
const WAIT_SCALE = Number(process.env.TEST_WAIT_SCALE ?? 3)

/** Polls until `check` returns a truthy value or the timeout (times WAIT_SCALE) passes. */
export async function waitFor<T>(check: () => Promise<T | undefined | false | null>, timeoutMs = 20000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs * WAIT_SCALE
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs * WAIT_SCALE} ms`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

export interface MultipartPart { name: string; value: string | Buffer; fileName?: string }

/**
 * Waits until the app's auth cache has applied every invalidation committed so far (a test that counts
 * the statements a cached role saves must not see a late one, e.g. of the project's creation, drop that
 * role mid-count). Notifications reach a listener in commit order: once one sent now has been applied,
 * the earlier ones have. It names a token no one has, so it invalidates nothing.
 */
export async function authNotificationsApplied(app: FastifyInstance): Promise<void> {
  const cache = app.authCache
  if (!cache) return
  const marker = `t:${randomUUID()}`
  let applied = false
  const invalidate = cache.invalidate.bind(cache)
  cache.invalidate = (payload: string) => {
    if (payload === marker) applied = true
    invalidate(payload)
  }
  try {
    await app.db.execute(sql`SELECT pg_notify(${AUTH_CHANNEL}, ${marker})`)
    await waitFor(async () => applied)
  } finally {
    Reflect.deleteProperty(cache, 'invalidate') // the class's own method again
  }
}

/** A multipart/form-data body for `inject`: fields, and files when a part has a fileName. */
export function multipart(parts: MultipartPart[]): { payload: Buffer; headers: { 'content-type': string } } {
  const boundary = `----analylit${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.fileName !== undefined ? `; filename="${p.fileName}"` : ''}`
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`), Buffer.from(p.value), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** A multipart body with one file in the field "file", plus optional fields. */
export function fileUpload(fileName: string, content: string | Buffer, fields: Record<string, string> = {}) {
  return multipart([...Object.entries(fields).map(([name, value]) => ({ name, value })), { name: 'file', value: content, fileName }])
}

/** Polls `GET /api/tasks/:id` until the task has ended (succeeded, failed or cancelled); returns its view. */
export async function taskFinished(app: FastifyInstance, auth: { authorization: string }, taskId: string, timeoutMs = 60000) {
  return waitFor(async () => {
    const task = (await app.inject({ url: `/api/tasks/${taskId}`, headers: auth })).json()
    return ['succeeded', 'failed', 'cancelled'].includes(task.status) && task
  }, timeoutMs)
}
