/**
 * In-process cache of who a request is: API token → user, session cookie →
 * user and session limits, and (user, project) → role. Bounded (least recently used out) with a short TTL as a safety net;
 * invalidated across processes by PostgreSQL: triggers on `api_tokens`,
 * `sessions`, `users` and `project_members` (drizzle/*_auth_cache_notify.sql,
 * drizzle/*_session_cache_notify.sql) send `NOTIFY analylit_auth` when a token
 * is revoked, a session ends (sign-out, revocation, password set again,
 * account removed), an account changes or is removed, or a membership or role
 * changes — from whichever process, task or
 * hand-written SQL, delivered at commit. One mechanism whether or not Redis is
 * configured.
 *
 * The cache answers only while its dedicated connection LISTENs: a notification
 * missed while disconnected cannot be told apart, so the cache is bypassed until
 * the connection is back, then emptied. A lookup that started before an
 * invalidation (its read may predate the change) is not stored: every
 * invalidation advances a generation, and a fill carries the generation it
 * started at.
 */
import pg from 'pg'

export const AUTH_CHANNEL = 'analylit_auth'

export interface AuthCacheOptions {
  maxEntries?: number
  ttlMs?: number
  /** First delay before reconnecting the listener; doubles up to 5 s. */
  retryMs?: number
  onError?: (err: Error) => void
}

interface Entry<V> { value: V; expires: number }

/** A bounded map, least recently used out, entries expiring after `ttlMs`. */
class Lru<V> {
  private readonly map = new Map<string, Entry<V>>()
  constructor(private readonly max: number, private readonly ttlMs: number) {}

  get(key: string): V | undefined {
    const entry = this.map.get(key)
    if (!entry) return undefined
    this.map.delete(key)
    if (entry.expires <= Date.now()) return undefined
    this.map.set(key, entry)
    return entry.value
  }

  set(key: string, value: V): void {
    this.map.delete(key)
    this.map.set(key, { value, expires: Date.now() + this.ttlMs })
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!)
  }

  deleteWhere(test: (key: string, value: V) => boolean): void {
    for (const [key, entry] of this.map) if (test(key, entry.value)) this.map.delete(key)
  }

  clear(): void { this.map.clear() }
  get size(): number { return this.map.size }
}

export interface CachedToken { userId: string; tokenId: string; email: string; name: string; isAdmin: boolean; lastUsedAt: number | null }

/** A browser session as the cache keeps it; its expiry is checked in memory at each use. */
export interface CachedSession {
  userId: string
  sessionId: string
  email: string
  name: string
  isAdmin: boolean
  /** Absolute expiry (epoch ms). */
  expiresAt: number
  /** Last recorded use (epoch ms): the idle expiry runs from it. */
  lastSeenAt: number
}

export class AuthCache {
  /** By SHA-256 of the token (the clear token is never kept). */
  private readonly tokens: Lru<CachedToken>
  /** By `${projectId}:${userId}`; null: not a member. */
  private readonly roles: Lru<string | null>
  /** By SHA-256 of the cookie value. */
  private readonly sessions: Lru<CachedSession>
  private generation = 0
  private listening = false
  private client: pg.Client | undefined
  private closed = false
  private retryTimer: NodeJS.Timeout | undefined

  constructor(private readonly connectionString: string | undefined, private readonly opts: AuthCacheOptions = {}) {
    this.tokens = new Lru(opts.maxEntries ?? 10_000, opts.ttlMs ?? 60_000)
    this.roles = new Lru(opts.maxEntries ?? 10_000, opts.ttlMs ?? 60_000)
    this.sessions = new Lru(opts.maxEntries ?? 10_000, opts.ttlMs ?? 60_000)
  }

  /** Whether lookups are answered from memory (the listener is connected). */
  get active(): boolean { return this.listening }

  /** Opens the listening connection; resolves once it listens (or failed once: it then keeps retrying). */
  async start(): Promise<void> {
    if (!this.connectionString) return
    await this.connect(this.opts.retryMs ?? 100)
  }

  private async connect(retryMs: number): Promise<void> {
    if (this.closed) return
    const client = new pg.Client({ connectionString: this.connectionString })
    const lost = (err?: Error) => {
      if (this.client !== client) return
      this.client = undefined
      this.stopAnswering()
      if (err) this.opts.onError?.(err)
      client.end().catch(() => {})
      this.scheduleReconnect(retryMs)
    }
    client.on('error', lost)
    client.on('end', () => lost())
    client.on('notification', (msg) => { if (msg.channel === AUTH_CHANNEL) this.invalidate(msg.payload ?? '') })
    this.client = client
    try {
      await client.connect()
      await client.query(`LISTEN ${AUTH_CHANNEL}`)
      if (this.client !== client || this.closed) return
      // Whatever changed while nobody listened is unknown: start empty.
      this.stopAnswering()
      this.listening = true
    } catch (err) {
      lost(err as Error)
    }
  }

  private scheduleReconnect(retryMs: number): void {
    if (this.closed || this.retryTimer) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      void this.connect(Math.min(retryMs * 2, 5000))
    }, retryMs)
    this.retryTimer.unref()
  }

  private stopAnswering(): void {
    this.listening = false
    this.clear()
  }

  /** The generation a lookup starts at; pass it to `storeToken`/`storeRole`. */
  get current(): number { return this.generation }

  token(hash: string): CachedToken | undefined {
    return this.listening ? this.tokens.get(hash) : undefined
  }

  storeToken(hash: string, value: CachedToken, startedAt: number): void {
    if (this.listening && startedAt === this.generation) this.tokens.set(hash, value)
  }

  session(hash: string): CachedSession | undefined {
    return this.listening ? this.sessions.get(hash) : undefined
  }

  storeSession(hash: string, value: CachedSession, startedAt: number): void {
    if (this.listening && startedAt === this.generation) this.sessions.set(hash, value)
  }

  /** The cached role (`null`: not a member), or undefined when not cached. */
  role(projectId: string, userId: string): string | null | undefined {
    return this.listening ? this.roles.get(`${projectId}:${userId}`) : undefined
  }

  storeRole(projectId: string, userId: string, role: string | null, startedAt: number): void {
    if (this.listening && startedAt === this.generation) this.roles.set(`${projectId}:${userId}`, role)
  }

  /**
   * Applies a notification: `t:<tokenId>` (token revoked), `s:<sessionId>`
   * (session ended), `u:<userId>` (account changed or removed: its tokens,
   * sessions and memberships), `m:<projectId>:<userId>`
   * (membership or role); anything else empties the cache.
   */
  invalidate(payload: string): void {
    this.generation++
    const [kind, a, b] = payload.split(':')
    if (kind === 't' && a) this.tokens.deleteWhere((_, v) => v.tokenId === a)
    else if (kind === 's' && a) this.sessions.deleteWhere((_, v) => v.sessionId === a)
    else if (kind === 'u' && a) {
      this.tokens.deleteWhere((_, v) => v.userId === a)
      this.sessions.deleteWhere((_, v) => v.userId === a)
      this.roles.deleteWhere((key) => key.endsWith(`:${a}`))
    } else if (kind === 'm' && a && b) this.roles.deleteWhere((key) => key === `${a}:${b}`)
    else this.clear()
  }

  /** Forgets everything (this process changed who may do what, and reads its own writes). */
  clear(): void {
    this.generation++
    this.tokens.clear()
    this.sessions.clear()
    this.roles.clear()
  }

  async close(): Promise<void> {
    this.closed = true
    this.listening = false
    clearTimeout(this.retryTimer)
    const client = this.client
    this.client = undefined
    await client?.end().catch(() => {})
  }
}
