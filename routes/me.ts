import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { issueToken, listTokens, revokeToken } from '../src/auth/users.ts'
import { ApiToken, UserSchema as User, Uuid } from '../src/http/schemas.ts'
import { NotFound } from '../src/errors.ts'

/** The calling user: `GET /api/me`, and their API tokens under `/api/me/tokens`. */
const meRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/me', { schema: { tags: ['users'], summary: 'The user of the token', response: { 200: User } } }, async (request) => request.user)

  fastify.post('/me/tokens', {
    schema: {
      tags: ['users'], summary: 'Issue another API token for yourself (shown once)',
      body: Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Type.String(), token: Type.String() }) }
    }
  }, async (request, reply) => reply.status(201).send(await issueToken(fastify.db, request.user.id, request.body.name ?? '')))

  fastify.get('/me/tokens', {
    schema: { tags: ['users'], summary: 'Your API tokens (never their value); `current` marks the one of this request', response: { 200: Type.Array(ApiToken) } }
  }, async (request) => (await listTokens(fastify.db, request.user.id)).map((t) => ({ ...t, current: t.id === request.tokenId })))

  fastify.delete('/me/tokens/:tokenId', {
    schema: { tags: ['users'], summary: 'Revoke one of your API tokens, at once (its open WebSockets are closed)', params: Type.Object({ tokenId: Uuid }) }
  }, async (request, reply) => {
    if (!await revokeToken(fastify.db, request.user.id, request.params.tokenId)) throw new NotFound('token not found')
    await fastify.events.revokeAccess({ userId: request.user.id, tokenId: request.params.tokenId })
    return reply.status(204).send()
  })
}

export default meRoutes
