/**
 * Grounded LLM synthesis: the included studies (citation key, metadata,
 * extracted data) go to a local model through two prompts — narrative
 * synthesis, then discussion — and the drafts come back checked: every
 * sentence's bracketed keys are compared with the studies sent (a key that
 * is not one is flagged) and a sentence citing nothing is flagged.
 *
 * Long inputs are never truncated: when the studies' data exceed
 * `maxInputChars`, each study is summarised on its own first (its key in
 * every sentence), and both prompts get the summaries ("summarise-first").
 *
 * The draft is stored as a new version (earlier ones kept) with the model,
 * its digest, the prompt version, the options and everything sent.
 */
import { sql } from 'drizzle-orm'
import { synthesisDrafts } from '../db/schema.ts'
import { ModelNotFoundError, OllamaError } from '../llm/ollama.ts'
import { startLlmRun } from '../llm/run.ts'
import { sectionPrompt, studyBlock, summaryPrompt, SYNTHESIS_PROMPT_VERSION, type BuiltPrompt, type SectionName } from '../llm/synthesis-prompt.ts'
import { synthesisStudies, type LlmSynthesisPayload } from '../services/synthesis.ts'
import { checkCitations } from '../synthesis/citations.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export interface LlmSynthesisResult {
  draftId: string
  version: number
  model: string
  studies: number
  strategy: 'direct' | 'summarise-first'
  flags: { uncited: number; unknownKeys: number }
}

const SECTIONS: SectionName[] = ['synthesis', 'discussion']

export async function llmSynthesis(ctx: JobContext, payload: LlmSynthesisPayload): Promise<LlmSynthesisResult> {
  const { project, client, model, digest } = await startLlmRun(ctx, payload.model)
  const projectId = project.id
  const { studies, includedAt } = await synthesisStudies(ctx.db, projectId)
  if (studies.length === 0) throw new TaskError('the project has no included studies to synthesise')
  const keys = studies.map((s) => s.key)
  const blocks = studies.map(studyBlock)
  const strategy = blocks.join('\n\n').length > payload.maxInputChars ? 'summarise-first' as const : 'direct' as const
  const options = { temperature: payload.temperature, seed: payload.seed }
  const prompts: Array<BuiltPrompt & { purpose: string }> = []
  const steps = (strategy === 'summarise-first' ? studies.length : 0) + SECTIONS.length
  let done = 0

  const generate = async (purpose: string, prompt: BuiltPrompt): Promise<string> => {
    prompts.push({ purpose, ...prompt })
    try {
      const answer = await client.generate({ model, system: prompt.system, prompt: prompt.prompt, options }, { signal: ctx.signal })
      return answer.response.trim()
    } catch (error) {
      if (ctx.signal.aborted) throw error
      if (error instanceof ModelNotFoundError) throw new TaskError(`model "${model}" is no longer installed on the Ollama server`)
      if (error instanceof OllamaError) throw new TaskError(`the model failed on the ${purpose} (${done} of ${steps} steps done; nothing stored): ${error.message}`)
      throw error
    } finally {
      done++
      await ctx.progress(done / (steps + 1), `${purpose}: ${done} of ${steps} steps`)
    }
  }

  let summaries: Record<string, string> | undefined
  let material = blocks
  if (strategy === 'summarise-first') {
    summaries = {}
    for (const study of studies) summaries[study.key] = await generate(`summary of ${study.key}`, summaryPrompt(study, payload.language))
    material = studies.map((s) => `[${s.key}] ${s.title} (${s.year ?? 'n.d.'})\n${summaries![s.key]}`)
  }
  const known = new Set(keys)
  const sections: Array<{ name: SectionName; text: string; sentences: ReturnType<typeof checkCitations> }> = []
  for (const name of SECTIONS) {
    const text = await generate(name, sectionPrompt(name, { question: project.question, language: payload.language, keys, studies: material }))
    sections.push({ name, text, sentences: checkCitations(text, known) })
  }
  const sentences = sections.flatMap((s) => s.sentences)
  const flags = { uncited: sentences.filter((s) => s.uncited).length, unknownKeys: sentences.filter((s) => s.unknownKeys.length > 0).length }

  // Versions count per project; the advisory lock keeps two generations finishing together from taking the same number.
  const row = await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('synthesis_drafts'), hashtext(${projectId}))`)
    const [{ next }] = (await tx.execute(sql`SELECT coalesce(max(version), 0) + 1 AS next FROM synthesis_drafts WHERE project_id = ${projectId}`)).rows as Array<{ next: number }>
    const [inserted] = await tx.insert(synthesisDrafts).values({
      projectId, version: Number(next), language: payload.language, model, modelDigest: digest, promptVersion: SYNTHESIS_PROMPT_VERSION,
      options: { ...options, maxInputChars: payload.maxInputChars, strategy },
      input: { includedAt, studies, ...(summaries ? { summaries } : {}), prompts },
      sections, citationKeys: Object.fromEntries(studies.map((s) => [s.key, s.articleId])), taskId: ctx.task.id, createdBy: ctx.task.createdBy
    }).returning()
    return inserted
  })
  await ctx.progress(1, `draft version ${row.version}: ${flags.uncited} uncited sentences, ${flags.unknownKeys} with unknown keys`)
  return { draftId: row.id, version: row.version, model, studies: studies.length, strategy, flags }
}
