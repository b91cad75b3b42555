/**
 * LLM extraction run: each article's text (full-text pages, or title and
 * abstract) read by a local model into a grid (its version pinned when the
 * run was asked for), one group of fields per request: the passages
 * relevant to the group (sections and word overlap, never the beginning of
 * the text cut off), the answer constrained by the group's JSON Schema.
 * Every quote is looked up in the text (verified or flagged), "not
 * reported" stays explicit, a value of the wrong type is stored flagged.
 * An article's extraction is stored once all its groups are answered, under
 * the model's own reviewer account, with the run's provenance (model,
 * digest, prompt version, template, options, grid version). A timeout or an
 * answer that stays malformed after a retry fails that article only;
 * losing the server (or the model) ends the run with what was done.
 */
import { gridFields } from '../extraction/grid.ts'
import {
  EXTRACTION_PROMPT_VERSION, ExtractionJsonError, extractionPrompt, groupFields, parseModelJson, readModelAnswer, selectPassages
} from '../extraction/llm.ts'
import { llmFailureOf, startLlmRun } from '../llm/run.ts'
import { DEFAULT_EXTRACTION_TEMPLATE, TemplateError } from '../llm/screening-prompt.ts'
import {
  llmArticleText, llmExtractionArticles, outcomeCounts, pinnedGrid, saveLlmExtraction, type LlmExtractionPayload, type LlmRunInfo
} from '../services/extraction-llm.ts'
import { llmReviewer } from '../services/screening-llm.ts'
import { defaultPrompt, getPrompt } from '../services/screening-profiles.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'
import type { ExtractionValues } from '../extraction/grid.ts'

export type LlmExtractionFailureKind = 'malformed-json' | 'timeout' | 'server-error'

/** Characters of passages sent with each group of fields. */
export const PASSAGE_BUDGET = 6000
/** Requests per group when the answer is not a JSON object (the retry changes the seed). */
export const JSON_ATTEMPTS = 2

export interface LlmArticleOutcome {
  articleId: string
  status: 'extracted' | 'failed'
  text: 'full_text' | 'abstract'
  fields: number
  values: number
  verified: number
  unverified: number
  notReported: number
  invalid: number
  requests: number
  error?: { kind: LlmExtractionFailureKind; message: string }
}

export interface LlmExtractionResult {
  model: string
  digest: string | null
  promptVersion: string
  templateId: string | null
  gridId: string
  gridVersion: number
  reviewerId: string
  options: Record<string, unknown>
  requested: number
  extracted: number
  failed: number
  failures: Record<LlmExtractionFailureKind, number>
  promptTokens: number
  outputTokens: number
  durationMs: number
  articles: LlmArticleOutcome[]
  stoppedEarly?: string
}

class ArticleFailure extends Error {
  constructor(readonly kind: LlmExtractionFailureKind, message: string) { super(message) }
}

