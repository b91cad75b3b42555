import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { NoContent, ProjectParams, Uuid } from '../../../src/http/schemas/common.ts'
import { Member, MemberBody, Project, ProjectPatch } from '../../../src/http/schemas/projects.ts'
import { addMember, deleteProject, listMembers, removeMember, toProjectView, updateProject } from '../../../src/services/projects.ts'

/** `/api/projects/:projectId` and its members. */
const projectRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify

  fastify.get('', { schema: { tags: ['projects'], params: ProjectParams, response: { 200: Project } } },
    async (request) => toProjectView(request.project, request.projectRole))

  fastify.patch('', { config: { role: 'owner' }, schema: { tags: ['projects'], params: ProjectParams, body: ProjectPatch, response: { 200: Project } } },
    async (request) => updateProject(db, request.project.id, request.body, request.projectRole))

  fastify.delete('', {
    config: { role: 'owner' },
    schema: { tags: ['projects'], summary: 'Delete a project with its articles, decisions, tasks and files', params: ProjectParams, response: { 204: NoContent } }
  }, async (request, reply) => {
    await deleteProject(fastify, request.project.id)
    return reply.status(204).send()
  })

  fastify.get('/members', { schema: { tags: ['projects'], params: ProjectParams, response: { 200: Type.Array(Member) } } },
    async (request) => listMembers(db, request.project.id))

  fastify.put('/members', {
    config: { role: 'owner' },
    schema: {
      tags: ['projects'], summary: 'Add a member or change their role (by e-mail; an address without an account gets a pending one)', params: ProjectParams,
      body: MemberBody, response: { 200: Type.Array(Member) }
    }
  }, async (request) => addMember(db, request.user, request.project.id, request.body.email, request.body.role))

  fastify.delete('/members/:userId', {
    config: { role: 'owner' },
    schema: { tags: ['projects'], params: Type.Object({ projectId: Uuid, userId: Uuid }), response: { 204: NoContent } }
  }, async (request, reply) => {
    await removeMember(fastify, request.user, request.project.id, request.params.userId)
    return reply.status(204).send()
  })
}

export default projectRoutes
