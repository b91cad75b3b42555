/**
 * Prompts for LLM-assisted screening and data extraction, the JSON schemas the
 * answers must follow (passed to Ollama as `format`), and strict parsers for
 * those answers.
 *
 * The one probability scale: `probability` is the model's probability that the
 * record should be INCLUDED (0 = certainly exclude, 1 = certainly include),
 * whatever the decision field says. It is the score the screening queue can use
 * as a prior (see createScreeningModel's priorScores).
 */

export type ScreeningDecision = 'include' | 'exclude' | 'maybe'

export interface ScreeningAnswer {
  decision: ScreeningDecision
  /** Probability of inclusion, 0..1 (see the module comment). */
  probability: number
  justification: string
}

/** JSON schema of ScreeningAnswer, for Ollama's structured output (`format`). */
export const SCREENING_ANSWER_SCHEMA = {
  type: 'object',
  properties: {
    decision: { type: 'string', enum: ['include', 'exclude', 'maybe'] },
    probability: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: 'Probability that the record should be included in the review (0 = certainly not, 1 = certainly).'
    },
    justification: { type: 'string', description: 'One to three sentences citing the eligibility criteria.' }
  },
  required: ['decision', 'probability', 'justification']
} as const satisfies Record<string, unknown>

/** Eligibility criteria in PICO(S) form; every field is optional free text. */
export interface PicoCriteria {
  population?: string
  intervention?: string
  comparison?: string
  outcome?: string
  studyDesign?: string
  /** Setting, time frame, languages… */
  other?: string
  inclusion?: string[]
  exclusion?: string[]
}

/** Criteria as free text or as a PICO object. */
export type EligibilityCriteria = string | PicoCriteria

const PICO_LABELS: Array<[keyof PicoCriteria, string]> = [
  ['population', 'Population'],
  ['intervention', 'Intervention / exposure'],
  ['comparison', 'Comparison'],
  ['outcome', 'Outcomes'],
  ['studyDesign', 'Study design'],
  ['other', 'Other criteria']
]

/** Renders criteria as the lines inserted at {{criteria}}. */
export function formatCriteria(criteria: EligibilityCriteria | undefined | null): string {
  if (criteria === undefined || criteria === null) return '(no eligibility criteria given)'
  if (typeof criteria === 'string') return criteria.trim() || '(no eligibility criteria given)'
  const lines: string[] = []
  for (const [key, label] of PICO_LABELS) {
    const value = criteria[key]
    if (typeof value === 'string' && value.trim()) lines.push(`- ${label}: ${value.trim()}`)
  }
  if (criteria.inclusion?.length) lines.push('Include when:', ...criteria.inclusion.map((c) => `  - ${c}`))
  if (criteria.exclusion?.length) lines.push('Exclude when:', ...criteria.exclusion.map((c) => `  - ${c}`))
  return lines.length ? lines.join('\n') : '(no eligibility criteria given)'
}

export const DEFAULT_SCREENING_SYSTEM =
  'You are a careful reviewer screening titles and abstracts for a systematic review. ' +
  'You judge each record only against the eligibility criteria and answer in the requested JSON format.'

/** Placeholders: {{question}}, {{criteria}}, {{title}}, {{abstract}}. */
export const DEFAULT_SCREENING_TEMPLATE = `Review question:
{{question}}

Eligibility criteria:
{{criteria}}

Record to screen:
Title: {{title}}
Abstract: {{abstract}}

Decide whether this record should be included at the title/abstract stage.
- "include": the record appears to meet the criteria.
- "exclude": the record clearly fails at least one criterion.
- "maybe": the title and abstract do not give enough information to decide.
When in doubt between include and exclude, prefer "maybe": excluding a relevant study is worse than reading one more full text.

Answer with a JSON object:
- "decision": "include", "exclude" or "maybe";
- "probability": your probability, from 0 to 1, that the record should be INCLUDED (use values near 0.5 for "maybe");
- "justification": one to three sentences naming the criteria that decided.`

