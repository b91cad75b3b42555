/**
 * LLM screening in the service: the reviewer account under which a model's
 * decisions are recorded, the project's question and criteria as the prompt
 * wants them, and which records a run screens.
 */
import { Type, type Static } from '@sinclair/typebox'
import { and, eq, inArray, isNull } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, users } from '../db/schema.ts'
import type { EligibilityCriteria, PicoCriteria } from '../llm/screening-prompt.ts'
import { normaliseModelName } from '../llm/ollama.ts'
import { loadStageDecisions, stageCandidates } from './screening.ts'
import { STAGES, type ScreeningSettings, type Stage } from './screening-settings.ts'

export const LlmScreeningPayload = Type.Object({
  model: Type.String({ minLength: 1 }),
  /** The profile the model came from, when one was named. */
  profileId: Type.Optional(Type.String()),
  /** Prompt template id; the seeded default screening template when absent. */
  templateId: Type.Optional(Type.String()),
  stage: Type.Union(STAGES.map((s) => Type.Literal(s))),
  /** Records to screen; by default every record of the stage that no human has decided and this model has not screened. */
  articleIds: Type.Optional(Type.Array(Type.String())),
  /** Requests in flight at once (capped by LLM_CONCURRENCY). */
  concurrency: Type.Optional(Type.Integer({ minimum: 1 }))
})
export type LlmScreeningPayload = Static<typeof LlmScreeningPayload>

/** The e-mail of a model's reviewer account: a reserved domain, so it can never be a person's. */
export function llmReviewerEmail(model: string): string {
  const local = normaliseModelName(model).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '')
  return `${local}@llm.analylit.invalid`
}

/** The `users` row (kind 'llm', named after the model) under which a model's decisions are recorded; created on first use. */
export async function llmReviewer(db: Database, model: string): Promise<{ id: string; email: string; name: string }> {
  const email = llmReviewerEmail(model)
  const name = normaliseModelName(model)
  await db.insert(users).values({ email, name, kind: 'llm' }).onConflictDoNothing()
  const [row] = await db.select({ id: users.id, email: users.email, name: users.name }).from(users).where(eq(users.email, email))
  return row
}

/** The project's stored criteria (`{ kind: 'pico' | 'text', … }`) in the form the screening prompt renders. */
export function promptCriteria(stored: unknown): EligibilityCriteria | null {
  if (!stored || typeof stored !== 'object') return null
  const c = stored as Record<string, unknown>
  if (c.kind === 'text') return typeof c.text === 'string' ? c.text : null
  if (c.kind === 'pico') {
    const text = (k: string) => (typeof c[k] === 'string' ? c[k] as string : undefined)
    const list = (k: string) => (Array.isArray(c[k]) ? (c[k] as unknown[]).filter((v): v is string => typeof v === 'string') : undefined)
    const pico: PicoCriteria = {
      population: text('population'), intervention: text('intervention'), comparison: text('comparison'), outcome: text('outcome'),
      studyDesign: text('studyDesign'), other: text('other'), inclusion: list('inclusion'), exclusion: list('exclusion')
    }
    return pico
  }
  return null
}

export interface LlmRecord {
  id: string
  title: string
  abstract: string
}

/**
 * The records a run screens: the ids given (which must be records of the
 * project), or every record of the stage with no human or resolution
 * decision yet that this model's reviewer has not screened.
 */
export async function llmRunRecords(db: Database, projectId: string, settings: ScreeningSettings, stage: Stage, reviewerId: string, articleIds?: string[]): Promise<LlmRecord[]> {
  if (articleIds && articleIds.length > 0) {
    const rows = await db.select({ id: articles.id, title: articles.title, abstract: articles.abstract }).from(articles)
      .where(and(eq(articles.projectId, projectId), inArray(articles.id, articleIds)))
    const byId = new Map(rows.map((r) => [r.id, r]))
    return articleIds.flatMap((id) => byId.get(id) ?? [])
  }
  const [candidates, byRecord] = await Promise.all([stageCandidates(db, projectId, stage, settings), loadStageDecisions(db, projectId, stage)])
  const ids = candidates.ids.filter((id) => {
    const record = byRecord.get(id)
    return !record || (record.human.length === 0 && !record.resolution && !record.llm.some((d) => d.reviewerId === reviewerId))
  })
  const out: LlmRecord[] = []
  for (let i = 0; i < ids.length; i += 5000) {
    const chunk = ids.slice(i, i + 5000)
    const rows = await db.select({ id: articles.id, title: articles.title, abstract: articles.abstract }).from(articles)
      .where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf), inArray(articles.id, chunk)))
    const byId = new Map(rows.map((r) => [r.id, r]))
    for (const id of chunk) { const r = byId.get(id); if (r) out.push(r) }
  }
  return out
}
