/**
 * Indexing the project's full texts for chat (task "fulltext-index"): the
 * extracted texts not indexed yet, extracted again, cut differently or
 * embedded with another model are cut into chunks and embedded
 * (src/services/rag.ts). A file whose chunks could not be embedded is a
 * per-file error in the result (its chunks are still searched lexically),
 * never a failed task.
 */
import { Type, type Static } from '@sinclair/typebox'
import { indexProject, type IndexRunResult } from '../services/rag.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export const FullTextIndexPayload = Type.Object({
  /** Only these stored PDFs; absent: every extracted full text of the project. */
  fileIds: Type.Optional(Type.Array(Type.String())),
  /** Cut and embed again files already indexed as the settings want. */
  force: Type.Optional(Type.Boolean())
})
export type FullTextIndexPayload = Static<typeof FullTextIndexPayload>

export async function indexFullTexts(ctx: JobContext, payload: FullTextIndexPayload): Promise<IndexRunResult> {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('full-text indexing task has no project')
  await ctx.progress(0, 'finding the full texts to index')
  return indexProject({ db: ctx.db, config: ctx.config, signal: ctx.signal }, projectId, payload, async (outcome, done, total) => {
    await ctx.emit('fulltext.indexed', { fileId: outcome.fileId, articleIds: outcome.articleIds, chunks: outcome.chunks, error: outcome.error ?? null })
    await ctx.progress(done / Math.max(1, total), `${done} of ${total} full texts indexed${outcome.error ? ' (last one without embeddings)' : ''}`)
  })
}
