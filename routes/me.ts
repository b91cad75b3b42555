import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { issueToken, listTokens } from '../src/auth/users.ts'
import { Type } from '@sinclair/typebox'
import { NoContent } from '../src/http/schemas/common.ts'
import { ApiToken, IssuedToken, TokenBody, TokenParams, User } from '../src/http/schemas/users.ts'
import { revokeUserToken } from '../src/services/users.ts'

/** The calling user: `GET /api/me`, and their API tokens under `/api/me/tokens`. */
const meRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/me', { schema: { tags: ['users'], summary: 'The user of the token', response: { 200: User } } }, async (request) => request.user)

  fastify.post('/me/tokens', {
    schema: {
      tags: ['users'], summary: 'Issue another API token for yourself (shown once)',
      body: TokenBody, response: { 201: IssuedToken }
    }
  }, async (request, reply) => reply.status(201).send(await issueToken(fastify.db, request.user.id, request.body.name ?? '')))

  fastify.get('/me/tokens', {
    schema: { tags: ['users'], summary: 'Your API tokens (never their value); `current` marks the one of this request', response: { 200: Type.Array(ApiToken) } }
  }, async (request) => (await listTokens(fastify.db, request.user.id)).map((t) => ({ ...t, current: t.id === request.tokenId })))

  fastify.delete('/me/tokens/:tokenId', {
    schema: { tags: ['users'], summary: 'Revoke one of your API tokens, at once (its open WebSockets are closed)', params: TokenParams, response: { 204: NoContent } }
  }, async (request, reply) => {
    await revokeUserToken(fastify, request.user.id, request.params.tokenId)
    return reply.status(204).send()
  })
}

export default meRoutes
