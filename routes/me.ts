import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { issueToken } from '../src/auth/users.ts'
import { UserSchema as User } from '../src/http/schemas.ts'

/** The calling user: `GET /api/me`, `POST /api/me/tokens`. */
const meRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/me', { schema: { tags: ['users'], summary: 'The user of the token', response: { 200: User } } }, async (request) => request.user)

  fastify.post('/me/tokens', {
    schema: {
      tags: ['users'], summary: 'Issue another API token for yourself (shown once)',
      body: Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Type.String(), token: Type.String() }) }
    }
  }, async (request, reply) => reply.status(201).send(await issueToken(fastify.db, request.user.id, request.body.name ?? '')))
}

export default meRoutes
