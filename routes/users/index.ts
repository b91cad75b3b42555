import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { createUser, findUserByEmail, issueToken } from '../../src/auth/users.ts'
import { UserSchema as User } from '../../src/http/schemas.ts'
import { HttpError } from '../../src/http-errors.ts'


const usersRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/', {
    schema: {
      tags: ['users'], summary: 'Create a user and their first API token (administrators only)',
      body: Type.Object({ email: Type.String({ format: 'email', maxLength: 320 }), name: Type.Optional(Type.String({ maxLength: 200 })), isAdmin: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 201: Type.Object({ user: User, token: Type.String() }) }
    }
  }, async (request, reply) => {
    if (!request.user.isAdmin) throw new HttpError(403, 'only administrators can create users')
    if (await findUserByEmail(fastify.db, request.body.email)) throw new HttpError(409, `a user with e-mail ${request.body.email} exists`, 'email')
    const user = await createUser(fastify.db, request.body)
    const { token } = await issueToken(fastify.db, user.id, 'created by administrator')
    return reply.status(201).send({ user, token })
  })

}

export default usersRoutes
