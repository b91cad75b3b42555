/**
 * Stored meta-analyses of a project: the input table and options as given,
 * and the result computed from them (src/synthesis/meta-analysis). Every write
 * computes the result again, so a stored result is always the one its input
 * and options give with the library version recorded beside it.
 *
 * Input rows are plain named numbers (events1…total2, mean1…n2, yi/se or
 * lower/upper) with a label, an optional article id and subgroup: fields
 * extracted per study map onto them one to one.
 */
import { and, desc, eq, inArray } from 'drizzle-orm'
import { parse as parseCsv } from 'csv-parse/sync'
import type { Database } from '../db/index.ts'
import { articles, extractionConsensus, metaAnalyses } from '../db/schema.ts'
import { DomainError, Invalid, NotFound, TooLarge, Unsupported } from '../errors.ts'
import type {
  AnalysisBodyValue, AnalysisOptionsValue, AnalysisPatchValue, AnalysisSummaryValue, AnalysisValue, InputRowValue
} from '../http/schemas/meta-analysis.ts'
import { DEFAULT_IMPORT_LIMITS } from '../references/limits.ts'
import { readFirstSheet } from '../references/formats/xlsx-reader.ts'
import { metaAnalysis, type MetaAnalysisInput, type MetaAnalysisResult, type StudyInput } from '../synthesis/meta-analysis/index.ts'
import { forestPlotSvg, funnelPlotSvg } from '../synthesis/meta-analysis/plots.ts'
import { svgToPdf, svgToPng } from '../reporting/render.ts'
import { mappingProblems, resolveRows, type ExcludedArticle, type ExtractionMapping } from '../synthesis/extraction-inputs.ts'
import { studyLabel } from '../synthesis/citations.ts'
import { getGrid } from './extraction.ts'
import { includedStudies } from './included-studies.ts'
import type { UploadPart } from './imports.ts'

/** Bumped whenever the domain module's results change, so that a stored result names the code that computed it. */
export const META_ANALYSIS_LIBRARY_VERSION = 'analylit-meta-analysis 1.0 (checked against metafor 3.8-1)'
/** Leave-one-out is k fits of k − 1 studies: asked for explicitly, it is allowed up to this many studies. */
const LEAVE_ONE_OUT_MAX = 2000

type Kind = MetaAnalysisInput['kind']
const COLUMNS: Record<Kind, Array<keyof InputRowValue>> = {
  binary: ['events1', 'total1', 'events2', 'total2'],
  continuous: ['mean1', 'sd1', 'n1', 'mean2', 'sd2', 'n2'],
  generic: ['yi', 'se', 'lower', 'upper', 'ciLevel']
}
const REQUIRED: Record<Kind, Array<keyof InputRowValue>> = { binary: COLUMNS.binary, continuous: COLUMNS.continuous, generic: [] }
const MEASURES: Record<Kind, string[]> = { binary: ['OR', 'RR', 'RD'], continuous: ['MD', 'SMD'], generic: ['GEN'] }
const RANDOM_EFFECTS = new Set(['DL', 'REML', 'PM'])

interface Definition { name: string, kind: Kind, measure: string, options: AnalysisOptionsValue, rows: InputRowValue[] }

const rowName = (rows: InputRowValue[], i: number) => `rows[${i}] ("${rows[i]?.label ?? ''}")`

