/**
 * LLM extraction in the service: what a run's task carries (grid version
 * pinned, model, options), which articles a run extracts and the text it
 * reads, storing a model's extraction under its own reviewer account (the
 * one LLM screening uses), starting a run after checking what the request
 * names (grid, profile, template, articles, the model on the Ollama server),
 * the runs of a project with their outcome per article, and copying a
 * model's values into one's own extraction.
 */
import { Type, type Static } from '@sinclair/typebox'
import { and, asc, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm'
import type { Config } from '../config.ts'
import type { Database } from '../db/index.ts'
import { articles, extractionGrids, extractionGridVersions, extractionHistory, extractions, fullTextPages, fullTexts, tasks as tasksTable, users } from '../db/schema.ts'
import { Conflict, Forbidden, Invalid, NotFound, Unavailable } from '../errors.ts'
import { problemsError, valueProblems, type ExtractionValues, type FieldValue, type Grid } from '../extraction/grid.ts'
import type { TextPage, TextSection } from '../extraction/llm.ts'
import type { AcceptLlmRequest, LlmExtractionRequest } from '../http/schemas/extraction-llm.ts'
import type { TaskView } from '../http/schemas/tasks.ts'
import { createOllamaClientFromConfig, normaliseModelName } from '../llm/ollama.ts'
import { toTaskView } from '../tasks/store.ts'
import { articleExtractions, saveExtraction } from './extraction.ts'
import type { TaskDeps } from './project-tasks.ts'
import { requireArticles } from './project-articles.ts'
import type { ProjectCaller } from './screening-actions.ts'
import { getProfile, getPrompt } from './screening-profiles.ts'
import { llmReviewerEmail } from './screening-llm.ts'
import { loadStageDecisions, recordStatus } from './screening.ts'
import { readScreeningSettings } from './screening-settings.ts'

export const LlmExtractionPayload = Type.Object({
  gridId: Type.String(),
  /** The grid version the run uses, pinned when the run was asked for. */
  gridVersion: Type.Integer({ minimum: 1 }),
  model: Type.String({ minLength: 1 }),
  profileId: Type.Optional(Type.String()),
  /** Extraction prompt template id; the seeded default when absent. */
  templateId: Type.Optional(Type.String()),
  /** Articles to extract; by default see llmExtractionArticles. */
  articleIds: Type.Optional(Type.Array(Type.String())),
  options: Type.Object({
    temperature: Type.Number({ minimum: 0 }),
    seed: Type.Integer(),
    /** Requests in flight at once (capped by LLM_CONCURRENCY). */
    concurrency: Type.Optional(Type.Integer({ minimum: 1 })),
    fieldsPerGroup: Type.Integer({ minimum: 1 })
  })
})
export type LlmExtractionPayload = Static<typeof LlmExtractionPayload>

/** What a model's extraction records about the run that made it (the extraction's `run`). */
export interface LlmRunInfo {
  taskId: string
  model: string
  digest: string | null
  promptVersion: string
  templateId: string | null
  gridVersion: number
  options: Record<string, unknown>
  text: 'full_text' | 'abstract'
  problems: string[]
}

export interface LlmArticle { id: string; title: string; abstract: string; fileId: string | null }

/**
 * The articles a run extracts: the ids given (articles of the project, with
 * or without a full text), or the records included at full-text screening
 * whose full text was extracted and that this model has not extracted with
 * the grid yet.
 */
export async function llmExtractionArticles(db: Database, projectId: string, gridId: string, reviewerId: string, articleIds?: string[]): Promise<LlmArticle[]> {
  const columns = { id: articles.id, title: articles.title, abstract: articles.abstract, fileId: articles.fullTextFileId }
  if (articleIds && articleIds.length > 0) {
    const rows = await db.select(columns).from(articles).where(and(eq(articles.projectId, projectId), inArray(articles.id, articleIds)))
    const byId = new Map(rows.map((r) => [r.id, r]))
    return articleIds.flatMap((id) => byId.get(id) ?? [])
  }
  const settings = readScreeningSettings((await db.execute<{ s: unknown }>(sql`SELECT screening_settings AS s FROM projects WHERE id = ${projectId}`)).rows[0]?.s)
  const byRecord = await loadStageDecisions(db, projectId, 'full_text')
  const included = [...byRecord.keys()].filter((id) => recordStatus(byRecord.get(id), settings.reviewersPerRecord) === 'included')
  if (included.length === 0) return []
  const done = new Set((await db.select({ id: extractions.articleId }).from(extractions)
    .where(and(eq(extractions.gridId, gridId), eq(extractions.reviewerId, reviewerId)))).map((r) => r.id))
  const out: LlmArticle[] = []
  for (let i = 0; i < included.length; i += 5000) {
    const rows = await db.select(columns).from(articles)
      .innerJoin(fullTexts, and(eq(fullTexts.fileId, articles.fullTextFileId), eq(fullTexts.status, 'ok')))
      .where(and(eq(articles.projectId, projectId), isNotNull(articles.fullTextFileId), inArray(articles.id, included.slice(i, i + 5000))))
      .orderBy(asc(articles.createdAt), asc(articles.id))
    out.push(...rows.filter((r) => !done.has(r.id)))
  }
  return out
}

/** The text a model reads: title and abstract as page 0, then the extracted full text's pages and sections, when there is one. */
export async function llmArticleText(db: Database, article: LlmArticle): Promise<{ pages: TextPage[]; sections: TextSection[]; text: 'full_text' | 'abstract' }> {
  const pages: TextPage[] = [{ page: 0, text: [article.title, article.abstract].filter((s) => s.trim()).join('\n\n') }]
  if (!article.fileId) return { pages, sections: [], text: 'abstract' }
  const [fullText] = await db.select({ status: fullTexts.status, sections: fullTexts.sections }).from(fullTexts).where(eq(fullTexts.fileId, article.fileId))
  if (!fullText || fullText.status !== 'ok') return { pages, sections: [], text: 'abstract' }
  const rows = await db.select({ page: fullTextPages.page, text: fullTextPages.text }).from(fullTextPages).where(eq(fullTextPages.fileId, article.fileId)).orderBy(asc(fullTextPages.page))
  return { pages: [...pages, ...rows], sections: fullText.sections as TextSection[], text: rows.length ? 'full_text' : 'abstract' }
}

/**
 * Stores a model's extraction of an article (status complete, so that it is
 * compared and counted in the agreement like a reviewer's), replacing its
 * previous one with the run's grid version, and appends it to the history,
 * in one transaction. Values are checked against the field types (a model's
 * invalid value is kept aside in `invalidValue`, never as the value).
 */
export async function saveLlmExtraction(db: Database, target: { projectId: string; articleId: string; gridId: string; gridVersion: number; reviewerId: string }, values: ExtractionValues, run: LlmRunInfo): Promise<void> {
  const [version] = await db.select().from(extractionGridVersions)
    .where(and(eq(extractionGridVersions.gridId, target.gridId), eq(extractionGridVersions.version, target.gridVersion)))
  if (!version) throw new NotFound(`grid version ${target.gridVersion} not found`, 'gridVersion')
  const problems = valueProblems(version.definition as Grid, values, false)
  if (problems.length) throw problemsError(problems, 'values')
  const row = { values, status: 'complete', origin: 'llm', run, gridVersionId: version.id, updatedAt: new Date() }
  await db.transaction(async (tx) => {
    await tx.insert(extractions).values({ ...row, projectId: target.projectId, articleId: target.articleId, gridId: target.gridId, reviewerId: target.reviewerId })
      .onConflictDoUpdate({ target: [extractions.articleId, extractions.gridId, extractions.reviewerId], set: row })
    await tx.insert(extractionHistory).values({
      projectId: target.projectId, articleId: target.articleId, gridId: target.gridId, gridVersionId: version.id, reviewerId: target.reviewerId,
      kind: 'extraction', status: 'complete', values, origin: 'llm', run
    })
  })
}

/** The counts of an article's outcome from the values a model gave. */
export function outcomeCounts(values: ExtractionValues) {
  const entries = Object.values(values)
  const given = entries.filter((e) => !e.notReported && e.invalidValue === undefined)
  return {
    fields: entries.length,
    values: given.length,
    verified: given.filter((e) => e.quote && !e.quoteUnverified).length,
    unverified: given.filter((e) => !e.quote || e.quoteUnverified).length,
    notReported: entries.filter((e) => e.notReported).length,
    invalid: entries.filter((e) => e.invalidValue !== undefined).length
  }
}

/**
 * Starts an LLM extraction run: a profile (its extractModel) or a model, the
 * grid (its current version is pinned), an optional extraction template,
 * optional articles; the model must be installed on the Ollama server, and
 * by default there must be something to extract.
 */
export async function queueLlmExtraction(deps: TaskDeps & { config: Pick<Config, 'OLLAMA_BASE_URL' | 'OLLAMA_TIMEOUT_MS'> }, projectId: string, userId: string, request: LlmExtractionRequest): Promise<TaskView> {
  const { db } = deps
  if ((request.profileId === undefined) === (request.model === undefined)) throw new Invalid('give either profileId or model', request.model ? 'profileId' : 'model')
  const [grid] = await db.select().from(extractionGrids).where(and(eq(extractionGrids.id, request.gridId), eq(extractionGrids.projectId, projectId)))
  if (!grid) throw new NotFound('grid not found', 'gridId')
  let model = request.model
  if (request.profileId) {
    const profile = await getProfile(db, request.profileId)
    if (!profile) throw new NotFound('no such analysis profile', 'profileId')
    model = profile.extractModel
  }
  if (request.templateId) {
    const template = await getPrompt(db, request.templateId)
    if (!template) throw new NotFound('no such prompt template', 'templateId')
    if (template.kind !== 'extraction') throw new Invalid(`prompt template "${template.name}" is a ${template.kind} template, not an extraction one`, 'templateId')
  }
  if (request.articleIds) await requireArticles(db, projectId, request.articleIds)
  const name = normaliseModelName(model as string)
  const client = createOllamaClientFromConfig(deps.config, { retries: 0, timeoutMs: Math.min(deps.config.OLLAMA_TIMEOUT_MS, 10_000) })
  let installed: boolean
  try {
    installed = await client.hasModel(name)
  } catch (error) {
    throw new Unavailable(`cannot reach the Ollama server at ${deps.config.OLLAMA_BASE_URL} to check the model: ${(error as Error).message}`, 30, 'model')
  }
  if (!installed) {
    throw new Invalid(`model "${name}" is not installed on the Ollama server at ${deps.config.OLLAMA_BASE_URL}; pull it first (POST /api/llm/models/pull {"model": "${model}"})`, request.profileId ? 'profileId' : 'model')
  }
  if (!request.articleIds) {
    const [reviewer] = await db.select({ id: users.id }).from(users).where(eq(users.email, llmReviewerEmail(name)))
    const todo = await llmExtractionArticles(db, projectId, grid.id, reviewer?.id ?? '00000000-0000-0000-0000-000000000000')
    if (todo.length === 0) {
      throw new Conflict('no article to extract: none is included at full-text screening with an extracted full text and not yet extracted by this model with this grid (name articleIds to choose)', 'articleIds')
    }
  }
  const payload: LlmExtractionPayload = {
    gridId: grid.id, gridVersion: grid.currentVersion, model: name, profileId: request.profileId, templateId: request.templateId, articleIds: request.articleIds,
    options: { temperature: request.temperature ?? 0, seed: request.seed ?? 42, concurrency: request.concurrency, fieldsPerGroup: request.fieldsPerGroup ?? 8 }
  }
  return toTaskView(await deps.tasks.submit({ type: 'llm-extraction', projectId, createdBy: userId, payload }))
}

type TaskRow = typeof tasksTable.$inferSelect

interface StoredResult {
  digest?: string | null; promptVersion?: string; templateId?: string | null; reviewerId?: string; requested?: number; options?: Record<string, unknown>
  articles?: Array<Record<string, unknown>>
}

function runView(row: TaskRow) {
  const payload = row.payload as LlmExtractionPayload
  const result = (row.result ?? {}) as StoredResult
  const outcomes = result.articles ?? []
  return {
    id: row.id, status: row.status, progress: row.progress, message: row.message, error: row.error,
    createdAt: row.createdAt.toISOString(), finishedAt: row.finishedAt?.toISOString() ?? null,
    gridId: payload.gridId, gridVersion: payload.gridVersion, model: payload.model, digest: result.digest ?? null,
    promptVersion: result.promptVersion ?? null, templateId: result.templateId ?? payload.templateId ?? null, reviewerId: result.reviewerId ?? null,
    options: result.options ?? payload.options, requested: result.requested ?? null,
    extracted: outcomes.filter((o) => o.status === 'extracted').length, failed: outcomes.filter((o) => o.status === 'failed').length
  }
}

/** The project's LLM extraction runs (tasks), newest first. */
export async function listLlmExtractionRuns(db: Database, projectId: string) {
  const rows = await db.select().from(tasksTable).where(and(eq(tasksTable.projectId, projectId), eq(tasksTable.type, 'llm-extraction')))
    .orderBy(desc(tasksTable.createdAt), desc(tasksTable.id)).limit(200)
  return rows.map(runView)
}

/**
 * One run with its outcome per article: the task's result once it ended;
 * while it runs (or when it was cancelled) the articles stored so far, read
 * from the extractions that name the run.
 */
export async function getLlmExtractionRun(db: Database, projectId: string, taskId: string) {
  const [row] = await db.select().from(tasksTable).where(and(eq(tasksTable.id, taskId), eq(tasksTable.projectId, projectId), eq(tasksTable.type, 'llm-extraction')))
  if (!row) throw new NotFound('LLM extraction run not found', 'taskId')
  const view = runView(row)
  const stored = (row.result as StoredResult | null)?.articles
  if (stored) return { ...view, articles: stored as never[] }
  const saved = await db.select({ articleId: extractions.articleId, values: extractions.values, run: extractions.run }).from(extractions)
    .where(and(eq(extractions.projectId, projectId), sql`${extractions.run} ->> 'taskId' = ${taskId}`))
  const outcomes = saved.map((s) => {
    const run = s.run as LlmRunInfo
    return { articleId: s.articleId, status: 'extracted' as const, text: run.text, ...outcomeCounts(s.values as ExtractionValues), requests: 0 }
  })
  const first = saved[0]?.run as LlmRunInfo | undefined
  return { ...view, digest: view.digest ?? first?.digest ?? null, promptVersion: view.promptVersion ?? first?.promptVersion ?? null, extracted: outcomes.length, articles: outcomes }
}

/**
 * Copies a model's values of the article into the caller's own extraction
 * (a draft, created if needed): the fields named, or every field the model
 * gave a valid value or "not reported" for. The quote and page come along;
 * the model's flags do not (the reviewer vouches for what they accept). The
 * model's extraction must be one the caller may see (extraction is blind).
 */
export async function acceptLlmValues(db: Database, caller: ProjectCaller, articleId: string, body: AcceptLlmRequest) {
  const { extractions: visible, hidden } = await articleExtractions(db, caller, articleId, body.gridId)
  const models = visible.filter((e) => e.reviewerKind === 'llm' && (!body.reviewerId || e.reviewerId === body.reviewerId))
  if (models.length === 0) {
    if (hidden > 0) throw new Forbidden('extraction is blind: complete your own extraction of this article first', 'reviewerId')
    throw new NotFound('no model has extracted this article with this grid', 'reviewerId')
  }
  if (models.length > 1) throw new Invalid(`several models extracted this article: name one (${models.map((m) => m.reviewerId).join(', ')})`, 'reviewerId')
  const source = models[0].values
  const keys = body.fields ?? Object.keys(source).filter((k) => source[k].invalidValue === undefined)
  const copied: ExtractionValues = {}
  for (const key of keys) {
    const entry = source[key]
    if (!entry) throw new Invalid(`the model gave no value for field "${key}"`, 'fields')
    if (entry.invalidValue !== undefined) throw new Invalid(`the model's value for field "${key}" does not fit its type: enter it yourself`, 'fields')
    const { value, notReported, quote, page }: FieldValue = entry
    copied[key] = notReported ? { value: null, notReported: true } : { value, ...(quote !== undefined ? { quote } : {}), ...(page !== undefined ? { page } : {}) }
  }
  const [mine] = await db.select({ values: extractions.values, status: extractions.status }).from(extractions)
    .where(and(eq(extractions.articleId, articleId), eq(extractions.gridId, body.gridId), eq(extractions.reviewerId, caller.user.id)))
  const values = { ...((mine?.values ?? {}) as ExtractionValues), ...copied }
  return saveExtraction(db, caller, articleId, { gridId: body.gridId, status: mine?.status === 'complete' ? 'complete' : 'draft', values })
}

/** Fields of a grid version, for the job. */
export async function pinnedGrid(db: Database, gridId: string, version: number): Promise<Grid | undefined> {
  const [row] = await db.select({ definition: extractionGridVersions.definition }).from(extractionGridVersions)
    .where(and(eq(extractionGridVersions.gridId, gridId), eq(extractionGridVersions.version, version)))
  return row?.definition as Grid | undefined
}
