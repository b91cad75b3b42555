import { deduplicateProject, type DedupSummary } from '../services/dedup.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

/** On-demand deduplication run (also queued after every manual judgement). */
export async function deduplicate(ctx: JobContext): Promise<DedupSummary> {
  if (!ctx.task.projectId) throw new TaskError('deduplication task has no project')
  await ctx.progress(0.05, 'finding duplicates')
  const summary = await deduplicateProject(ctx.db, ctx.task.projectId, (fraction, message) => ctx.progress(fraction, message))
  await ctx.emit('duplicates.updated', { ...summary })
  return summary
}
