/**
 * A project's screening settings (the `projects.screening_settings` document):
 * how many reviewers screen each record, blind mode, the list of exclusion
 * reasons, who may resolve conflicts, and the classifier that ranks records.
 */
import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { projectMembers, projects } from '../db/schema.ts'
import { Invalid } from '../errors.ts'
import { Value } from '@sinclair/typebox/value'
import { ScreeningSettings } from '../http/schemas/screening.ts'

export type Stage = 'title_abstract' | 'full_text'
export const STAGES: readonly Stage[] = ['title_abstract', 'full_text']

export type { ScreeningSettings }

/** Reads the stored document: a setting missing or malformed takes its default (the schema's). */
export function readScreeningSettings(raw: unknown): ScreeningSettings {
  const doc: Record<string, unknown> = {}
  if (raw && typeof raw === 'object') {
    for (const [key, schema] of Object.entries(ScreeningSettings.properties)) {
      const value = (raw as Record<string, unknown>)[key]
      if (value !== undefined && Value.Check(schema, value)) doc[key] = value
    }
  }
  return Value.Default(ScreeningSettings, doc) as ScreeningSettings
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
    if (reasons.some((r) => r === '')) throw new Invalid('exclusion reasons must not be empty', 'exclusionReasons')
    if (new Set(reasons).size !== reasons.length) throw new Invalid('exclusion reasons must be distinct', 'exclusionReasons')
    next.exclusionReasons = reasons
  }
  for (const key of ['highlightInclude', 'highlightExclude'] as const) {
    if (patch[key]) next[key] = [...new Set(patch[key].map((w) => w.trim()).filter((w) => w !== ''))]
  }
  if (patch.resolverIds) {
    const ids = [...new Set(patch.resolverIds)]
    const members = ids.length === 0
      ? []
      : await db.select({ userId: projectMembers.userId }).from(projectMembers)
          .where(and(eq(projectMembers.projectId, projectId), inArray(projectMembers.userId, ids), inArray(projectMembers.role, ['owner', 'reviewer'])))
    const missing = ids.filter((id) => !members.some((m) => m.userId === id))
    if (missing.length > 0) throw new Invalid(`resolvers must be reviewers or owners of the project: ${missing.join(', ')}`, 'resolverIds')
    next.resolverIds = ids
  }
  await db.update(projects).set({ screeningSettings: next, updatedAt: sql`now()` }).where(eq(projects.id, projectId))
  return next
}

/** Owners and designated resolvers see every decision and settle conflicts. */
export function isPrivileged(settings: ScreeningSettings, role: string, userId: string): boolean {
  return role === 'owner' || (role === 'reviewer' && settings.resolverIds.includes(userId))
}
