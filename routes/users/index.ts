import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { listTokens } from '../../src/auth/users.ts'
import { NoContent } from '../../src/http/schemas/common.ts'
import { ApiToken, CreatedUser, UserBody, UserParams, UserTokenParams } from '../../src/http/schemas/users.ts'
import { createUserWithToken, removeAccount, requireAdmin, revokeUserToken } from '../../src/services/users.ts'

const usersRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/', {
    schema: {
      tags: ['users'], summary: 'Create a user and their first API token, or activate a pending account (administrators only)',
      body: UserBody, response: { 201: CreatedUser }
    }
  }, async (request, reply) => {
    requireAdmin(request.user, 'create users')
    return reply.status(201).send(await createUserWithToken(fastify.db, request.body))
  })

  fastify.delete('/:userId', {
    schema: { tags: ['users'], summary: 'Remove a user: tokens and memberships revoked at once, decisions kept (administrators only)', params: UserParams, response: { 204: NoContent } }
  }, async (request, reply) => {
    requireAdmin(request.user, 'remove users')
    await removeAccount(fastify, request.user, request.params.userId)
    return reply.status(204).send()
  })

  fastify.get('/:userId/tokens', {
    schema: { tags: ['users'], summary: "A user's API tokens (administrators only)", params: UserParams, response: { 200: Type.Array(ApiToken) } }
  }, async (request) => {
    requireAdmin(request.user, "list other users' tokens")
    return listTokens(fastify.db, request.params.userId)
  })

  fastify.delete('/:userId/tokens/:tokenId', {
    schema: { tags: ['users'], summary: "Revoke a user's API token (administrators only)", params: UserTokenParams, response: { 204: NoContent } }
  }, async (request, reply) => {
    requireAdmin(request.user, "revoke other users' tokens")
    await revokeUserToken(fastify, request.params.userId, request.params.tokenId)
    return reply.status(204).send()
  })
}

export default usersRoutes
