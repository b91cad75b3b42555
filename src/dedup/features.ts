/**
 * Comparison features of a record for duplicate detection: what the matcher
 * keeps of each record, and how complete a record is (to choose a cluster's
 * primary).
 */

import type { Author, ReferenceRecord } from '../references/model.ts'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid } from '../references/identifiers.ts'
import { firstAuthorKey, firstPage, isNoticeTitle, journalWords, normalizeTitle, normalizeVolume, normalizeYear } from './normalize.ts'
import { trigramCount, writeTrigrams } from './similarity.ts'

export interface DedupItem {
  /** Database id of the record. */
  id: string
  record: ReferenceRecord
  /**
   * completeness(record), when the caller knows it already: callers holding
   * only what the matcher reads of each record (no keywords, no URL…) pass
   * the completeness of the whole record here.
   */
  completeness?: number
  /**
   * Whether the record has an abstract, for a finder that loads abstracts
   * on demand (its records come without them).
   */
  hasAbstract?: boolean
}

const TITLE_STOP_WORDS = new Set([
  'a', 'an', 'the', 'of', 'and', 'or', 'in', 'on', 'for', 'to', 'with', 'without', 'by', 'at', 'from',
  'as', 'is', 'are', 'be', 'its', 'their', 'vs', 'versus', 'via', 'into', 'than', 'after', 'during', 'between',
  'among', 'using', 'do', 'does', 'we', 'what', 'how', 'not', 'no'
])

const ANONYMOUS_AUTHORS = new Set(['anonymous', 'anon', 'noauthorslisted', 'noauthors', 'unknown', 'na', 'none'])

/** Titles that many distinct items share; identical ones say next to nothing. */
const GENERIC_TITLES = new Set([
  'editorial', 'editorials', 'introduction', 'preface', 'foreword', 'letter', 'letters', 'letter to editor',
  'letter to the editor', 'letters to the editor', 'correspondence', 'book review', 'book reviews', 'reply', 'response',
  'in reply', 'news', 'abstracts', 'commentary', 'comment', 'index', 'contents', 'table of contents', 'erratum',
  'errata', 'correction', 'corrigendum', 'announcement', 'announcements', 'guest editorial', 'untitled', 'conclusion',
  'conclusions', 'discussion', 'summary', 'obituary', 'in memoriam', 'acknowledgements', 'acknowledgments', 'reviewers',
  'author index', 'subject index', 'editorial board', 'front matter', 'back matter', 'overview'
])

const ROMAN_NUMERALS: Record<string, string> = {
  ii: '2', iii: '3', iv: '4', v: '5', vi: '6', vii: '7', viii: '8', ix: '9', x: '10', xi: '11', xii: '12'
}

/**
 * What the matcher keeps of each record: comparison keys only, so that the
 * records themselves can be let go as soon as they are added (the features
 * of 100,000 records are what deduplication holds in memory). Variable-size
 * keys live outside the object: the title's word hashes in one shared
 * buffer from the start, its trigrams in another once all records are in
 * (see Profiles), and what only compared pairs need is built on first use
 * into the run's caches (see MatchContext).
 */
export interface Features {
  /** Position of the record in the input, which locates its profiles. */
  index: number
  /** The normalised title (leading article dropped) without spaces ("e-health" ~ "ehealth"). */
  compact: string
  /** Number of distinct title words. */
  tokenCount: number
  /** Number of distinct title words that can be blocking keys; their hashes come first in the record's word hashes. */
  keyWordCount: number
  /** The title is one that many distinct items share ("Editorial"). */
  generic: boolean
  /** Number of title words that are not stop words. */
  significantWords: number
  /** Numbers in the title (roman numerals as digits), sorted, with repeats, space-separated ('' when none). */
  numbers: string
  /** All digits of the title in order ("ICI 204,636" and "ICI 204636" both give "204636"). */
  digits: string
  notice: boolean
  /** Family-name key of the first personal author ('' when none). */
  firstAuthor: string
  /** The first ten authors, encoded by encodeAuthors, for co-author matching. */
  authorNames: string
  year: number | undefined
  journalWords: string[]
  journalInitials: string
  page: string | undefined
  volume: string | undefined
  doi: string | undefined
  pmid: string | undefined
  pmcid: string | undefined
  arxivId: string | undefined
  /** What kind of publication the record is (see publicationKind). */
  kind: PublicationKind
  hasAbstract: boolean
  /** The beginning of the abstract; '' when none or when abstracts are loaded on demand. */
  abstract: string
  completeness: number
}

/**
 * Title profiles of all records, packed: record i's sorted trigrams are
 * trigrams[trigramStart[i] .. trigramStart[i + 1]), and its distinct word
 * hashes words[wordStart[i] .. wordStart[i + 1]) (sorted once the blocks
 * are built; until then its blocking-key words come first).
 */
