import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { desc, eq } from 'drizzle-orm'
import { sourceBatches } from '../../src/db/schema.ts'
import { ProjectParams } from '../../src/http/schemas.ts'
import { requireProject } from '../../src/services/projects.ts'

const SourceBatch = Type.Object({
  id: Type.String(), kind: Type.String(), fileName: Type.Union([Type.String(), Type.Null()]), format: Type.Union([Type.String(), Type.Null()]),
  encoding: Type.Union([Type.String(), Type.Null()]), sourceDatabase: Type.Union([Type.String(), Type.Null()]),
  recordsRead: Type.Integer(), recordsImported: Type.Integer(), recordErrors: Type.Integer(), taskId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String()
})

/** Every import, search and lookup that added records: the PRISMA "records identified" per source. */
const sourcesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/:projectId/sources', {
    schema: { tags: ['articles'], summary: 'Source batches (imports, searches, identifier lookups, citation chasing) with their counts', params: ProjectParams, response: { 200: Type.Array(SourceBatch) } }
  }, async (request) => {
    await requireProject(fastify.db, request.user, request.params.projectId)
    const rows = await fastify.db.select().from(sourceBatches).where(eq(sourceBatches.projectId, request.params.projectId)).orderBy(desc(sourceBatches.createdAt))
    return rows.map((r) => ({
      id: r.id, kind: r.kind, fileName: r.fileName, format: r.format, encoding: r.encoding, sourceDatabase: r.sourceDatabase,
      recordsRead: r.recordsRead, recordsImported: r.recordsImported, recordErrors: r.recordErrors, taskId: r.taskId, createdAt: r.createdAt.toISOString()
    }))
  })
}

export default sourcesRoutes
