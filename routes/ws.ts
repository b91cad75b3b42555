import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireProject } from '../src/services/projects.ts'

/**
 * WebSocket notifications: `GET /api/ws` (bearer token in the Authorization
 * header, or `?access_token=` for browsers). Send
 * `{"type":"subscribe","projectId":"…"}` to receive that project's events
 * (task.queued, task.started, task.progress, task.completed, task.failed,
 * task.cancelled, articles.imported…), `{"type":"unsubscribe","projectId":"…"}`
 * to stop, `{"type":"ping"}` for a `pong`.
 */
const wsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/ws', { websocket: true, schema: { tags: ['events'], summary: 'WebSocket of project events' } }, (socket, request) => {
    const subscriptions = new Map<string, () => void>()
    const send = (message: unknown) => { if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message)) }

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
        try {
          await requireProject(fastify.db, request.user, projectId)
        } catch {
          return send({ type: 'error', projectId, message: 'project not found' })
        }
        if (!subscriptions.has(projectId)) subscriptions.set(projectId, fastify.events.subscribe(projectId, send))
        return send({ type: 'subscribed', projectId })
      }
      if (message.type === 'unsubscribe' && projectId) {
        subscriptions.get(projectId)?.()
        subscriptions.delete(projectId)
        return send({ type: 'unsubscribed', projectId })
      }
      send({ type: 'error', message: 'expected {"type":"subscribe"|"unsubscribe","projectId":"…"} or {"type":"ping"}' })
    })
    socket.on('close', () => {
      for (const unsubscribe of subscriptions.values()) unsubscribe()
      subscriptions.clear()
    })
  })
}

export default wsRoutes
