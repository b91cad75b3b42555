import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { tokenActive } from '../src/auth/users.ts'
import { sessionActive } from '../src/auth/sessions.ts'
import { SocketAccess, type AccessChecks } from '../src/events/socket-access.ts'
import { isMember, requireProject } from '../src/services/projects.ts'

/**
 * WebSocket notifications: `GET /api/ws` (bearer token in the Authorization
 * header, or `?access_token=`, or the session cookie from the service's own origin). Send
 * `{"type":"subscribe","projectId":"…"}` to receive that project's events
 * (task.queued, task.started, task.progress, task.completed, task.failed,
 * task.cancelled, articles.imported…), `{"type":"unsubscribe","projectId":"…"}`
 * to stop, `{"type":"ping"}` for a `pong`. Access follows the user's: a
 * socket whose token is revoked closes (1008), a subscription to a project
 * the user was removed from ends with `{"type":"unsubscribed","reason":"access revoked"}`.
 */
const wsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const checks: AccessChecks = {
    // A socket opened with the session cookie carries the session's id as its token id.
    tokenActive: async (tokenId) => await tokenActive(fastify.db, tokenId) || await sessionActive(fastify.db, tokenId, fastify.config),
    isMember: (userId, projectId) => isMember(fastify.db, userId, projectId)
  }
  // This process's sockets: revocations published by any process reach them here.
  const sockets = new Set<SocketAccess>()
  const stopListening = fastify.events.onAccessRevoked((change) => { for (const access of sockets) access.revoked(change) })
  fastify.addHook('onClose', async () => stopListening())

  fastify.get('/ws', {
    websocket: true,
    schema: {
      tags: ['events'], summary: 'WebSocket of project events',
      description: 'Upgrade to a WebSocket, then send {"type":"subscribe","projectId":"…"} to receive the project\'s events; {"type":"unsubscribe","projectId":"…"}; {"type":"ping"}.',
      querystring: Type.Object({ access_token: Type.Optional(Type.String({ description: 'the API token, for browsers (which cannot set headers on a WebSocket handshake)' })) }, { additionalProperties: false }),
      response: { 101: { description: 'Switching Protocols: the WebSocket of project events', type: 'null' } }
    }
  }, (socket, request) => {
    const send = (message: unknown) => { if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message)) }
    const access = new SocketAccess({
      userId: request.user.id, tokenId: request.tokenId, hub: fastify.events, checks, send,
      close: (reason) => socket.close(1008, reason)
    })
    sockets.add(access)

    socket.on('message', async (raw: Buffer) => {
      let message: { type?: unknown; projectId?: unknown }
      try {
        message = JSON.parse(raw.toString())
      } catch {
        return send({ type: 'error', message: 'messages must be JSON' })
      }
      const projectId = typeof message.projectId === 'string' ? message.projectId : undefined
      if (message.type === 'ping') return send({ type: 'pong' })
      if (message.type === 'subscribe' && projectId) {
        const allowed = () => requireProject(fastify.db, request.user, projectId).then(() => true, () => false)
        if (!await access.subscribe(projectId, allowed)) return send({ type: 'error', projectId, message: 'project not found' })
        return send({ type: 'subscribed', projectId })
      }
      if (message.type === 'unsubscribe' && projectId) {
        access.unsubscribe(projectId)
        return send({ type: 'unsubscribed', projectId })
      }
      send({ type: 'error', message: 'expected {"type":"subscribe"|"unsubscribe","projectId":"…"} or {"type":"ping"}' })
    })
    socket.on('close', () => {
      access.dispose()
      sockets.delete(access)
    })
  })
}

export default wsRoutes