/** Checks the definition and computes its result; errors name the row and column, or the option. */
export function computeAnalysis(def: Definition): MetaAnalysisResult {
  const { kind, measure, options, rows } = def
  if (!MEASURES[kind].includes(measure)) throw new Invalid(`measure ${measure} does not apply to ${kind} input (use ${MEASURES[kind].join(', ')})`, 'measure')
  if ((options.method === 'MH' || options.method === 'PETO') && kind !== 'binary') throw new Invalid(`method ${options.method} pools 2×2 tables only (binary input)`, 'method')
  if (options.ratioScale && kind !== 'generic') throw new Invalid('ratioScale applies to generic input only', 'ratioScale')
  if (rows.length === 1 && RANDOM_EFFECTS.has(options.method)) throw new Invalid(`with one study there is no heterogeneity to estimate: use method FE (k = 1, method ${options.method})`, 'method')
  if (rows.length === 1 && options.test === 'knha') throw new Invalid('the Knapp–Hartung adjustment needs at least 2 studies (k = 1)', 'test')
  if (options.leaveOneOut && rows.length > LEAVE_ONE_OUT_MAX) throw new Invalid(`leave-one-out is computed for at most ${LEAVE_ONE_OUT_MAX} studies (k = ${rows.length})`, 'leaveOneOut')
  const seen = new Map<string, number>()
  const studies = rows.map((row, i): StudyInput => {
    const first = seen.get(row.label)
    if (first !== undefined) throw new Invalid(`${rowName(rows, i)}: the label repeats rows[${first}]; each study needs its own label`, `rows[${i}].label`)
    seen.set(row.label, i)
    for (const column of REQUIRED[kind]) {
      if (row[column] === undefined) throw new Invalid(`${rowName(rows, i)}: column ${column} is missing (${kind} input needs ${REQUIRED[kind].join(', ')})`, `rows[${i}].${column}`)
    }
    for (const other of (Object.keys(COLUMNS) as Kind[]).filter((k) => k !== kind)) {
      const stray = COLUMNS[other].find((c) => row[c] !== undefined)
      if (stray) throw new Invalid(`${rowName(rows, i)}: column ${stray} is for ${other} input, not ${kind}`, `rows[${i}].${stray}`)
    }
    const numbers = Object.fromEntries(COLUMNS[kind].filter((c) => row[c] !== undefined).map((c) => [c === 'ciLevel' ? 'level' : c, row[c]]))
    return { id: row.label, label: row.label, ...(row.group ? { group: row.group } : {}), ...numbers } as StudyInput
  })
  try {
    return metaAnalysis({
      kind, measure: measure as MetaAnalysisInput['measure'], studies, method: options.method as MetaAnalysisInput['method'],
      ...(options.test ? { test: options.test } : {}), ...(options.level !== undefined ? { level: options.level } : {}),
      ...(options.ratioScale !== undefined ? { ratioScale: options.ratioScale } : {}), ...(options.leaveOneOut !== undefined ? { leaveOneOut: options.leaveOneOut } : {})
    })
  } catch (err) {
    // The domain module names studies[i]; the caller sent rows.
    if (err instanceof Invalid) {
      const rename = (text: string) => text.replace(/studies\[(\d+)\]/g, (_, i: string) => rowName(rows, Number(i)))
      throw new Invalid(rename(err.message), err.field?.replace(/^studies/, 'rows'))
    }
    throw err
  }
}

type Row = typeof metaAnalyses.$inferSelect

function summary(row: Row): AnalysisSummaryValue {
  const result = row.result as MetaAnalysisResult
  return {
    id: row.id, name: row.name, kind: row.inputKind, measure: row.measure, method: result.method, k: result.pooled.k,
    estimate: result.pooled.estimate, ciLb: result.pooled.ciLb, ciUb: result.pooled.ciUb, libraryVersion: row.libraryVersion,
    createdBy: row.createdBy, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString()
  }
}

function view(row: Row, include: { leaveOneOut?: boolean, smallStudyEffects?: boolean } = {}): AnalysisValue {
  const { leaveOneOut, smallStudyEffects, ...result } = row.result as MetaAnalysisResult
  return {
    ...summary(row), options: row.options as AnalysisValue['options'], rows: row.rows as InputRowValue[],
    extractionInputs: (row.extractionInputs ?? null) as AnalysisValue['extractionInputs'],
    result: { ...result, ...(include.leaveOneOut ? { leaveOneOut } : {}), ...(include.smallStudyEffects && smallStudyEffects ? { smallStudyEffects } : {}) }
  }
}

function options(body: Partial<AnalysisBodyValue>): AnalysisOptionsValue {
  const out: AnalysisOptionsValue = { method: body.method! }
  for (const key of ['test', 'level', 'ratioScale', 'leaveOneOut'] as const) if (body[key] !== undefined) Object.assign(out, { [key]: body[key] })
  return out
}

async function checkArticles(db: Database, projectId: string, rows: InputRowValue[]): Promise<void> {
  const ids = [...new Set(rows.map((r) => r.articleId).filter((id): id is string => Boolean(id)))]
  if (ids.length === 0) return
  const found = new Set((await db.select({ id: articles.id }).from(articles).where(and(eq(articles.projectId, projectId), inArray(articles.id, ids)))).map((r) => r.id))
  const i = rows.findIndex((r) => r.articleId && !found.has(r.articleId))
  if (i >= 0) throw new Invalid(`${rowName(rows, i)}: article ${rows[i].articleId} is not in this project`, `rows[${i}].articleId`)
}

export interface ExtractionInputs { mapping: ExtractionMapping; gridVersion: number; included: number; excluded: ExcludedArticle[]; resolvedAt: string }

/**
 * The input rows of a mapping from extraction fields: one per included study
 * whose consensus extraction with the grid gives every number; the others
 * listed as excluded with the reason. A mapping that does not fit the grid
 * (unknown field, a column the kind does not have) is refused, naming it;
 * so is a mapping that leaves no study.
 */
