import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ProjectParams, legacyPageQuery, pageQuery, pageWindow } from '../../../src/http/schemas/common.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { listProjectTasks } from '../../../src/services/project-tasks.ts'

const projectTasksRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/tasks', {
    schema: {
      tags: ['tasks'], summary: "A project's background tasks, newest first (the total in X-Total-Count)", params: ProjectParams,
      querystring: Type.Object({ ...pageQuery(100, 1000), ...legacyPageQuery(1000) }, { additionalProperties: false }),
      response: { 200: Type.Array(Task) }
    }
  }, async (request, reply) => {
    const { items, total } = await listProjectTasks(fastify.db, request.project.id, pageWindow(request.query))
    return reply.header('x-total-count', total).send(items)
  })
}

export default projectTasksRoutes
