/**
 * What LLM extraction needs from a grid, without the model or the database:
 * the JSON Schema of the structured answer (every field with its value, an
 * explicit "not reported", a verbatim quote and its page), the passages of a
 * long text relevant to a group of fields (lexical overlap, not truncation),
 * and the reading of an answer into extraction values, each quote verified
 * against the text and each value checked against its field's type.
 */
import { renderTemplate } from '../llm/screening-prompt.ts'
import { findQuote, words, type TextPage } from '../llm/passages.ts'
import { gridFields, valueProblems, type ExtractionValues, type Grid, type GridColumn, type GridField } from './grid.ts'

export { findQuote, type TextPage }
/** A section of a full text, as text extraction detects it: it starts at `offset` characters into page `page`. */
export interface TextSection { name: string; page: number; offset: number }

/** Bumped whenever the prompt or the schema below changes: recorded with every run. */
export const EXTRACTION_PROMPT_VERSION = 'extraction-v1'

function valueSchema(field: GridField | GridColumn): Record<string, unknown> {
  switch (field.type) {
    case 'integer': return { type: ['integer', 'null'] }
    case 'number': return { type: ['number', 'null'], ...(field.unit ? { description: `in ${field.unit}` } : {}) }
    case 'boolean': return { type: ['boolean', 'null'] }
    case 'single_choice': return { enum: [...(field.choices ?? []), null] }
    case 'multiple_choice': return { type: ['array', 'null'], items: { enum: field.choices ?? [] } }
    case 'date': return { type: ['string', 'null'], pattern: '^\\d{4}(-\\d{2}(-\\d{2})?)?$' }
    case 'rows': return {
      type: ['array', 'null'],
      items: { type: 'object', properties: Object.fromEntries(((field as GridField).columns ?? []).map((c) => [c.key, valueSchema(c)])) }
    }
    default: return { type: ['string', 'null'] }
  }
}

/** JSON Schema of the model's answer for these fields (Ollama's `format`). */
export function extractionJsonSchema(fields: GridField[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(fields.map((f) => [f.key, {
      type: 'object',
      description: [f.label, f.description].filter(Boolean).join(': '),
      properties: {
        value: valueSchema(f),
        not_reported: { type: 'boolean', description: 'true when the text does not report it (value null)' },
        quote: { type: 'string', description: 'verbatim passage of the text supporting the value ("" when not reported)' },
        page: { type: 'integer' }
      },
      required: ['value', 'not_reported', 'quote', 'page']
    }])),
    required: fields.map((f) => f.key)
  }
}

/** Sections where a study reports the data a grid asks for: their passages get a bonus. References are never sent. */
const SECTION_BONUS: Record<string, number> = { abstract: 0.15, methods: 0.25, results: 0.25 }

/** The section (by name) that a position of the text falls in, from the sections detected at text extraction. */
function sectionAt(sections: TextSection[], page: number, offset: number): string | undefined {
  let current: string | undefined
  for (const s of sections) {
    if (s.page < page || (s.page === page && s.offset <= offset)) current = s.name
    else break
  }
  return current
}

/**
 * The passages (paragraphs, or ~`size`-character pieces of long ones) most
 * relevant to the fields by word overlap with their labels, descriptions and
 * choices, up to `budget` characters, in the text's order (the whole text
 * when it fits; otherwise never a passage sharing no word). With the sections
 * detected in the text, passages of the methods and results (and abstract)
 * come first among equals and the references are left out.
 */
export function selectPassages(pages: TextPage[], fields: GridField[], budget = 6000, size = 800, sections: TextSection[] = []): TextPage[] {
  const terms = words(fields.flatMap((f) => [f.label.replace(/_/g, ' '), f.description ?? '', ...(f.choices ?? []), ...(f.columns ?? []).map((c) => c.label)]).join(' '))
  const ordered = [...sections].sort((a, b) => a.page - b.page || a.offset - b.offset)
  const passages: Array<TextPage & { order: number; score: number }> = []
  for (const p of pages) {
    let from = 0
    for (const paragraph of p.text.split(/\n\s*\n/)) {
      const start = p.text.indexOf(paragraph, from)
      from = start + paragraph.length
      const section = sectionAt(ordered, p.page, start)
      if (section === 'references') continue
      for (let i = 0; i < paragraph.length; i += size) {
        const text = paragraph.slice(i, i + size).trim()
        if (!text) continue
        const own = words(text)
        let overlap = 0
        for (const w of own) if (terms.has(w)) overlap++
        const score = overlap / Math.sqrt(own.size + 1) + (overlap > 0 ? SECTION_BONUS[section ?? ''] ?? 0 : 0)
        passages.push({ page: p.page, text, order: passages.length, score })
      }
    }
  }
  const chosen: typeof passages = []
  let used = 0
  // When the whole text fits it is all sent; otherwise only passages sharing words with the fields.
  const fits = passages.reduce((n, p) => n + p.text.length, 0) <= budget
  for (const p of [...passages].sort((a, b) => b.score - a.score || a.order - b.order)) {
    if (!fits && p.score === 0) break
    if (used + p.text.length > budget) continue
    chosen.push(p)
    used += p.text.length
  }
  return chosen.sort((a, b) => a.order - b.order).map(({ page, text }) => ({ page, text }))
}

