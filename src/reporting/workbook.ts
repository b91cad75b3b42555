import { PassThrough } from 'node:stream'
/**
 * The report workbook (XLSX): one worksheet per sheet definition, written
 * through exceljs' streaming writer so that rows go out as they are read.
 * Every sheet has its header row frozen and an auto-filter over its columns.
 * A report adds a sheet (extraction, risk of bias, meta-analysis…) by
 * passing one more definition: a name, columns and the rows, which may come
 * from an async generator reading the database page by page.
 *
 * Formula injection: cells are written as the type they are (text as
 * text, numbers as numbers), never as formulas, hyperlinks or rich text
 * whatever a value holds; a text cell starting with "=" stays the text
 * "=…" and no spreadsheet runs it. Text longer than a cell may hold is cut.
 */

/** A cell: text, a number, a yes/no, a date, or empty. */
export type WorkbookCell = string | number | boolean | Date | null | undefined

export interface WorkbookColumn {
  /** The key of the cell in each row. */
  key: string
  /** The column's header (the key when not given). */
  header?: string
  /** Width in characters (default from the header, 10 to 60). */
  width?: number
}

export interface SheetDefinition {
  /** The worksheet's name; made valid and unique (Excel: 31 characters, no []:*?/\). */
  name: string
  columns: readonly WorkbookColumn[]
  rows: AsyncIterable<Readonly<Record<string, WorkbookCell>>> | Iterable<Readonly<Record<string, WorkbookCell>>>
}

/** Excel refuses longer cell text. */
export const MAX_CELL_CHARS = 32_767
/** Rows written between pauses that let the output stream drain. */
const ROWS_PER_PAUSE = 500

/** The value exceljs writes: a plain value, never an object it would read as a formula, hyperlink or rich text. */
export function workbookCell(value: unknown): string | number | boolean | Date | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (typeof value === 'boolean' || value instanceof Date) return value
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > MAX_CELL_CHARS ? text.slice(0, MAX_CELL_CHARS) : text
}

/** Worksheet names Excel accepts, unique ignoring case. */
export function sheetNames(names: readonly string[]): string[] {
  const used = new Set<string>()
  return names.map((name) => {
    const base = name.replace(/[[\]:*?/\\]/g, ' ').replace(/^'+|'+$/g, '').trim().slice(0, 31) || 'Sheet'
    let unique = base
    for (let n = 2; used.has(unique.toLowerCase()); n++) unique = `${base.slice(0, 31 - String(n).length - 1)} ${n}`
    used.add(unique.toLowerCase())
    return unique
  })
}

/** Column letters of a 1-based column number: 1 → A, 28 → AB. */
function columnLetters(n: number): string {
  let letters = ''
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) letters = String.fromCharCode(65 + ((k - 1) % 26)) + letters
  return letters
}

/** Writes the sheets, in order, as an XLSX workbook to `out`; resolves when the workbook is complete. */
export async function writeWorkbook(sheets: readonly SheetDefinition[], out: NodeJS.WritableStream): Promise<void> {
  // Loaded on first use: ExcelJS is large.
  const { default: ExcelJS } = await import('exceljs')
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out as unknown as import('node:stream').Stream, useStyles: true, useSharedStrings: false })
  const names = sheetNames(sheets.map((s) => s.name))
  let written = 0
  for (const [index, definition] of sheets.entries()) {
    const sheet = workbook.addWorksheet(names[index], { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] })
    sheet.columns = definition.columns.map((column) => ({
      header: column.header ?? column.key, key: column.key, width: column.width ?? Math.min(60, Math.max(10, (column.header ?? column.key).length + 2))
    }))
    sheet.getRow(1).font = { bold: true }
    if (definition.columns.length > 0) sheet.autoFilter = `A1:${columnLetters(definition.columns.length)}1`
    for await (const row of definition.rows) {
      sheet.addRow(definition.columns.map((column) => workbookCell(row[column.key]))).commit()
      if (++written % ROWS_PER_PAUSE === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    sheet.commit()
  }
  await workbook.commit()
}

/** A sheet from a table given as a header and rows of cells in the header's order. */
export function tableSheet(name: string, header: readonly string[], rows: ReadonlyArray<ReadonlyArray<WorkbookCell>>): SheetDefinition {
  return { name, columns: header.map((key) => ({ key })), rows: rows.map((cells) => Object.fromEntries(header.map((key, i) => [key, cells[i] ?? null]))) }
}

/** The workbook as one buffer, for tables small enough to hold in memory. */
export async function workbookBuffer(sheets: readonly SheetDefinition[]): Promise<Buffer> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (chunk: Buffer) => chunks.push(chunk))
  const ended = new Promise((resolve, reject) => out.on('end', resolve).on('error', reject))
  await writeWorkbook(sheets, out)
  await ended
  return Buffer.concat(chunks)
}
