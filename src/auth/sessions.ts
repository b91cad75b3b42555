/**
 * Browser sessions. Signing in with an e-mail and password creates a row in
 * `sessions` holding the SHA-256 of a 256-bit random value, sent to the
 * browser as the `analylit_session` cookie (HttpOnly, SameSite=Strict). A
 * session ends at logout, after SESSION_IDLE_HOURS without a request, after
 * SESSION_MAX_HOURS in any case, when the user's password is set again, and
 * when the user is removed. Writes authenticated by the cookie must carry the
 * CSRF header (`checkCsrf`): a cross-site page cannot set it without a CORS
 * preflight, which the service refuses.
 */
import { createHash, randomBytes } from 'node:crypto'
import { and, desc, eq, gt, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { loginFailures, sessions, users } from '../db/schema.ts'
import { Forbidden, RateLimited, Unauthenticated } from '../errors.ts'
import { hashToken } from './tokens.ts'
import { verifyPassword } from './passwords.ts'
import type { AuthUser } from './users.ts'
import type { AuthCache, CachedSession } from './cache.ts'

export const SESSION_COOKIE = 'analylit_session'
export const CSRF_HEADER = 'x-analylit-csrf'

export interface SessionLimits { SESSION_IDLE_HOURS: number; SESSION_MAX_HOURS: number }

type Executor = Pick<Database, 'insert' | 'delete'>

/** Creates a session for a user; the cookie value is returned once and only its hash is stored. */
export async function createSession(db: Executor, userId: string, limits: SessionLimits): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url')
  const expiresAt = new Date(Date.now() + limits.SESSION_MAX_HOURS * 3600_000)
  const [row] = await db.insert(sessions).values({ userId, tokenHash: hashToken(token), expiresAt }).returning({ id: sessions.id })
  return { id: row.id, token, expiresAt }
}

/**
 * The user of a live session cookie value, or undefined (unknown, ended, idle too long, user removed).
 * With `cache` (web requests), a session seen recently is answered from memory while its expiries
 * (absolute and idle, checked at each use) have not passed and no notification said it ended
 * (src/auth/cache.ts); one that looks expired in memory is read again.
 */
export async function findSession(db: Database, token: string, limits: SessionLimits, cache?: AuthCache): Promise<(AuthUser & { sessionId: string }) | undefined> {
  const hash = hashToken(token)
  const now = Date.now()
  const idleMs = limits.SESSION_IDLE_HOURS * 3600_000
  let session: CachedSession | undefined = cache?.session(hash)
  if (session && (session.expiresAt <= now || session.lastSeenAt <= now - idleMs)) session = undefined
  if (!session) {
    const startedAt = cache?.current ?? 0
    const [row] = await db.select({
      id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin, sessionId: sessions.id, lastSeenAt: sessions.lastSeenAt, expiresAt: sessions.expiresAt
    })
      .from(sessions).innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.tokenHash, hash), eq(users.kind, 'human'), gt(sessions.expiresAt, sql`now()`),
        gt(sessions.lastSeenAt, sql`now() - make_interval(hours => ${limits.SESSION_IDLE_HOURS})`)))
    if (!row) return undefined
    session = {
      userId: row.id, sessionId: row.sessionId, email: row.email, name: row.name, isAdmin: row.isAdmin,
      expiresAt: row.expiresAt.getTime(), lastSeenAt: row.lastSeenAt.getTime()
    }
    cache?.storeSession(hash, session, startedAt)
  }
  // Record use at most once a minute, like API tokens.
  if (now - session.lastSeenAt > 60_000) {
    session.lastSeenAt = now
    await db.update(sessions).set({ lastSeenAt: sql`now()` }).where(eq(sessions.id, session.sessionId))
  }
  return { id: session.userId, email: session.email, name: session.name, isAdmin: session.isAdmin, sessionId: session.sessionId }
}

export async function sessionActive(db: Database, sessionId: string, limits: SessionLimits): Promise<boolean> {
  return await db.$count(sessions, and(eq(sessions.id, sessionId), gt(sessions.expiresAt, sql`now()`),
    gt(sessions.lastSeenAt, sql`now() - make_interval(hours => ${limits.SESSION_IDLE_HOURS})`))) > 0
}

/** Ends the session of a cookie value; returns what it was, if it existed. */
export async function deleteSession(db: Database, token: string): Promise<{ id: string; userId: string } | undefined> {
  const [row] = await db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token))).returning({ id: sessions.id, userId: sessions.userId })
  return row
}

