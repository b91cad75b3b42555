import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { findUserByToken, type AuthUser } from '../src/auth/users.ts'
import { SESSION_COOKIE, checkCsrf, findSession, readCookie } from '../src/auth/sessions.ts'
import { Forbidden, Unauthenticated } from '../src/errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser
    /** The id of the request's API token, or of its browser session. */
    tokenId: string
    /** Set when the request was authenticated by the session cookie. */
    sessionId: string
  }
  interface FastifyInstance {
    authenticate: (request: FastifyRequest) => Promise<void>
  }
  interface FastifyContextConfig {
    /** A route under /api open without credentials (sign-in, password links). */
    public?: boolean
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

/** The origins the service is reached at: the request's own, and PUBLIC_URL's. */
export function ownOrigins(request: FastifyRequest): string[] {
  const publicUrl = request.server.config.PUBLIC_URL
  return [`${request.protocol}://${request.host}`, ...(publicUrl ? [new URL(publicUrl).origin] : [])]
}

/**
 * The writes that can change who may do what: users and their tokens, one's own tokens and
 * sessions, sign-in, a project (deleted) and its members.
 */
const ACCESS_WRITES = /^\/api\/(users|me|auth)(\/|\?|$)|^\/api\/projects\/[^/?]+(\/members(\/[^?]*)?)?(\?|$)/
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Bearer-token or session-cookie authentication for every /api route but health and the public sign-in routes. */
export default fp(async (fastify) => {
  fastify.decorateRequest('user', null as unknown as AuthUser)
  fastify.decorateRequest('tokenId', '')
  fastify.decorateRequest('sessionId', '')
  // Other processes learn of such a change from PostgreSQL (src/auth/cache.ts); this one forgets
  // what it cached before answering, so that its client's next request sees the change.
  fastify.addHook('onSend', async (request, _reply, payload) => {
    if (fastify.authCache && !SAFE_METHODS.has(request.method) && ACCESS_WRITES.test(request.url)) fastify.authCache.clear()
    return payload
  })
  fastify.decorate('authenticate', async (request: FastifyRequest) => {
    if (request.routeOptions.config.public) return
    const token = bearerToken(request)
    const cookie = token || request.headers.authorization ? undefined : readCookie(request.headers.cookie, SESSION_COOKIE)
    if (cookie) {
      const session = await findSession(fastify.db, cookie, fastify.config, fastify.authCache)
      if (!session) throw new Unauthenticated('your session has ended (signed out, expired or revoked): sign in again')
      // Cross-site WebSocket hijacking: a page elsewhere can open a socket that carries the cookie, but not fake its Origin.
      if (request.ws && !ownOrigins(request).includes(request.headers.origin ?? '')) throw new Forbidden('a WebSocket signed in by the session cookie must come from this service\'s own origin')
      checkCsrf(request.method, request.headers)
      const { sessionId, ...user } = session
      request.user = user
      request.tokenId = sessionId
      request.sessionId = sessionId
      return
    }
    if (!token) throw new Unauthenticated('missing bearer token (Authorization: Bearer <token>) or session cookie (sign in)')
    const user = await findUserByToken(fastify.db, token, fastify.authCache)
    if (!user) throw new Unauthenticated('invalid or revoked token')
    const { tokenId, ...rest } = user
    request.user = rest
    request.tokenId = tokenId
  })
}, { name: 'auth', dependencies: ['db', 'globals'], fastify: '5.x' })
