/**
 * What LLM extraction needs from a grid, without the model or the database:
 * the JSON Schema of the structured answer (every field with its value, an
 * explicit "not reported", a verbatim quote and its page), the passages of a
 * long text relevant to a group of fields (lexical overlap, not truncation),
 * and the reading of an answer into extraction values, each quote verified
 * against the text and each value checked against its field's type.
 */
import { findQuote, selectPassages as selectRelevant, type TextPage } from '../llm/passages.ts'
import { gridFields, valueProblems, type ExtractionValues, type Grid, type GridColumn, type GridField } from './grid.ts'

export { findQuote, type TextPage }

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

/**
 * The passages most relevant to the fields by word overlap with their labels,
 * descriptions and choices (src/llm/passages.ts), up to `budget` characters.
 */
export function selectPassages(pages: TextPage[], fields: GridField[], budget = 6000, size = 800): TextPage[] {
  const query = fields.flatMap((f) => [f.label.replace(/_/g, ' '), f.description ?? '', ...(f.choices ?? []), ...(f.columns ?? []).map((c) => c.label)]).join(' ')
  return selectRelevant(pages, query, budget, size)
}

interface ModelEntry { value?: unknown; not_reported?: boolean; quote?: string; page?: number }

/**
 * The model's answer as extraction values: "not reported" kept explicit, a
 * value of the wrong type dropped (and reported), each quote looked up in the
 * text (`page` from where it was found; `quoteUnverified` when it was not).
 */
export function readModelAnswer(grid: Grid, answer: Record<string, unknown>, pages: TextPage[]): { values: ExtractionValues; problems: string[] } {
  const values: ExtractionValues = {}
  const problems: string[] = []
  for (const field of gridFields(grid)) {
    const entry = answer[field.key] as ModelEntry | undefined
    if (!entry || typeof entry !== 'object') continue
    const empty = entry.value === null || entry.value === undefined || entry.value === ''
    if (entry.not_reported || empty) { values[field.key] = { value: null, notReported: true }; continue }
    if (valueProblems(grid, { [field.key]: { value: entry.value } }, false).length) {
      problems.push(`${field.key}: the model's value ${JSON.stringify(entry.value).slice(0, 100)} does not fit the field's type`)
      continue
    }
    const quote = typeof entry.quote === 'string' ? entry.quote.trim() : ''
    const page = quote ? findQuote(quote, pages) : null
    values[field.key] = { value: entry.value, ...(quote ? { quote } : {}), ...(page !== null ? { page } : quote ? { quoteUnverified: true } : {}) }
  }
  return { values, problems }
}
