import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Project, ProjectBody, ProjectParams, ProjectPatch, Uuid } from '../../src/http/schemas.ts'
import {
  changeMember, createProject, deleteProject, listMembers, listProjects, requireProject, toProjectView, updateProject
} from '../../src/services/projects.ts'
import { NotFound } from '../../src/errors.ts'
import { userForInvitation } from '../../src/auth/users.ts'

const Role = Type.Union([Type.Literal('owner'), Type.Literal('reviewer'), Type.Literal('viewer')])

const projectsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify

  fastify.get('/', { schema: { tags: ['projects'], summary: 'Projects you belong to', response: { 200: Type.Array(Project) } } },
    async (request) => listProjects(db, request.user))

  fastify.post('/', { schema: { tags: ['projects'], summary: 'Create a project (you become its owner)', body: ProjectBody, response: { 201: Project } } },
    async (request, reply) => reply.status(201).send(await createProject(db, request.user, request.body)))

  fastify.get('/:projectId', { schema: { tags: ['projects'], params: ProjectParams, response: { 200: Project } } }, async (request) => {
    const { project, role } = await requireProject(db, request.user, request.params.projectId)
    return toProjectView(project, role)
  })

  fastify.patch('/:projectId', { schema: { tags: ['projects'], params: ProjectParams, body: ProjectPatch, response: { 200: Project } } }, async (request) => {
    const { role } = await requireProject(db, request.user, request.params.projectId, 'owner')
    return toProjectView(await updateProject(db, request.params.projectId, request.body), role)
  })

  fastify.delete('/:projectId', { schema: { tags: ['projects'], summary: 'Delete a project with its articles, decisions, tasks and files', params: ProjectParams } }, async (request, reply) => {
    await requireProject(db, request.user, request.params.projectId, 'owner')
    // Stop its running tasks first so none writes into a project being deleted.
    for (const task of await fastify.tasks.store.listForProject(request.params.projectId, 10000)) {
      if (task.status === 'queued' || task.status === 'running') await fastify.tasks.cancel(task.id)
    }
    await deleteProject(db, fastify.storageDir, request.params.projectId)
    return reply.status(204).send()
  })

  const Member = Type.Object({ userId: Type.String(), email: Type.String(), name: Type.String(), role: Type.String() })

  fastify.get('/:projectId/members', { schema: { tags: ['projects'], params: ProjectParams, response: { 200: Type.Array(Member) } } }, async (request) => {
    await requireProject(db, request.user, request.params.projectId)
    return listMembers(db, request.params.projectId)
  })

  fastify.put('/:projectId/members', {
    schema: {
      tags: ['projects'], summary: 'Add a member or change their role (by e-mail; an address without an account gets a pending one)', params: ProjectParams,
      body: Type.Object({ email: Type.String({ format: 'email', maxLength: 320 }), role: Role }, { additionalProperties: false }),
      response: { 200: Type.Array(Member) }
    }
  }, async (request) => {
    await requireProject(db, request.user, request.params.projectId, 'owner')
    // The same answer whether or not the address has an account: no way to probe who has one.
    const memberId = await userForInvitation(db, request.body.email)
    await changeMember(db, request.user, request.params.projectId, memberId, request.body.role)
    return listMembers(db, request.params.projectId)
  })

  fastify.delete('/:projectId/members/:userId', {
    schema: { tags: ['projects'], params: Type.Object({ projectId: Uuid, userId: Uuid }) }
  }, async (request, reply) => {
    await requireProject(db, request.user, request.params.projectId, 'owner')
    if (!await changeMember(db, request.user, request.params.projectId, request.params.userId, null)) throw new NotFound('member not found')
    await fastify.events.revokeAccess({ userId: request.params.userId, projectId: request.params.projectId })
    return reply.status(204).send()
  })
}

export default projectsRoutes