export async function rowsFromExtraction(db: Database, projectId: string, kind: Kind, mapping: ExtractionMapping): Promise<{ rows: InputRowValue[]; inputs: ExtractionInputs }> {
  const grid = await getGrid(db, projectId, mapping.gridId).catch((err: unknown) => {
    if (err instanceof NotFound) throw new NotFound('no such extraction grid in this project', 'inputs.gridId')
    throw err
  })
  const problems = mappingProblems(mapping, kind, grid.definition)
  if (problems.length) throw new Invalid(problems.slice(0, 10).map((p) => `${p.field}: ${p.message}`).join('; '), problems[0].field)
  const { studies } = await includedStudies(db, projectId)
  const consensus = new Map<string, Record<string, never>>()
  const ids = studies.map((s) => s.id)
  for (let i = 0; i < ids.length; i += 5000) {
    for (const c of await db.select({ articleId: extractionConsensus.articleId, values: extractionConsensus.values }).from(extractionConsensus)
      .where(and(eq(extractionConsensus.projectId, projectId), eq(extractionConsensus.gridId, grid.id), inArray(extractionConsensus.articleId, ids.slice(i, i + 5000))))) {
      consensus.set(c.articleId, c.values as Record<string, never>)
    }
  }
  const { rows, excluded } = resolveRows(kind, mapping, studies.map((s) => ({ articleId: s.id, label: studyLabel(s.key), values: consensus.get(s.id) ?? null })))
  const inputs: ExtractionInputs = { mapping, gridVersion: grid.currentVersion, included: studies.length, excluded, resolvedAt: new Date().toISOString() }
  if (rows.length === 0) {
    const why = studies.length === 0 ? 'the project has no included studies' : `none of the ${studies.length} included studies gives every number (${excluded.slice(0, 3).map((e) => `${e.label}: ${e.reason}`).join('; ')}${excluded.length > 3 ? '; …' : ''})`
    throw new Invalid(`no input rows from extraction: ${why}`, 'inputs')
  }
  return { rows: rows as InputRowValue[], inputs }
}

async function definitionRows(db: Database, projectId: string, kind: Kind, body: { rows?: InputRowValue[]; inputs?: ExtractionMapping }) {
  if (body.rows && body.inputs) throw new Invalid('give either rows or inputs (rows built from extraction), not both', 'inputs')
  if (body.inputs) return rowsFromExtraction(db, projectId, kind, body.inputs)
  if (!body.rows) throw new Invalid('rows is required (or inputs, to build the rows from extraction fields)', 'rows')
  return { rows: body.rows, inputs: null }
}

export async function createAnalysis(db: Database, projectId: string, userId: string, body: AnalysisBodyValue): Promise<AnalysisValue> {
  const { rows, inputs } = await definitionRows(db, projectId, body.kind, body)
  const def: Definition = { name: body.name, kind: body.kind, measure: body.measure, options: options(body), rows }
  const result = computeAnalysis(def)
  await checkArticles(db, projectId, rows)
  const [row] = await db.insert(metaAnalyses).values({
    projectId, name: def.name, inputKind: def.kind, measure: def.measure, options: def.options, rows: def.rows, result,
    extractionInputs: inputs, libraryVersion: META_ANALYSIS_LIBRARY_VERSION, createdBy: userId
  }).returning()
  return view(row)
}

export async function listAnalyses(db: Database, projectId: string): Promise<AnalysisSummaryValue[]> {
  const rows = await db.select().from(metaAnalyses).where(eq(metaAnalyses.projectId, projectId)).orderBy(desc(metaAnalyses.createdAt), desc(metaAnalyses.id))
  return rows.map(summary)
}

async function load(db: Database, projectId: string, analysisId: string): Promise<Row> {
  const [row] = await db.select().from(metaAnalyses).where(and(eq(metaAnalyses.projectId, projectId), eq(metaAnalyses.id, analysisId)))
  if (!row) throw new NotFound('no such analysis in this project', 'analysisId')
  return row
}

export async function getAnalysis(db: Database, projectId: string, analysisId: string, include: { leaveOneOut?: boolean, smallStudyEffects?: boolean } = {}): Promise<AnalysisValue> {
  return view(await load(db, projectId, analysisId), include)
}

