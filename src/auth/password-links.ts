/**
 * Password links, for invitations and resets alike: an administrator creates
 * one for a user; whoever opens it before it expires (PASSWORD_LINK_HOURS)
 * sets the user's password once and is signed in. The token travels in the
 * URL's fragment (`/set-password#token=…`), which browsers never send to the
 * server, so it stays out of access logs; only its SHA-256 is stored. A new
 * link replaces the user's unused ones; setting a password ends the user's
 * other sessions.
 */
import { randomBytes } from 'node:crypto'
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { passwordLinks, users } from '../db/schema.ts'
import { Gone, NotFound } from '../errors.ts'
import { hashToken } from './tokens.ts'
import { checkPasswordPolicy, hashPassword } from './passwords.ts'
import { createSession, deleteUserSessions, type SessionLimits } from './sessions.ts'
import type { AuthUser } from './users.ts'

export function passwordLinkUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/set-password#token=${token}`
}

/** A new single-use link for an active (human) user; 404 for an unknown, removed or model account. */
export async function createPasswordLink(db: Database, input: { userId: string; createdBy?: string; hours: number }): Promise<{ token: string; expiresAt: Date }> {
  const token = `plk_${randomBytes(32).toString('base64url')}`
  const expiresAt = new Date(Date.now() + input.hours * 3600_000)
  await db.transaction(async (tx) => {
    const [user] = await tx.select({ id: users.id }).from(users).where(and(eq(users.id, input.userId), eq(users.kind, 'human'))).for('update')
    if (!user) throw new NotFound('user not found')
    await tx.delete(passwordLinks).where(and(eq(passwordLinks.userId, input.userId), isNull(passwordLinks.usedAt)))
    await tx.insert(passwordLinks).values({ userId: input.userId, createdBy: input.createdBy, tokenHash: hashToken(token), expiresAt })
  })
  return { token, expiresAt }
}

type Executor = Pick<Database, 'select'>

async function usableLink(db: Executor, token: string, lock: boolean) {
  const query = db.select({ id: passwordLinks.id, userId: passwordLinks.userId, email: users.email, expiresAt: passwordLinks.expiresAt, usedAt: passwordLinks.usedAt, expired: sql<boolean>`${passwordLinks.expiresAt} <= now()` })
    .from(passwordLinks).innerJoin(users, and(eq(users.id, passwordLinks.userId), eq(users.kind, 'human')))
    .where(eq(passwordLinks.tokenHash, hashToken(token)))
  const [link] = lock ? await query.for('update', { of: passwordLinks }) : await query
  if (!link) throw new NotFound('this password link is unknown or was replaced by a newer one: ask an administrator for a new link', 'token')
  if (link.usedAt) throw new Gone('this password link was already used: ask an administrator for a new link', 'token')
  if (link.expired) throw new Gone('this password link has expired: ask an administrator for a new link', 'token')
  return link
}

/** Whose link it is and until when (404 unknown, 410 used or expired). */
export async function checkPasswordLink(db: Database, token: string): Promise<{ email: string; expiresAt: Date }> {
  const link = await usableLink(db, token, false)
  return { email: link.email, expiresAt: link.expiresAt }
}

/** Sets the password of the link's user, once; ends the user's sessions and opens a new one. */
export async function usePasswordLink(db: Database, input: { token: string; password: string; limits: SessionLimits }): Promise<{ user: AuthUser; session: { id: string; token: string; expiresAt: Date } }> {
  checkPasswordPolicy(input.password)
  await usableLink(db, input.token, false)
  const passwordHash = await hashPassword(input.password)
  return db.transaction(async (tx) => {
    const link = await usableLink(tx, input.token, true)
    await tx.update(passwordLinks).set({ usedAt: sql`now()` }).where(eq(passwordLinks.id, link.id))
    const [user] = await tx.update(users).set({ passwordHash }).where(eq(users.id, link.userId))
      .returning({ id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin })
    await deleteUserSessions(tx, link.userId)
    const session = await createSession(tx, link.userId, input.limits)
    return { user, session }
  })
}

/** The address of the service when PUBLIC_URL is unset: http://HOST:PORT, a wildcard host read as loopback. */
export function defaultPublicUrl(config: { HOST: string; PORT: number }): string {
  const host = ['0.0.0.0', '::', ''].includes(config.HOST) ? '127.0.0.1' : config.HOST
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.PORT}`
}

/** A new password link for the administrator while they have no password (init-db), else undefined. */
export async function adminPasswordLink(db: Database, userId: string, publicUrl: string, hours: number): Promise<{ url: string; expiresAt: Date } | undefined> {
  const [user] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId))
  if (!user || user.passwordHash) return undefined
  const link = await createPasswordLink(db, { userId, hours })
  return { url: passwordLinkUrl(publicUrl, link.token), expiresAt: link.expiresAt }
}
