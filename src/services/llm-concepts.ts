/**
 * LLM concepts of the included studies: starting a run (refused before any
 * task exists without included studies or with a model the server does not
 * have), the project's latest run with every concept's studies and quotes,
 * and the concepts per article that the concept graph adds. The run itself
 * is the task `llm-concepts` (src/jobs/llm-concepts.ts).
 */
import { Type, type Static } from '@sinclair/typebox'
import { desc, eq } from 'drizzle-orm'
import type { Config } from '../config.ts'
import type { Database } from '../db/index.ts'
import { llmConceptRuns } from '../db/schema.ts'
import { Invalid, NotFound } from '../errors.ts'
import type { LlmConceptRequestValue, LlmConceptRunValue } from '../http/schemas/llm-concepts.ts'
import type { TaskView } from '../http/schemas/tasks.ts'
import type { StudyConcept } from '../llm/concept-prompt.ts'
import { requireInstalledModel } from '../llm/run.ts'
import { toTaskView } from '../tasks/store.ts'
import { includedStudies } from './included-studies.ts'
import type { TaskDeps } from './project-tasks.ts'

export const LlmConceptsPayload = Type.Object({
  model: Type.String({ minLength: 1 }),
  temperature: Type.Number({ minimum: 0, maximum: 2 }),
  seed: Type.Integer(),
  /** Most concepts asked for per study. */
  maxConcepts: Type.Integer({ minimum: 1, maximum: 50 }),
  /** Characters of full-text passages sent with a study that has an extracted full text (0: title, abstract and extracted data only). */
  fullTextChars: Type.Integer({ minimum: 0 }),
  concurrency: Type.Optional(Type.Integer({ minimum: 1 }))
})
export type LlmConceptsPayload = Static<typeof LlmConceptsPayload>

export interface StoredConceptStudy { articleId: string; key: string; title: string; text: 'full_text' | 'abstract'; concepts: StudyConcept[] }
export interface ConceptFailure { articleId: string; key: string; kind: 'malformed-json' | 'invalid-answer' | 'timeout' | 'server-error'; message: string }

export async function queueLlmConcepts(deps: TaskDeps & { config: Config }, projectId: string, userId: string, request: LlmConceptRequestValue): Promise<TaskView> {
  const { studies } = await includedStudies(deps.db, projectId)
  if (studies.length === 0) throw new Invalid('the project has no included studies to read concepts from (include records at title/abstract or full text first)', 'articles')
  const model = await requireInstalledModel(deps.config, request.model)
  const payload: LlmConceptsPayload = {
    model, temperature: request.temperature ?? 0, seed: request.seed ?? 42, maxConcepts: request.maxConcepts ?? 12, fullTextChars: request.fullTextChars ?? 3000
  }
  return toTaskView(await deps.tasks.submit({ type: 'llm-concepts', projectId, createdBy: userId, payload }))
}

type RunRow = typeof llmConceptRuns.$inferSelect

async function latestRun(db: Database, projectId: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(llmConceptRuns).where(eq(llmConceptRuns.projectId, projectId)).orderBy(desc(llmConceptRuns.createdAt)).limit(1)
  return row
}

/** The latest run: provenance, per-study concepts, failures, and each concept with the studies and quotes it came from. */
export async function latestConceptRun(db: Database, projectId: string): Promise<LlmConceptRunValue> {
  const row = await latestRun(db, projectId)
  if (!row) throw new NotFound('no LLM concept run in this project yet (POST /concepts/llm starts one)', 'projectId')
  const studies = row.studies as StoredConceptStudy[]
  const concepts = new Map<string, LlmConceptRunValue['concepts'][number]>()
  for (const study of studies) {
    for (const c of study.concepts) {
      const entry = concepts.get(c.key) ?? { key: c.key, label: c.label, studies: [], flaggedIn: 0 }
      entry.studies.push({ articleId: study.articleId, key: study.key, label: c.label, quotes: c.quotes, flagged: c.flagged })
      if (c.flagged) entry.flaggedIn++
      concepts.set(c.key, entry)
    }
  }
  return {
    id: row.id, model: row.model, modelDigest: row.modelDigest, promptVersion: row.promptVersion, options: row.options as Record<string, unknown>,
    taskId: row.taskId, createdBy: row.createdBy, createdAt: row.createdAt.toISOString(), studies, failures: row.failures as ConceptFailure[],
    concepts: [...concepts.values()].sort((a, b) => b.studies.length - a.studies.length || a.key.localeCompare(b.key))
  }
}

/** Article → the labels of its grounded concepts (a flagged concept is left out) in the latest run; empty without a run. */
export async function groundedConceptsByArticle(db: Database, projectId: string): Promise<Map<string, string[]>> {
  const row = await latestRun(db, projectId)
  const studies = (row?.studies ?? []) as StoredConceptStudy[]
  return new Map(studies.map((s) => [s.articleId, s.concepts.filter((c) => !c.flagged).map((c) => c.label)]))
}
