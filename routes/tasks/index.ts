import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { Task, Uuid } from '../../src/http/schemas.ts'
import { isMember, requireProject } from '../../src/services/projects.ts'
import { Conflict, NotFound } from '../../src/errors.ts'
import { toTaskView, type TaskRow } from '../../src/tasks/store.ts'

const TaskParams = Type.Object({ taskId: Uuid })

const tasksRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  /**
   * A task is visible to the members of its project, or to its creator when
   * it has none. Anyone else gets the very answer of a task that does not
   * exist, so task ids cannot be probed.
   */
  async function visibleTask(request: FastifyRequest, taskId: string, minimum: 'viewer' | 'reviewer' = 'viewer'): Promise<TaskRow> {
    const notFound = new NotFound('task not found')
    const task = await fastify.tasks.store.get(taskId)
    if (!task) throw notFound
    if (task.projectId) {
      if (!await isMember(fastify.db, request.user.id, task.projectId)) throw notFound
      await requireProject(fastify.db, request.user, task.projectId, minimum)
    } else if (task.createdBy !== request.user.id) throw notFound
    return task
  }

  fastify.get('/:taskId', { schema: { tags: ['tasks'], params: TaskParams, response: { 200: Task } } },
    async (request) => toTaskView(await visibleTask(request, request.params.taskId)))

  fastify.post('/:taskId/cancel', {
    schema: { tags: ['tasks'], summary: 'Cancel a queued or running task', params: TaskParams, response: { 200: Task } }
  }, async (request) => {
    const task = await visibleTask(request, request.params.taskId, 'reviewer')
    const cancelled = await fastify.tasks.cancel(task.id)
    if (!cancelled) throw new Conflict(`task already ${task.status}`)
    return toTaskView(cancelled)
  })
}

export default tasksRoutes
