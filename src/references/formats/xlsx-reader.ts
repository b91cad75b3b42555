/**
 * The rows of the first worksheet of an XLSX workbook, as text, read within
 * the import limits (src/references/limits.ts): parts are inflated as streams
 * against one budget of inflated bytes, XML is parsed by saxes chunk by
 * chunk, no text (cell, attribute, comment) may grow past
 * IMPORT_MAX_CELL_CHARS while it is read, and the shared strings go to a
 * spool file with only their offsets in memory. Memory stays bounded
 * whatever the workbook inflates to.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { SaxesParser, type SaxesTagPlain } from 'saxes'
import { ImportLimitError, type ImportLimits } from '../limits.ts'
import { makeTempDir } from '../../temp-dirs.ts'
import { InflateBudget, readZipDirectory, readZipEntry, type ZipEntry } from '../zip.ts'
import type { FormatInput } from './types.ts'

export interface SheetRow {
  /** 1-based row number, as Excel shows it */
  number: number
  cells: string[]
}

/** A workbook that is not valid XLSX (missing parts, broken XML). */
export class WorkbookError extends Error {}

const MAX_COLUMNS = 16384

const localName = (name: string): string => name.slice(name.indexOf(':') + 1)

interface XmlHandlers {
  open?(name: string, attributes: Record<string, string>): void
  close?(name: string): void
  text?(text: string): void
}

/**
 * Parses one part of the archive, calling the handlers; after every chunk,
 * `between` may hand out what the handlers gathered (rows), as a generator.
 */
async function* parsePart<T>(
  file: string, entry: ZipEntry, budget: InflateBudget, handlers: XmlHandlers,
  between: () => T[], onRead?: (compressedBytes: number) => void
): AsyncGenerator<T> {
  const { limits } = budget
  const parser = new SaxesParser()
  let failure: Error | undefined
  parser.on('error', (error) => { failure ??= new WorkbookError(`the workbook part ${entry.name} is not valid XML: ${error.message}`) })
  if (handlers.open) {
    const open = handlers.open
    parser.on('opentag', (tag) => open(localName(tag.name), (tag as SaxesTagPlain).attributes))
  }
  if (handlers.close) {
    const close = handlers.close
    parser.on('closetag', (tag) => close(localName(tag.name)))
  }
  if (handlers.text) parser.on('text', handlers.text)
  // What saxes is still gathering (a text, an attribute value, a name, a comment): bounded here, as it grows.
  const pending = parser as unknown as { text: string; name: string }
  const decoder = new TextDecoder('utf-8')
  for await (const chunk of readZipEntry(file, entry, budget, onRead)) {
    parser.write(decoder.decode(chunk, { stream: true }))
    if (failure) throw failure
    if (pending.text.length > limits.maxCellChars || pending.name.length > limits.maxCellChars) {
      throw ImportLimitError.cellChars(limits, `a text in ${entry.name}`)
    }
    yield* between()
  }
  parser.write(decoder.decode())
  parser.close()
  if (failure) throw failure
  yield* between()
}

async function readPart(file: string, entry: ZipEntry | undefined, budget: InflateBudget, handlers: XmlHandlers, onRead?: (n: number) => void): Promise<void> {
  if (!entry) return
  for await (const _ of parsePart<never>(file, entry, budget, handlers, () => [], onRead)) { /* handlers gather */ }
}

/** Shared strings in a spool file, only their offsets in memory (blocks of 64 Ki offsets, never copied). */
class StringSpool {
  private readonly blocks: Uint32Array[] = []
  private pending: Buffer[] = []
  private pendingBytes = 0
  private written = 0
  count = 0

  constructor(private readonly fd: number) {}

  add(text: string): void {
    const bytes = Buffer.from(text, 'utf8')
    const block = this.count >>> 16
    if (block === this.blocks.length) this.blocks.push(new Uint32Array(65536))
    this.blocks[block][this.count & 0xffff] = this.written + this.pendingBytes
    this.count++
    this.pending.push(bytes)
    this.pendingBytes += bytes.length
    if (this.pendingBytes >= 1024 * 1024) this.flush()
  }

  flush(): void {
    if (this.pendingBytes === 0) return
    const data = Buffer.concat(this.pending)
    for (let offset = 0; offset < data.length;) offset += writeSync(this.fd, data, offset, data.length - offset, this.written + offset)
    this.written += data.length
    this.pending = []
    this.pendingBytes = 0
  }

  private offset(index: number): number {
    return index < this.count ? this.blocks[index >>> 16][index & 0xffff] : this.written
  }

