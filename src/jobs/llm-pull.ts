/** Downloads a model into the Ollama server, with progress. */
import { Type, type Static } from '@sinclair/typebox'
import { createOllamaClientFromConfig, ModelNotFoundError, normaliseModelName, OllamaConnectionError, OllamaError } from '../llm/ollama.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export interface PullResult {
  model: string
  /** Bytes of the layers downloaded, as the server reported them. */
  bytes: number
  durationMs: number
}

export const PullPayload = Type.Object({ model: Type.String({ minLength: 1 }) })
export type PullPayload = Static<typeof PullPayload>

export async function llmPull(ctx: JobContext, { model }: PullPayload): Promise<PullResult> {
  const config = ctx.config
  const client = createOllamaClientFromConfig(config)
  const started = Date.now()
  // Overall progress: bytes completed over bytes announced, across the layers seen so far.
  const layers = new Map<string, { total: number; completed: number }>()
  let pending: Promise<void> = Promise.resolve()
  try {
    await client.pullModel(model, (p) => {
      if (p.digest && p.total) layers.set(p.digest, { total: p.total, completed: p.completed ?? 0 })
      let total = 0
      let completed = 0
      for (const layer of layers.values()) { total += layer.total; completed += layer.completed }
      const fraction = total > 0 ? 0.95 * completed / total : 0
      // Progress writes are throttled by the runner; a cancellation aborts ctx.signal, which ends the pull.
      pending = pending.then(() => ctx.progress(fraction, p.status)).catch(() => {})
    }, { signal: ctx.signal })
  } catch (error) {
    if (ctx.signal.aborted) throw error
    if (error instanceof ModelNotFoundError) throw new TaskError(`model "${model}" does not exist in the Ollama registry`)
    if (error instanceof OllamaConnectionError) throw new TaskError(`cannot reach Ollama at ${config.OLLAMA_BASE_URL}: ${error.message}`)
    if (error instanceof OllamaError) throw new TaskError(`pull of "${model}" failed: ${error.message}`)
    throw error
  }
  await pending
  let bytes = 0
  for (const layer of layers.values()) bytes += layer.total
  return { model: normaliseModelName(model), bytes, durationMs: Date.now() - started }
}
