import type { FastifyInstance } from 'fastify'
import { resolveProjectScope } from '../../../src/http/project-scope.ts'

/** Every route under /api/projects/:projectId: the project and the caller's role, resolved once (src/http/project-scope.ts). */
export default async function projectScopeHooks(fastify: FastifyInstance): Promise<void> {
  resolveProjectScope(fastify)
}
