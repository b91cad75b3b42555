/**
 * Extraction grids as data: the rich format (sections of typed fields), the
 * original AnalyLit's simple format (`{ name, fields: ["Field", …] }`) read
 * into it, the validation of a grid and of a set of extracted values against
 * it, and the flattening of values into table cells for exports.
 *
 * Nothing here knows the database or HTTP: problems are returned (or thrown
 * as `Invalid`) naming the field they are about.
 */
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Invalid } from '../errors.ts'

export const FIELD_TYPES = ['text', 'long_text', 'integer', 'number', 'boolean', 'single_choice', 'multiple_choice', 'date', 'rows'] as const
export type FieldType = typeof FIELD_TYPES[number]
/** Field types whose values are categories: agreement on them is also measured by Cohen's kappa. */
export const CATEGORICAL_TYPES: ReadonlySet<FieldType> = new Set(['boolean', 'single_choice'])

const KEY_PATTERN = '^[a-z][a-z0-9_]{0,63}$'

const fieldProperties = {
  key: Type.Optional(Type.String({ pattern: KEY_PATTERN, description: 'stable identifier (derived from the label when absent)', examples: ['sample_size'] })),
  label: Type.String({ minLength: 1, maxLength: 200, examples: ['Sample size'] }),
  type: Type.Optional(Type.Union(FIELD_TYPES.map((t) => Type.Literal(t)), { description: 'default text' })),
  required: Type.Optional(Type.Boolean({ description: 'must have a value (or be marked not reported) to complete an extraction' })),
  description: Type.Optional(Type.String({ maxLength: 5000, description: 'instructions for the extractor' })),
  unit: Type.Optional(Type.String({ maxLength: 50, description: 'number fields: the unit of the value' })),
  choices: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 200, description: 'single_choice and multiple_choice fields: the allowed values' }))
}
/** A column of a `rows` field: any field type but `rows`. */
export const GridColumnInput = Type.Object({
  ...fieldProperties,
  type: Type.Optional(Type.Union(FIELD_TYPES.filter((t) => t !== 'rows').map((t) => Type.Literal(t)), { description: 'default text' }))
}, { additionalProperties: false })
export const GridFieldInput = Type.Object({
  ...fieldProperties,
  columns: Type.Optional(Type.Array(GridColumnInput, { minItems: 1, maxItems: 50, description: 'rows fields: the columns of each row (e.g. arm, n, mean, sd)' }))
}, { additionalProperties: false })
export const GridSectionInput = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200, examples: ['Study'] }),
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  fields: Type.Array(GridFieldInput, { minItems: 1, maxItems: 500 })
}, { additionalProperties: false })
/** The rich format as written by a user (keys optional). */
export const GridInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, examples: ['Outcomes grid'] }),
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  sections: Type.Array(GridSectionInput, { minItems: 1, maxItems: 100 })
}, { additionalProperties: false })
export type GridInput = Static<typeof GridInput>

/** The original AnalyLit's format (and the seeded templates': fields as `{ name, type, description }`). */
export const SimpleGrid = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  fields: Type.Array(Type.Union([
    Type.String({ minLength: 1, maxLength: 200 }),
    Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), type: Type.Optional(Type.String()), description: Type.Optional(Type.String({ maxLength: 5000 })) })
  ]), { minItems: 1, maxItems: 500 })
})
export type SimpleGrid = Static<typeof SimpleGrid>

export interface GridColumn {
  key: string
  label: string
  type: Exclude<FieldType, 'rows'>
  required?: boolean
  description?: string
  unit?: string
  choices?: string[]
}
export interface GridField extends Omit<GridColumn, 'type'> {
  type: FieldType
  columns?: GridColumn[]
}
export interface GridSection { title: string; description?: string; fields: GridField[] }
/** A grid in its normal form: every field has its key. */
export interface Grid { name: string; description?: string; sections: GridSection[] }

/** One extracted value: the value itself (null when not reported), with its support. */
export interface FieldValue {
  value?: unknown
  /** The author's or model's explicit statement that the article does not report it. */
  notReported?: boolean
  /** A verbatim passage of the article supporting the value. */
  quote?: string
  /** The page of the quote (0: title and abstract). */
  page?: number
  /** LLM extraction: the quote was not found in the article's text. */
  quoteUnverified?: boolean
  /** LLM extraction: the model's value, which does not fit the field's type (`value` is then empty). */
  invalidValue?: unknown
  /** LLM extraction: why `invalidValue` was refused. */
  problem?: string
}
export type ExtractionValues = Record<string, FieldValue>

export interface Problem { field: string; message: string }

/** A stable key from a label: ASCII lower case, words joined by underscores ("Année" → "annee", "DOI/PMID" → "doi_pmid"). */
export function keyFromLabel(label: string): string {
  const key = label.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 60).replace(/_+$/, '')
  if (key === '') return 'field'
  return /^[a-z]/.test(key) ? key : `f_${key}`.slice(0, 60)
}

