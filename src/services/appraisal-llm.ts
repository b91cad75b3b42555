/**
 * LLM-assisted risk of bias in the service: which articles a run assesses
 * (by default those included at full text whose full text has been
 * extracted), their text, starting a run (the tool, the model and the
 * articles checked first, so a bad request gets a clear 4xx and creates no
 * task) and the project's runs.
 */
import { Type, type Static } from '@sinclair/typebox'
import { and, asc, desc, eq, inArray } from 'drizzle-orm'
import { getTool } from '../appraisal/index.ts'
import type { Config } from '../config.ts'
import type { Database } from '../db/index.ts'
import { articles, fullTextPages, fullTexts, tasks as tasksTable } from '../db/schema.ts'
import { Invalid, UpstreamFailed } from '../errors.ts'
import type { LlmRobRequest } from '../http/schemas/appraisal.ts'
import type { TaskView } from '../http/schemas/tasks.ts'
import { createOllamaClientFromConfig, normaliseModelName, OllamaError } from '../llm/ollama.ts'
import type { TextPage } from '../llm/passages.ts'
import type { TaskService } from '../tasks/service.ts'
import { toTaskView } from '../tasks/store.ts'
import { requireArticles } from './project-articles.ts'
import { loadStageDecisions, recordStatus } from './screening.ts'
import { getScreeningSettings } from './screening-settings.ts'

export const LlmRobPayload = Type.Object({
  tool: Type.String({ minLength: 1 }),
  model: Type.String({ minLength: 1 }),
  /** RoB 2: the outcome whose result is assessed ('' or absent: the study). */
  outcome: Type.Optional(Type.String()),
  /** Articles to assess; by default those included at full text with an extracted full text. */
  articleIds: Type.Optional(Type.Array(Type.String())),
  /** Requests in flight at once (capped by LLM_CONCURRENCY). */
  concurrency: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Model options recorded with the run (temperature 0 by default; a seed for reproducibility). */
  options: Type.Optional(Type.Object({ temperature: Type.Optional(Type.Number()), seed: Type.Optional(Type.Integer()), num_ctx: Type.Optional(Type.Integer()) }))
})
export type LlmRobPayload = Static<typeof LlmRobPayload>

/** The articles included at the full-text stage (record status "included"). */
async function includedAtFullText(db: Database, projectId: string): Promise<string[]> {
  const [settings, byRecord] = await Promise.all([getScreeningSettings(db, projectId), loadStageDecisions(db, projectId, 'full_text')])
  return [...byRecord.entries()].filter(([, r]) => recordStatus(r, settings.reviewersPerRecord) === 'included').map(([id]) => id)
}

/** Articles of the project (of `ids`) whose full text has been extracted, with the file holding the text. */
export async function withText(db: Database, projectId: string, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map()
  const rows = await db.select({ id: articles.id, fileId: fullTexts.fileId }).from(articles)
    .innerJoin(fullTexts, eq(fullTexts.fileId, articles.fullTextFileId))
    .where(and(eq(articles.projectId, projectId), inArray(articles.id, ids), eq(fullTexts.status, 'ok')))
  return new Map(rows.map((r) => [r.id, r.fileId]))
}

/**
 * The articles a run assesses, each with its full text's file (null when it
 * has no extracted full text: the run reports it as that article's error).
 */
export async function llmRobTargets(db: Database, projectId: string, articleIds?: string[]): Promise<Array<{ articleId: string; fileId: string | null }>> {
  const ids = articleIds ?? await includedAtFullText(db, projectId)
  const files = await withText(db, projectId, ids)
  return (articleIds ? ids : ids.filter((id) => files.has(id))).map((articleId) => ({ articleId, fileId: files.get(articleId) ?? null }))
}

/** Every page of an extracted full text. */
export async function fullTextOf(db: Database, fileId: string): Promise<TextPage[]> {
  const rows = await db.select({ page: fullTextPages.page, text: fullTextPages.text }).from(fullTextPages).where(eq(fullTextPages.fileId, fileId)).orderBy(asc(fullTextPages.page))
  return rows
}

export interface LlmRobDeps { db: Database; tasks: TaskService; config: Config }

/** Starts an `llm-rob` run after checking the tool, the model (installed on the Ollama server) and the articles. */
export async function queueLlmRob(deps: LlmRobDeps, projectId: string, userId: string, toolId: string, request: LlmRobRequest): Promise<TaskView> {
  const tool = getTool(toolId)
  const outcome = (request.outcome ?? '').trim()
  if (outcome && tool.id !== 'rob2') throw new Invalid(`outcome: only RoB 2 assesses a result per outcome; ${tool.id} assesses the study`, 'outcome')
  const model = normaliseModelName(request.model)
  let installed: string[]
  try {
    installed = (await createOllamaClientFromConfig(deps.config, { retries: 0, timeoutMs: 10_000 }).listModels()).map((m) => m.name)
  } catch (error) {
    if (error instanceof OllamaError) throw new UpstreamFailed(`the Ollama server at ${deps.config.OLLAMA_BASE_URL} did not answer: ${error.message}`)
    throw error
  }
  if (!installed.includes(model)) {
    throw new Invalid(`model "${request.model}" is not installed on the Ollama server (installed: ${installed.join(', ') || 'none'}); pull it first (POST /api/llm/models/pull)`, 'model')
  }
  if (request.articleIds) {
    await requireArticles(deps.db, projectId, request.articleIds)
    const files = await withText(deps.db, projectId, request.articleIds)
    const missing = request.articleIds.filter((id) => !files.has(id))
    if (missing.length === request.articleIds.length) {
      throw new Invalid(`articleIds: none of the articles has an extracted full text (attach a PDF and extract it first); e.g. ${missing[0]}`, 'articleIds')
    }
  } else if (!(await llmRobTargets(deps.db, projectId)).length) {
    throw new Invalid('no article to assess: none is included at full text with an extracted full text; include articles at full text, attach and extract their PDFs, or name articleIds', 'articleIds')
  }
  const payload: LlmRobPayload = {
    tool: tool.id, model, ...(outcome ? { outcome } : {}), ...(request.articleIds ? { articleIds: request.articleIds } : {}),
    ...(request.concurrency ? { concurrency: request.concurrency } : {}), ...(request.options ? { options: request.options } : {})
  }
  return toTaskView(await deps.tasks.submit({ type: 'llm-rob', projectId, createdBy: userId, payload }))
}

/** The project's LLM risk-of-bias runs (tasks `llm-rob`), newest first; `tool` keeps one tool's. */
export async function listLlmRobRuns(db: Database, projectId: string, tool?: string): Promise<TaskView[]> {
  if (tool) getTool(tool)
  const rows = await db.select().from(tasksTable).where(and(eq(tasksTable.projectId, projectId), eq(tasksTable.type, 'llm-rob')))
    .orderBy(desc(tasksTable.createdAt), desc(tasksTable.id)).limit(500)
  return rows.filter((r) => !tool || (r.payload as { tool?: string }).tool === tool).map(toTaskView)
}