export interface Profiles {
  trigrams: Uint16Array
  trigramStart: Int32Array
  words: Int32Array
  wordStart: Int32Array
}

/** A growable list of 32-bit integers in one buffer. */
export class IntList {
  values = new Int32Array(1024)
  length = 0

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Int32Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.length++] = value
  }

  /** The values, in a buffer of their exact size. */
  toArray(): Int32Array {
    return this.values.slice(0, this.length)
  }
}

/** Family-name key of any author; corporate authors give '' (they are not compared with persons). */
export function personKey(author: Author): string {
  if (!author.family || author.literal) return ''
  const key = firstAuthorKey([author])
  return ANONYMOUS_AUTHORS.has(key) ? '' : key
}

/** Key of the first personal author, '' when there is none. */
function firstPersonKey(authors: readonly Author[]): string {
  for (const author of authors) {
    const key = personKey(author)
    if (key) return key
  }
  return ''
}

const AUTHOR_SEPARATOR = '\u0002'

/**
 * The first ten authors as one flat string: what personKey reads of each
 * (the family name, whether a given name exists, whether the name is
 * corporate) and no more, in one allocation instead of an object per author.
 */
function encodeAuthors(authors: readonly Author[]): string {
  const parts: string[] = []
  for (let k = 0; k < authors.length && k < 10; k++) {
    const author = authors[k]
    parts.push(`${author.literal ? 'L' : author.given ? 'G' : 'P'}${author.family ?? ''}`)
  }
  // join() gives a flat string; concatenation would keep a rope node per piece.
  return parts.join(AUTHOR_SEPARATOR)
}

export function decodeAuthors(encoded: string): Author[] {
  if (encoded === '') return []
  return encoded.split(AUTHOR_SEPARATOR).map((part) => ({
    family: part.slice(1), given: part[0] === 'G' ? '-' : undefined, literal: part[0] === 'L' || undefined
  }))
}

/** First words of notice titles ("Erratum: …", "Reply to: …"), to skip the notice test for all others. */
const NOTICE_FIRST_WORDS = new Set([
  'erratum', 'errata', 'corrigendum', 'corrigenda', 'addendum', 'correction', 'retraction', 'retracted', 'withdrawn',
  'expression', 'notice', 'comment', 'comments', 'commentary', 'reply', 'response', 'in', 're', 'author', 'authors'
])

/**
 * The abstract is a tie-breaker on its first 200 words longer than two
 * letters; this much text holds them in nearly every abstract.
 */
export const ABSTRACT_PREFIX = 2000

/** Trigram profiles of all titles, packed into one buffer (see Profiles). */
export function packTrigrams(features: readonly Features[]): { trigrams: Uint16Array; trigramStart: Int32Array } {
  const trigramStart = new Int32Array(features.length + 1)
  for (let i = 0; i < features.length; i++) trigramStart[i + 1] = trigramStart[i] + trigramCount(features[i].compact)
  const trigrams = new Uint16Array(trigramStart[features.length])
  for (let i = 0; i < features.length; i++) writeTrigrams(features[i].compact, trigrams, trigramStart[i])
  return { trigrams, trigramStart }
}

/** Sorts each record's word hashes in place, once the blocking keys have been read. */
export function sortWordHashes(words: Int32Array, wordStart: Int32Array): void {
  for (let i = 0; i + 1 < wordStart.length; i++) {
    if (wordStart[i + 1] - wordStart[i] > 1) words.subarray(wordStart[i], wordStart[i + 1]).sort()
  }
}

/**
 * The same ASCII text stored one byte per character. Text normalised from a
 * title with any character beyond Latin-1 (a dash, a curly quote) stays in
 * V8's two-byte form through every replace and split, which doubles what the
 * matcher's title keys cost.
 */
function oneByte(ascii: string): string {
  return Buffer.from(ascii, 'latin1').toString('latin1')
}

/** FNV-1a hash of a word. */
function hashWord(word: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193)
  return hash | 0
}

/**
 * A conference abstract or paper ('meeting'), a preprint, a full article in
 * a journal ('article'), or anything else ('other'). Two publications of
 * different kinds are never one record: an abstract presented at a meeting
 * and the article that followed share a title, not a publication.
 */
export type PublicationKind = 'meeting' | 'preprint' | 'article' | 'other'

/** DOI prefixes of preprint servers: bioRxiv/medRxiv, arXiv, Research Square, SSRN, Preprints.org, OSF/PsyArXiv, ChemRxiv, JMIR Preprints. */
const PREPRINT_DOI = /^10\.(?:1101|48550|21203|2139|20944|31219|31234|26434|2196\/preprints)\//

/** Venue names of preprint servers. */
const PREPRINT_VENUE = /\b(?:biorxiv|medrxiv|arxiv|research ?square|ssrn|preprints?|psyarxiv|chemrxiv|osf)\b/i

