/**
 * CSV export (RFC 4180: comma-separated, CRLF line ends, fields with a
 * comma, quote or line break quoted, quotes doubled), with the columns of
 * table.ts. Cells are written as they are: a cell that starts with "=" is
 * text to ASReview and to the importer, but a spreadsheet may read it as a
 * formula, so the XLSX export is the one to open in a spreadsheet.
 */

import type { ExportItem } from './item.ts'
import { TABLE_COLUMNS, tableRow } from './table.ts'

export interface CsvOptions {
  /** Start with a UTF-8 byte order mark, so that Excel detects the encoding (default false). */
  byteOrderMark?: boolean
}

function csvField(value: string | number): string {
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function csvLine(values: ReadonlyArray<string | number>): string {
  return `${values.map(csvField).join(',')}\r\n`
}

/** The header line (with the byte order mark when asked). */
export function csvHeader(options: CsvOptions = {}): string {
  return `${options.byteOrderMark ? '\uFEFF' : ''}${csvLine(TABLE_COLUMNS)}`
}

/** One item's line. */
export function csvRow(item: ExportItem): string {
  const row = tableRow(item)
  return csvLine(TABLE_COLUMNS.map((column) => row[column]))
}

/** CSV text of the items: the header, then one chunk per record. */
export function* toCsv(items: Iterable<ExportItem>, options: CsvOptions = {}): Generator<string> {
  yield csvHeader(options)
  for (const item of items) yield csvRow(item)
}