export async function llmExtraction(ctx: JobContext, payload: LlmExtractionPayload): Promise<LlmExtractionResult> {
  const started = Date.now()
  const { project, client, model, digest, concurrency: allowed } = await startLlmRun(ctx, payload.model)
  const projectId = project.id
  const grid = await pinnedGrid(ctx.db, payload.gridId, payload.gridVersion)
  if (!grid) throw new TaskError(`grid version ${payload.gridVersion} no longer exists`)
  const templateRow = payload.templateId ? await getPrompt(ctx.db, payload.templateId) : await defaultPrompt(ctx.db, 'extraction')
  if (payload.templateId && !templateRow) throw new TaskError('the prompt template no longer exists')
  const template = templateRow?.template ?? DEFAULT_EXTRACTION_TEMPLATE
  const groups = groupFields(grid, payload.options.fieldsPerGroup)
  try {
    extractionPrompt({ template, question: '', title: '', abstract: '', fields: groups[0] ?? [], passages: [] })
  } catch (error) {
    if (error instanceof TemplateError) throw new TaskError(`the prompt template cannot be used: ${error.message}`)
    throw error
  }

  const reviewer = await llmReviewer(ctx.db, model)
  const todo = await llmExtractionArticles(ctx.db, projectId, payload.gridId, reviewer.id, payload.articleIds)
  const concurrency = allowed(payload.options.concurrency)
  const options = { ...payload.options, concurrency, passageBudget: PASSAGE_BUDGET, jsonAttempts: JSON_ATTEMPTS }
  const result: LlmExtractionResult = {
    model, digest, promptVersion: EXTRACTION_PROMPT_VERSION, templateId: templateRow?.id ?? null, gridId: payload.gridId, gridVersion: payload.gridVersion,
    reviewerId: reviewer.id, options, requested: todo.length, extracted: 0, failed: 0, failures: { 'malformed-json': 0, timeout: 0, 'server-error': 0 },
    promptTokens: 0, outputTokens: 0, durationMs: 0, articles: []
  }
  const fieldCount = gridFields(grid).length

  let next = 0
  let done = 0
  let fatal: Error | undefined
  const extractArticle = async (article: (typeof todo)[number]): Promise<LlmArticleOutcome> => {
    const { pages, sections, text } = await llmArticleText(ctx.db, article)
    const values: ExtractionValues = {}
    const problems: string[] = []
    let requests = 0
    const base = { articleId: article.id, text, requests: 0 }
    // The title and abstract are in the prompt already: passages come from the full text when there is one.
    const body = pages.some((p) => p.page > 0) ? pages.filter((p) => p.page > 0) : pages
    try {
      for (const fields of groups) {
        const passages = selectPassages(body, fields, PASSAGE_BUDGET, 800, sections)
        const prompt = extractionPrompt({ template, question: project.question, title: article.title, abstract: article.abstract, fields, passages })
        let answer: Record<string, unknown> | undefined
        for (let attempt = 0; attempt < JSON_ATTEMPTS && !answer; attempt++) {
          requests++
          const reply = await client.generate({
            model, prompt: prompt.prompt, system: prompt.system, format: prompt.format,
            options: { temperature: payload.options.temperature, seed: payload.options.seed + attempt }
          }, { signal: ctx.signal })
          result.promptTokens += reply.promptTokens ?? 0
          result.outputTokens += reply.outputTokens ?? 0
          try {
            answer = parseModelJson(reply.response)
          } catch (error) {
            if (!(error instanceof ExtractionJsonError)) throw error
            if (attempt === JSON_ATTEMPTS - 1) throw new ArticleFailure('malformed-json', `${error.message} (after ${JSON_ATTEMPTS} attempts; fields ${fields.map((f) => f.key).join(', ')})`)
          }
        }
        const read = readModelAnswer(grid, answer!, pages, fields)
        Object.assign(values, read.values)
        problems.push(...read.problems)
      }
    } catch (error) {
      if (ctx.signal.aborted) throw error
      const counts = { fields: fieldCount, values: 0, verified: 0, unverified: 0, notReported: 0, invalid: 0 }
      if (error instanceof ArticleFailure) return { ...base, ...counts, requests, status: 'failed', error: { kind: error.kind, message: error.message } }
      const failure = llmFailureOf(error)
      if (failure === 'timeout' || failure === 'server-error') return { ...base, ...counts, requests, status: 'failed', error: { kind: failure, message: (error as Error).message } }
      throw error
    }
    const run: LlmRunInfo = {
      taskId: ctx.task.id, model, digest, promptVersion: EXTRACTION_PROMPT_VERSION, templateId: templateRow?.id ?? null,
      gridVersion: payload.gridVersion, options, text, problems: problems.slice(0, 100)
    }
    await saveLlmExtraction(ctx.db, { projectId, articleId: article.id, gridId: payload.gridId, gridVersion: payload.gridVersion, reviewerId: reviewer.id }, values, run)
    return { ...base, requests, status: 'extracted', ...outcomeCounts(values), fields: fieldCount }
  }

  const worker = async () => {
    while (!fatal && next < todo.length) {
      const article = todo[next++]
      await ctx.ensureNotCancelled()
      let outcome: LlmArticleOutcome
      try {
        outcome = await extractArticle(article)
      } catch (error) {
        if (ctx.signal.aborted) throw error
        if (llmFailureOf(error) === 'fatal') {
          fatal = error as Error
          break
        }
        throw error
      }
      result.articles.push(outcome)
      if (outcome.status === 'extracted') result.extracted++
      else {
        result.failed++
        result.failures[outcome.error!.kind]++
      }
      done++
      await ctx.emit('extraction.llm.article', { articleId: article.id, status: outcome.status, done, total: todo.length })
      await ctx.progress(done / Math.max(1, todo.length), `${done}/${todo.length} articles (${result.failed} failed)`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, todo.length)) }, worker))
  result.durationMs = Date.now() - started
  if (fatal) {
    result.stoppedEarly = fatal.message
    throw new TaskError(`LLM extraction stopped after ${done} of ${todo.length} articles: ${fatal.message}`, result)
  }
  await ctx.emit('extraction.llm.completed', { gridId: payload.gridId, model, extracted: result.extracted, failed: result.failed })
  return result
}
