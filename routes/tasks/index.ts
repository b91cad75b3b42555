import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Task, TaskParams } from '../../src/http/schemas/tasks.ts'
import { cancelTask, getTask } from '../../src/services/tasks.ts'

/** `/api/tasks/:taskId`: visible to the members of its project, or to its creator when it has none (anyone else: 404). */
const tasksRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/:taskId', { schema: { tags: ['tasks'], params: TaskParams, response: { 200: Task } } },
    async (request) => getTask(fastify, request.user, request.params.taskId))

  fastify.post('/:taskId/cancel', {
    schema: { tags: ['tasks'], summary: 'Cancel a queued or running task', params: TaskParams, response: { 200: Task } }
  }, async (request) => cancelTask(fastify, request.user, request.params.taskId))
}

export default tasksRoutes
