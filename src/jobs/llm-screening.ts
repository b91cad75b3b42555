/**
 * LLM screening run: each record's title and abstract, with the project's
 * question and criteria, through a prompt template to a local model that
 * must answer in the screening JSON schema. Every valid answer becomes a
 * decision of the model's own reviewer account (source 'llm', probability of
 * inclusion, justification, model name), stored as it arrives. An answer
 * that is not valid, or a request that times out, is counted and reported
 * for that record and nothing is stored for it. Losing the server (or the
 * model) ends the run with what was done so far.
 */
import { decisions } from '../db/schema.ts'
import { llmFailureOf, startLlmRun } from '../llm/run.ts'
import { buildScreeningPrompt, DEFAULT_SCREENING_TEMPLATE, parseScreeningAnswer, ScreeningAnswerError, TemplateError } from '../llm/screening-prompt.ts'
import { llmReviewer, llmRunRecords, promptCriteria, type LlmScreeningPayload } from '../services/screening-llm.ts'
import { trainScreeningModel } from '../services/screening-model.ts'
import { defaultPrompt, getPrompt } from '../services/screening-profiles.ts'
import { readScreeningSettings } from '../services/screening-settings.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export type LlmFailureKind = 'malformed-json' | 'invalid-answer' | 'timeout' | 'server-error'

export interface LlmRunResult {
  model: string
  reviewerId: string
  stage: string
  templateId: string | null
  /** Records the run set out to screen. */
  requested: number
  /** Records that got a decision. */
  screened: number
  decisions: { include: number; exclude: number; maybe: number }
  /** Records without a decision, per cause. */
  failed: number
  failures: Record<LlmFailureKind, number>
  /** The first failures, with the record and the reason. */
  errors: Array<{ articleId: string; kind: LlmFailureKind; message: string }>
  concurrency: number
  promptTokens: number
  outputTokens: number
  durationMs: number
  /** Set when the run stopped before the end (server or model lost). */
  stoppedEarly?: string
}

const MAX_REPORTED_ERRORS = 100

class FatalRunError extends Error {}

export async function llmScreening(ctx: JobContext, payload: LlmScreeningPayload): Promise<LlmRunResult> {
  const started = Date.now()
  const { project, client, model, concurrency: allowed } = await startLlmRun(ctx, payload.model)
  const projectId = project.id
  const templateRow = payload.templateId ? await getPrompt(ctx.db, payload.templateId) : await defaultPrompt(ctx.db, 'screening')
  if (payload.templateId && !templateRow) throw new TaskError('the prompt template no longer exists')
  const template = templateRow?.template ?? DEFAULT_SCREENING_TEMPLATE
  const criteria = promptCriteria(project.criteria)
  try {
    buildScreeningPrompt({ template, question: project.question, criteria, record: { title: 'x', abstract: 'x' } })
  } catch (error) {
    if (error instanceof TemplateError) throw new TaskError(`the prompt template cannot be used: ${error.message}`)
    throw error
  }

  const reviewer = await llmReviewer(ctx.db, model)
  const settings = readScreeningSettings(project.screeningSettings)
  const records = await llmRunRecords(ctx.db, projectId, settings, payload.stage, reviewer.id, payload.articleIds)
  const concurrency = allowed(payload.concurrency)

  const result: LlmRunResult = {
    model, reviewerId: reviewer.id, stage: payload.stage, templateId: templateRow?.id ?? null, requested: records.length, screened: 0,
    decisions: { include: 0, exclude: 0, maybe: 0 }, failed: 0,
    failures: { 'malformed-json': 0, 'invalid-answer': 0, timeout: 0, 'server-error': 0 }, errors: [], concurrency,
    promptTokens: 0, outputTokens: 0, durationMs: 0
  }
  const fail = (articleId: string, kind: LlmFailureKind, message: string) => {
    result.failed++
    result.failures[kind]++
    if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push({ articleId, kind, message })
  }

  let next = 0
  let done = 0
  let fatal: Error | undefined
  const worker = async () => {
    while (!fatal && next < records.length) {
      const record = records[next++]
      const prompt = buildScreeningPrompt({ template, question: project.question, criteria, record })
      try {
        const answer = await client.generate({ model, prompt: prompt.prompt, system: prompt.system, format: prompt.format, options: { temperature: 0 } }, { signal: ctx.signal })
        result.promptTokens += answer.promptTokens ?? 0
        result.outputTokens += answer.outputTokens ?? 0
        const parsed = parseScreeningAnswer(answer.response)
        await ctx.db.insert(decisions).values({
          projectId, articleId: record.id, reviewerId: reviewer.id, stage: payload.stage, decision: parsed.decision, source: 'llm',
          probability: parsed.probability, justification: parsed.justification, model
        })
        result.screened++
        result.decisions[parsed.decision]++
      } catch (error) {
        if (ctx.signal.aborted) throw error
        const failure = llmFailureOf(error)
        if (error instanceof ScreeningAnswerError) fail(record.id, error.problem === 'malformed-json' ? 'malformed-json' : 'invalid-answer', error.message)
        else if (failure === 'timeout' || failure === 'server-error') fail(record.id, failure, (error as Error).message)
        else if (failure === 'fatal') fatal = new FatalRunError((error as Error).message)
        else throw error
      }
      done++
      await ctx.progress(done / Math.max(1, records.length) * 0.95, `${done}/${records.length} records (${result.failed} failed)`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, records.length)) }, worker))
  result.durationMs = Date.now() - started
  if (fatal) {
    result.stoppedEarly = fatal.message
    throw new TaskError(`LLM screening stopped after ${done} of ${records.length} records: ${fatal.message}`, result)
  }

  // The model's probabilities order the records until the ranking model can be trained: refresh the scores now.
  if (result.screened > 0) {
    try {
      await trainScreeningModel(ctx.db, projectId, payload.stage, { signal: ctx.signal })
    } catch (error) {
      if (ctx.signal.aborted) throw error
      ctx.log.warn({ err: error, projectId }, 'retraining after an LLM run failed')
    }
  }
  await ctx.emit('screening.llm.completed', { stage: payload.stage, model, screened: result.screened, failed: result.failed })
  return result
}
