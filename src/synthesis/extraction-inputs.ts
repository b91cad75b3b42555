/**
 * Meta-analysis input rows built from extracted data: a mapping names, for
 * each number of the input kind (events1…total2, mean1…n2, yi/se or
 * lower/upper), where it is in an article's extraction — a field of the grid
 * (`"events_intervention"`), or a column of a `rows` field picked by the values
 * of other columns (`{ rows: "outcomes", column: "events", where: { outcome:
 * "mortality", arm: "intervention" } }`), which covers both layouts of an
 * outcome table: one row per outcome with a column per arm, or one row per
 * outcome and arm. An optional `group` field gives the subgroup.
 *
 * Each article either gives a complete row or is excluded with the reason
 * (value missing, "not reported", not a number, no or several matching rows,
 * impossible numbers): nothing is dropped silently.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { ExtractionValues, FieldValue, Grid } from '../extraction/grid.ts'
import { gridFields } from '../extraction/grid.ts'

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()])
export const FieldSource = Type.Union([
  Type.String({ minLength: 1, description: 'the key of a field of the grid' }),
  Type.Object({
    rows: Type.String({ minLength: 1, description: 'the key of a rows field (e.g. outcomes × arms)' }),
    column: Type.String({ minLength: 1, description: 'the column holding the number' }),
    where: Type.Optional(Type.Record(Type.String(), Scalar, { description: 'the row whose columns have these values (exactly one row must match)' }))
  }, { additionalProperties: false })
])
export type FieldSource = Static<typeof FieldSource>

export const NUMBER_COLUMNS = {
  binary: ['events1', 'total1', 'events2', 'total2'],
  continuous: ['mean1', 'sd1', 'n1', 'mean2', 'sd2', 'n2'],
  generic: ['yi', 'se', 'lower', 'upper']
} as const
type Kind = keyof typeof NUMBER_COLUMNS
type NumberColumn = typeof NUMBER_COLUMNS[Kind][number]

export const ExtractionMapping = Type.Object({
  source: Type.Literal('extraction'),
  gridId: Type.String({ format: 'uuid' }),
  fields: Type.Record(Type.String(), FieldSource, { description: 'input column (events1, total1, …; mean1, sd1, n1, …; yi with se, or lower and upper) → where its number is' }),
  group: Type.Optional(FieldSource),
  /** Confidence level of lower/upper (generic input), 0.95 unless said. */
  ciLevel: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }))
}, {
  additionalProperties: false,
  description: 'build the rows from the consensus extraction of the included studies instead of giving them: { source: "extraction", gridId, fields: { events1: "<field key>" | { rows, column, where }, … }, group? }'
})
export type ExtractionMapping = Static<typeof ExtractionMapping>

export interface SourceArticle { articleId: string; label: string; values: ExtractionValues | null }
export interface ResolvedRow { label: string; articleId: string; group?: string; [column: string]: string | number | undefined }
export interface ExcludedArticle { articleId: string; label: string; reason: string }

/** Problems of a mapping against a grid and kind, before any article is read; each names the mapping's field. */
export function mappingProblems(mapping: ExtractionMapping, kind: Kind, grid: Grid): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = []
  const fields = new Map(gridFields(grid).map((f) => [f.key, f]))
  const allowed: readonly string[] = NUMBER_COLUMNS[kind]
  for (const column of Object.keys(mapping.fields)) {
    if (!allowed.includes(column)) problems.push({ field: `inputs.fields.${column}`, message: `${column} is not an input of ${kind} analyses (${allowed.join(', ')})` })
  }
  const given = new Set(Object.keys(mapping.fields))
  const required = kind === 'generic' ? (given.has('se') ? ['yi', 'se'] : ['yi', 'lower', 'upper']) : allowed
  for (const column of required) if (!given.has(column)) problems.push({ field: `inputs.fields.${column}`, message: `${kind} input needs ${column}${kind === 'generic' ? ' (yi with se, or yi with lower and upper)' : ''}` })
  const check = (where: string, source: FieldSource) => {
    if (typeof source === 'string') {
      const field = fields.get(source)
      if (!field) problems.push({ field: where, message: `the grid has no field "${source}"` })
      else if (field.type === 'rows') problems.push({ field: where, message: `"${source}" is a rows field: name its column ({ "rows": "${source}", "column": …, "where": … })` })
      return
    }
    const field = fields.get(source.rows)
    if (!field || field.type !== 'rows') { problems.push({ field: where, message: `the grid has no rows field "${source.rows}"` }); return }
    const columns = new Set(field.columns?.map((c) => c.key))
    for (const c of [source.column, ...Object.keys(source.where ?? {})]) if (!columns.has(c)) problems.push({ field: where, message: `rows field "${source.rows}" has no column "${c}"` })
  }
  for (const [column, source] of Object.entries(mapping.fields)) check(`inputs.fields.${column}`, source)
  if (mapping.group) check('inputs.group', mapping.group)
  return problems
}

