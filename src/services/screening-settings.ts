/**
 * A project's screening settings (the `projects.screening_settings` document):
 * how many reviewers screen each record, blind mode, the list of exclusion
 * reasons, who may resolve conflicts, and the classifier that ranks records.
 */
import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { projectMembers, projects } from '../db/schema.ts'
import { HttpError } from '../http-errors.ts'
import { CLASSIFIER_NAMES, type ClassifierName } from '../screening/models.ts'

export type Stage = 'title_abstract' | 'full_text'
export const STAGES: readonly Stage[] = ['title_abstract', 'full_text']

export interface ScreeningSettings {
  /** Human reviewers whose decisions a record needs before it has a status other than "awaiting". */
  reviewersPerRecord: 1 | 2
  /** Reviewers do not see each other's decisions on a record until it is resolved. */
  blind: boolean
  /** When non-empty, a decision's reason must be one of these (and a full-text exclusion needs one). */
  exclusionReasons: string[]
  /** Members besides the owners who may resolve conflicts. */
  resolverIds: string[]
  /** Classifier of the active-learning model that ranks records. */
  classifier: ClassifierName
}

export const DEFAULT_SCREENING_SETTINGS: ScreeningSettings = {
  reviewersPerRecord: 1, blind: false, exclusionReasons: [], resolverIds: [], classifier: 'svm'
}

/** Reads the stored document, falling back to the defaults for anything missing or malformed. */
export function readScreeningSettings(raw: unknown): ScreeningSettings {
  const doc = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  const strings = (value: unknown) => Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
  return {
    reviewersPerRecord: doc.reviewersPerRecord === 2 ? 2 : 1,
    blind: doc.blind === true,
    exclusionReasons: strings(doc.exclusionReasons),
    resolverIds: strings(doc.resolverIds),
    classifier: (CLASSIFIER_NAMES as readonly unknown[]).includes(doc.classifier) ? doc.classifier as ClassifierName : DEFAULT_SCREENING_SETTINGS.classifier
  }
}

export async function getScreeningSettings(db: Database, projectId: string): Promise<ScreeningSettings> {
  const [row] = await db.select({ settings: projects.screeningSettings }).from(projects).where(eq(projects.id, projectId))
  return readScreeningSettings(row?.settings)
}

/**
 * Applies a partial update. Exclusion reasons are trimmed and must be
 * distinct; resolvers must be members with at least the reviewer role.
 */
export async function updateScreeningSettings(db: Database, projectId: string, patch: Partial<ScreeningSettings>): Promise<ScreeningSettings> {
  const current = await getScreeningSettings(db, projectId)
  const next: ScreeningSettings = { ...current, ...patch }
  if (patch.exclusionReasons) {
    const reasons = patch.exclusionReasons.map((r) => r.trim())
    if (reasons.some((r) => r === '')) throw new HttpError(400, 'exclusion reasons must not be empty', 'exclusionReasons')
    if (new Set(reasons).size !== reasons.length) throw new HttpError(400, 'exclusion reasons must be distinct', 'exclusionReasons')
    next.exclusionReasons = reasons
  }
  if (patch.resolverIds) {
    const ids = [...new Set(patch.resolverIds)]
    const members = ids.length === 0
      ? []
      : await db.select({ userId: projectMembers.userId }).from(projectMembers)
        .where(and(eq(projectMembers.projectId, projectId), inArray(projectMembers.userId, ids), inArray(projectMembers.role, ['owner', 'reviewer'])))
    const missing = ids.filter((id) => !members.some((m) => m.userId === id))
    if (missing.length > 0) throw new HttpError(400, `resolvers must be reviewers or owners of the project: ${missing.join(', ')}`, 'resolverIds')
    next.resolverIds = ids
  }
  await db.update(projects).set({ screeningSettings: next, updatedAt: sql`now()` }).where(eq(projects.id, projectId))
  return next
}

/** Owners and designated resolvers see every decision and settle conflicts. */
export function isPrivileged(settings: ScreeningSettings, role: string, userId: string): boolean {
  return role === 'owner' || (role === 'reviewer' && settings.resolverIds.includes(userId))
}
