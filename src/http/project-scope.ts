/**
 * Project scope, resolved once for every route under routes/projects/_projectId/
 * (its autohooks.ts): the caller's membership and role on `:projectId`, checked
 * against the route's minimum role (`config: { role: 'reviewer' }`, viewer by
 * default). A project the caller does not belong to answers 404 exactly like
 * one that does not exist; too low a role answers 403.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { requireProject, type ProjectRole, type ProjectRow } from '../services/projects.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The project of the route's `:projectId` (routes under routes/projects/_projectId/ only). */
    project: ProjectRow
    /** The caller's role on it. */
    projectRole: ProjectRole
    /** `project` is the row this process read last, not read for this request (routes with `projectRow: 'held'`). */
    projectHeld: boolean
  }
  interface FastifyContextConfig {
    /** The least project role a route under routes/projects/_projectId/ needs (default viewer). */
    role?: ProjectRole
    /**
     * 'held': the route's service checks what it uses of the project row in its own statement (and
     * reads the row when that check fails), so the row this process read last will do when the
     * caller's role is cached: the request reads nothing before its handler.
     */
    projectRow?: 'held'
  }
}

export function resolveProjectScope(fastify: FastifyInstance): void {
  fastify.decorateRequest('project', null as unknown as ProjectRow)
  fastify.decorateRequest('projectRole', null as unknown as ProjectRole)
  fastify.decorateRequest('projectHeld', false)
  // After validation (a malformed body or query is a 400 whoever asks), before the handler.
  fastify.addHook('preHandler', async (request: FastifyRequest) => {
    const { projectId } = request.params as { projectId: string }
    const { config } = request.routeOptions
    const { project, role, held } = await requireProject(fastify.db, request.user, projectId, config.role ?? 'viewer', fastify.authCache, { held: config.projectRow === 'held' })
    request.project = project
    request.projectRole = role
    request.projectHeld = held
  })
}

/** The caller as the project services take it. */
export function projectCaller(request: FastifyRequest) {
  return { project: request.project, role: request.projectRole, user: request.user, held: request.projectHeld }
}
