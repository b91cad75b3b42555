/**
 * An article's data extraction and risk-of-bias judgements in the reference
 * exports (opt-in: `include=extraction,rob`), in the place each format keeps:
 *
 * - CSV and XLSX: columns after the reference columns, `extraction:source`
 *   ("consensus" or the reviewer's email), one `extraction:<column>` per
 *   column of the grid's extraction table (a `rows` field gives
 *   `extraction:<field>.<column>`, see tableColumns in src/extraction/grid.ts),
 *   then `rob:tool`, `rob:source`, `rob:outcome`, one `rob:<domain id>` per
 *   domain of the tool and `rob:overall`. An article assessed for several
 *   outcomes (RoB 2) has their values in outcome order separated by " | ".
 * - RIS (`N1`), BibTeX (`annote`): one line per field with a value,
 *   `AnalyLit extraction (consensus) sample_size: 120` (or
 *   `(reviewer a@example.org)`), and one line per assessed outcome,
 *   `AnalyLit risk of bias (rob2, consensus): D1 low; …; overall high`
 *   (`(rob2, outcome: mortality, consensus)` for an outcome).
 * - CSL-JSON: the namespaced object `custom.analylit` with `extraction`
 *   {grid, gridVersion, source, values: {<column>: text}} and `rob`
 *   {tool, assessments: [{outcome, source, domains: {<id>: judgement}, overall}]}.
 */

import { oneLine } from './item.ts'

export interface ExtractionExport {
  grid: string
  gridVersion: number
  /** "consensus", or the email of the reviewer whose complete extraction this is. */
  source: string
  /** Cell text per column of the grid's extraction table (empty cells left out). */
  values: Record<string, string>
}

export interface RobExport {
  tool: string
  /** One per assessed outcome ("" for the study), consensus or the reviewer's. */
  assessments: Array<{ outcome: string; source: string; domains: Record<string, string>; overall: string }>
}

export interface ReviewData {
  extraction?: ExtractionExport
  rob?: RobExport
}

/** The columns a tabular export adds: those of the grid's table and the tool's domains. */
export interface ReviewColumns {
  extraction?: readonly string[]
  rob?: readonly string[]
}

const JOIN = ' | '

/** Header cells of the review columns. */
export function reviewHeader(columns: ReviewColumns | undefined): string[] {
  if (!columns) return []
  return [
    ...(columns.extraction ? ['extraction:source', ...columns.extraction.map((c) => `extraction:${c}`)] : []),
    ...(columns.rob ? ['rob:tool', 'rob:source', 'rob:outcome', ...columns.rob.map((d) => `rob:${d}`), 'rob:overall'] : [])
  ]
}

/** The item's cells under reviewHeader, empty where it has no extraction or assessment. */
export function reviewCells(columns: ReviewColumns | undefined, review: ReviewData | undefined): string[] {
  if (!columns) return []
  const cells: string[] = []
  if (columns.extraction) {
    const extraction = review?.extraction
    cells.push(extraction?.source ?? '', ...columns.extraction.map((c) => extraction?.values[c] ?? ''))
  }
  if (columns.rob) {
    const rob = review?.rob
    const list = rob?.assessments ?? []
    const join = (f: (a: RobExport['assessments'][number]) => string) => list.map(f).join(JOIN)
    cells.push(rob ? rob.tool : '', join((a) => a.source), list.some((a) => a.outcome) ? join((a) => a.outcome) : '',
      ...columns.rob.map((d) => join((a) => a.domains[d] ?? '')), join((a) => a.overall))
  }
  return cells
}

/** Note lines (RIS N1, BibTeX annote), in the documented form. */
export function reviewNoteLines(review: ReviewData | undefined): string[] {
  const lines: string[] = []
  const extraction = review?.extraction
  if (extraction) {
    const source = extraction.source === 'consensus' ? 'consensus' : `reviewer ${extraction.source}`
    for (const [column, value] of Object.entries(extraction.values)) {
      if (oneLine(value)) lines.push(`AnalyLit extraction (${source}) ${column}: ${oneLine(value)}`)
    }
  }
  const rob = review?.rob
  for (const a of rob?.assessments ?? []) {
    const what = [rob!.tool, ...(a.outcome ? [`outcome: ${oneLine(a.outcome).replace(/[()]/g, '')}`] : []), a.source === 'consensus' ? 'consensus' : `reviewer ${a.source}`]
    const judgements = [...Object.entries(a.domains).map(([d, j]) => `${d} ${j}`), `overall ${a.overall}`]
    lines.push(`AnalyLit risk of bias (${what.join(', ')}): ${judgements.join('; ')}`)
  }
  return lines
}

/** Notes of a record that are review lines of an earlier export (dropped: an export never carries stale values). */
export const REVIEW_NOTE = /^\s*AnalyLit (?:extraction|risk of bias) \(/

/** The CSL-JSON `custom` object, or undefined when the item has no review data. */
export function reviewCustom(review: ReviewData | undefined): Record<string, unknown> | undefined {
  if (!review?.extraction && !review?.rob) return undefined
  return { analylit: { ...(review.extraction ? { extraction: review.extraction } : {}), ...(review.rob ? { rob: review.rob } : {}) } }
}
