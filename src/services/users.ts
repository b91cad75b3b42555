/** Users and their API tokens, as the API manages them (administrators for others, everyone for themselves). */
import { createUser, issueToken, revokeToken, type AuthUser } from '../auth/users.ts'
import type { Database } from '../db/index.ts'
import { Conflict, Forbidden, NotFound } from '../errors.ts'
import type { EventHub } from '../events/hub.ts'
import { removeUser } from './projects.ts'

type Deps = { db: Database; events: EventHub }

export function requireAdmin(user: AuthUser, action: string): void {
  if (!user.isAdmin) throw new Forbidden(`only administrators can ${action}`)
}

/** Creates a user (or activates a pending account) with a first API token. */
export async function createUserWithToken(db: Database, input: { email: string; name?: string; isAdmin?: boolean }) {
  const user = await createUser(db, input)
  const { token } = await issueToken(db, user.id, 'created by administrator')
  return { user, token }
}

/** Removes an account: its tokens and memberships go at once (open WebSockets closed), its decisions stay. */
export async function removeAccount(deps: Deps, actor: AuthUser, userId: string): Promise<void> {
  if (userId === actor.id) throw new Conflict('you cannot remove yourself')
  if (!await removeUser(deps.db, userId)) throw new NotFound('user not found')
  await deps.events.revokeAccess({ userId })
}

/** Revokes one of the user's tokens at once; the WebSockets opened with it are closed in every process. */
export async function revokeUserToken(deps: Deps, userId: string, tokenId: string): Promise<void> {
  if (!await revokeToken(deps.db, userId, tokenId)) throw new NotFound('token not found')
  await deps.events.revokeAccess({ userId, tokenId })
}
