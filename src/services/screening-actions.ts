/**
 * What a reviewer does on a project's screening, as one call each: record a
 * decision or a resolution (the ranking model retrains in the background),
 * list decisions, change the settings, export the paired decisions.
 */
import type { Database } from '../db/index.ts'
import { Forbidden, Invalid, NotFound } from '../errors.ts'
import type { EventHub } from '../events/hub.ts'
import type { Static } from '@sinclair/typebox'
import type { DecisionBody, DecisionView, ScreeningSettingsPatch } from '../http/schemas/screening.ts'
import type { AuthUser } from '../auth/users.ts'
import type { TaskService } from '../tasks/service.ts'
import { agreementCsv } from './agreement.ts'
import { readProject, type ProjectRole, type ProjectRow } from './projects.ts'
import { listVisibleDecisions, recordHumanDecision, resolveConflict, toDecisionView, type DecisionFilter, type DecisionRow } from './screening.ts'
import { queueTraining } from './screening-model.ts'
import { isPrivileged, readScreeningSettings, updateScreeningSettings, type ScreeningSettings, type Stage } from './screening-settings.ts'

export interface ScreeningDeps { db: Database; tasks: TaskService; events?: EventHub; log: { warn: (obj: object, msg: string) => void } }
/**
 * The project as the request resolved it, with the caller and their role. `held`: the row is the one
 * this process read last (the route reads none when the role is cached), to be checked or read again.
 */
export interface ProjectCaller { project: ProjectRow; role: ProjectRole; user: AuthUser; held?: boolean }

type DecisionRequest = Static<typeof DecisionBody>

/**
 * Retraining follows every decision in the background, queued once the decision is answered (the
 * reviewer waits for their decision to be stored, not for the model); a failure to queue it never
 * fails the decision.
 */
function retrainLater(deps: ScreeningDeps, projectId: string, stage: Stage, userId: string): void {
  deps.tasks.inBackground(async () => {
    try {
      await queueTraining(deps, projectId, stage, userId, { afterRunning: true })
    } catch (err) {
      deps.log.warn({ err, projectId, stage }, 'could not queue the screening model retraining')
    }
  })
}

const asReviewer = (user: AuthUser) => ({ email: user.email, name: user.name, kind: 'human' })

export async function recordDecision(deps: ScreeningDeps, { project, user, held }: ProjectCaller, articleId: string, request: DecisionRequest): Promise<DecisionView> {
  const stage = request.stage ?? 'title_abstract'
  const input = { ...request, articleId, stage }
  // A project row held in memory (no statement before this one): at title/abstract the insert itself
  // checks that its screening settings are still the project's; when they are not, or when they
  // refuse the decision, or at another stage, the row is read now and the decision checked against it.
  let row: DecisionRow | 'stale' = 'stale'
  if (held && stage === 'title_abstract') {
    const settings = project.screeningSettings
    try {
      row = await recordHumanDecision(deps.db, project.id, readScreeningSettings(settings), user.id, input, settings)
    } catch (error) {
      if (!(error instanceof Invalid)) throw error
    }
  }
  if (row === 'stale') {
    const current = held ? await readProject(deps.db, project.id) : project
    if (!current) throw new NotFound('project not found')
    row = await recordHumanDecision(deps.db, project.id, readScreeningSettings(current.screeningSettings), user.id, input)
  }
  retrainLater(deps, project.id, stage, user.id)
  return toDecisionView(row, asReviewer(user))
}

export async function recordResolution(deps: ScreeningDeps, { project, role, user }: ProjectCaller, articleId: string, request: DecisionRequest) {
  const stage = request.stage ?? 'title_abstract'
  const settings = readScreeningSettings(project.screeningSettings)
  const { decision, previousStatus } = await resolveConflict(deps.db, project.id, settings, { userId: user.id, role }, { ...request, articleId, stage })
  retrainLater(deps, project.id, stage, user.id)
  return { decision: toDecisionView(decision, asReviewer(user)), previousStatus }
}

export async function listDecisions(db: Database, { project, role, user }: ProjectCaller, filter: DecisionFilter) {
  return listVisibleDecisions(db, project.id, readScreeningSettings(project.screeningSettings), { userId: user.id, role }, filter)
}

/** Applies a settings patch; a new classifier retrains the title/abstract model. */
export async function changeScreeningSettings(deps: ScreeningDeps, { project, user }: ProjectCaller, patch: Static<typeof ScreeningSettingsPatch>): Promise<ScreeningSettings> {
  const before = readScreeningSettings(project.screeningSettings)
  const after = await updateScreeningSettings(deps.db, project.id, patch)
  if (after.classifier !== before.classifier) await queueTraining(deps, project.id, 'title_abstract', user.id)
  return after
}

/** The paired decisions as CSV: in blind mode, only for owners and resolvers. */
export async function exportAgreement(db: Database, { project, role, user }: ProjectCaller, stage: Stage): Promise<string> {
  const settings = readScreeningSettings(project.screeningSettings)
  if (settings.blind && !isPrivileged(settings, role, user.id)) {
    throw new Forbidden('in blind mode only the project\'s owners and resolvers export individual decisions')
  }
  return agreementCsv(db, project.id, stage)
}