/** A user's live sessions, newest first (never their cookie or its hash). */
export async function listSessions(db: Database, userId: string) {
  const rows = await db.select({ id: sessions.id, createdAt: sessions.createdAt, lastSeenAt: sessions.lastSeenAt, expiresAt: sessions.expiresAt })
    .from(sessions).where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, sql`now()`))).orderBy(desc(sessions.createdAt), sessions.id)
  return rows.map((r) => ({ id: r.id, createdAt: r.createdAt.toISOString(), lastSeenAt: r.lastSeenAt.toISOString(), expiresAt: r.expiresAt.toISOString() }))
}

/** Ends one of a user's sessions; false when the user has no such session. */
export async function revokeSession(db: Database, userId: string, sessionId: string): Promise<boolean> {
  return (await db.delete(sessions).where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId))).returning({ id: sessions.id })).length > 0
}

export async function deleteUserSessions(db: Executor, userId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.userId, userId))
}

/**
 * Failed sign-ins per e-mail and client address: at most `max` in `windowMs`,
 * then 429 until the window ends. Counted in PostgreSQL (`login_failures`), so
 * every web process sees the same count; a successful sign-in clears it, and
 * expired counts are deleted as new failures come.
 */
export class LoginThrottle {
  constructor(private readonly db: Database, private readonly max = 10, private readonly windowMs = 15 * 60_000) {}

  static key(email: string, ip: string): string {
    return createHash('sha256').update(`${email}\n${ip}`).digest('hex')
  }

  async check(key: string): Promise<void> {
    const [row] = await this.db.execute<{ failures: number; left_ms: number }>(sql`
      SELECT failures, (extract(epoch FROM since + ${this.windowMs} * interval '1 millisecond' - now()) * 1000)::float8 AS left_ms
      FROM login_failures WHERE key = ${key}`).then((r) => r.rows)
    if (!row || row.left_ms <= 0 || row.failures < this.max) return
    throw new RateLimited(`too many failed sign-ins for this e-mail; try again in ${Math.ceil(row.left_ms / 60_000)} minutes`, Math.ceil(row.left_ms / 1000))
  }

  async failed(key: string): Promise<void> {
    const window = sql`${this.windowMs} * interval '1 millisecond'`
    // One statement: two processes counting the same key at once both count.
    await this.db.execute(sql`
      INSERT INTO login_failures (key, failures, since) VALUES (${key}, 1, now())
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN login_failures.since + ${window} > now() THEN login_failures.failures + 1 ELSE 1 END,
        since = CASE WHEN login_failures.since + ${window} > now() THEN login_failures.since ELSE now() END`)
    await this.db.execute(sql`DELETE FROM login_failures WHERE since < now() - ${window}`)
  }

  async succeeded(key: string): Promise<void> {
    await this.db.delete(loginFailures).where(eq(loginFailures.key, key))
  }
}

/** Checks an e-mail and password; one generic 401 for an unknown e-mail, a wrong password or an account without one. */
export async function login(db: Database, throttle: LoginThrottle, input: { email: string; password: string; ip: string }): Promise<AuthUser> {
  const email = input.email.trim().toLowerCase()
  const key = LoginThrottle.key(email, input.ip)
  await throttle.check(key)
  const [row] = await db.select({ id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin, passwordHash: users.passwordHash })
    .from(users).where(and(eq(users.email, email), eq(users.kind, 'human')))
  if (!await verifyPassword(input.password, row?.passwordHash)) {
    await throttle.failed(key)
    throw new Unauthenticated('wrong e-mail or password')
  }
  await throttle.succeeded(key)
  const { passwordHash: _hash, ...user } = row
  return user
}

/** The value of one cookie in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eqAt = part.indexOf('=')
    if (eqAt > 0 && part.slice(0, eqAt).trim() === name) return part.slice(eqAt + 1).trim() || undefined
  }
  return undefined
}

/** The Set-Cookie header of a session (maxAgeSeconds 0 clears it). */
export function sessionCookie(token: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}${options.secure ? '; Secure' : ''}`
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** A write authenticated by the session cookie must carry `x-analylit-csrf: 1`. */
export function checkCsrf(method: string, headers: Record<string, string | string[] | undefined>): void {
  if (SAFE_METHODS.has(method.toUpperCase())) return
  if (headers[CSRF_HEADER] !== '1') throw new Forbidden(`requests signed in by the session cookie must carry the header ${CSRF_HEADER}: 1 (other than GET, HEAD, OPTIONS)`)
}
