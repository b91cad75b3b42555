import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { findUserByToken, type AuthUser } from '../src/auth/users.ts'
import { Unauthenticated } from '../src/errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser
    /** The id of the request's API token. */
    tokenId: string
  }
  interface FastifyInstance {
    authenticate: (request: FastifyRequest) => Promise<void>
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    return match ? match[1] : undefined
  }
  // Browsers cannot set headers on a WebSocket handshake: accept the token as a query parameter there only.
  if (request.ws) {
    const token = (request.query as Record<string, unknown> | undefined)?.access_token
    return typeof token === 'string' ? token : undefined
  }
  return undefined
}

/** Bearer-token authentication for every /api route but health. */
export default fp(async (fastify) => {
  fastify.decorateRequest('user', null as unknown as AuthUser)
  fastify.decorateRequest('tokenId', '')
  fastify.decorate('authenticate', async (request: FastifyRequest) => {
    const token = bearerToken(request)
    if (!token) throw new Unauthenticated('missing bearer token (Authorization: Bearer <token>)')
    const user = await findUserByToken(fastify.db, token)
    if (!user) throw new Unauthenticated('invalid or revoked token')
    const { tokenId, ...rest } = user
    request.user = rest
    request.tokenId = tokenId
  })
}, { name: 'auth', dependencies: ['db'], fastify: '5.x' })
