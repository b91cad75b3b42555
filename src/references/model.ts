/**
 * The one normalised reference model that every importer produces and every
 * exporter, deduplicator and connector consumes. Importers also keep the
 * record exactly as it was read (`original`), so nothing a user imported is
 * ever lost even when a field has no place in the model.
 */

import type { LabelBlock } from './label-block.ts'

export interface Author {
  /** Family name ("van der Berg"); for organisations, the full name. */
  family: string
  /** Given names or initials as supplied ("Anna M.", "A. M."). */
  given?: string
  /** Set for corporate/group authors ("WHO Collaborating Group"). */
  literal?: boolean
  orcid?: string
}

/** Normalised reference types (a small, CSL-inspired vocabulary). */
export const REFERENCE_TYPES = [
  'article', 'review', 'book', 'chapter', 'conference-paper', 'thesis', 'report',
  'preprint', 'dataset', 'web', 'patent', 'news', 'letter', 'editorial', 'other'
] as const
export type ReferenceType = (typeof REFERENCE_TYPES)[number]

/** Decision labels carried by some exports (ASReview `label_included`, RIS notes). */
export type ImportedLabel = 'include' | 'exclude' | 'maybe'

export interface ReferenceRecord {
  title?: string
  abstract?: string
  authors: Author[]
  year?: number
  journal?: string
  /** Abbreviated journal title (e.g. "J Med Internet Res"), when supplied separately. */
  journalAbbrev?: string
  volume?: string
  issue?: string
  pages?: string
  /** Lower-case, without resolver prefix: "10.1000/xyz". */
  doi?: string
  /** Digits only. */
  pmid?: string
  /** "PMC" followed by digits. */
  pmcid?: string
  /** New-style "2101.00001" or old-style "hep-th/9901001", no version suffix. */
  arxivId?: string
  issn?: string[]
  isbn?: string[]
  keywords: string[]
  mesh: string[]
  url?: string
  language?: string
  type: ReferenceType
  /** Database or tool the record came from ("PubMed", "Scopus", "Zotero"…), when known. */
  sourceDatabase?: string
  /** Publisher, conference name, institution… */
  publisher?: string
  /** Free-text notes carried by the export (RIS N1, BibTeX note, CSL note). */
  notes: string[]
  /** A decision label the export carried (see ImportedLabel). */
  label?: ImportedLabel
  /** The screening decisions of an AnalyLit export's label block (label-block.ts), when the file carried one. */
  screening?: LabelBlock
  /** Paths or URLs of attached files (Zotero attachments, RIS L1). */
  attachments: string[]
  /**
   * The record exactly as read, in a JSON form natural to its format: for
   * tagged formats an object of tag -> string[] (RIS, MEDLINE, WoS), for
   * BibTeX `{ entryType, key, fields }`, for JSON/XML formats the parsed
   * object, for tabular formats the row as column -> cell.
   */
  original: unknown
}

/** One item produced by a streaming parser: a record or a per-record error. */
export type ParsedItem =
  | { kind: 'record'; record: ReferenceRecord; position: SourcePosition }
  | { kind: 'error'; message: string; position: SourcePosition }

/** Where in the input an item came from: a 1-based line and/or a 0-based index. */
export interface SourcePosition {
  line?: number
  index: number
}

/** Make an empty record with the array fields initialised. */
export function emptyRecord(type: ReferenceType = 'article'): ReferenceRecord {
  return { authors: [], keywords: [], mesh: [], notes: [], attachments: [], type, original: null }
}