/** Placeholders: {{question}}, {{fields}}, {{title}}, {{abstract}}, {{text}}. */
export const DEFAULT_EXTRACTION_TEMPLATE = `Review question:
{{question}}

Extract the following fields from the study below:
{{fields}}

Study:
Title: {{title}}
Abstract: {{abstract}}

Text:
{{text}}

Rules:
- Use only information stated in the study; do not infer or guess.
- When a field is not reported, give null.
- Keep numbers with their units, and quote short phrases where wording matters.

Answer with a JSON object with exactly one key per field listed above.`

export class TemplateError extends Error {
  override name = 'TemplateError'
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g

/** Names of the placeholders a template uses, in order of first use. */
export function templatePlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))]
}

/**
 * Replaces {{name}} placeholders (spaces inside the braces allowed) in one
 * pass, so braces inside inserted values (a title quoting "{{criteria}}") are
 * left as they are. A placeholder without a value is an error: it is almost
 * always a typo in an edited template.
 */
export function renderTemplate(template: string, values: Record<string, string>): string {
  const missing = templatePlaceholders(template).filter((name) => !(name in values))
  if (missing.length) throw new TemplateError(`template placeholder(s) without a value: ${missing.map((m) => `{{${m}}}`).join(', ')}`)
  return template.replace(PLACEHOLDER, (_, name: string) => values[name])
}

export interface ScreeningPromptInput {
  /** Template with the screening placeholders; DEFAULT_SCREENING_TEMPLATE when omitted. */
  template?: string
  question: string
  criteria?: EligibilityCriteria | null
  record: { title?: string | null, abstract?: string | null }
}

export interface BuiltPrompt {
  system: string
  prompt: string
  /** JSON schema to pass as Ollama's `format`. */
  format: Record<string, unknown>
}

export function buildScreeningPrompt(input: ScreeningPromptInput): BuiltPrompt {
  const template = input.template ?? DEFAULT_SCREENING_TEMPLATE
  const prompt = renderTemplate(template, {
    question: input.question.trim() || '(no review question given)',
    criteria: formatCriteria(input.criteria),
    title: input.record.title?.trim() || '(no title)',
    abstract: input.record.abstract?.trim() || '(no abstract available)'
  })
  return { system: DEFAULT_SCREENING_SYSTEM, prompt, format: SCREENING_ANSWER_SCHEMA }
}

export type ScreeningAnswerProblem =
  | 'malformed-json'
  | 'not-an-object'
  | 'invalid-decision'
  | 'invalid-probability'
  | 'probability-out-of-range'
  | 'missing-justification'

/** The model's answer does not follow the screening schema; nothing is defaulted. */
export class ScreeningAnswerError extends Error {
  override name = 'ScreeningAnswerError'
  constructor(readonly problem: ScreeningAnswerProblem, message: string, readonly raw: string) {
    super(message)
  }
}

/** Parses JSON, tolerating only surrounding whitespace and one Markdown code fence around it. */
function parseJsonAnswer(raw: string, onError: (message: string) => Error): unknown {
  let text = raw.trim()
  const fenced = /^```(?:json)?\s*\n?([\s\S]*?)\n?```$/i.exec(text)
  if (fenced) text = fenced[1].trim()
  try {
    return JSON.parse(text)
  } catch (error) {
    throw onError(`the answer is not valid JSON (${(error as Error).message})`)
  }
}

/**
 * Validates a model's screening answer. Accepts exactly the schema (extra keys
 * are ignored); decision is matched case-insensitively; probability must be a
 * JSON number in [0, 1] (no strings, no percentages).
 */
