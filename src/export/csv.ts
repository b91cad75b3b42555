/**
 * CSV export (RFC 4180: comma-separated, CRLF line ends, fields with a
 * comma, quote or line break quoted, quotes doubled), with the columns of
 * table.ts.
 *
 * Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that
 * starts with "=", "+", "-", "@", a tab or a carriage return as a formula, so
 * such a text cell is written with a single quote in front ("'=1+1"). Every
 * text cell is treated so, "-5" included; numbers written as numbers (year,
 * label_included) are not. A cell that already starts with quotes followed by
 * one of those characters gets one quote more, so that the project's importer,
 * which takes one quote off such cells in files with the `analylit` column
 * (`unescapeCsvCell`), reads back exactly what was exported.
 */

import type { ExportItem } from './item.ts'
import { TABLE_COLUMNS, tableRow } from './table.ts'
import { reviewCells, reviewHeader, type ReviewColumns } from './review.ts'

export interface CsvOptions {
  /** Start with a UTF-8 byte order mark, so that Excel detects the encoding (default false). */
  byteOrderMark?: boolean
  /** Extraction and risk-of-bias columns after the reference columns (review.ts). */
  review?: ReviewColumns
}

const FORMULA_START = /^'*[=+\-@\t\r]/
const ESCAPED_FORMULA_START = /^'+[=+\-@\t\r]/

/** A text cell a spreadsheet cannot take for a formula. */
export function escapeCsvCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text
}

/** The cell as it was before escapeCsvCell, for files AnalyLit wrote. */
export function unescapeCsvCell(text: string): string {
  return ESCAPED_FORMULA_START.test(text) ? text.slice(1) : text
}

function csvField(value: string | number): string {
  const text = typeof value === 'number' ? String(value) : escapeCsvCell(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function csvLine(values: ReadonlyArray<string | number>): string {
  return `${values.map(csvField).join(',')}\r\n`
}

/** The header line (with the byte order mark when asked). */
export function csvHeader(options: CsvOptions = {}): string {
  return `${options.byteOrderMark ? '\uFEFF' : ''}${csvLine([...TABLE_COLUMNS, ...reviewHeader(options.review)])}`
}

/** One item's line. */
export function csvRow(item: ExportItem, options: CsvOptions = {}): string {
  const row = tableRow(item)
  return csvLine([...TABLE_COLUMNS.map((column) => row[column]), ...reviewCells(options.review, item.review)])
}

/** CSV text of the items: the header, then one chunk per record. */
export function* toCsv(items: Iterable<ExportItem>, options: CsvOptions = {}): Generator<string> {
  yield csvHeader(options)
  for (const item of items) yield csvRow(item, options)
}
