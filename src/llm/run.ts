/**
 * What every LLM task does before its first request, and how it reads a
 * failed request: the project must still exist, the model name is
 * normalised ("llama3" is "llama3:latest"), the model must be installed on
 * the configured Ollama server (its digest is kept for the provenance), and
 * an unreachable server ends the task with a message naming its address.
 */
import { eq } from 'drizzle-orm'
import type { Config } from '../config.ts'
import { projects } from '../db/schema.ts'
import { Invalid, UpstreamFailed } from '../errors.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'
import {
  createOllamaClientFromConfig, ModelNotFoundError, normaliseModelName, OllamaConnectionError, OllamaHttpError, OllamaResponseError, OllamaTimeoutError,
  type OllamaClient
} from './ollama.ts'

export interface LlmRun {
  project: typeof projects.$inferSelect
  client: OllamaClient
  /** The normalised model name. */
  model: string
  /** The installed model's digest, when the server gives it. */
  digest: string | null
  /** Requests at once: the one asked for, within 1…LLM_CONCURRENCY. */
  concurrency: (requested?: number) => number
}

/**
 * Before a task is created: the normalised name of `requestedModel`, or a 400
 * naming the field `model` when the server does not have it (502 when the
 * server cannot be reached), so a bad request creates no task.
 */
export async function requireInstalledModel(config: Pick<Config, 'OLLAMA_BASE_URL' | 'OLLAMA_TIMEOUT_MS'>, requestedModel: string): Promise<string> {
  const model = normaliseModelName(requestedModel)
  let installed: boolean
  try {
    installed = await createOllamaClientFromConfig(config, { retries: 0 }).hasModel(model)
  } catch (error) {
    throw new UpstreamFailed(`cannot reach Ollama at ${config.OLLAMA_BASE_URL}: ${(error as Error).message}`, 'model')
  }
  if (!installed) throw new Invalid(`model "${model}" is not installed on the Ollama server; pull it first (POST /api/llm/models/pull)`, 'model')
  return model
}

/** Checks the task's project and that `requestedModel` is installed, reporting progress 0 while it does. */
export async function startLlmRun(ctx: JobContext, requestedModel: string): Promise<LlmRun> {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError(`${ctx.task.type} task has no project`)
  const { OLLAMA_BASE_URL, LLM_CONCURRENCY } = ctx.config
  const client = createOllamaClientFromConfig(ctx.config)
  const model = normaliseModelName(requestedModel)

  await ctx.progress(0, `checking that ${model} is installed`)
  let digest: string | null
  try {
    const installed = (await client.listModels({ signal: ctx.signal })).find((m) => normaliseModelName(m.name) === model || normaliseModelName(m.model) === model)
    if (!installed) {
      throw new TaskError(`model "${model}" is not installed on the Ollama server at ${OLLAMA_BASE_URL}; pull it first (POST /api/llm/models/pull {"model": "${requestedModel}"})`)
    }
    digest = installed.digest ?? null
  } catch (error) {
    if (ctx.signal.aborted || error instanceof TaskError) throw error
    throw new TaskError(`cannot reach Ollama at ${OLLAMA_BASE_URL}: ${(error as Error).message}`)
  }

  const [project] = await ctx.db.select().from(projects).where(eq(projects.id, projectId))
  if (!project) throw new TaskError('the project no longer exists')
  return { project, client, model, digest, concurrency: (requested) => Math.max(1, Math.min(requested ?? LLM_CONCURRENCY, LLM_CONCURRENCY)) }
}

/**
 * What a failed request means for a run: `timeout` and `server-error` fail the
 * item being processed; `fatal` (server unreachable, model removed, a request
 * refused) ends the run; `other` is not the model's doing and is rethrown.
 */
export function llmFailureOf(error: unknown): 'timeout' | 'server-error' | 'fatal' | 'other' {
  if (error instanceof OllamaTimeoutError) return 'timeout'
  if (error instanceof OllamaResponseError || (error instanceof OllamaHttpError && error.status >= 500)) return 'server-error'
  if (error instanceof OllamaConnectionError || error instanceof ModelNotFoundError || error instanceof OllamaHttpError) return 'fatal'
  return 'other'
}