export function parseScreeningAnswer(raw: string): ScreeningAnswer {
  const value = parseJsonAnswer(raw, (message) => new ScreeningAnswerError('malformed-json', message, raw))
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ScreeningAnswerError('not-an-object', 'the answer is not a JSON object', raw)
  }
  const answer = value as Record<string, unknown>
  const decision = typeof answer.decision === 'string' ? answer.decision.trim().toLowerCase() : undefined
  if (decision !== 'include' && decision !== 'exclude' && decision !== 'maybe') {
    throw new ScreeningAnswerError('invalid-decision', `decision must be include, exclude or maybe (got ${JSON.stringify(answer.decision)})`, raw)
  }
  const probability = answer.probability
  if (typeof probability !== 'number' || !Number.isFinite(probability)) {
    throw new ScreeningAnswerError('invalid-probability', `probability must be a number (got ${JSON.stringify(probability)})`, raw)
  }
  if (probability < 0 || probability > 1) {
    throw new ScreeningAnswerError('probability-out-of-range', `probability must be between 0 and 1 (got ${probability})`, raw)
  }
  const justification = typeof answer.justification === 'string' ? answer.justification.trim() : ''
  if (!justification) throw new ScreeningAnswerError('missing-justification', 'justification must be a non-empty string', raw)
  return { decision, probability, justification }
}

/** A field to extract: a name, optionally with a description shown to the model. */
export type ExtractionField = string | { name: string, description?: string }

function fieldName(field: ExtractionField): string {
  return typeof field === 'string' ? field : field.name
}

/** The lines inserted at {{fields}}. */
export function formatExtractionFields(fields: readonly ExtractionField[]): string {
  return fields.map((f) => (typeof f === 'string' || !f.description ? `- ${fieldName(f)}` : `- ${f.name}: ${f.description}`)).join('\n')
}

/** JSON schema of an extraction answer: one key per field, each a string or null. */
export function extractionSchema(fields: readonly ExtractionField[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  for (const field of fields) {
    properties[fieldName(field)] = {
      type: ['string', 'null'],
      ...(typeof field !== 'string' && field.description ? { description: field.description } : {})
    }
  }
  return { type: 'object', properties, required: fields.map(fieldName) }
}

export interface ExtractionPromptInput {
  template?: string
  question: string
  fields: readonly ExtractionField[]
  record: { title?: string | null, abstract?: string | null }
  /** Full text or the part of it to read; the abstract is used when absent. */
  text?: string | null
}

export function buildExtractionPrompt(input: ExtractionPromptInput): BuiltPrompt {
  if (input.fields.length === 0) throw new TemplateError('at least one extraction field is needed')
  const abstract = input.record.abstract?.trim() || '(no abstract available)'
  const prompt = renderTemplate(input.template ?? DEFAULT_EXTRACTION_TEMPLATE, {
    question: input.question.trim() || '(no review question given)',
    fields: formatExtractionFields(input.fields),
    title: input.record.title?.trim() || '(no title)',
    abstract,
    text: input.text?.trim() || abstract
  })
  return {
    system: 'You extract data from scientific studies for a systematic review, accurately and only from the text given.',
    prompt,
    format: extractionSchema(input.fields)
  }
}

export class ExtractionAnswerError extends Error {
  override name = 'ExtractionAnswerError'
  constructor(message: string, readonly raw: string) {
    super(message)
  }
}

/**
 * Validates an extraction answer: a JSON object with every field present as
 * a string or null (numbers and booleans are turned into strings; anything
 * else is an error). Keys that are not fields are dropped.
 */
export function parseExtractionAnswer(raw: string, fields: readonly ExtractionField[]): Record<string, string | null> {
  const value = parseJsonAnswer(raw, (message) => new ExtractionAnswerError(message, raw))
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ExtractionAnswerError('the answer is not a JSON object', raw)
  const answer = value as Record<string, unknown>
  const out: Record<string, string | null> = {}
  for (const field of fields) {
    const name = fieldName(field)
    if (!(name in answer)) throw new ExtractionAnswerError(`field "${name}" is missing from the answer`, raw)
    const v = answer[name]
    if (v === null || typeof v === 'string') out[name] = v
    else if (typeof v === 'number' || typeof v === 'boolean') out[name] = String(v)
    else throw new ExtractionAnswerError(`field "${name}" must be a string or null (got ${JSON.stringify(v)})`, raw)
  }
  return out
}