/** Venue names of meetings ("Annual Meeting of…", "World Congress of…", "Symposium on…"). */
const MEETING_VENUE = /\b(?:meeting|congress|conference|symposium|workshop|convention|summit|colloquium)\b/i

/** Supplement pages ("S123", "S12-S14"), where journals print meeting abstracts. */
const SUPPLEMENT_PAGES = /^\s*S\d/i

export function publicationKind(record: ReferenceRecord, venue: string): PublicationKind {
  const doi = normalizeDoi(record.doi)
  if (record.type === 'preprint' || (doi !== undefined && PREPRINT_DOI.test(doi)) || PREPRINT_VENUE.test(venue)) return 'preprint'
  if (record.type === 'conference-paper' || MEETING_VENUE.test(venue) || (record.pages !== undefined && SUPPLEMENT_PAGES.test(record.pages))) {
    return 'meeting'
  }
  if ((record.type === 'article' || record.type === 'review') && venue.trim() !== '') return 'article'
  return 'other'
}

/** Journal words of the journal names met so far: records of one journal share one list. */
export type JournalCache = Map<string, { words: string[]; initials: string }>

/**
 * The features of one record; its title's word hashes are appended to
 * `words`, blocking-key words first.
 */
export function extractFeatures(index: number, item: DedupItem, words: IntList, journals: JournalCache, keepAbstract: boolean): Features {
  const record = item.record
  const title = normalizeTitle(record.title, { dropLeadingArticles: true })
  const titleWords = title.length > 0 ? title.split(' ') : []
  const tokens = [...new Set(titleWords)]
  const numbers: string[] = []
  for (const word of titleWords) {
    if (/^\d+$/.test(word)) numbers.push(word.replace(/^0+(?=\d)/, ''))
    else if (ROMAN_NUMERALS[word] !== undefined && word !== 'v' && word !== 'x') numbers.push(ROMAN_NUMERALS[word])
  }
  let significantWords = 0
  let keyWordCount = 0
  for (const token of tokens) {
    if (TITLE_STOP_WORDS.has(token)) continue
    significantWords++
    if (token.length >= 3) {
      words.push(hashWord(token))
      keyWordCount++
    }
  }
  for (const token of tokens) if (token.length < 3 || TITLE_STOP_WORDS.has(token)) words.push(hashWord(token))
  const compact = oneByte(titleWords.join(''))
  const journalName = record.journal ?? record.journalAbbrev ?? ''
  let journal = journals.get(journalName)
  if (!journal) {
    const list = journalWords(journalName || undefined)
    journal = { words: list, initials: list.map((w) => w[0]).join('') }
    journals.set(journalName, journal)
  }
  const hasAbstract = item.hasAbstract ?? Boolean(record.abstract?.trim())
  return {
    index,
    compact,
    tokenCount: tokens.length,
    keyWordCount,
    generic: GENERIC_TITLES.has(title),
    significantWords,
    numbers: numbers.length === 0 ? '' : numbers.sort().join(' '),
    digits: numbers.length === 0 ? '' : compact.replace(/\D+/g, ''),
    notice: NOTICE_FIRST_WORDS.has(titleWords[0]) && isNoticeTitle(record.title),
    firstAuthor: firstPersonKey(record.authors ?? []),
    authorNames: encodeAuthors(record.authors ?? []),
    year: normalizeYear(record.year),
    journalWords: journal.words,
    journalInitials: journal.initials,
    page: firstPage(record.pages),
    volume: normalizeVolume(record.volume),
    doi: normalizeDoi(record.doi),
    pmid: normalizePmid(record.pmid),
    pmcid: normalizePmcid(record.pmcid),
    arxivId: normalizeArxivId(record.arxivId),
    kind: publicationKind(record, journalName),
    hasAbstract,
    abstract: keepAbstract && hasAbstract && record.abstract ? record.abstract.slice(0, ABSTRACT_PREFIX) : '',
    completeness: item.completeness ?? completeness(record, hasAbstract)
  }
}

function filled(value: unknown): boolean {
  return value !== undefined && value !== null && (typeof value !== 'string' || value.trim().length > 0) &&
    (!Array.isArray(value) || value.length > 0)
}

/**
 * How complete a record is, to choose a cluster's primary (see the module
 * comment). `hasAbstract` stands in for the abstract's text when the caller
 * holds the record without it.
 */
export function completeness(record: ReferenceRecord, hasAbstract = filled(record.abstract)): number {
  let score = hasAbstract ? 3 : 0
  for (const value of [
    record.title, record.authors, record.year, record.journal, record.volume, record.issue,
    record.pages, record.doi, record.pmid, record.pmcid, record.keywords, record.mesh, record.url,
    (record.issn?.length ?? 0) + (record.isbn?.length ?? 0) > 0 ? true : undefined, record.publisher, record.language
  ]) {
    if (filled(value)) score++
  }
  if (filled(record.doi)) score += 2
  return score
}