  get(index: number): string {
    if (!(index >= 0 && index < this.count)) return ''
    const start = this.offset(index)
    const length = this.offset(index + 1) - start
    if (length === 0) return ''
    const buffer = Buffer.allocUnsafe(length)
    for (let read = 0; read < length;) {
      const n = readSync(this.fd, buffer, read, length - read, start + read)
      if (n === 0) break
      read += n
    }
    return buffer.toString('utf8')
  }
}

/** Number formats Excel shows as dates or times (built-in ids, and custom codes with date letters). */
const BUILT_IN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58])

function isDateFormat(code: string): boolean {
  return /[ymdhMsb]/.test(code.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, ''))
}

/** An Excel serial date as exceljs shows it: ISO 8601, the time left out at midnight. */
function serialDate(serial: number, date1904: boolean): string {
  const date = new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 86400000))
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().replace(/T00:00:00\.000Z$/, '')
}

/** Zero-based column of a cell reference ("C7" → 2), or undefined. */
function columnOf(reference: string | undefined): number | undefined {
  if (!reference) return undefined
  let column = 0
  let i = 0
  for (; i < reference.length; i++) {
    const c = reference.charCodeAt(i)
    if (c >= 65 && c <= 90) column = column * 26 + (c - 64)
    else if (c >= 97 && c <= 122) column = column * 26 + (c - 96)
    else break
  }
  return i === 0 ? undefined : column - 1
}

function resolveTarget(target: string): string {
  if (target.startsWith('/')) return target.slice(1)
  const parts: string[] = ['xl']
  for (const part of target.split('/')) {
    if (part === '..') parts.pop()
    else if (part !== '.' && part !== '') parts.push(part)
  }
  return parts.join('/')
}

/** The upload as a file on disk: its own path, or a spool of its bytes (inputs held in memory). */
async function onDisk(input: FormatInput, dir: string): Promise<string> {
  if (input.path) return input.path
  const file = path.join(dir, 'upload.xlsx')
  await pipeline(Readable.from(input.bytes()), createWriteStream(file))
  return file
}

