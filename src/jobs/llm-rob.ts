/**
 * LLM-assisted risk-of-bias run (`llm-rob`): for each article, each domain of
 * the tool goes to a local model with the passages of the full text relevant
 * to that domain; the model answers the signalling questions in the tool's
 * JSON schema, each answer with a verbatim quote that is looked up in the
 * text. The answers are stored as the assessment of the model's own reviewer
 * account (as LLM screening does), so the compare and consensus routes put it
 * beside the humans'; the tool's algorithm derives the judgements (never the
 * model). An article whose answers are incomplete or invalid is stored as a
 * draft with what could be used and the problems; an article without text, or
 * whose requests failed, is an error of the result; losing the server ends the
 * run with what was done so far.
 */
import { getTool } from '../appraisal/index.ts'
import { assembleAssessment, domainJsonSchema, domainPassages, domainPrompt, readDomainAnswer, ROB_PROMPT_VERSION, type DomainReading } from '../appraisal/llm.ts'
import { llmFailureOf, startLlmRun } from '../llm/run.ts'
import { saveModelAssessment } from '../services/appraisal.ts'
import { fullTextOf, llmRobTargets, type LlmRobPayload } from '../services/appraisal-llm.ts'
import { llmReviewer } from '../services/screening-llm.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export interface LlmRobResult {
  tool: string
  model: string
  digest: string | null
  promptVersion: string
  options: Record<string, unknown>
  outcome: string
  reviewerId: string
  concurrency: number
  /** Articles the run set out to assess. */
  requested: number
  /** Articles with a stored assessment: complete (judgements derived) or draft (left for a person). */
  assessed: number
  complete: number
  drafts: number
  /** Articles with nothing stored, and why. */
  failed: number
  errors: Array<{ articleId: string; kind: 'no-full-text' | 'timeout' | 'server-error'; message: string }>
  /** Answers not usable (not an allowed value, missing, malformed JSON) and quotes not found in the text, over all articles. */
  invalidAnswers: number
  unverifiedQuotes: number
  /** Per article stored: its status and the problems found in the model's answers. */
  articles: Array<{ articleId: string; status: 'draft' | 'complete'; overall: string | null; problems: string[] }>
  promptTokens: number
  outputTokens: number
  durationMs: number
  stoppedEarly?: string
}

const MAX_REPORTED = 500

export async function llmRob(ctx: JobContext, payload: LlmRobPayload): Promise<LlmRobResult> {
  const started = Date.now()
  const tool = getTool(payload.tool)
  const { project, client, model, digest, concurrency: allowed } = await startLlmRun(ctx, payload.model)
  const projectId = project.id

  const reviewer = await llmReviewer(ctx.db, model)
  const targets = await llmRobTargets(ctx.db, projectId, payload.articleIds)
  const concurrency = allowed(payload.concurrency)
  const options = { temperature: 0, ...payload.options }
  const outcome = (payload.outcome ?? '').trim()
  const result: LlmRobResult = {
    tool: tool.id, model, digest, promptVersion: ROB_PROMPT_VERSION, options, outcome, reviewerId: reviewer.id, concurrency,
    requested: targets.length, assessed: 0, complete: 0, drafts: 0, failed: 0, errors: [], invalidAnswers: 0, unverifiedQuotes: 0, articles: [],
    promptTokens: 0, outputTokens: 0, durationMs: 0
  }
  const fail = (articleId: string, kind: LlmRobResult['errors'][number]['kind'], message: string) => {
    result.failed++
    if (result.errors.length < MAX_REPORTED) result.errors.push({ articleId, kind, message })
  }

  let next = 0
  let done = 0
  let fatal: Error | undefined
  const assess = async (articleId: string, fileId: string) => {
    const pages = await fullTextOf(ctx.db, fileId)
    const readings: DomainReading[] = []
    for (const domain of tool.domains) {
      const prompt = domainPrompt(tool, domain, domainPassages(pages, domain), outcome)
      const answer = await client.generate({ model, prompt: prompt.prompt, system: prompt.system, format: domainJsonSchema(domain), options }, { signal: ctx.signal })
      result.promptTokens += answer.promptTokens ?? 0
      result.outputTokens += answer.outputTokens ?? 0
      readings.push(readDomainAnswer(domain, answer.response, pages))
    }
    const assessment = assembleAssessment(tool, readings)
    const unverified = assessment.problems.filter((p) => p.endsWith('quote not found in the full text')).length
    result.unverifiedQuotes += unverified
    result.invalidAnswers += assessment.problems.length - unverified
    const saved = await saveModelAssessment(ctx.db, projectId, reviewer.id, articleId, tool.id,
      { status: assessment.status, outcome, answers: assessment.answers, support: assessment.support },
      { taskId: ctx.task.id, model, digest, promptVersion: ROB_PROMPT_VERSION, options, problems: assessment.problems })
    result.assessed++
    result[assessment.status === 'complete' ? 'complete' : 'drafts']++
    if (result.articles.length < MAX_REPORTED) result.articles.push({ articleId, status: assessment.status, overall: saved.derived?.overall.judgement ?? null, problems: assessment.problems })
  }
  const worker = async () => {
    while (!fatal && next < targets.length) {
      const { articleId, fileId } = targets[next++]!
      try {
        if (!fileId) fail(articleId, 'no-full-text', 'the article has no extracted full text')
        else await assess(articleId, fileId)
      } catch (error) {
        if (ctx.signal.aborted) throw error
        const failure = llmFailureOf(error)
        if (failure === 'timeout' || failure === 'server-error') fail(articleId, failure, (error as Error).message)
        else if (failure === 'fatal') fatal = error as Error
        else throw error
      }
      done++
      await ctx.progress(done / Math.max(1, targets.length), `${done}/${targets.length} articles (${result.failed} failed)`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, targets.length)) }, worker))
  result.durationMs = Date.now() - started
  if (fatal) {
    result.stoppedEarly = fatal.message
    throw new TaskError(`LLM risk-of-bias run stopped after ${done} of ${targets.length} articles: ${fatal.message}`, result)
  }
  await ctx.emit('rob.llm.completed', { tool: tool.id, model, assessed: result.assessed, failed: result.failed })
  return result
}
