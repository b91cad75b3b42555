/**
 * Grounded LLM synthesis drafts: what a generation sends (the included
 * studies with their citation keys, metadata and extracted data), starting a
 * generation (checked first: a model that is not installed, or a project
 * with no included study, is refused before any task exists), and the stored
 * drafts with their citation check. The generation itself is the task
 * `llm-synthesis` (src/jobs/llm-synthesis.ts).
 *
 * Extracted data: per grid, the consensus values when the article has a
 * consensus; otherwise one reviewer's extraction — a complete one before a
 * draft, a person's before a model's — and the input says which.
 */
import { Type, type Static } from '@sinclair/typebox'
import { and, desc, eq, inArray } from 'drizzle-orm'
import type { Config } from '../config.ts'
import type { Database } from '../db/index.ts'
import { extractionConsensus, extractionGrids, extractionGridVersions, extractions, synthesisDrafts, users } from '../db/schema.ts'
import { Invalid, NotFound } from '../errors.ts'
import { gridFields, type ExtractionValues, type FieldValue, type Grid, type GridField } from '../extraction/grid.ts'
import type { SynthesisDraftValue, SynthesisDraftSummaryValue, SynthesisRequestValue } from '../http/schemas/synthesis.ts'
import { requireInstalledModel } from '../llm/run.ts'
import type { PromptStudy } from '../llm/synthesis-prompt.ts'
import type { TaskView } from '../http/schemas/tasks.ts'
import { toTaskView } from '../tasks/store.ts'
import { includedStudies, type IncludedStudy } from './included-studies.ts'
import type { TaskDeps } from './project-tasks.ts'

/** Above this many characters of study data, each study is summarised first (see the job). */
export const DEFAULT_MAX_INPUT_CHARS = 24_000

export const LlmSynthesisPayload = Type.Object({
  model: Type.String({ minLength: 1 }),
  language: Type.Union([Type.Literal('en'), Type.Literal('fr')]),
  temperature: Type.Number({ minimum: 0, maximum: 2 }),
  seed: Type.Integer(),
  maxInputChars: Type.Integer({ minimum: 1000 })
})
export type LlmSynthesisPayload = Static<typeof LlmSynthesisPayload>

function formatValue(field: GridField | undefined, entry: FieldValue): string | undefined {
  if (entry.notReported) return 'not reported'
  const v = entry.value
  if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) return undefined
  if (field?.type === 'rows' && Array.isArray(v)) {
    const label = (key: string) => field.columns?.find((c) => c.key === key)?.label ?? key
    return (v as Array<Record<string, unknown>>).map((row) => Object.entries(row ?? {}).filter(([, x]) => x !== null && x !== undefined && x !== '').map(([k, x]) => `${label(k)}: ${String(x)}`).join(', ')).join(' | ')
  }
  if (Array.isArray(v)) return v.map(String).join('; ')
  if (typeof v === 'boolean') return v ? 'yes' : 'no'
  return `${String(v)}${field?.unit ? ` ${field.unit}` : ''}`
}

function labelled(grid: Grid, values: ExtractionValues): Record<string, string> {
  const out: Record<string, string> = {}
  const fields = new Map(gridFields(grid).map((f) => [f.key, f]))
  const order = [...fields.keys(), ...Object.keys(values).filter((k) => !fields.has(k))]
  for (const key of order) {
    const entry = values[key]
    if (!entry) continue
    const text = formatValue(fields.get(key), entry)
    if (text !== undefined) out[fields.get(key)?.label ?? key] = text
  }
  return out
}

const authorList = (authors: IncludedStudy['authors']) => {
  const names = authors.map((a) => [a.family, a.given].filter(Boolean).join(' ')).filter(Boolean)
  return names.length > 6 ? `${names.slice(0, 6).join(', ')} et al.` : names.join(', ')
}

/** One grid's extraction of an article as a synthesis uses it: where it comes from, the grid version's definition, the values. */
export interface ChosenExtraction { grid: string; source: string; definition: Grid; values: ExtractionValues }

/**
 * Per article of `ids`, per grid of the project (in creation order): the consensus values when
 * there is a consensus, otherwise one reviewer's extraction — complete before draft, a person's
 * before a model's — with its source said.
 */
