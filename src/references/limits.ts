/**
 * Limits on what one upload may make the importer read, whatever its size on
 * disk: compressed inputs (XLSX and any zip-based format) can inflate a
 * thousandfold, and one cell or record can be made as large as the file. Each
 * limit has a configuration variable, named in the error a user sees.
 */
import type { Config } from '../config.ts'

export interface ImportLimits {
  /** IMPORT_MAX_INFLATED_BYTES: bytes inflated from all compressed parts of one upload */
  maxInflatedBytes: number
  /** IMPORT_MAX_ROWS: records (rows of a table) per upload */
  maxRows: number
  /** IMPORT_MAX_CELLS: cells of a table, and shared strings of a workbook, per upload */
  maxCells: number
  /** IMPORT_MAX_CELL_CHARS: characters of one cell (or any one XML text, attribute or comment of a workbook) */
  maxCellChars: number
  /** IMPORT_MAX_RECORD_CHARS: characters of one record of a text format (RIS, MEDLINE, WoS, BibTeX, CSL-JSON, XML), or of one line */
  maxRecordChars: number
}

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxInflatedBytes: 512 * 1024 * 1024,
  maxRows: 1_000_000,
  maxCells: 10_000_000,
  maxCellChars: 1_000_000,
  maxRecordChars: 4_000_000
}

export function importLimits(config: Pick<Config, 'IMPORT_MAX_INFLATED_BYTES' | 'IMPORT_MAX_ROWS' | 'IMPORT_MAX_CELLS' | 'IMPORT_MAX_CELL_CHARS' | 'IMPORT_MAX_RECORD_CHARS'>): ImportLimits {
  return {
    maxInflatedBytes: config.IMPORT_MAX_INFLATED_BYTES,
    maxRows: config.IMPORT_MAX_ROWS,
    maxCells: config.IMPORT_MAX_CELLS,
    maxCellChars: config.IMPORT_MAX_CELL_CHARS,
    maxRecordChars: config.IMPORT_MAX_RECORD_CHARS
  }
}

/** An upload over one of the limits: the message names the limit and its variable. */
export class ImportLimitError extends Error {
  override name = 'ImportLimitError'

  static inflated(limits: ImportLimits, entry?: string, declared?: number): ImportLimitError {
    const what = entry && declared !== undefined ? `its part ${entry} declares ${declared} bytes uncompressed` : 'it inflates to more'
    return new ImportLimitError(`the file is refused: ${what}, over the limit of ${limits.maxInflatedBytes} bytes uncompressed per upload (IMPORT_MAX_INFLATED_BYTES)`)
  }

  static rows(limits: ImportLimits): ImportLimitError {
    return new ImportLimitError(`the file is refused: it holds more than ${limits.maxRows} records or rows, the limit per upload (IMPORT_MAX_ROWS)`)
  }

  static cells(limits: ImportLimits, what = 'cells'): ImportLimitError {
    return new ImportLimitError(`the file is refused: it holds more than ${limits.maxCells} ${what}, the limit per upload (IMPORT_MAX_CELLS)`)
  }

  static record(maxChars: number, line: number): ImportLimitError {
    return new ImportLimitError(`the file is refused: after line ${line}, more than ${maxChars} characters hold no complete row (a quote never closed, or cells over IMPORT_MAX_CELL_CHARS)`)
  }

  static cellChars(limits: ImportLimits, where: string): ImportLimitError {
    return new ImportLimitError(`the file is refused: ${where} holds more than ${limits.maxCellChars} characters, the limit per cell (IMPORT_MAX_CELL_CHARS)`)
  }

  /** `where`: "line 12", "the record starting at line 40", "the item starting on line 3"… */
  static recordChars(limits: ImportLimits, where: string): ImportLimitError {
    return new ImportLimitError(`the file is refused: ${where} holds more than ${limits.maxRecordChars} characters, the limit per record (IMPORT_MAX_RECORD_CHARS)`)
  }
}