/** The grid's fields in groups of at most `size`, each group within one section (a model answers one group per request). */
export function groupFields(grid: Grid, size: number): GridField[][] {
  const groups: GridField[][] = []
  for (const section of grid.sections) {
    for (let i = 0; i < section.fields.length; i += size) groups.push(section.fields.slice(i, i + size))
  }
  return groups
}

function describeField(field: GridField | GridColumn): string {
  const type = field.type === 'number' && field.unit ? `number in ${field.unit}` : field.type.replace('_', ' ')
  const choices = field.choices?.length ? `; one of: ${field.choices.join(' | ')}` : ''
  const columns = 'columns' in field && field.columns?.length ? `; a list of rows with ${field.columns.map((c) => `${c.key} (${c.label}, ${c.type})`).join(', ')}` : ''
  return `- ${field.key}: ${field.label} (${type}${choices}${columns})${field.description ? ` — ${field.description}` : ''}`
}

/** Rules appended to every extraction prompt, whatever the template (part of EXTRACTION_PROMPT_VERSION). */
export const EXTRACTION_RULES = `Answer with a JSON object with one key per field key listed above. For each field give:
- "value": the value, of the field's type, taken only from the text; null when the text does not report it;
- "not_reported": true when the text does not report it (then "value" is null and "quote" is ""), false otherwise;
- "quote": a short verbatim passage of the text that supports the value, copied exactly;
- "page": the page number shown in brackets before that passage ([page 0] is the title and abstract).
Never guess: a value the text does not state is not reported.`

export interface ExtractionPromptInput {
  /** A template with the extraction placeholders ({{question}}, {{fields}}, {{title}}, {{abstract}}, {{text}}). */
  template: string
  question: string
  title: string
  abstract: string
  fields: GridField[]
  passages: TextPage[]
}

/** The prompt of one group of fields: the template filled with the passages (each marked with its page), the rules, and the JSON Schema as `format`. */
export function extractionPrompt(input: ExtractionPromptInput): { system: string; prompt: string; format: Record<string, unknown> } {
  const text = input.passages.map((p) => `[page ${p.page}]\n${p.text}`).join('\n\n')
  const prompt = renderTemplate(input.template, {
    question: input.question.trim() || '(no review question given)',
    fields: input.fields.map(describeField).join('\n'),
    title: input.title.trim() || '(no title)',
    abstract: input.abstract.trim() || '(no abstract available)',
    text: text || '(no text available)'
  })
  return {
    system: 'You extract data from scientific studies for a systematic review, accurately and only from the text given.',
    prompt: `${prompt}\n\n${EXTRACTION_RULES}`,
    format: extractionJsonSchema(input.fields)
  }
}

export class ExtractionJsonError extends Error {
  override name = 'ExtractionJsonError'
}

/** The model's text as a JSON object (a fenced block accepted), or ExtractionJsonError. */
export function parseModelJson(raw: string): Record<string, unknown> {
  const text = raw.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ExtractionJsonError(`the model's answer is not valid JSON: ${(error as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ExtractionJsonError('the model\'s answer is not a JSON object')
  return value as Record<string, unknown>
}

interface ModelEntry { value?: unknown; not_reported?: boolean; quote?: string; page?: number }

const MAX_QUOTE = 2000

/**
 * The model's answer as extraction values: "not reported" kept explicit, a
 * value of the wrong type kept aside as `invalidValue` with its `problem`
 * (`value` left empty, so it is never taken for a valid one) and reported,
 * each quote looked up in the text (`page` from where it was found;
 * `quoteUnverified` when it was not). Fields the answer lacks are reported.
 */
export function readModelAnswer(grid: Grid, answer: Record<string, unknown>, pages: TextPage[], fields: GridField[] = gridFields(grid)): { values: ExtractionValues; problems: string[] } {
  const values: ExtractionValues = {}
  const problems: string[] = []
  for (const field of fields) {
    const entry = answer[field.key] as ModelEntry | undefined
    if (!entry || typeof entry !== 'object') { problems.push(`${field.key}: missing from the model's answer`); continue }
    const empty = entry.value === null || entry.value === undefined || entry.value === '' || (Array.isArray(entry.value) && entry.value.length === 0)
    if (entry.not_reported || empty) { values[field.key] = { value: null, notReported: true }; continue }
    const quote = typeof entry.quote === 'string' ? entry.quote.trim().slice(0, MAX_QUOTE) : ''
    const page = quote ? findQuote(quote, pages) : null
    const support = { ...(quote ? { quote } : {}), ...(page !== null ? { page } : quote ? { quoteUnverified: true } : {}) }
    const typeProblems = valueProblems(grid, { [field.key]: { value: entry.value } }, false)
    if (typeProblems.length) {
      const problem = typeProblems.map((p) => `${p.field}: ${p.message}`).join('; ')
      problems.push(`${field.key}: the model's value ${JSON.stringify(entry.value).slice(0, 100)} does not fit the field's type (${problem})`)
      values[field.key] = { value: null, invalidValue: entry.value, problem, ...support }
      continue
    }
    values[field.key] = { value: entry.value, ...support }
  }
  return { values, problems }
}
