/**
 * Starting a project's background tasks on a request: each function checks
 * what the request names (articles, batches, profiles, templates) against
 * the project, then submits the task, so that a bad request gets a clear
 * 4xx and creates nothing.
 */
import { and, count, desc, eq, or } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, tasks as tasksTable } from '../db/schema.ts'
import { Conflict, Invalid, NotFound } from '../errors.ts'
import type { CitationsRequest } from '../http/schemas/searches.ts'
import type { LlmRunRequest, SimulationRequest } from '../http/schemas/screening.ts'
import type { TaskView } from '../http/schemas/tasks.ts'
import type { Connectors } from '../connectors/registry.ts'
import type { TaskPayload, TaskType } from '../tasks/registry.ts'
import type { TaskService } from '../tasks/service.ts'
import { toTaskView } from '../tasks/store.ts'
import { judgePairs } from './dedup.ts'
import { parseIdentifierLists, type IdentifierKind } from './identifiers.ts'
import { requireArticles } from './project-articles.ts'
import type { LlmScreeningPayload } from './screening-llm.ts'
import { getProfile, getPrompt } from './screening-profiles.ts'
import { planSearch, type SearchRequest } from './search.ts'
import { requireBatch } from './sources.ts'

export interface TaskDeps { db: Database; tasks: TaskService; connectors: Connectors }

async function submit<T extends TaskType>(deps: TaskDeps, type: T, projectId: string, createdBy: string, payload: TaskPayload<T>): Promise<TaskView> {
  return toTaskView(await deps.tasks.submit({ type, projectId, createdBy, payload }))
}

/** A project's tasks, newest first, with their total. */
export async function listProjectTasks(db: Database, projectId: string, page: { limit: number; offset: number }): Promise<{ items: TaskView[]; total: number }> {
  const [rows, [{ total }]] = await Promise.all([
    db.select().from(tasksTable).where(eq(tasksTable.projectId, projectId)).orderBy(desc(tasksTable.createdAt), desc(tasksTable.id)).limit(page.limit).offset(page.offset),
    db.select({ total: count() }).from(tasksTable).where(eq(tasksTable.projectId, projectId))
  ])
  return { items: rows.map(toTaskView), total }
}

export async function queueSearch(deps: TaskDeps, projectId: string, userId: string, request: SearchRequest): Promise<TaskView> {
  return submit(deps, 'search', projectId, userId, planSearch(request))
}

export async function queueIdentifiers(deps: TaskDeps, projectId: string, userId: string, lists: Partial<Record<IdentifierKind, string[]>>): Promise<TaskView> {
  return submit(deps, 'identifiers', projectId, userId, parseIdentifierLists(lists))
}

export async function queueCitations(deps: TaskDeps, projectId: string, userId: string, request: CitationsRequest): Promise<TaskView> {
  await requireArticles(deps.db, projectId, request.articleIds)
  return submit(deps, 'citations', projectId, userId, { ...request, maxRecordsPerArticle: request.maxRecordsPerArticle ?? 1000 })
}

/** Open-access PDFs through Unpaywall: the given articles, or by default the included ones with a DOI and no full text yet. */
export async function queueFullText(deps: TaskDeps, projectId: string, userId: string, articleIds?: string[]): Promise<TaskView> {
  const unpaywall = deps.connectors.list().find((d) => d.id === 'unpaywall')!
  if (!unpaywall.configured) throw new Conflict(`Unpaywall is not configured: set ${unpaywall.missing}`)
  if (articleIds) await requireArticles(deps.db, projectId, articleIds)
  return submit(deps, 'fulltext', projectId, userId, articleIds ? { articleIds } : {})
}

/** Text extraction of the given articles' full texts, or of every article's. */
export async function queueFullTextExtraction(deps: TaskDeps, projectId: string, userId: string, request: { articleIds?: string[]; force?: boolean }): Promise<TaskView> {
  if (request.articleIds) await requireArticles(deps.db, projectId, request.articleIds)
  return submit(deps, 'fulltext-extract', projectId, userId, { ...(request.articleIds ? { articleIds: request.articleIds } : {}), force: request.force ?? false })
}