/** Changes the name, input or options; the result is computed again from the whole new definition. */
export async function updateAnalysis(db: Database, projectId: string, analysisId: string, patch: AnalysisPatchValue): Promise<AnalysisValue> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(metaAnalyses).where(and(eq(metaAnalyses.projectId, projectId), eq(metaAnalyses.id, analysisId))).for('update')
    if (!current) throw new NotFound('no such analysis in this project', 'analysisId')
    const merged = { ...(current.options as AnalysisOptionsValue), ...patch }
    const kind = (patch.kind ?? current.inputKind) as Kind
    // New inputs (or the stored mapping again) rebuild the rows from the extraction as it is now; new rows replace a mapping.
    const rebuilt = patch.inputs || patch.rows ? await definitionRows(tx as unknown as Database, projectId, kind, patch) : undefined
    const def: Definition = {
      name: patch.name ?? current.name, kind, measure: patch.measure ?? current.measure,
      options: options(merged), rows: rebuilt?.rows ?? current.rows as InputRowValue[]
    }
    const result = computeAnalysis(def)
    if (patch.rows) await checkArticles(tx as unknown as Database, projectId, def.rows)
    const [row] = await tx.update(metaAnalyses).set({
      name: def.name, inputKind: def.kind, measure: def.measure, options: def.options, rows: def.rows, result,
      ...(rebuilt ? { extractionInputs: rebuilt.inputs } : {}),
      libraryVersion: META_ANALYSIS_LIBRARY_VERSION, updatedAt: new Date()
    }).where(eq(metaAnalyses.id, analysisId)).returning()
    return view(row)
  })
}

export async function deleteAnalysis(db: Database, projectId: string, analysisId: string): Promise<void> {
  const deleted = await db.delete(metaAnalyses).where(and(eq(metaAnalyses.projectId, projectId), eq(metaAnalyses.id, analysisId))).returning({ id: metaAnalyses.id })
  if (deleted.length === 0) throw new NotFound('no such analysis in this project', 'analysisId')
}

export type PlotFormat = 'svg' | 'png' | 'pdf'
export const PLOT_TYPES: Record<PlotFormat, string> = { svg: 'image/svg+xml', png: 'image/png', pdf: 'application/pdf' }

export async function analysisPlot(db: Database, projectId: string, analysisId: string, plot: 'forest' | 'funnel', format: PlotFormat): Promise<string | Buffer> {
  const row = await load(db, projectId, analysisId)
  const result = row.result as MetaAnalysisResult
  const svg = plot === 'forest' ? forestPlotSvg(result, { title: row.name }) : funnelPlotSvg(result, { title: row.name })
  return format === 'svg' ? svg : format === 'png' ? svgToPng(svg) : svgToPdf(svg)
}

// ---------------------------------------------------------------------------
// Uploaded tables

const ROW_COLUMNS = new Set<string>(['label', 'articleId', 'group', ...Object.values(COLUMNS).flat()])
const ALIASES: Record<string, string> = { study: 'label', subgroup: 'group', articleid: 'articleId', article_id: 'articleId', cilevel: 'ciLevel', ci_level: 'ciLevel' }

/** Reads an input table (header row, then one study a row) into input rows; errors name the file row and column. */
export async function readInputTable(fileName: string, data: Buffer): Promise<InputRowValue[]> {
  let table: Array<{ number: number, cells: string[] }>
  let delimiter = ','
  if (/\.xlsx$/i.test(fileName) || data.subarray(0, 2).toString('latin1') === 'PK') {
    table = []
    try {
      for await (const row of readFirstSheet({ text: () => { throw new Unsupported('XLSX is binary') }, async* bytes() { yield data } }, DEFAULT_IMPORT_LIMITS)) table.push(row)
    } catch (err) {
      if (err instanceof DomainError) throw err
      throw new Invalid(`the file is not a readable XLSX workbook: ${(err as Error).message}`, 'file')
    }
  } else {
    const text = data.toString('utf8').replace(/^\uFEFF/, '')
    const first = text.slice(0, text.indexOf('\n') >>> 0)
    delimiter = [';', '\t', ','].sort((a, b) => first.split(b).length - first.split(a).length)[0]
    try {
      table = (parseCsv(text, { delimiter, relax_column_count: true, skip_empty_lines: false }) as string[][]).map((cells, i) => ({ number: i + 1, cells }))
    } catch (err) {
      throw new Invalid(`the file is not readable CSV: ${(err as Error).message}`, 'file')
    }
  }
  table = table.filter((r) => r.cells.some((c) => c.trim() !== ''))
  const [header, ...body] = table
  if (!header) throw new Invalid('the table is empty: a header row and one row per study are needed', 'file')
  const columns = header.cells.map((cell) => {
    const name = cell.trim()
    const known = ROW_COLUMNS.has(name) ? name : ALIASES[name.toLowerCase()] ?? [...ROW_COLUMNS].find((c) => c.toLowerCase() === name.toLowerCase())
    if (!known && name !== '') throw new Invalid(`column "${name}" (row ${header.number}) is not one of: ${[...ROW_COLUMNS].join(', ')}`, 'file')
    return known
  })
  if (!columns.includes('label')) throw new Invalid('the header row has no "label" column (the study names)', 'file')
  if (body.length === 0) throw new Invalid('the table has a header row but no studies', 'file')
  if (body.length > 10000) throw new TooLarge(`at most 10000 studies (the table has ${body.length})`, 'file')
  return body.map(({ number, cells }) => {
    const row: Record<string, unknown> = {}
    columns.forEach((column, j) => {
      const cell = (cells[j] ?? '').trim()
      if (!column || cell === '') return
      if (column === 'label' || column === 'group') row[column] = cell
      else if (column === 'articleId') {
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(cell)) throw new Invalid(`row ${number}, column articleId: "${cell}" is not an article id`, 'file')
        row.articleId = cell.toLowerCase()
      } else {
        // A decimal comma ("0,25") in a semicolon- or tab-separated file, as European spreadsheets write them.
        const value = Number(cell.replace(/^−/, '-').replace(/^(-?\d+),(\d+)$/, delimiter === ',' ? '$1,$2' : '$1.$2'))
        if (!Number.isFinite(value)) throw new Invalid(`row ${number}, column ${column}: "${cell.slice(0, 50)}" is not a number`, 'file')
        row[column] = value
      }
    })
    if (!row.label) throw new Invalid(`row ${number}: the label is empty`, 'file')
    return row as InputRowValue
  })
}