export async function chosenExtractions(db: Database, projectId: string, ids: string[]): Promise<Map<string, ChosenExtraction[]>> {
  const grids = await db.select({ id: extractionGrids.id, name: extractionGrids.name }).from(extractionGrids).where(eq(extractionGrids.projectId, projectId)).orderBy(extractionGrids.createdAt)
  const consensus: Array<{ articleId: string; gridId: string; versionId: string; values: unknown }> = []
  const reviewers: Array<{ articleId: string; gridId: string; versionId: string; values: unknown; status: string; name: string | null; email: string; kind: string }> = []
  for (let i = 0; i < ids.length && grids.length > 0; i += 5000) {
    const chunk = ids.slice(i, i + 5000)
    consensus.push(...await db.select({ articleId: extractionConsensus.articleId, gridId: extractionConsensus.gridId, versionId: extractionConsensus.gridVersionId, values: extractionConsensus.values })
      .from(extractionConsensus).where(and(eq(extractionConsensus.projectId, projectId), inArray(extractionConsensus.articleId, chunk))))
    reviewers.push(...await db.select({
      articleId: extractions.articleId, gridId: extractions.gridId, versionId: extractions.gridVersionId, values: extractions.values, status: extractions.status,
      name: users.name, email: users.email, kind: users.kind
    }).from(extractions).innerJoin(users, eq(users.id, extractions.reviewerId)).where(and(eq(extractions.projectId, projectId), inArray(extractions.articleId, chunk))))
  }
  const versionIds = [...new Set([...consensus, ...reviewers].map((r) => r.versionId))]
  const definitions = new Map<string, Grid>()
  if (versionIds.length) {
    for (const v of await db.select({ id: extractionGridVersions.id, definition: extractionGridVersions.definition }).from(extractionGridVersions).where(inArray(extractionGridVersions.id, versionIds))) {
      definitions.set(v.id, v.definition as Grid)
    }
  }
  const rank = (r: typeof reviewers[number]) => (r.status === 'complete' ? 0 : 2) + (r.kind === 'llm' ? 1 : 0)
  const byArticle = <T extends { articleId: string }>(rows: T[]) => rows.reduce((m, r) => m.set(r.articleId, [...m.get(r.articleId) ?? [], r]), new Map<string, T[]>())
  const consensusOf = byArticle(consensus)
  const reviewersOf = byArticle(reviewers)
  return new Map(ids.map((id) => [id, grids.flatMap((g): ChosenExtraction[] => {
    const c = consensusOf.get(id)?.find((r) => r.gridId === g.id)
    if (c) return [{ grid: g.name, source: 'consensus', definition: definitions.get(c.versionId)!, values: c.values as ExtractionValues }]
    const r = (reviewersOf.get(id) ?? []).filter((x) => x.gridId === g.id).sort((a, b) => rank(a) - rank(b) || a.email.localeCompare(b.email))[0]
    if (!r) return []
    const who = r.kind === 'llm' ? `model ${r.name ?? r.email}` : (r.name || r.email)
    return [{ grid: g.name, source: `no consensus: ${who}'s ${r.status} extraction`, definition: definitions.get(r.versionId)!, values: r.values as ExtractionValues }]
  })]))
}

/** The included studies as the prompts get them, in citation-key order, with the key → article map. */
export async function synthesisStudies(db: Database, projectId: string): Promise<{ studies: Array<PromptStudy & { articleId: string }>; includedAt: string }> {
  const { studies, includedAt } = await includedStudies(db, projectId)
  const chosen = await chosenExtractions(db, projectId, studies.map((s) => s.id))
  return {
    includedAt,
    studies: studies.map((s) => ({
      articleId: s.id, key: s.key, title: s.title, authors: authorList(s.authors), year: s.year, journal: s.journal, design: s.type, abstract: s.abstract,
      extraction: (chosen.get(s.id) ?? []).map((e) => ({ grid: e.grid, source: e.source, values: labelled(e.definition, e.values) }))
    }))
  }
}

/** Starts a generation: refused (400 naming the field) without included studies or with a model the Ollama server does not have. */
export async function queueSynthesis(deps: TaskDeps & { config: Config }, projectId: string, userId: string, request: SynthesisRequestValue): Promise<TaskView> {
  const { studies } = await includedStudies(deps.db, projectId)
  if (studies.length === 0) throw new Invalid('the project has no included studies to synthesise (include records at title/abstract or full text first)', 'articles')
  const model = await requireInstalledModel(deps.config, request.model)
  const payload: LlmSynthesisPayload = {
    model, language: request.language ?? 'en', temperature: request.temperature ?? 0.2, seed: request.seed ?? 42,
    maxInputChars: request.maxInputChars ?? DEFAULT_MAX_INPUT_CHARS
  }
  return toTaskView(await deps.tasks.submit({ type: 'llm-synthesis', projectId, createdBy: userId, payload }))
}

type DraftRow = typeof synthesisDrafts.$inferSelect
interface StoredSentence { text: string; keys: string[]; unknownKeys: string[]; uncited: boolean }
interface StoredSection { name: string; text: string; sentences: StoredSentence[] }

function summary(row: DraftRow): SynthesisDraftSummaryValue {
  const sections = row.sections as StoredSection[]
  const sentences = sections.flatMap((s) => s.sentences)
  return {
    id: row.id, version: row.version, language: row.language as 'en' | 'fr', model: row.model, modelDigest: row.modelDigest, promptVersion: row.promptVersion,
    studies: Object.keys(row.citationKeys as Record<string, string>).length,
    flags: { uncited: sentences.filter((s) => s.uncited).length, unknownKeys: sentences.filter((s) => s.unknownKeys.length > 0).length },
    taskId: row.taskId, createdBy: row.createdBy, createdAt: row.createdAt.toISOString()
  }
}

export async function listSynthesisDrafts(db: Database, projectId: string): Promise<SynthesisDraftSummaryValue[]> {
  const rows = await db.select().from(synthesisDrafts).where(eq(synthesisDrafts.projectId, projectId)).orderBy(desc(synthesisDrafts.version))
  return rows.map(summary)
}

function keyMap(row: DraftRow): SynthesisDraftValue['citationKeys'] {
  const studies = new Map(((row.input as { studies: Array<{ key: string; title: string; year: number | null }> }).studies).map((s) => [s.key, s]))
  return Object.fromEntries(Object.entries(row.citationKeys as Record<string, string>).map(([key, articleId]) => [key, { articleId, title: studies.get(key)?.title ?? '', year: studies.get(key)?.year ?? null }]))
}

export async function getSynthesisDraft(db: Database, projectId: string, draftId: string): Promise<SynthesisDraftValue> {
  const [row] = await db.select().from(synthesisDrafts).where(and(eq(synthesisDrafts.projectId, projectId), eq(synthesisDrafts.id, draftId)))
  if (!row) throw new NotFound('no such synthesis draft in this project', 'draftId')
  return {
    ...summary(row), options: row.options as SynthesisDraftValue['options'], sections: row.sections as SynthesisDraftValue['sections'],
    citationKeys: keyMap(row), input: row.input as SynthesisDraftValue['input']
  }
}