const describe = (source: FieldSource) => typeof source === 'string'
  ? `field "${source}"`
  : `${source.rows}.${source.column}${source.where ? ` where ${Object.entries(source.where).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')}` : ''}`

const same = (a: unknown, b: string | number | boolean) => typeof a === 'string' && typeof b === 'string'
  ? a.trim().toLowerCase() === b.trim().toLowerCase()
  : a === b || String(a) === String(b)

/** The raw value a source points at in one article's values, or the reason there is none. */
function lookUp(values: ExtractionValues, source: FieldSource): { value: unknown } | { reason: string } {
  if (typeof source === 'string') {
    const entry: FieldValue | undefined = values[source]
    if (!entry || entry.value === undefined || entry.value === null || entry.value === '') return { reason: entry?.notReported ? `${describe(source)} is marked not reported` : `${describe(source)} has no value` }
    return { value: entry.value }
  }
  const entry = values[source.rows]
  const rows = Array.isArray(entry?.value) ? entry.value as Array<Record<string, unknown>> : []
  if (rows.length === 0) return { reason: entry?.notReported ? `${source.rows} is marked not reported` : `${source.rows} has no rows` }
  const matching = rows.filter((row) => Object.entries(source.where ?? {}).every(([k, v]) => same(row?.[k], v)))
  if (matching.length !== 1) return { reason: `${describe(source)}: ${matching.length === 0 ? 'no row matches' : `${matching.length} rows match`}` }
  const value = matching[0][source.column]
  if (value === undefined || value === null || value === '') return { reason: `${describe(source)} has no value` }
  return { value }
}

/** A number from a number, or from a text such as "12", "0,25" or "−1.3". */
function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string') return undefined
  const text = value.trim().replace(/^[−–]/, '-').replace(/^(-?\d+),(\d+)$/, '$1.$2')
  if (!/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) return undefined
  return Number(text)
}

/** What makes a complete row impossible to analyse (events above the total, a non-positive size…), or undefined. */
function rowProblem(kind: Kind, row: Record<string, number | undefined>): string | undefined {
  const n = (c: NumberColumn) => row[c] as number
  if (kind === 'binary') {
    for (const c of NUMBER_COLUMNS.binary) if (n(c) < 0 || !Number.isInteger(n(c))) return `${c} (${n(c)}) is not a count`
    if (n('total1') === 0 || n('total2') === 0) return 'an arm has no participants'
    if (n('events1') > n('total1')) return `events1 (${n('events1')}) exceeds total1 (${n('total1')})`
    if (n('events2') > n('total2')) return `events2 (${n('events2')}) exceeds total2 (${n('total2')})`
  } else if (kind === 'continuous') {
    for (const c of ['sd1', 'sd2'] as const) if (n(c) < 0) return `${c} (${n(c)}) is negative`
    for (const c of ['n1', 'n2'] as const) if (!(n(c) >= 1) || !Number.isInteger(n(c))) return `${c} (${n(c)}) is not a group size`
  } else {
    if (row.se !== undefined && !(n('se') > 0)) return `se (${n('se')}) is not positive`
    if (row.lower !== undefined && !(n('lower') < n('upper'))) return `lower (${n('lower')}) is not below upper (${n('upper')})`
  }
  return undefined
}

/**
 * The input rows of the articles (in the order given) and the articles
 * excluded with their reason. `values` null means the article has no
 * consensus extraction with the grid.
 */
export function resolveRows(kind: Kind, mapping: ExtractionMapping, articles: SourceArticle[]): { rows: ResolvedRow[]; excluded: ExcludedArticle[] } {
  const rows: ResolvedRow[] = []
  const excluded: ExcludedArticle[] = []
  for (const article of articles) {
    const exclude = (reason: string) => excluded.push({ articleId: article.articleId, label: article.label, reason })
    if (!article.values) { exclude('no consensus extraction with this grid'); continue }
    const numbers: Record<string, number | undefined> = {}
    const reasons: string[] = []
    for (const [column, source] of Object.entries(mapping.fields)) {
      const found = lookUp(article.values, source)
      if ('reason' in found) { reasons.push(`${column}: ${found.reason}`); continue }
      const value = asNumber(found.value)
      if (value === undefined) reasons.push(`${column}: ${describe(source)} is ${JSON.stringify(found.value).slice(0, 60)}, not a number`)
      else numbers[column] = value
    }
    if (reasons.length) { exclude(reasons.join('; ')); continue }
    const problem = rowProblem(kind, numbers)
    if (problem) { exclude(problem); continue }
    let group: string | undefined
    if (mapping.group) {
      const found = lookUp(article.values, mapping.group)
      if ('reason' in found) { exclude(`group: ${found.reason}`); continue }
      group = Array.isArray(found.value) ? found.value.join('; ') : String(found.value)
    }
    rows.push({
      label: article.label, articleId: article.articleId, ...(group ? { group } : {}), ...numbers,
      ...(kind === 'generic' && numbers.lower !== undefined && mapping.ciLevel !== undefined ? { ciLevel: mapping.ciLevel } : {})
    })
  }
  return { rows, excluded }
}
