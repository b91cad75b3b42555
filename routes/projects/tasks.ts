import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ProjectParams, Task } from '../../src/http/schemas.ts'
import { requireProject } from '../../src/services/projects.ts'
import { toTaskView } from '../../src/tasks/store.ts'

const projectTasksRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/:projectId/tasks', {
    schema: {
      tags: ['tasks'], summary: "A project's background tasks, newest first", params: ProjectParams,
      querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }, { additionalProperties: false }),
      response: { 200: Type.Array(Task) }
    }
  }, async (request) => {
    await requireProject(fastify.db, request.user, request.params.projectId)
    return (await fastify.tasks.store.listForProject(request.params.projectId, request.query.limit)).map(toTaskView)
  })
}

export default projectTasksRoutes