/** Unique keys: a label whose key is taken gets `_2`, `_3`…, so keys depend only on the order of the labels. */
function uniqueKey(wanted: string, taken: Set<string>): string {
  let key = wanted
  for (let n = 2; taken.has(key); n++) key = `${wanted}_${n}`
  taken.add(key)
  return key
}

const isSimple = (input: unknown): input is SimpleGrid => typeof input === 'object' && input !== null && Array.isArray((input as { fields?: unknown }).fields) && !('sections' in input)

/** Reads the simple format into the rich one: one section, text fields (long text for the seeded templates' `long_text`). */
export function fromSimple(simple: SimpleGrid): Grid {
  const taken = new Set<string>()
  const fields = simple.fields.map((f): GridField => {
    const label = typeof f === 'string' ? f : f.name
    const type = typeof f === 'object' && (FIELD_TYPES as readonly string[]).includes(f.type ?? '') && f.type !== 'rows' ? f.type as FieldType : 'text'
    const description = typeof f === 'object' && f.description ? f.description : undefined
    return { key: uniqueKey(keyFromLabel(label), taken), label, type, ...(description ? { description } : {}) }
  })
  return { name: simple.name, sections: [{ title: simple.name, fields }] }
}

function schemaProblems(schema: typeof GridInput | typeof SimpleGrid, input: unknown): Problem[] {
  return [...Value.Errors(schema, input)].slice(0, 20).map((e) => ({ field: e.path.replace(/^\//, '').replace(/\//g, '.') || 'grid', message: e.message }))
}

type FieldInput = Omit<GridField, 'key' | 'type' | 'columns'> & { key?: string; type?: FieldType; columns?: FieldInput[] }

function normaliseField(input: FieldInput, taken: Set<string>, path: string, problems: Problem[]): GridField {
  const field = { ...input, type: input.type ?? 'text' }
  const key = field.key ?? keyFromLabel(field.label)
  if (field.key !== undefined && taken.has(key)) problems.push({ field: `${path}.key`, message: `key "${key}" is used twice` })
  const out: GridField = { ...field, columns: undefined, key: field.key !== undefined ? (taken.add(key), key) : uniqueKey(key, taken) }
  delete out.columns
  const choiceType = field.type === 'single_choice' || field.type === 'multiple_choice'
  if (choiceType) {
    if (!field.choices || field.choices.length === 0) problems.push({ field: `${path}.choices`, message: `a ${field.type} field needs at least one choice` })
    else if (new Set(field.choices).size !== field.choices.length) problems.push({ field: `${path}.choices`, message: 'choices must be distinct' })
  } else if (field.choices !== undefined) problems.push({ field: `${path}.choices`, message: `a ${field.type} field has no choices` })
  if (field.unit !== undefined && field.type !== 'number' && field.type !== 'integer') problems.push({ field: `${path}.unit`, message: 'only number and integer fields have a unit' })
  const columns = field.columns
  if (field.type === 'rows') {
    if (!columns?.length) problems.push({ field: `${path}.columns`, message: 'a rows field needs columns' })
    else {
      const columnKeys = new Set<string>()
      out.columns = columns.map((c, i) => normaliseField(c, columnKeys, `${path}.columns.${i}`, problems) as GridColumn)
    }
  } else if (columns !== undefined) problems.push({ field: `${path}.columns`, message: 'only rows fields have columns' })
  return out
}

/**
 * A grid in its normal form from either format, or the problems found (schema
 * errors, duplicate keys, choice fields without choices, rows without columns…).
 */
export function checkGrid(input: unknown): { grid: Grid; problems: [] } | { grid?: undefined; problems: Problem[] } {
  if (isSimple(input)) {
    const problems = schemaProblems(SimpleGrid, input)
    return problems.length ? { problems } : { grid: fromSimple(input), problems: [] }
  }
  const structural = schemaProblems(GridInput, input)
  if (structural.length) return { problems: structural }
  const rich = input as GridInput
  const problems: Problem[] = []
  const taken = new Set<string>()
  const sections = rich.sections.map((s, i) => ({
    ...s, fields: s.fields.map((f, j) => normaliseField(f, taken, `sections.${i}.fields.${j}`, problems))
  }))
  return problems.length ? { problems } : { grid: { ...rich, sections }, problems: [] }
}

/** Throws Invalid listing the problems. */
export function problemsError(problems: Problem[], prefix: string): Invalid {
  const text = problems.slice(0, 10).map((p) => `${p.field}: ${p.message}`).join('; ')
  return new Invalid(`${text}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''}`, `${prefix}${problems[0].field === 'grid' ? '' : `.${problems[0].field}`}`)
}

export function parseGrid(input: unknown): Grid {
  const result = checkGrid(input)
  if (!result.grid) throw problemsError(result.problems, 'grid')
  return result.grid
}

export function gridFields(grid: Grid): GridField[] {
  return grid.sections.flatMap((s) => s.fields)
}

const DATE = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/

/** The problem with one scalar value of a field, or undefined. */
function scalarProblem(field: GridColumn | GridField, value: unknown): string | undefined {
  switch (field.type) {
    case 'text': case 'long_text':
      return typeof value === 'string' ? (value.length > 100_000 ? 'is longer than 100000 characters' : undefined) : 'must be a string'
    case 'integer':
      return Number.isInteger(value) ? undefined : 'must be an integer'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number'
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false'
    case 'date':
      return typeof value === 'string' && DATE.test(value) ? undefined : 'must be a date YYYY, YYYY-MM or YYYY-MM-DD'
    case 'single_choice':
      return typeof value === 'string' && field.choices?.includes(value) ? undefined : `must be one of ${JSON.stringify(field.choices)}`
    case 'multiple_choice':
      return Array.isArray(value) && value.every((v) => typeof v === 'string' && field.choices?.includes(v)) && new Set(value).size === value.length
        ? undefined : `must be a list of distinct values among ${JSON.stringify(field.choices)}`
    default:
      return undefined
  }
}

const isEmpty = (value: unknown) => value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)

/**
 * Problems of a set of values against a grid: unknown keys, values of the
 * wrong type (a `rows` value is a list of objects keyed by column), and, when
 * `complete`, required fields with neither a value nor `notReported`.
 */
export function valueProblems(grid: Grid, values: ExtractionValues, complete: boolean): Problem[] {
  const problems: Problem[] = []
  const fields = new Map(gridFields(grid).map((f) => [f.key, f]))
  for (const [key, entry] of Object.entries(values)) {
    const field = fields.get(key)
    if (!field) { problems.push({ field: key, message: 'is not a field of the grid' }); continue }
    if (entry.notReported && !isEmpty(entry.value)) problems.push({ field: key, message: 'is marked not reported but has a value' })
    if (isEmpty(entry.value)) continue
    if (field.type !== 'rows') {
      const problem = scalarProblem(field, entry.value)
      if (problem) problems.push({ field: key, message: problem })
      continue
    }
    if (!Array.isArray(entry.value)) { problems.push({ field: key, message: 'must be a list of rows' }); continue }
    const columns = new Map((field.columns ?? []).map((c) => [c.key, c]))
    entry.value.forEach((row: unknown, i) => {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) { problems.push({ field: `${key}.${i}`, message: 'must be an object keyed by column' }); return }
      for (const [column, cell] of Object.entries(row)) {
        const c = columns.get(column)
        const problem = c ? (isEmpty(cell) ? undefined : scalarProblem(c, cell)) : 'is not a column of the field'
        if (problem) problems.push({ field: `${key}.${i}.${column}`, message: problem })
      }
    })
  }
  if (complete) {
    for (const field of fields.values()) {
      const entry = values[field.key]
      if (field.required && (!entry || (isEmpty(entry.value) && !entry.notReported))) problems.push({ field: field.key, message: 'is required: give a value or mark it not reported' })
    }
  }
  return problems
}

/** Canonical form of a value for comparisons: texts trimmed, case and spacing folded; lists as sets. */
export function comparable(field: GridField, entry: FieldValue | undefined): string {
  if (!entry || isEmpty(entry.value)) return entry?.notReported ? 'NR' : ''
  const fold = (v: unknown): unknown => (typeof v === 'string' ? v.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase() : v)
  if (field.type === 'multiple_choice' && Array.isArray(entry.value)) return JSON.stringify([...entry.value].sort())
  if (field.type === 'rows' && Array.isArray(entry.value)) {
    return JSON.stringify(entry.value.map((row: Record<string, unknown>) => Object.keys(row).sort().filter((k) => !isEmpty(row[k])).map((k) => [k, fold(row[k])])))
  }
  return JSON.stringify(fold(entry.value))
}

/** Text of a scalar value in a table cell. */
function cellText(value: unknown): string {
  if (isEmpty(value)) return ''
  if (Array.isArray(value)) return value.join('; ')
  return String(value)
}

/**
 * Table columns of a grid: one per field, except a `rows` field which gives
 * one column per column (`outcomes.arm`, `outcomes.n`…) holding the rows'
 * values in row order, separated by " | ".
 */
export function tableColumns(grid: Grid): { header: string; cell: (values: ExtractionValues) => string }[] {
  return gridFields(grid).flatMap((field) => {
    if (field.type !== 'rows') {
      return [{ header: field.key, cell: (values: ExtractionValues) => (values[field.key]?.notReported ? 'NR' : cellText(values[field.key]?.value)) }]
    }
    return (field.columns ?? []).map((c) => ({
      header: `${field.key}.${c.key}`,
      cell: (values: ExtractionValues) => {
        const entry = values[field.key]
        if (entry?.notReported) return 'NR'
        return Array.isArray(entry?.value) ? entry.value.map((row: Record<string, unknown>) => cellText(row[c.key])).join(' | ') : ''
      }
    }))
  })
}
