/**
 * XLSX export through exceljs' streaming writer: one worksheet
 * "References" with the columns of table.ts (the same as the CSV export),
 * rows committed as they come so memory stays flat. Text cells are written
 * as text, never as formulas. `year` and `label_included` are numbers.
 */

import type { ExportItem } from './item.ts'
import { TABLE_COLUMNS, tableRow } from './table.ts'
import { reviewCells, reviewHeader, type ReviewColumns } from './review.ts'

/** Excel refuses longer cell text. */
const MAX_CELL_CHARS = 32_767
/** Rows written between pauses that let the output stream drain. */
const ROWS_PER_PAUSE = 500

function fitCell(value: string | number): string | number {
  return typeof value === 'string' && value.length > MAX_CELL_CHARS ? value.slice(0, MAX_CELL_CHARS) : value
}

/** Writes the items as an XLSX workbook to `out`; resolves when the workbook is complete. */
export async function writeXlsx(items: AsyncIterable<ExportItem> | Iterable<ExportItem>, out: NodeJS.WritableStream, review?: ReviewColumns): Promise<void> {
  // Loaded on first use: ExcelJS is large and most exports are not spreadsheets.
  const { default: ExcelJS } = await import('exceljs')
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out as unknown as import('node:stream').Stream, useStyles: false, useSharedStrings: false })
  const sheet = workbook.addWorksheet('References')
  sheet.columns = [...TABLE_COLUMNS, ...reviewHeader(review)].map((column) => ({ header: column, key: column }))
  let written = 0
  for await (const item of items) {
    const row = tableRow(item)
    sheet.addRow([...TABLE_COLUMNS.map((column) => row[column]), ...reviewCells(review, item.review)].map(fitCell)).commit()
    if (++written % ROWS_PER_PAUSE === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  sheet.commit()
  await workbook.commit()
}