export async function* readFirstSheet(input: FormatInput, limits: ImportLimits): AsyncGenerator<SheetRow> {
  const dir = await makeTempDir('xlsx')
  let spoolFd: number | undefined
  try {
    const file = await onDisk(input, dir)
    const entries = await readZipDirectory(file, (await stat(file)).size)
    const budget = new InflateBudget(limits)

    // The first worksheet, through the workbook and its relationships.
    let firstSheetId: string | undefined
    let date1904 = false
    await readPart(file, entries.get('xl/workbook.xml'), budget, {
      open(name, attributes) {
        if (name === 'sheet' && firstSheetId === undefined) firstSheetId = attributes['r:id'] ?? Object.entries(attributes).find(([key]) => localName(key) === 'id')?.[1]
        if (name === 'workbookPr') date1904 = attributes.date1904 === '1' || attributes.date1904 === 'true'
      }
    })
    const targets = new Map<string, string>()
    let sharedStringsPath = 'xl/sharedStrings.xml'
    let stylesPath = 'xl/styles.xml'
    await readPart(file, entries.get('xl/_rels/workbook.xml.rels'), budget, {
      open(name, attributes) {
        if (name !== 'Relationship' || !attributes.Target) return
        const target = resolveTarget(attributes.Target)
        targets.set(attributes.Id, target)
        if (/\/sharedStrings$/.test(attributes.Type ?? '')) sharedStringsPath = target
        if (/\/styles$/.test(attributes.Type ?? '')) stylesPath = target
      }
    })
    const sheetEntry = entries.get((firstSheetId && targets.get(firstSheetId)) || 'xl/worksheets/sheet1.xml')
    if (!sheetEntry) throw new WorkbookError('not a reference table: the workbook has no worksheet')

    // Styles: which cell formats show numbers as dates.
    const customFormats = new Map<number, string>()
    const dateStyles: boolean[] = []
    let inCellXfs = false
    await readPart(file, entries.get(stylesPath), budget, {
      open(name, attributes) {
        if (name === 'numFmt') customFormats.set(Number(attributes.numFmtId), attributes.formatCode ?? '')
        else if (name === 'cellXfs') inCellXfs = true
        else if (name === 'xf' && inCellXfs) {
          const id = Number(attributes.numFmtId ?? 0)
          const custom = customFormats.get(id)
          dateStyles.push(custom !== undefined ? isDateFormat(custom) : BUILT_IN_DATE_FORMATS.has(id))
        }
      },
      close(name) { if (name === 'cellXfs') inCellXfs = false }
    })

    const sharedEntry = entries.get(sharedStringsPath)
    const totalCompressed = (sharedEntry?.compressedSize ?? 0) + sheetEntry.compressedSize
    const progress = (done: number) => { if (input.progress && totalCompressed > 0) input.progress.fraction = Math.min(1, done / totalCompressed) }

    // Shared strings: the text of each <si>, phonetic runs left out.
    spoolFd = openSync(path.join(dir, 'shared-strings'), 'w+')
    const strings = new StringSpool(spoolFd)
    let item: string | undefined
    let inText = false
    let phonetic = 0
    await readPart(file, sharedEntry, budget, {
      open(name) {
        if (name === 'si') {
          if (strings.count >= limits.maxCells) throw ImportLimitError.cells(limits, 'shared strings')
          item = ''
        } else if (name === 'rPh') phonetic++
        else if (name === 't' && phonetic === 0) inText = true
      },
      text(text) {
        if (!inText || item === undefined) return
        item += text
        if (item.length > limits.maxCellChars) throw ImportLimitError.cellChars(limits, `shared string ${strings.count + 1}`)
      },
      close(name) {
        if (name === 't') inText = false
        else if (name === 'rPh') phonetic--
        else if (name === 'si' && item !== undefined) { strings.add(item); item = undefined }
      }
    }, progress)
    strings.flush()
    const sharedDone = sharedEntry?.compressedSize ?? 0

    // The worksheet, row by row.
    const rows: SheetRow[] = []
    let rowNumber = 0
    let rowCount = 0
    let cellCount = 0
    let cells: string[] = []
    let column = 0
    let cellType = 'n'
    let cellStyle = 0
    let value = ''
    let collecting: 'v' | 't' | undefined
    let inInline = false
    let inlinePhonetic = 0
    const tooLong = () => ImportLimitError.cellChars(limits, `cell ${column + 1} of row ${rowNumber}`)
    const handlers: XmlHandlers = {
      open(name, attributes) {
        switch (name) {
          case 'row':
            if (++rowCount > limits.maxRows) throw ImportLimitError.rows(limits)
            rowNumber = attributes.r ? Number(attributes.r) : rowNumber + 1
            cells = []
            break
          case 'c': {
            if (++cellCount > limits.maxCells) throw ImportLimitError.cells(limits)
            column = columnOf(attributes.r) ?? cells.length
            if (column >= MAX_COLUMNS) throw new WorkbookError(`the worksheet has a cell beyond the last Excel column (row ${rowNumber})`)
            cellType = attributes.t ?? 'n'
            cellStyle = attributes.s ? Number(attributes.s) : 0
            value = ''
            break
          }
          case 'v': collecting = 'v'; break
          case 'is': inInline = true; break
          case 'rPh': if (inInline) inlinePhonetic++; break
          case 't': if (inInline && inlinePhonetic === 0) collecting = 't'; break
        }
      },
      text(text) {
        if (!collecting) return
        value += text
        if (value.length > limits.maxCellChars) throw tooLong()
      },
      close(name) {
        switch (name) {
          case 'v': case 't': collecting = undefined; break
          case 'is': inInline = false; break
          case 'rPh': if (inInline) inlinePhonetic--; break
          case 'c': {
            const text = cellValue(cellType, value, dateStyles[cellStyle] === true, date1904, strings)
            while (cells.length < column) cells.push('')
            cells[column] = text
            break
          }
          case 'row':
            rows.push({ number: rowNumber, cells })
            break
        }
      }
    }
    yield* parsePart(file, sheetEntry, budget, handlers, () => rows.splice(0), (n) => progress(sharedDone + n))
  } finally {
    if (spoolFd !== undefined) closeSync(spoolFd)
    await rm(dir, { recursive: true, force: true })
  }
}

function cellValue(type: string, value: string, dateStyle: boolean, date1904: boolean, strings: StringSpool): string {
  switch (type) {
    case 's': return value.trim() === '' ? '' : strings.get(Number.parseInt(value, 10))
    case 'inlineStr': case 'str': case 'd': return value
    case 'b': return value === '' ? '' : String(Number.parseInt(value, 10) !== 0)
    case 'e': return ''
    default: {
      if (value.trim() === '') return ''
      const number = Number.parseFloat(value)
      if (Number.isNaN(number)) return value
      return dateStyle ? serialDate(number, date1904) : String(number)
    }
  }
}
