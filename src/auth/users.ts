import { and, desc, eq, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { apiTokens, users } from '../db/schema.ts'
import { Conflict } from '../errors.ts'
import { generateToken, hashToken } from './tokens.ts'
import { preparedPer } from '../db/prepared.ts'
import type { AuthCache, CachedToken } from './cache.ts'

export interface AuthUser {
  id: string
  email: string
  name: string
  isAdmin: boolean
}

/**
 * Accounts of kind 'pending' have no token and cannot sign in: an address
 * added to a project before it had an account, or a removed account. An
 * administrator creating a user with that address activates it.
 */
export const PENDING = 'pending'

const tokenLookup = preparedPer((db: Database) => db
  .select({ id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
  .from(apiTokens).innerJoin(users, eq(users.id, apiTokens.userId))
  .where(eq(apiTokens.tokenHash, sql.placeholder('hash')))
  .prepare('auth_token_lookup'))

/**
 * The user of an API token. With `cache` (web requests), a token seen recently
 * is answered from memory until a notification says it was revoked or its
 * account changed (src/auth/cache.ts).
 */
export async function findUserByToken(db: Database, token: string, cache?: AuthCache): Promise<(AuthUser & { tokenId: string }) | undefined> {
  const hash = hashToken(token)
  let row: CachedToken | undefined = cache?.token(hash)
  if (!row) {
    const startedAt = cache?.current ?? 0
    const [found] = await tokenLookup(db).execute({ hash })
    if (!found) return undefined
    row = { userId: found.id, tokenId: found.tokenId, email: found.email, name: found.name, isAdmin: found.isAdmin, lastUsedAt: found.lastUsedAt?.getTime() ?? null }
    cache?.storeToken(hash, row, startedAt)
  }
  // Record use at most once a minute: a write on every request would serialise concurrent requests on the token's row.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt > 60_000) {
    row.lastUsedAt = Date.now()
    await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, row.tokenId))
  }
  return { id: row.userId, email: row.email, name: row.name, isAdmin: row.isAdmin, tokenId: row.tokenId }
}

export async function tokenActive(db: Database, tokenId: string): Promise<boolean> {
  return await db.$count(apiTokens, eq(apiTokens.id, tokenId)) > 0
}

/** A user's tokens, newest first (never their value or hash). */
export async function listTokens(db: Database, userId: string) {
  const rows = await db.select({ id: apiTokens.id, name: apiTokens.name, createdAt: apiTokens.createdAt, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt), apiTokens.id)
  return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), lastUsedAt: r.lastUsedAt?.toISOString() ?? null }))
}

/** Revokes (deletes) one of a user's tokens; false when the user has no such token. */
export async function revokeToken(db: Database, userId: string, tokenId: string): Promise<boolean> {
  const removed = await db.delete(apiTokens).where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId))).returning({ id: apiTokens.id })
  return removed.length > 0
}

/** Creates a token for a user; the clear token is returned once and never stored. */
export async function issueToken(db: Database, userId: string, name = ''): Promise<{ id: string; token: string }> {
  const token = generateToken()
  const [row] = await db.insert(apiTokens).values({ userId, tokenHash: hashToken(token), name }).returning({ id: apiTokens.id })
  return { id: row.id, token }
}

/** Creates a user, or activates the pending account of that address; 409 when an active account has it. */
export async function createUser(db: Database, input: { email: string; name?: string; isAdmin?: boolean }): Promise<AuthUser> {
  const values = { email: input.email.toLowerCase(), name: input.name ?? '', isAdmin: input.isAdmin ?? false, kind: 'human' }
  const [row] = await db.insert(users).values(values)
    .onConflictDoUpdate({ target: users.email, set: { name: values.name, isAdmin: values.isAdmin, kind: 'human' }, setWhere: eq(users.kind, PENDING) })
    .returning({ id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin })
  if (!row) throw new Conflict(`a user with e-mail ${values.email} exists`, 'email')
  return row
}

/** The account of an address, created pending (no token, cannot sign in) when there is none. */
export async function userForInvitation(db: Database, email: string): Promise<string> {
  const address = email.toLowerCase()
  await db.insert(users).values({ email: address, kind: PENDING }).onConflictDoNothing({ target: users.email })
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, address))
  return row.id
}

export async function findUserByEmail(db: Database, email: string): Promise<AuthUser | undefined> {
  const [row] = await db.select({ id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin })
    .from(users).where(eq(users.email, email.toLowerCase()))
  return row
}
