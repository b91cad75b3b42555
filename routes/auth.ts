import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { LoginThrottle, SESSION_COOKIE, checkCsrf, createSession, deleteSession, listSessions, login, readCookie, revokeSession, sessionCookie } from '../src/auth/sessions.ts'
import { checkPasswordLink, createPasswordLink, passwordLinkUrl, usePasswordLink } from '../src/auth/password-links.ts'
import { PASSWORD_MAX, PASSWORD_MIN } from '../src/auth/passwords.ts'
import { Forbidden, Invalid, NotFound } from '../src/errors.ts'
import { NoContent, Uuid } from '../src/http/schemas/common.ts'
import { User } from '../src/http/schemas/users.ts'

/**
 * Sign-in for people: `POST /api/auth/login` sets the `analylit_session`
 * cookie, `POST /api/auth/logout` ends it; password links (invitation and
 * reset) are created by administrators and used once to set a password.
 */
const authRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const throttle = new LoginThrottle(fastify.db)
  const config = fastify.config

  function setSession(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: Date): void {
    reply.header('set-cookie', sessionCookie(token, { secure: request.protocol === 'https', maxAgeSeconds: (expiresAt.getTime() - Date.now()) / 1000 }))
  }

  fastify.post('/auth/login', {
    config: { public: true },
    schema: {
      tags: ['auth'], summary: 'Sign in with e-mail and password: sets the session cookie', security: [],
      body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ maxLength: PASSWORD_MAX }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ user: User }) }
    }
  }, async (request, reply) => {
    const user = await login(fastify.db, throttle, { ...request.body, ip: request.ip })
    const session = await createSession(fastify.db, user.id, config)
    setSession(request, reply, session.token, session.expiresAt)
    return { user }
  })

  fastify.post('/auth/logout', {
    config: { public: true },
    schema: { tags: ['auth'], summary: 'Sign out: ends the session of the cookie and clears it', security: [], response: { 204: NoContent } }
  }, async (request, reply) => {
    const cookie = readCookie(request.headers.cookie, SESSION_COOKIE)
    if (cookie) {
      checkCsrf(request.method, request.headers)
      const ended = await deleteSession(fastify.db, cookie)
      if (ended) await fastify.events.revokeAccess({ userId: ended.userId, tokenId: ended.id })
    }
    reply.header('set-cookie', sessionCookie('', { secure: request.protocol === 'https', maxAgeSeconds: 0 }))
    return reply.status(204).send()
  })

  fastify.get('/me/sessions', {
    schema: {
      tags: ['auth'], summary: 'Your browser sessions (never their cookie); `current` marks the one of this request',
      response: { 200: Type.Array(Type.Object({ id: Type.String(), createdAt: Type.String(), lastSeenAt: Type.String(), expiresAt: Type.String(), current: Type.Boolean() })) }
    }
  }, async (request) => (await listSessions(fastify.db, request.user.id)).map((s) => ({ ...s, current: s.id === request.sessionId })))

  fastify.delete('/me/sessions/:sessionId', {
    schema: { tags: ['auth'], summary: 'End one of your browser sessions, at once (its open WebSockets are closed)', params: Type.Object({ sessionId: Uuid }), response: { 204: NoContent } }
  }, async (request, reply) => {
    if (!await revokeSession(fastify.db, request.user.id, request.params.sessionId)) throw new NotFound('session not found')
    await fastify.events.revokeAccess({ userId: request.user.id, tokenId: request.params.sessionId })
    return reply.status(204).send()
  })

  fastify.post('/users/:userId/password-link', {
    schema: {
      tags: ['auth'], summary: 'Create a single-use link that sets the user\'s password (invitation or reset; administrators only)',
      params: Type.Object({ userId: Uuid }),
      response: { 201: Type.Object({ url: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }) }
    }
  }, async (request, reply) => {
    if (!request.user.isAdmin) throw new Forbidden('only administrators can create password links')
    const link = await createPasswordLink(fastify.db, { userId: request.params.userId, createdBy: request.user.id, hours: config.PASSWORD_LINK_HOURS })
    const base = config.PUBLIC_URL ?? `${request.protocol}://${request.host}`
    return reply.status(201).send({ url: passwordLinkUrl(base, link.token), expiresAt: link.expiresAt.toISOString() })
  })

  fastify.get('/auth/password-links/check', {
    config: { public: true },
    schema: {
      tags: ['auth'], summary: 'Whose password link this is (token in the x-password-token header); 404 unknown, 410 used or expired', security: [],
      response: { 200: Type.Object({ email: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }) }
    }
  }, async (request) => {
    const token = request.headers['x-password-token']
    if (typeof token !== 'string' || token === '') throw new Invalid('send the link\'s token in the header x-password-token', 'x-password-token')
    const link = await checkPasswordLink(fastify.db, token)
    return { email: link.email, expiresAt: link.expiresAt.toISOString() }
  })

  fastify.post('/auth/password', {
    config: { public: true },
    schema: {
      tags: ['auth'], summary: `Set a password with a password link (${PASSWORD_MIN} to ${PASSWORD_MAX} characters), once; signs in`, security: [],
      body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ maxLength: PASSWORD_MAX }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ user: User }) }
    }
  }, async (request, reply) => {
    const { user, session } = await usePasswordLink(fastify.db, { ...request.body, limits: config })
    // The user's other sessions ended: close their WebSockets too.
    await fastify.events.revokeAccess({ userId: user.id })
    setSession(request, reply, session.token, session.expiresAt)
    return { user }
  })
}

export default authRoutes
