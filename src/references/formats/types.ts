import type { ImportLimits } from '../limits.ts'
import type { ParsedItem } from '../model.ts'

/** Identifiers of the import formats AnalyLit understands. */
export type FormatId =
  | 'ris' | 'bibtex' | 'medline' | 'pubmed-xml' | 'csl-json' | 'zotero-rdf'
  | 'endnote-xml' | 'wos' | 'csv' | 'tsv' | 'xlsx'

/**
 * The content of one uploaded file, readable as decoded text (encoding
 * already detected and BOM removed, line endings untouched) or as raw bytes
 * (for binary formats such as XLSX). Each call starts a fresh stream.
 */
export interface FormatInput {
  text(): AsyncIterable<string>
  bytes(): AsyncIterable<Uint8Array>
  fileName?: string
  /** The file on disk, when there is one (binary formats read parts of it directly). */
  path?: string
  /** What the parser may read at most (defaults: DEFAULT_IMPORT_LIMITS). */
  limits?: ImportLimits
  /**
   * How far parsing got through the file, 0–1. Updated as `bytes()`/`text()`
   * streams are consumed; parsers reading the file otherwise (XLSX) set it.
   */
  progress?: { fraction: number }
}

export interface ReferenceFormat {
  id: FormatId
  label: string
  /** File name extensions, lower case, without the dot. */
  extensions: string[]
  /**
   * Whether a file whose decoded beginning is `head` (up to 64 KiB of text)
   * is in this format. Must be cheap and must not accept other formats' files.
   */
  sniff(head: string, fileName?: string): boolean
  /**
   * Streams the records of the input. A malformed record yields an `error`
   * item with its position and parsing goes on; only input that cannot be
   * read at all as this format throws.
   */
  parse(input: FormatInput): AsyncIterable<ParsedItem>
}
