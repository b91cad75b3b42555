/**
 * Prompts of the grounded LLM synthesis: a narrative synthesis (themes, key
 * findings, methods, gaps) and a discussion (convergences, divergences,
 * future research), from the original AnalyLit's two prompts, rewritten so
 * that every claim cites the studies it rests on by their keys in brackets.
 * When the studies' data are too long for one prompt, each study is first
 * summarised on its own (the summary prompt), and the two prompts get the
 * summaries.
 *
 * Bump SYNTHESIS_PROMPT_VERSION whenever a prompt's text changes: drafts
 * record the version that wrote them.
 */

export const SYNTHESIS_PROMPT_VERSION = 'synthesis-1'

export type SynthesisLanguage = 'en' | 'fr'
export type SectionName = 'synthesis' | 'discussion'

export interface PromptStudy {
  key: string
  title: string
  authors: string
  year: number | null
  journal: string | null
  design: string
  abstract: string
  /** Extracted data per grid: where the values come from, and label → value. */
  extraction: Array<{ grid: string; source: string; values: Record<string, string> }>
}

const LANGUAGE_NAME: Record<SynthesisLanguage, string> = { en: 'English', fr: 'French' }
const WRITE_IN: Record<SynthesisLanguage, string> = {
  en: 'Write in English.',
  fr: 'Write in French (rédigez en français, dans un registre académique).'
}

const SYSTEM = 'You are an expert in systematic literature reviews. You write only what the studies given to you support, and you cite them.'

function citationRules(keys: string[]): string {
  return [
    'Citation rules (they are checked automatically):',
    '- Cite studies only by their keys in square brackets, e.g. [' + (keys[0] ?? 'Smith2020') + '] or [' + keys.slice(0, 2).join('; ') + '].',
    '- Every sentence that states a finding, a method or a claim must cite at least one key.',
    `- Use only these keys: ${keys.join(', ')}. Never invent a study, an author or a key.`,
    '- Plain paragraphs and short headings; no reference list at the end.'
  ].join('\n')
}

/** One study as the model reads it: key, bibliographic data, abstract, extracted values with their source. */
export function studyBlock(study: PromptStudy): string {
  const lines = [`[${study.key}] ${study.title}`, `Authors: ${study.authors || 'unknown'}; year: ${study.year ?? 'unknown'}; journal: ${study.journal ?? 'unknown'}; type: ${study.design}`]
  for (const e of study.extraction) {
    lines.push(`Extracted data (${e.grid}, ${e.source}):`)
    for (const [label, value] of Object.entries(e.values)) lines.push(`  - ${label}: ${value}`)
  }
  if (study.extraction.length === 0 && study.abstract.trim()) lines.push(`Abstract: ${study.abstract.trim()}`)
  return lines.join('\n')
}

export interface BuiltPrompt { system: string; prompt: string }

/** The prompt of one section over the study blocks (or per-study summaries). */
export function sectionPrompt(section: SectionName, input: { question: string | null; language: SynthesisLanguage; keys: string[]; studies: string[] }): BuiltPrompt {
  const task = section === 'synthesis'
    ? [
        `Write the narrative synthesis of a systematic review of the ${input.keys.length} included studies below.`,
        'Organise it in four parts: 1. main themes; 2. key findings; 3. methods used by the studies; 4. gaps in the evidence.'
      ]
    : [
        `Write the discussion of a systematic review of the ${input.keys.length} included studies below.`,
        'Organise it in three parts: 1. convergences between the studies; 2. divergences and their possible explanations; 3. future research.'
      ]
  return {
    system: SYSTEM,
    prompt: [
      ...task,
      ...(input.question ? [`Review question: ${input.question}`] : []),
      WRITE_IN[input.language],
      citationRules(input.keys),
      '',
      'Included studies:',
      '',
      input.studies.join('\n\n')
    ].join('\n')
  }
}

/** The prompt that summarises one study when the data of all are too long for one prompt. */
export function summaryPrompt(study: PromptStudy, language: SynthesisLanguage): BuiltPrompt {
  return {
    system: SYSTEM,
    prompt: [
      `Summarise the study below in at most five sentences for a systematic review: design, population, intervention or exposure, outcomes and main results with their numbers. ${WRITE_IN[language]}`,
      `End every sentence with the study's key [${study.key}].`,
      '',
      studyBlock(study)
    ].join('\n')
  }
}

export const languageName = (language: SynthesisLanguage) => LANGUAGE_NAME[language]
