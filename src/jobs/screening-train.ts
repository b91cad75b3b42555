/** Retraining of the screening model of a project and stage (queued, debounced, after decisions). */
import { trainScreeningModel, type TrainingSummary } from '../services/screening-model.ts'
import { STAGES, type Stage } from '../services/screening-settings.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export async function screeningTrain(ctx: JobContext): Promise<TrainingSummary> {
  const projectId = ctx.task.projectId
  const stage = (ctx.task.payload as { stage?: Stage }).stage ?? 'title_abstract'
  if (!projectId) throw new TaskError('screening training task has no project')
  if (!STAGES.includes(stage)) throw new TaskError(`unknown screening stage "${stage}"`)
  await ctx.progress(0.05, `training the ${stage} model`)
  const summary = await trainScreeningModel(ctx.db, projectId, stage, { signal: ctx.signal })
  await ctx.emit('screening.model.trained', { stage, mode: summary.mode, labelled: summary.labelled, includes: summary.includes })
  return summary
}
