/**
 * Merging a cluster of duplicate records into one, losing nothing: the
 * primary record's values win for single-valued fields, the fields it lacks
 * are filled from the others (in the order given), list fields are unioned,
 * the longest abstract is kept, and the author list comes from the record
 * with the fullest list. `original` stays the primary's: every record's
 * original form is kept with the record itself, not copied into the merge.
 */

import type { Author, ReferenceRecord } from '../references/model.ts'
import { normalizeFamilyName } from './normalize.ts'

type ScalarField =
  | 'title' | 'year' | 'journal' | 'journalAbbrev' | 'volume' | 'issue' | 'pages' | 'doi' | 'pmid' | 'pmcid'
  | 'arxivId' | 'url' | 'language' | 'sourceDatabase' | 'publisher' | 'label'

const SCALAR_FIELDS: readonly ScalarField[] = [
  'title', 'year', 'journal', 'journalAbbrev', 'volume', 'issue', 'pages', 'doi', 'pmid', 'pmcid',
  'arxivId', 'url', 'language', 'sourceDatabase', 'publisher', 'label'
]

function present(value: unknown): boolean {
  if (value === undefined || value === null) return false
  if (typeof value === 'string') return value.trim().length > 0
  if (typeof value === 'number') return Number.isFinite(value)
  return true
}

/** Union of lists, first spelling kept, duplicates detected through `keyOf`. */
function union(lists: Array<readonly string[] | undefined>, keyOf: (value: string) => string): string[] {
  const seen = new Set<string>()
  const result: string[] = []
  for (const list of lists) {
    for (const value of list ?? []) {
      if (typeof value !== 'string' || value.trim().length === 0) continue
      const key = keyOf(value)
      if (seen.has(key)) continue
      seen.add(key)
      result.push(value)
    }
  }
  return result
}

const caseInsensitive = (value: string): string => value.trim().replace(/\s+/g, ' ').toLowerCase()
const exact = (value: string): string => value.trim()
// ISSNs and ISBNs are compared on their digits: "1234-5678" ~ "12345678".
const identifierDigits = (value: string): string => value.replace(/[^0-9xX]/g, '').toUpperCase()

/** How much the author list says: authors first, then given-name detail (full names beat initials). */
function authorListWeight(authors: readonly Author[]): [number, number] {
  let detail = 0
  for (const author of authors) detail += (author.given ?? '').replace(/[^\p{L}]/gu, '').length + (author.orcid ? 1 : 0)
  return [authors.length, detail]
}

function chooseAuthors(records: readonly ReferenceRecord[]): Author[] {
  let best = records[0].authors ?? []
  let bestWeight = authorListWeight(best)
  for (const record of records.slice(1)) {
    const weight = authorListWeight(record.authors ?? [])
    if (weight[0] > bestWeight[0] || (weight[0] === bestWeight[0] && weight[1] > bestWeight[1])) {
      best = record.authors
      bestWeight = weight
    }
  }
  // ORCIDs known in any list are carried over to the same person in the chosen one.
  const orcidByFamily = new Map<string, string>()
  for (const record of records) {
    for (const author of record.authors ?? []) {
      if (author.orcid) orcidByFamily.set(normalizeFamilyName(author.family), author.orcid)
    }
  }
  return best.map((author) => {
    const orcid = author.orcid ?? orcidByFamily.get(normalizeFamilyName(author.family))
    return orcid && !author.orcid ? { ...author, orcid } : { ...author }
  })
}

/** One record holding everything the duplicates knew (see the module comment). */
export function mergeRecords(primary: ReferenceRecord, others: ReferenceRecord[]): ReferenceRecord {
  const all = [primary, ...others]
  const merged: ReferenceRecord = { ...primary }
  for (const field of SCALAR_FIELDS) {
    if (present(primary[field])) continue
    const source = others.find((record) => present(record[field]))
    if (source) (merged as unknown as Record<string, unknown>)[field] = source[field]
  }
  if (merged.type === 'other') merged.type = others.find((record) => record.type !== 'other')?.type ?? 'other'

  let abstract = primary.abstract
  for (const record of others) {
    if (present(record.abstract) && (!present(abstract) || record.abstract!.trim().length > abstract!.trim().length)) {
      abstract = record.abstract
    }
  }
  if (present(abstract)) merged.abstract = abstract
  merged.authors = chooseAuthors(all)
  merged.keywords = union(all.map((r) => r.keywords), caseInsensitive)
  merged.mesh = union(all.map((r) => r.mesh), caseInsensitive)
  merged.notes = union(all.map((r) => r.notes), exact)
  merged.attachments = union(all.map((r) => r.attachments), exact)
  const issn = union(all.map((r) => r.issn), identifierDigits)
  const isbn = union(all.map((r) => r.isbn), identifierDigits)
  if (issn.length > 0) merged.issn = issn
  else delete merged.issn
  if (isbn.length > 0) merged.isbn = isbn
  else delete merged.isbn
  return merged
}
