import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Project, ProjectBody } from '../../src/http/schemas/projects.ts'
import { createProject, listProjects } from '../../src/services/projects.ts'

/** `/api/projects`: your projects, and new ones. A project's own routes are under _projectId/. */
const projectsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/', { schema: { tags: ['projects'], summary: 'Projects you belong to', response: { 200: Type.Array(Project) } } },
    async (request) => listProjects(fastify.db, request.user))

  fastify.post('/', { schema: { tags: ['projects'], summary: 'Create a project (you become its owner)', body: ProjectBody, response: { 201: Project } } },
    async (request, reply) => reply.status(201).send(await createProject(fastify.db, request.user, request.body)))
}

export default projectsRoutes