const bool = (value: string | undefined, field: string): boolean | undefined => {
  if (value === undefined || value === '') return undefined
  if (value === 'true' || value === 'false') return value === 'true'
  throw new Invalid(`${field} must be "true" or "false"`, field)
}

/** A multipart upload: the table in the field "file", the definition in the other fields. */
export async function createAnalysisFromUpload(db: Database, projectId: string, userId: string, parts: AsyncIterable<UploadPart> | undefined, maxBytes: number): Promise<AnalysisValue> {
  if (!parts) throw new Unsupported('send the table as multipart/form-data in a field named "file"')
  const fields: Record<string, string> = {}
  let file: { name: string, data: Buffer } | undefined
  for await (const part of parts) {
    if (part.type === 'field') { fields[part.fieldname] = String(part.value).slice(0, 1000); continue }
    const chunks: Buffer[] = []
    for await (const chunk of part.file) chunks.push(chunk as Buffer)
    if (part.file.truncated) throw new TooLarge(`file is larger than the upload limit of ${maxBytes} bytes`, 'file')
    if (part.fieldname === 'file' && !file) file = { name: part.filename ?? '', data: Buffer.concat(chunks) }
  }
  if (!file) throw new Invalid('no file: send the table in a multipart field named "file"', 'file')
  const pick = <T extends string>(field: string, allowed: readonly T[], optional = false): T | undefined => {
    const value = fields[field]
    if ((value === undefined || value === '') && optional) return undefined
    if (!allowed.includes(value as T)) throw new Invalid(`${field} must be one of ${allowed.join(', ')}`, field)
    return value as T
  }
  const name = (fields.name ?? '').trim()
  if (!name) throw new Invalid('name is required', 'name')
  const level = fields.level ? Number(fields.level) : undefined
  if (level !== undefined && !(level >= 0.5 && level < 1)) throw new Invalid('level must be at least 0.5 and below 1', 'level')
  const body: AnalysisBodyValue = {
    name: name.slice(0, 200),
    kind: pick('kind', ['binary', 'continuous', 'generic'] as const)!,
    measure: pick('measure', ['OR', 'RR', 'RD', 'MD', 'SMD', 'GEN'] as const)!,
    method: pick('method', ['FE', 'DL', 'REML', 'PM', 'MH', 'PETO'] as const)!,
    ...(fields.test ? { test: pick('test', ['z', 'knha'] as const) } : {}),
    ...(level !== undefined ? { level } : {}),
    ...(bool(fields.ratioScale, 'ratioScale') !== undefined ? { ratioScale: bool(fields.ratioScale, 'ratioScale') } : {}),
    ...(bool(fields.leaveOneOut, 'leaveOneOut') !== undefined ? { leaveOneOut: bool(fields.leaveOneOut, 'leaveOneOut') } : {}),
    rows: await readInputTable(file.name, file.data)
  }
  return createAnalysis(db, projectId, userId, body)
}
