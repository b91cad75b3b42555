import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { createUser, issueToken, listTokens, revokeToken } from '../../src/auth/users.ts'
import { ApiToken, UserSchema as User, Uuid } from '../../src/http/schemas.ts'
import { Conflict, Forbidden, NotFound } from '../../src/errors.ts'
import { removeUser } from '../../src/services/projects.ts'

const UserParams = Type.Object({ userId: Uuid })

function requireAdmin(request: FastifyRequest, action: string): void {
  if (!request.user.isAdmin) throw new Forbidden(`only administrators can ${action}`)
}

const usersRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/', {
    schema: {
      tags: ['users'], summary: 'Create a user and their first API token, or activate a pending account (administrators only)',
      body: Type.Object({ email: Type.String({ format: 'email', maxLength: 320 }), name: Type.Optional(Type.String({ maxLength: 200 })), isAdmin: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 201: Type.Object({ user: User, token: Type.String() }) }
    }
  }, async (request, reply) => {
    requireAdmin(request, 'create users')
    const user = await createUser(fastify.db, request.body)
    const { token } = await issueToken(fastify.db, user.id, 'created by administrator')
    return reply.status(201).send({ user, token })
  })

  fastify.delete('/:userId', {
    schema: { tags: ['users'], summary: 'Remove a user: tokens and memberships revoked at once, decisions kept (administrators only)', params: UserParams }
  }, async (request, reply) => {
    requireAdmin(request, 'remove users')
    if (request.params.userId === request.user.id) throw new Conflict('you cannot remove yourself')
    if (!await removeUser(fastify.db, request.params.userId)) throw new NotFound('user not found')
    await fastify.events.revokeAccess({ userId: request.params.userId })
    return reply.status(204).send()
  })

  fastify.get('/:userId/tokens', {
    schema: { tags: ['users'], summary: "A user's API tokens (administrators only)", params: UserParams, response: { 200: Type.Array(ApiToken) } }
  }, async (request) => {
    requireAdmin(request, "list other users' tokens")
    return listTokens(fastify.db, request.params.userId)
  })

  fastify.delete('/:userId/tokens/:tokenId', {
    schema: { tags: ['users'], summary: "Revoke a user's API token (administrators only)", params: Type.Object({ userId: Uuid, tokenId: Uuid }) }
  }, async (request, reply) => {
    requireAdmin(request, "revoke other users' tokens")
    if (!await revokeToken(fastify.db, request.params.userId, request.params.tokenId)) throw new NotFound('token not found')
    await fastify.events.revokeAccess({ userId: request.params.userId, tokenId: request.params.tokenId })
    return reply.status(204).send()
  })
}

export default usersRoutes
