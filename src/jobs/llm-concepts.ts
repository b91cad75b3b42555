/**
 * LLM concepts (`llm-concepts`): each included study (title, abstract,
 * extracted data, and passages of its full text when it has one) goes to a
 * local model that names the study's key concepts, each with a verbatim
 * quote, in a JSON schema. Concepts are normalised and merged per study and
 * every quote is looked up in the text sent: a concept quoted from nowhere in
 * it is stored flagged (and left out of the graph). A study whose answer is
 * unusable or whose request failed is a failure of the result, the others
 * are kept; losing the server (or the model) ends the run and stores
 * nothing. The run is stored once, with the model, its digest, the prompt
 * version and the options; the concept graph reads the latest.
 */
import { llmConceptRuns } from '../db/schema.ts'
import { CONCEPT_PROMPT_VERSION, ConceptAnswerError, conceptPrompt, readConceptAnswer, studyPages } from '../llm/concept-prompt.ts'
import { selectPassages } from '../llm/passages.ts'
import { llmFailureOf, startLlmRun } from '../llm/run.ts'
import { fullTextOf, withText } from '../services/appraisal-llm.ts'
import type { ConceptFailure, LlmConceptsPayload, StoredConceptStudy } from '../services/llm-concepts.ts'
import { synthesisStudies } from '../services/synthesis.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export interface LlmConceptsResult {
  runId?: string
  model: string
  digest: string | null
  promptVersion: string
  options: Record<string, unknown>
  /** Included studies the run set out to read. */
  requested: number
  /** Studies with concepts stored. */
  read: number
  /** Studies without concepts, per cause, and the first of them with the reason. */
  failed: number
  failures: Record<ConceptFailure['kind'], number>
  errors: ConceptFailure[]
  /** Distinct concepts over all studies (grounded in at least one), and concepts flagged in a study (no quote found). */
  concepts: number
  flagged: number
  promptTokens: number
  outputTokens: number
  stoppedEarly?: string
}

const MAX_REPORTED_ERRORS = 100

export async function llmConcepts(ctx: JobContext, payload: LlmConceptsPayload): Promise<LlmConceptsResult> {
  const { project, client, model, digest, concurrency: allowed } = await startLlmRun(ctx, payload.model)
  const { studies } = await synthesisStudies(ctx.db, project.id)
  if (studies.length === 0) throw new TaskError('the project has no included studies to read concepts from')
  const files = payload.fullTextChars > 0 ? await withText(ctx.db, project.id, studies.map((s) => s.articleId)) : new Map<string, string>()
  const concurrency = allowed(payload.concurrency)
  const options = { temperature: payload.temperature, seed: payload.seed, maxConcepts: payload.maxConcepts, fullTextChars: payload.fullTextChars, concurrency }
  const result: LlmConceptsResult = {
    model, digest, promptVersion: CONCEPT_PROMPT_VERSION, options, requested: studies.length, read: 0, failed: 0,
    failures: { 'malformed-json': 0, 'invalid-answer': 0, timeout: 0, 'server-error': 0 }, errors: [], concepts: 0, flagged: 0, promptTokens: 0, outputTokens: 0
  }
  const stored: StoredConceptStudy[] = []
  const failures: ConceptFailure[] = []
  const fail = (failure: ConceptFailure) => {
    failures.push(failure)
    result.failed++
    result.failures[failure.kind]++
    if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push(failure)
  }

  const readStudy = async (study: (typeof studies)[number]) => {
    const fileId = files.get(study.articleId)
    const passages = fileId ? selectPassages(await fullTextOf(ctx.db, fileId), `${study.title} ${study.abstract}`, payload.fullTextChars) : []
    const pages = studyPages(study, passages)
    const prompt = conceptPrompt({ question: project.question, maxConcepts: payload.maxConcepts, pages })
    const answer = await client.generate({ model, system: prompt.system, prompt: prompt.prompt, format: prompt.format, options: { temperature: payload.temperature, seed: payload.seed } }, { signal: ctx.signal })
    result.promptTokens += answer.promptTokens ?? 0
    result.outputTokens += answer.outputTokens ?? 0
    const concepts = readConceptAnswer(answer.response, pages)
    stored.push({ articleId: study.articleId, key: study.key, title: study.title, text: passages.length ? 'full_text' : 'abstract', concepts })
  }

  let next = 0
  let done = 0
  let fatal: Error | undefined
  const worker = async () => {
    while (!fatal && next < studies.length) {
      const study = studies[next++]
      try {
        await readStudy(study)
      } catch (error) {
        if (ctx.signal.aborted) throw error
        const failure = llmFailureOf(error)
        const message = (error as Error).message
        if (error instanceof ConceptAnswerError) fail({ articleId: study.articleId, key: study.key, kind: error.problem, message })
        else if (failure === 'timeout' || failure === 'server-error') fail({ articleId: study.articleId, key: study.key, kind: failure, message })
        else if (failure === 'fatal') fatal = error as Error
        else throw error
      }
      done++
      await ctx.progress(done / studies.length * 0.95, `${done}/${studies.length} studies (${result.failed} failed)`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, studies.length) }, worker))

  const all = stored.flatMap((s) => s.concepts)
  result.read = stored.length
  result.concepts = new Set(all.filter((c) => !c.flagged).map((c) => c.key)).size
  result.flagged = all.filter((c) => c.flagged).length
  if (fatal) {
    result.stoppedEarly = fatal.message
    throw new TaskError(`LLM concept run stopped after ${done} of ${studies.length} studies (nothing stored): ${fatal.message}`, result)
  }
  if (stored.length === 0) throw new TaskError(`the model gave no usable answer for any of the ${studies.length} studies (nothing stored)`, result)

  // Studies in the order of their citation keys, whichever request finished first.
  const order = new Map(studies.map((s, i) => [s.articleId, i]))
  stored.sort((a, b) => order.get(a.articleId)! - order.get(b.articleId)!)
  const [row] = await ctx.db.insert(llmConceptRuns).values({
    projectId: project.id, model, modelDigest: digest, promptVersion: CONCEPT_PROMPT_VERSION, options, studies: stored, failures,
    taskId: ctx.task.id, createdBy: ctx.task.createdBy
  }).returning({ id: llmConceptRuns.id })
  result.runId = row.id
  await ctx.progress(1, `${result.read} studies read: ${result.concepts} concepts, ${result.flagged} flagged, ${result.failed} studies failed`)
  await ctx.emit('concepts.llm.completed', { model, read: result.read, failed: result.failed })
  return result
}