/** Chunks and embeddings of the project's full texts for chat (all of them again with `force`). */
export async function queueFullTextIndex(deps: TaskDeps, projectId: string, userId: string, request: { force?: boolean }): Promise<TaskView> {
  return submit(deps, 'fulltext-index', projectId, userId, { force: request.force ?? false })
}

export async function queueDeduplication(deps: TaskDeps, projectId: string, userId: string): Promise<TaskView> {
  return submit(deps, 'deduplicate', projectId, userId, {})
}

/** Records the reviewer's judgement on every pair of the articles (kept by every later run), then runs deduplication. */
export async function judgeDuplicates(deps: TaskDeps, projectId: string, userId: string, articleIds: string[], judgement: 'duplicate' | 'not_duplicate'): Promise<TaskView> {
  await requireArticles(deps.db, projectId, articleIds)
  const pairs = articleIds.flatMap((a, i) => articleIds.slice(i + 1).map((b) => [a, b] as [string, string]))
  await judgePairs(deps.db, projectId, pairs, judgement, userId)
  return queueDeduplication(deps, projectId, userId)
}

/** Takes a record out of its cluster: marked distinct from every other member, then deduplication runs. */
export async function splitDuplicate(deps: TaskDeps, projectId: string, userId: string, articleId: string): Promise<TaskView> {
  const [article] = await requireArticles(deps.db, projectId, [articleId], 'articleId')
  const primaryId = article.duplicateOf ?? article.id
  const cluster = await deps.db.select({ id: articles.id }).from(articles)
    .where(and(eq(articles.projectId, projectId), or(eq(articles.id, primaryId), eq(articles.duplicateOf, primaryId))))
  const others = cluster.map((c) => c.id).filter((id) => id !== article.id)
  if (others.length === 0) throw new Conflict('this record is not in a duplicate cluster', 'articleId')
  await judgePairs(deps.db, projectId, others.map((id) => [article.id, id] as [string, string]), 'not_duplicate', userId)
  return queueDeduplication(deps, projectId, userId)
}

export async function queueSimulation(deps: TaskDeps, projectId: string, userId: string, request: SimulationRequest): Promise<TaskView> {
  if (request.batchId) await requireBatch(deps.db, projectId, request.batchId)
  return submit(deps, 'screening-simulation', projectId, userId, request)
}

/** An LLM screening run: a profile (its preprocessModel) or a model, an optional screening template, optional articles of the project. */
export async function queueLlmRun(deps: TaskDeps, projectId: string, userId: string, request: LlmRunRequest): Promise<TaskView> {
  if ((request.profileId === undefined) === (request.model === undefined)) throw new Invalid('give either profileId or model', request.model ? 'profileId' : 'model')
  let model = request.model
  if (request.profileId) {
    const profile = await getProfile(deps.db, request.profileId)
    if (!profile) throw new NotFound('no such analysis profile', 'profileId')
    model = profile.preprocessModel
  }
  if (request.templateId) {
    const template = await getPrompt(deps.db, request.templateId)
    if (!template) throw new NotFound('no such prompt template', 'templateId')
    if (template.kind !== 'screening') throw new Invalid(`prompt template "${template.name}" is a ${template.kind} template, not a screening one`, 'templateId')
  }
  if (request.articleIds) await requireArticles(deps.db, projectId, request.articleIds)
  const payload: LlmScreeningPayload = {
    model: model as string, profileId: request.profileId, templateId: request.templateId, stage: request.stage ?? 'title_abstract',
    articleIds: request.articleIds, concurrency: request.concurrency
  }
  return submit(deps, 'llm-screening', projectId, userId, payload)
}

/** Scores the project's articles with its ATN criteria set (background task). */
export async function queueAtnScore(deps: TaskDeps, projectId: string, userId: string): Promise<TaskView> {
  return submit(deps, 'atn-score', projectId, userId, {})
}
