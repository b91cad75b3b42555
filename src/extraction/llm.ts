/**
 * What LLM extraction needs from a grid, without the model or the database:
 * the JSON Schema of the structured answer (every field with its value, an
 * explicit "not reported", a verbatim quote and its page), the passages of a
 * long text relevant to a group of fields (lexical overlap, not truncation),
 * and the reading of an answer into extraction values, each quote verified
 * against the text and each value checked against its field's type.
 */
import { gridFields, valueProblems, type ExtractionValues, type Grid, type GridColumn, type GridField } from './grid.ts'

export interface TextPage { page: number; text: string }

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

const fold = (text: string) => text.normalize('NFKC').replace(/-\s*\n\s*/g, '').replace(/\s+/g, ' ').trim().toLowerCase()

/** The page where the quote occurs (spacing, case and end-of-line hyphenation folded), or null. */
export function findQuote(quote: string, pages: TextPage[]): number | null {
  const wanted = fold(quote)
  if (wanted.length === 0) return null
  for (const p of pages) if (fold(p.text).includes(wanted)) return p.page
  return null
}

const words = (text: string) => new Set(fold(text).split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 2))

/**
 * The passages (paragraphs, or ~`size`-character pieces of long ones) most
 * relevant to the fields by word overlap with their labels, descriptions and
 * choices, up to `budget` characters, in the text's order.
 */
export function selectPassages(pages: TextPage[], fields: GridField[], budget = 6000, size = 800): TextPage[] {
  const terms = words(fields.flatMap((f) => [f.label.replace(/_/g, ' '), f.description ?? '', ...(f.choices ?? []), ...(f.columns ?? []).map((c) => c.label)]).join(' '))
  const passages: Array<TextPage & { order: number; score: number }> = []
  for (const p of pages) {
    for (const paragraph of p.text.split(/\n\s*\n/)) {
      for (let i = 0; i < paragraph.length; i += size) {
        const text = paragraph.slice(i, i + size).trim()
        if (!text) continue
        const own = words(text)
        let score = 0
        for (const w of own) if (terms.has(w)) score++
        passages.push({ page: p.page, text, order: passages.length, score: score / Math.sqrt(own.size + 1) })
      }
    }
  }
  const chosen: typeof passages = []
  let used = 0
  for (const p of [...passages].sort((a, b) => b.score - a.score || a.order - b.order)) {
    if (used + p.text.length > budget) continue
    chosen.push(p)
    used += p.text.length
  }
  return chosen.sort((a, b) => a.order - b.order).map(({ page, text }) => ({ page, text }))
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
