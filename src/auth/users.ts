import { eq, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { apiTokens, users } from '../db/schema.ts'
import { generateToken, hashToken } from './tokens.ts'

export interface AuthUser {
  id: string
  email: string
  name: string
  isAdmin: boolean
}

export async function findUserByToken(db: Database, token: string): Promise<AuthUser | undefined> {
  const [row] = await db.select({ id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens).innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, hashToken(token)))
  if (!row) return undefined
  // Record use at most once a minute: a write on every request would serialise concurrent requests on the token's row.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, row.tokenId))
  }
  return { id: row.id, email: row.email, name: row.name, isAdmin: row.isAdmin }
}

/** Creates a token for a user; the clear token is returned once and never stored. */
export async function issueToken(db: Database, userId: string, name = ''): Promise<{ id: string; token: string }> {
  const token = generateToken()
  const [row] = await db.insert(apiTokens).values({ userId, tokenHash: hashToken(token), name }).returning({ id: apiTokens.id })
  return { id: row.id, token }
}

export async function createUser(db: Database, input: { email: string; name?: string; isAdmin?: boolean }): Promise<AuthUser> {
  const [row] = await db.insert(users).values({ email: input.email.toLowerCase(), name: input.name ?? '', isAdmin: input.isAdmin ?? false })
    .returning({ id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin })
  return row
}

export async function findUserByEmail(db: Database, email: string): Promise<AuthUser | undefined> {
  const [row] = await db.select({ id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin })
    .from(users).where(eq(users.email, email.toLowerCase()))
  return row
}
