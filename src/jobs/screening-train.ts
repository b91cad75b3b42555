/** Retraining of the screening model of a project and stage (queued, debounced, after decisions). */
import { Type, type Static } from '@sinclair/typebox'
import { trainScreeningModel, type TrainingSummary } from '../services/screening-model.ts'
import { STAGES } from '../services/screening-settings.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export const TrainPayload = Type.Object({
  stage: Type.Optional(Type.Union(STAGES.map((s) => Type.Literal(s))))
})
export type TrainPayload = Static<typeof TrainPayload>

export async function screeningTrain(ctx: JobContext, payload: TrainPayload): Promise<TrainingSummary> {
  const projectId = ctx.task.projectId
  const stage = payload.stage ?? 'title_abstract'
  if (!projectId) throw new TaskError('screening training task has no project')
  await ctx.progress(0.05, `training the ${stage} model`)
  const summary = await trainScreeningModel(ctx.db, projectId, stage, { signal: ctx.signal, queuedAt: ctx.task.createdAt })
  // A training that left the work to a newer one (or whose result a newer one replaced) trained nothing to announce.
  if (!summary.superseded && !summary.unchanged) await ctx.emit('screening.model.trained', { stage, mode: summary.mode, labelled: summary.labelled, includes: summary.includes })
  return summary
}
