/** Source batches: every import, search and lookup that added records (the PRISMA "records identified" per source). */
import { and, desc, eq } from 'drizzle-orm'
import type { Static } from '@sinclair/typebox'
import type { Database } from '../db/index.ts'
import { sourceBatches } from '../db/schema.ts'
import { NotFound } from '../errors.ts'
import type { SourceBatch } from '../http/schemas/imports.ts'

export async function listSources(db: Database, projectId: string): Promise<Array<Static<typeof SourceBatch>>> {
  const rows = await db.select().from(sourceBatches).where(eq(sourceBatches.projectId, projectId)).orderBy(desc(sourceBatches.createdAt))
  return rows.map((r) => ({
    id: r.id, kind: r.kind, fileName: r.fileName, format: r.format, encoding: r.encoding, sourceDatabase: r.sourceDatabase,
    recordsRead: r.recordsRead, recordsImported: r.recordsImported, recordErrors: r.recordErrors, taskId: r.taskId, createdAt: r.createdAt.toISOString()
  }))
}

/** Throws NotFound (about `field`) unless the batch belongs to the project. */
export async function requireBatch(db: Database, projectId: string, batchId: string, field = 'batchId'): Promise<void> {
  const [batch] = await db.select({ id: sourceBatches.id }).from(sourceBatches)
    .where(and(eq(sourceBatches.projectId, projectId), eq(sourceBatches.id, batchId)))
  if (!batch) throw new NotFound('no such import batch in this project', field)
}
