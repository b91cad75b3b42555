/**
 * LLM concepts of a study: the prompt asking a local model for a study's key
 * concepts (each with a verbatim quote), its JSON schema, and the reading of
 * the answer. Concepts are normalised as keywords are (case, accents, simple
 * plurals: src/synthesis/descriptive), one study's duplicates merged with
 * their quotes, and every quote looked up in the text the model was given: a
 * concept none of whose quotes occurs there is kept flagged, so the graph
 * can leave it out and a person can see it.
 *
 * Bump CONCEPT_PROMPT_VERSION whenever the prompt's text changes: runs record
 * the version that wrote them.
 */
import { parseModelJson } from '../extraction/llm.ts'
import { normaliseKeyword } from '../synthesis/descriptive/index.ts'
import { findQuote, type TextPage } from './passages.ts'
import type { PromptStudy } from './synthesis-prompt.ts'

export const CONCEPT_PROMPT_VERSION = 'concepts-1'

/** Where a study's text comes from: page 0 is the title and abstract, -1 the extracted data, 1… the full text's pages. */
export const EXTRACTED_DATA_PAGE = -1

const MAX_CONCEPT_CHARS = 80
const MAX_QUOTE_CHARS = 500

export interface StudyConcept {
  /** The comparison key (normaliseKeyword). */
  key: string
  /** The first form the model gave. */
  label: string
  /** Each quote given, whether it occurs in the study's text, and where (page; 0 the abstract, -1 the extracted data). */
  quotes: Array<{ text: string; found: boolean; page?: number }>
  /** No quote of the concept occurs in the study's text. */
  flagged: boolean
}

export class ConceptAnswerError extends Error {
  constructor(readonly problem: 'malformed-json' | 'invalid-answer', message: string) { super(message) }
}

/** The JSON schema the model's answer must follow. */
export function conceptJsonSchema(maxConcepts: number): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      concepts: {
        type: 'array', maxItems: maxConcepts,
        items: {
          type: 'object',
          properties: { concept: { type: 'string', maxLength: MAX_CONCEPT_CHARS }, quote: { type: 'string', maxLength: MAX_QUOTE_CHARS } },
          required: ['concept', 'quote']
        }
      }
    },
    required: ['concepts']
  }
}

/** A study's text as pages: title and abstract, extracted data, then the full-text passages sent. */
export function studyPages(study: Pick<PromptStudy, 'title' | 'abstract' | 'extraction'>, passages: TextPage[]): TextPage[] {
  const extracted = study.extraction.flatMap((e) => Object.entries(e.values).map(([label, value]) => `${label}: ${value}`))
  return [
    { page: 0, text: [study.title, study.abstract].filter((s) => s.trim()).join('\n\n') },
    ...(extracted.length ? [{ page: EXTRACTED_DATA_PAGE, text: extracted.join('\n') }] : []),
    ...passages
  ]
}

export function conceptPrompt(input: { question: string | null; maxConcepts: number; pages: TextPage[] }): { system: string; prompt: string; format: Record<string, unknown> } {
  const section = (p: TextPage) => p.page === 0 ? `Title and abstract:\n${p.text}` : p.page === EXTRACTED_DATA_PAGE ? `Extracted data:\n${p.text}` : `Full text, page ${p.page}:\n${p.text}`
  return {
    system: 'You are an expert in systematic literature reviews. You name only concepts the study text given to you states, and you quote it exactly.',
    prompt: [
      `List the key concepts of the study below (at most ${input.maxConcepts}): population, condition, intervention or exposure, comparator, outcomes, setting, design, and the main themes.`,
      ...(input.question ? [`Review question: ${input.question}`] : []),
      'Each concept is a short noun phrase of one to four words, in the singular, in the language of the study text.',
      'For each concept give "quote": a short passage copied verbatim from the study text below that states it (it is checked against the text).',
      'Answer with a JSON object {"concepts": [{"concept": …, "quote": …}]}.',
      '',
      ...input.pages.map(section)
    ].join('\n'),
    format: conceptJsonSchema(input.maxConcepts)
  }
}

/** The model's answer as the study's concepts (normalised, merged, quotes checked against `pages`), or ConceptAnswerError. */
export function readConceptAnswer(raw: string, pages: TextPage[]): StudyConcept[] {
  let answer: Record<string, unknown>
  try {
    answer = parseModelJson(raw)
  } catch (error) {
    throw new ConceptAnswerError('malformed-json', (error as Error).message)
  }
  if (!Array.isArray(answer.concepts)) throw new ConceptAnswerError('invalid-answer', 'the answer has no "concepts" array')
  const concepts = new Map<string, StudyConcept>()
  for (const entry of answer.concepts as unknown[]) {
    const { concept, quote } = (entry ?? {}) as { concept?: unknown; quote?: unknown }
    if (typeof concept !== 'string') continue
    const label = concept.trim().replace(/\s+/g, ' ').slice(0, MAX_CONCEPT_CHARS)
    const key = normaliseKeyword(label)
    if (!key) continue
    const known = concepts.get(key) ?? { key, label, quotes: [], flagged: true }
    const text = typeof quote === 'string' ? quote.trim().slice(0, MAX_QUOTE_CHARS) : ''
    if (text && !known.quotes.some((q) => q.text === text)) {
      const page = findQuote(text, pages)
      known.quotes.push(page === null ? { text, found: false } : { text, found: true, page })
    }
    known.flagged = !known.quotes.some((q) => q.found)
    concepts.set(key, known)
  }
  if (concepts.size === 0 && answer.concepts.length > 0) throw new ConceptAnswerError('invalid-answer', 'no entry of "concepts" names a concept')
  return [...concepts.values()]
}
