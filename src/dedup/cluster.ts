/**
 * Duplicate detection over a set of references.
 *
 * Stage 1 links records that share a persistent identifier (PMID, PMCID,
 * arXiv id, DOI). PMIDs, PMCIDs and arXiv ids identify one record each, so
 * they are trusted; a shared DOI is checked first, because databases attach
 * a book's DOI to every chapter, a proceedings DOI to every paper, and the
 * article's DOI to its erratum. A DOI pair is NOT linked when:
 *   - one title is an erratum/retraction/comment notice and the other is not;
 *   - both have PMIDs and they differ (two distinct PubMed records);
 *   - both have titles that are clearly different (trigram/edit similarity
 *     < 0.6 and neither title contains the other) unless first author, year
 *     (±1) and first page all agree — the pattern of a translated title;
 *   - both have first pages that differ while the titles are not
 *     near-identical (chapters of one book).
 * Such pairs are reported in `sharedIdentifierConflicts` and are left to
 * stage 2, which judges them on their bibliographic data like any pair.
 * An identifier carried by more than 20 records (a container DOI pasted on
 * a whole proceedings volume) links only records that also share a title.
 *
 * Stage 2 compares pairs that share a blocking key, so the cost grows about
 * linearly with the number of records: the start and the end of the
 * normalised title, the title's two rarest words (among words found in 2
 * to `maxBlockSize` titles), first author + year, and first page + journal
 * initials (or volume). Pairs already linked are skipped. Blocks larger than
 * `maxBlockSize` are not compared all-against-all: their members are sorted
 * by title and each is compared with its `window` next neighbours. A pair
 * scores points — title similarity, then year, first author, journal, pages,
 * volume, numbers in the title, conflicting identifiers, and the abstract
 * when it can tip the balance — and is linked at DUPLICATE_POINTS or more
 * (see `comparePair` for the weights).
 *
 * Manual choices always win. Confirmed clusters are joined first; a pair
 * marked not-duplicate is a cannot-link constraint checked at every union,
 * so it is never merged, not even through a chain of other links (links are
 * applied strongest first and a link that would join the two is skipped);
 * records in `splitIds` are never linked automatically, only by a confirmed
 * cluster. When a confirmed cluster itself contains a not-duplicate pair,
 * the not-duplicate mark wins.
 *
 * The primary record of a cluster is the most complete one: one point per
 * non-empty field (title, abstract, authors, year, journal, volume, issue,
 * pages, DOI, PMID, PMCID, keywords, MeSH, URL, ISSN/ISBN, publisher,
 * language) plus two for an abstract and two for a DOI; ties go to the
 * record that comes first in the input (callers pass items in id order).
 */

import type { Author, ReferenceRecord } from '../references/model.ts'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid } from '../references/identifiers.ts'
import {
  firstAuthorKey, firstPage, isNoticeTitle, journalWords, journalWordsCompatible, normalizeText, normalizeTitle,
  normalizeVolume, normalizeYear
} from './normalize.ts'
import { diceSimilarityIn, diceUpperBound, levenshteinDistance, levenshteinRatio, trigramCount, writeTrigrams } from './similarity.ts'

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

export type MatchReason = 'doi' | 'pmid' | 'pmcid' | 'arxiv' | 'bibliographic' | 'manual'

/** One link that joined two records into the same cluster. */
export interface DuplicateLink {
  a: string
  b: string
  reason: MatchReason
  /** 1 for identifier and manual links; for bibliographic links points / 8 capped at 1 (0.5 is the threshold). */
  score: number
  /** Human-readable evidence ("title 0.97", "same first author", "year ±1"…). */
  evidence: string[]
}

export interface DuplicateCluster {
  /** The record to keep (most complete; see the module comment). */
  primaryId: string
  /** All records of the cluster, primary included, in input order. */
  memberIds: string[]
  /** Distinct reasons of the links that formed the cluster. */
  reasons: MatchReason[]
  /** The weakest link's score: the cluster is only as sure as its least sure link. */
  score: number
  /** The links (a spanning tree of the cluster) with their evidence. */
  links: DuplicateLink[]
}

/** Two records that share a DOI but were not linked by it, and why. */
export interface IdentifierConflict {
  a: string
  b: string
  identifier: 'doi' | 'pmcid' | 'arxiv'
  value: string
  why: string
}

export interface DedupOptions {
  /** Pairs a user marked as distinct records: never in the same cluster. */
  notDuplicatePairs?: Array<[string, string]>
  /** Clusters a user confirmed: kept together (more records may join them). */
  confirmedClusters?: string[][]
  /** Records a user split off a cluster: never linked automatically. */
  splitIds?: string[]
  /** Largest block compared all-against-all (default 40). */
  maxBlockSize?: number
  /** Neighbours compared in a larger, title-sorted block (default 8). */
  window?: number
}

export interface DedupResult {
  /** Clusters of two or more records, ordered by their primary's input position. */
  clusters: DuplicateCluster[]
  /** Number of record pairs compared (identifier checks and bibliographic comparisons). */
  comparisons: number
  sharedIdentifierConflicts: IdentifierConflict[]
}

/** Points at which a bibliographic comparison links two records. */
export const DUPLICATE_POINTS = 4

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
interface Features {
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
interface Profiles {
  trigrams: Uint16Array
  trigramStart: Int32Array
  words: Int32Array
  wordStart: Int32Array
}

/** A growable list of 32-bit integers in one buffer. */
class IntList {
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
function personKey(author: Author): string {
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

function decodeAuthors(encoded: string): Author[] {
  if (encoded === '') return []
  return encoded.split(AUTHOR_SEPARATOR).map((part) => ({
    family: part.slice(1), given: part[0] === 'G' ? '-' : undefined, literal: part[0] === 'L' || undefined
  }))
}

function looseAuthorKeysOf(c: MatchContext, f: Features): string[] {
  let keys = c.looseAuthorKeys.get(f.index)
  if (!keys) {
    keys = []
    for (const author of decodeAuthors(f.authorNames)) {
      const key = personKey(author)
      if (key) keys.push(looseName(key))
    }
    c.looseAuthorKeys.set(f.index, keys)
  }
  return keys
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
function packTrigrams(features: readonly Features[]): { trigrams: Uint16Array; trigramStart: Int32Array } {
  const trigramStart = new Int32Array(features.length + 1)
  for (let i = 0; i < features.length; i++) trigramStart[i + 1] = trigramStart[i] + trigramCount(features[i].compact)
  const trigrams = new Uint16Array(trigramStart[features.length])
  for (let i = 0; i < features.length; i++) writeTrigrams(features[i].compact, trigrams, trigramStart[i])
  return { trigrams, trigramStart }
}

/** Sorts each record's word hashes in place, once the blocking keys have been read. */
function sortWordHashes(words: Int32Array, wordStart: Int32Array): void {
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

/** Journal words of the journal names met so far: records of one journal share one list. */
type JournalCache = Map<string, { words: string[]; initials: string }>

/**
 * The features of one record; its title's word hashes are appended to
 * `words`, blocking-key words first.
 */
function extractFeatures(index: number, item: DedupItem, words: IntList, journals: JournalCache, keepAbstract: boolean): Features {
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
    hasAbstract,
    abstract: keepAbstract && hasAbstract && record.abstract ? record.abstract.slice(0, ABSTRACT_PREFIX) : '',
    completeness: item.completeness ?? completeness(record, hasAbstract)
  }
}

/** Words of an abstract for comparison, or null when it has too few to compare. */
function abstractTokens(abstract: string): Set<string> | null {
  const words = abstract ? normalizeText(abstract).split(' ').filter((w) => w.length > 2) : []
  // Enough words to make overlap meaningful; the first 200 are plenty.
  return words.length >= 20 ? new Set(words.slice(0, 200)) : null
}

/**
 * What the comparisons of one run share: the packed profiles, and keys that
 * only compared pairs need, built on first use.
 */
interface MatchContext {
  profiles: Profiles
  looseAuthorKeys: Map<number, string[]>
  /** Abstract words by record index; a record absent here has not been looked at yet. */
  abstractTokens: Map<number, Set<string> | null>
  /** The abstract of a record, when abstracts are at hand; undefined while they are loaded on demand. */
  abstractOf: ((f: Features) => string) | undefined
  /** Pairs that only their abstracts can decide, while abstracts are loaded on demand. */
  pending: PendingPair[]
}

function abstractTokensOf(c: MatchContext, f: Features): Set<string> | null {
  let tokens = c.abstractTokens.get(f.index)
  if (tokens === undefined) {
    tokens = abstractTokens(c.abstractOf!(f))
    c.abstractTokens.set(f.index, tokens)
  }
  return tokens
}

/** A family-name key with German transliteration undone: "mueller" -> "muller". */
function looseName(key: string): string {
  return key.includes('e') ? key.replace(/([aou])e/g, '$1') : key
}

/** Whether two family-name keys name the same person despite transliteration or a typo. */
function familyNamesMatch(x: string, y: string): boolean {
  if (x === y) return true
  const shorter = Math.min(x.length, y.length)
  // Compound names cut short in one source ("garcia" / "garcialopez").
  if (shorter >= 4 && (x.startsWith(y) || y.startsWith(x))) return true
  if (looseName(x) === looseName(y)) return true
  return shorter >= 5 && Math.abs(x.length - y.length) <= 1 && levenshteinDistance(x, y, 1) <= 1
}

/** Whether any author of one list is an author of the other (exact keys up to transliteration). */
function shareAnAuthor(c: MatchContext, a: Features, b: Features): boolean {
  const keysB = looseAuthorKeysOf(c, b)
  for (const key of looseAuthorKeysOf(c, a)) if (keysB.includes(key)) return true
  return false
}

/** Trigram Dice of two titles. */
function trigramDice(p: Profiles, a: Features, b: Features): number {
  const { trigrams, trigramStart } = p
  return diceSimilarityIn(trigrams, trigramStart[a.index], trigramStart[a.index + 1], trigrams, trigramStart[b.index], trigramStart[b.index + 1])
}

/** Title similarity in [0, 1]: trigram Dice, refined by the Levenshtein ratio in the uncertain band. */
function titleSimilarity(p: Profiles, a: Features, b: Features): number {
  if (a.compact === b.compact) return 1
  const dice = trigramDice(p, a, b)
  if (dice >= 0.5 && dice < 0.97 && a.compact.length <= 500 && b.compact.length <= 500) {
    return Math.max(dice, levenshteinRatio(a.compact, b.compact))
  }
  return dice
}

/**
 * Whether one title is the other cut short: its start (subtitle dropped,
 * truncated field) or its end (main title dropped), with at least four
 * significant words and a third of the longer title.
 */
function titleContained(a: Features, b: Features): boolean {
  const [shorter, longer] = a.compact.length <= b.compact.length ? [a, b] : [b, a]
  if (shorter.significantWords < 4) return false
  if (shorter.compact.length < 0.35 * longer.compact.length) return false
  return longer.compact.startsWith(shorter.compact) || longer.compact.endsWith(shorter.compact)
}

/**
 * Whether the titles carry different numbers ("Part 1" / "Part 2", "phase II"
 * / "phase III"): each has a number the other lacks. A number present in
 * only one title is a dropped detail, not a conflict, and the same digits
 * written differently ("204,636" / "204636") are no conflict either.
 */
function numbersConflict(a: Features, b: Features): boolean {
  if (a.numbers === '' || b.numbers === '' || a.digits === b.digits) return false
  const numbersA = a.numbers.split(' ')
  const numbersB = b.numbers.split(' ')
  let i = 0
  let j = 0
  let onlyA = false
  let onlyB = false
  while (i < numbersA.length || j < numbersB.length) {
    if (j >= numbersB.length || (i < numbersA.length && numbersA[i] < numbersB[j])) {
      onlyA = true
      i++
    } else if (i >= numbersA.length || numbersB[j] < numbersA[i]) {
      onlyB = true
      j++
    } else {
      i++
      j++
    }
  }
  return onlyA && onlyB
}

/** Title points for a non-identical title similarity (see comparePair). */
function titlePointsFor(similarity: number, shortTitle: boolean): number {
  const points = similarity >= 0.97 ? 4 : similarity >= 0.92 ? 3 : similarity >= 0.85 ? 2 : similarity >= 0.75 ? 1 : 0
  return shortTitle ? Math.min(points, 2) : points
}

/** Evidence flags of a pair comparison (bits). */
const Evidence = {
  SameYear: 1, NearYear: 2, YearsDiffer: 4, SameFirstAuthor: 8, SharedAuthor: 16, NoCommonAuthor: 32,
  SameJournal: 64, DifferentJournal: 128, SamePage: 256, DifferentPages: 512, SameVolume: 1024,
  DifferentVolume: 2048, DifferentDois: 4096, DifferentPmcids: 8192, DifferentArxivIds: 16384,
  TitleContained: 32768, SimilarAbstracts: 65536
} as const

const EVIDENCE_TEXT: ReadonlyArray<[number, string]> = [
  [Evidence.SameYear, 'same year'], [Evidence.NearYear, 'year ±1'], [Evidence.YearsDiffer, 'years differ'],
  [Evidence.SameFirstAuthor, 'same first author'], [Evidence.SharedAuthor, 'shared author'],
  [Evidence.NoCommonAuthor, 'no author in common'], [Evidence.SameJournal, 'same journal'],
  [Evidence.DifferentJournal, 'different journal'], [Evidence.SamePage, 'same first page'],
  [Evidence.DifferentPages, 'different pages'], [Evidence.SameVolume, 'same volume'],
  [Evidence.DifferentVolume, 'different volume'], [Evidence.DifferentDois, 'different DOIs'],
  [Evidence.DifferentPmcids, 'different PMCIDs'], [Evidence.DifferentArxivIds, 'different arXiv ids'],
  [Evidence.SimilarAbstracts, 'similar abstracts']
]

interface PairVerdict {
  points: number
  evidence: string[]
}

/**
 * Points for a pair of records (DUPLICATE_POINTS or more: duplicates).
 *
 * Title: identical 7 (4 with fewer than 8 words; 3 with fewer than 4
 * significant words, 1 for generic titles such as "Editorial"), similarity
 * >= 0.97: 4, >= 0.92: 3, >= 0.85: 2, >= 0.75: 1, one title the start or
 * end of the other: 1.5; below that no link. Short titles get at most 2
 * unless identical, so they need corroboration. Then: same year +1, one
 * year apart 0 (in press vs final), further apart -3; same first author
 * +1.5, a shared author among the first ten +0.5, no author in common -5
 * (corporate and anonymous authors are not compared); compatible journal
 * +1, otherwise -0.5; same first page +1.5, different -3; same volume
 * +0.5 (-1 when the first pages differ: another article of the same
 * issue), different -1.5; different DOIs -4, different PMCIDs -4, different
 * arXiv ids -3; similar abstracts +2 (looked at only when they can change
 * the outcome).
 * Absolute vetoes: different PMIDs (distinct PubMed records), a notice
 * (erratum, retraction, comment) paired with a non-notice, and titles
 * with conflicting numbers ("Part 1" / "Part 2", "phase II" / "phase III").
 */
function comparePair(c: MatchContext, a: Features, b: Features): PairVerdict | undefined {
  if (a.compact.length === 0 || b.compact.length === 0) return undefined
  if (a.notice !== b.notice) return undefined
  if (a.pmid && b.pmid && a.pmid !== b.pmid) return undefined
  const { trigramStart, words, wordStart } = c.profiles
  if (diceUpperBound(trigramStart[a.index + 1] - trigramStart[a.index], trigramStart[b.index + 1] - trigramStart[b.index]) < 0.45) {
    return undefined
  }
  // Titles sharing few words are told apart by a word-overlap test that
  // costs a tenth of the trigram one. Duplicates keep most words (a typo or
  // a spelling variant changes one), and a title cut short keeps all of its.
  if (diceSimilarityIn(words, wordStart[a.index], wordStart[a.index + 1], words, wordStart[b.index], wordStart[b.index + 1]) < 0.35) {
    return undefined
  }

  // The title first: most compared pairs fail here, on the cheap trigram score.
  const identical = a.compact === b.compact
  const dice = identical ? 1 : trigramDice(c.profiles, a, b)
  const contained = !identical && dice < 0.75 && titleContained(a, b)
  if (dice < 0.45 && !contained) return undefined
  // "Part 1" / "Part 2", "phase II" / "phase III": companion papers, not duplicates.
  if (numbersConflict(a, b)) return undefined

  // Evidence is recorded as flags and spelt out only for linked pairs.
  let flags = 0
  let points = 0
  if (a.year !== undefined && b.year !== undefined) {
    const gap = Math.abs(a.year - b.year)
    if (gap === 0) {
      points += 1
      flags |= Evidence.SameYear
    } else if (gap === 1) {
      flags |= Evidence.NearYear
    } else {
      points -= 3
      flags |= Evidence.YearsDiffer
    }
  }
  if (a.firstAuthor && b.firstAuthor) {
    if (familyNamesMatch(a.firstAuthor, b.firstAuthor)) {
      points += 1.5
      flags |= Evidence.SameFirstAuthor
    } else if (shareAnAuthor(c, a, b)) {
      points += 0.5
      flags |= Evidence.SharedAuthor
    } else {
      points -= 5
      flags |= Evidence.NoCommonAuthor
    }
  }
  if (a.journalWords.length > 0 && b.journalWords.length > 0) {
    if (journalWordsCompatible(a.journalWords, b.journalWords)) {
      points += 1
      flags |= Evidence.SameJournal
    } else {
      points -= 0.5
      flags |= Evidence.DifferentJournal
    }
  }
  if (a.page !== undefined && b.page !== undefined) {
    if (a.page === b.page) {
      points += 1.5
      flags |= Evidence.SamePage
    } else {
      points -= 3
      flags |= Evidence.DifferentPages
    }
  }
  if (a.volume !== undefined && b.volume !== undefined) {
    if (a.volume === b.volume) {
      // Same volume but another first page: another article of the same issue.
      points += flags & Evidence.DifferentPages ? -1 : 0.5
      flags |= Evidence.SameVolume
    } else {
      points -= 1.5
      flags |= Evidence.DifferentVolume
    }
  }
  if (a.doi && b.doi && a.doi !== b.doi) {
    points -= 4
    flags |= Evidence.DifferentDois
  }
  if (a.pmcid && b.pmcid && a.pmcid !== b.pmcid) {
    points -= 4
    flags |= Evidence.DifferentPmcids
  }
  if (a.arxivId && b.arxivId && a.arxivId !== b.arxivId) {
    points -= 3
    flags |= Evidence.DifferentArxivIds
  }

  // The costlier edit distance is computed only when it can change the verdict.
  const shortTitle = Math.min(a.significantWords, b.significantWords) < 4
  const abstractBonus = a.hasAbstract && b.hasAbstract ? 2 : 0
  let titlePoints: number
  let similarity = dice
  if (identical) {
    titlePoints = !shortTitle ? (a.tokenCount >= 8 ? 7 : 4) : a.generic ? 1 : 3
  } else {
    if (points + (shortTitle ? 2 : 4) + abstractBonus < DUPLICATE_POINTS) return undefined
    if (similarity < 0.97 && points + titlePointsFor(similarity, shortTitle) < DUPLICATE_POINTS &&
      Math.max(a.compact.length, b.compact.length) <= 500) {
      similarity = Math.max(similarity, levenshteinRatio(a.compact, b.compact, 0.75))
    }
    titlePoints = titlePointsFor(similarity, shortTitle)
    if (titlePoints < 1.5 && contained) {
      titlePoints = 1.5
      flags |= Evidence.TitleContained
    }
    if (titlePoints === 0) return undefined
  }
  points += titlePoints
  // The abstract is the slowest comparison, so it is read only when it can
  // change the verdict.
  if (points < DUPLICATE_POINTS && points + abstractBonus >= DUPLICATE_POINTS) {
    const pair: PendingPair = { a: a.index, b: b.index, points, flags, identical, similarity }
    if (!c.abstractOf) {
      c.pending.push(pair)
      return undefined
    }
    return judgeByAbstracts(c, pair, a, b)
  }
  return verdictOf(points, flags, identical, similarity)
}

/** A pair whose verdict waits for its abstracts: what comparePair found so far. */
interface PendingPair {
  a: number
  b: number
  points: number
  flags: number
  identical: boolean
  similarity: number
}

/** The verdict on a pending pair, its abstracts now at hand. */
function judgeByAbstracts(c: MatchContext, pair: PendingPair, a: Features, b: Features): PairVerdict | undefined {
  let { points, flags } = pair
  const wordsA = abstractTokensOf(c, a)
  const wordsB = abstractTokensOf(c, b)
  if (wordsA && wordsB) {
    const [smaller, larger] = wordsA.size <= wordsB.size ? [wordsA, wordsB] : [wordsB, wordsA]
    let common = 0
    for (const w of smaller) if (larger.has(w)) common++
    if (common / smaller.size >= 0.75) {
      points += 2
      flags |= Evidence.SimilarAbstracts
    }
  }
  return verdictOf(points, flags, pair.identical, pair.similarity)
}

function verdictOf(points: number, flags: number, identical: boolean, similarity: number): PairVerdict | undefined {
  if (points < DUPLICATE_POINTS) return undefined
  const evidence = [
    identical ? 'identical title' : flags & Evidence.TitleContained ? 'title contained in the other' : `title ${similarity.toFixed(2)}`
  ]
  for (const [flag, text] of EVIDENCE_TEXT) if (flags & flag) evidence.push(text)
  return { points, evidence }
}

/** Union-find whose unions respect cannot-link constraints between members. */
class ConstrainedUnionFind {
  private readonly parent: Int32Array
  private readonly rank: Uint8Array
  /** Root -> members that must never join its component. */
  private readonly cannotLink = new Map<number, Set<number>>()

  constructor(size: number) {
    this.parent = new Int32Array(size)
    this.rank = new Uint8Array(size)
    for (let i = 0; i < size; i++) this.parent[i] = i
  }

  find(x: number): number {
    let root = x
    while (this.parent[root] !== root) root = this.parent[root]
    while (this.parent[x] !== root) {
      const next = this.parent[x]
      this.parent[x] = root
      x = next
    }
    return root
  }

  forbid(a: number, b: number): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (!this.cannotLink.has(ra)) this.cannotLink.set(ra, new Set())
    if (!this.cannotLink.has(rb)) this.cannotLink.set(rb, new Set())
    this.cannotLink.get(ra)!.add(b)
    this.cannotLink.get(rb)!.add(a)
  }

  /** Joins the components of a and b unless a constraint forbids it; true when they are (now) joined. */
  union(a: number, b: number): boolean {
    let ra = this.find(a)
    let rb = this.find(b)
    if (ra === rb) return true
    const forbiddenA = this.cannotLink.get(ra)
    const forbiddenB = this.cannotLink.get(rb)
    if (forbiddenA && forbiddenB) {
      // The constraint sets are symmetric, so checking the smaller suffices.
      const [smaller, otherRoot] = forbiddenA.size <= forbiddenB.size ? [forbiddenA, rb] : [forbiddenB, ra]
      for (const member of smaller) if (this.find(member) === otherRoot) return false
    }
    if (this.rank[ra] < this.rank[rb]) [ra, rb] = [rb, ra]
    this.parent[rb] = ra
    if (this.rank[ra] === this.rank[rb]) this.rank[ra]++
    const moved = this.cannotLink.get(rb)
    if (moved) {
      const kept = this.cannotLink.get(ra)
      if (kept) for (const member of moved) kept.add(member)
      else this.cannotLink.set(ra, moved)
      this.cannotLink.delete(rb)
    }
    return true
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

interface CandidateLink {
  a: number
  b: number
  reason: MatchReason
  score: number
  evidence: string[]
}

/** How many of a title's rarest words become blocking keys. */
const RARE_WORD_KEYS = 2

/** Identifier groups larger than this are linked only within same-title subgroups. */
const MAX_IDENTIFIER_GROUP = 20

/**
 * Finds clusters of duplicate records. See the module comment for the rules;
 * the result lists only clusters of two or more records.
 */
export function findDuplicateClusters(items: Iterable<DedupItem>, options: DedupOptions = {}): DedupResult {
  const finder = new DuplicateFinder()
  for (const item of items) finder.add(item)
  return finder.finish(options)
}

export interface FinderOptions {
  /**
   * 'kept' (the default): the finder keeps the beginning of each record's
   * abstract. 'on-demand': it keeps only whether there is one
   * (DedupItem.hasAbstract), and finishAsync loads the few abstracts that
   * can tip a comparison (a fraction of a percent of the records).
   */
  abstracts?: 'kept' | 'on-demand'
}

/** Loads the abstracts of records by id (records without one may be left out). */
export type AbstractLoader = (ids: string[]) => Promise<Map<string, string>>

/**
 * findDuplicateClusters for records that arrive a few at a time (read from a
 * database in chunks): each record is reduced to its comparison features as
 * it is added, so memory holds features, never all the records at once.
 */
export class DuplicateFinder {
  private readonly ids: string[] = []
  private readonly indexById = new Map<string, number>()
  private readonly features: Features[] = []
  private readonly words = new IntList()
  private readonly wordStart = new IntList()
  private readonly journals: JournalCache = new Map()
  private readonly keepAbstracts: boolean
  private finished = false

  constructor(options: FinderOptions = {}) {
    this.keepAbstracts = options.abstracts !== 'on-demand'
  }

  /** Adds a record; records must come in input order (it breaks ties in the primary choice). */
  add(item: DedupItem): void {
    if (this.finished) throw new Error('records added after finish()')
    if (this.indexById.has(item.id)) throw new Error(`duplicate item id ${item.id}`)
    const index = this.ids.length
    this.indexById.set(item.id, index)
    this.ids.push(item.id)
    this.wordStart.push(this.words.length)
    this.features.push(extractFeatures(index, item, this.words, this.journals, this.keepAbstracts))
  }

  get size(): number {
    return this.ids.length
  }

  /** The clusters among the records added; called once, with abstracts kept. */
  finish(options: DedupOptions = {}): DedupResult {
    if (!this.keepAbstracts) throw new Error('abstracts are loaded on demand: call finishAsync()')
    return this.compare(options).conclude()
  }

  /** The clusters among the records added, loading the abstracts needed when they are loaded on demand; called once. */
  async finishAsync(options: DedupOptions, loadAbstracts: AbstractLoader): Promise<DedupResult> {
    const run = this.compare(options)
    const wanted = run.pendingRecords()
    if (wanted.length > 0) {
      const abstracts = await loadAbstracts(wanted.map((index) => this.ids[index]))
      run.resolvePending((f) => (abstracts.get(this.ids[f.index]) ?? '').slice(0, ABSTRACT_PREFIX))
    }
    return run.conclude()
  }

  private compare(options: DedupOptions): ClusterRun {
    if (this.finished) throw new Error('finish() was already called')
    this.finished = true
    this.wordStart.push(this.words.length)
    const profiles: Profiles = { ...packTrigrams(this.features), words: this.words.toArray(), wordStart: this.wordStart.toArray() }
    this.words.values = new Int32Array(0)
    this.wordStart.values = new Int32Array(0)
    const abstractOf = this.keepAbstracts ? (f: Features) => f.abstract : undefined
    return new ClusterRun(this.ids, this.indexById, this.features, profiles, options, abstractOf)
  }
}

/**
 * One clustering: identifier links and blocked comparisons at construction,
 * then (when abstracts are loaded on demand) the pairs only abstracts can
 * decide, then the clusters.
 */
class ClusterRun {
  private readonly unionFind: ConstrainedUnionFind
  private readonly splitOff: Uint8Array
  private readonly accepted: CandidateLink[] = []
  private readonly fuzzy: CandidateLink[] = []
  private readonly conflicts: IdentifierConflict[] = []
  private readonly context: MatchContext
  private comparisons = 0

  constructor(
    private readonly ids: readonly string[],
    indexById: ReadonlyMap<string, number>,
    private readonly features: readonly Features[],
    profiles: Profiles,
    options: DedupOptions,
    abstractOf: ((f: Features) => string) | undefined
  ) {
    const count = ids.length
    this.context = { profiles, looseAuthorKeys: new Map(), abstractTokens: new Map(), abstractOf, pending: [] }
    this.unionFind = new ConstrainedUnionFind(count)
    this.splitOff = new Uint8Array(count)
    for (const id of options.splitIds ?? []) {
      const index = indexById.get(id)
      if (index !== undefined) this.splitOff[index] = 1
    }
    for (const [x, y] of options.notDuplicatePairs ?? []) {
      const a = indexById.get(x)
      const b = indexById.get(y)
      if (a !== undefined && b !== undefined && a !== b) this.unionFind.forbid(a, b)
    }
    // Manual confirmations first: they outrank every automatic link.
    for (const cluster of options.confirmedClusters ?? []) {
      const members = cluster.map((id) => indexById.get(id)).filter((index): index is number => index !== undefined)
      for (let k = 1; k < members.length; k++) {
        this.apply({ a: members[0], b: members[k], reason: 'manual', score: 1, evidence: ['confirmed by a reviewer'] }, false)
      }
    }
    // The blocks read each title's key words, which come first among its
    // word hashes until these are sorted for the comparisons.
    const blocks = buildBlocks(features, profiles, options.maxBlockSize ?? 40)
    sortWordHashes(profiles.words, profiles.wordStart)
    this.linkSharedIdentifiers()
    this.compareBlocks(blocks, options.maxBlockSize ?? 40, options.window ?? 8)
  }

  private apply(link: CandidateLink, automatic: boolean): void {
    if (automatic && (this.splitOff[link.a] === 1 || this.splitOff[link.b] === 1)) return
    if (this.unionFind.find(link.a) === this.unionFind.find(link.b)) return
    if (this.unionFind.union(link.a, link.b)) this.accepted.push(link)
  }

  /** Stage 1: shared identifiers. */
  private linkSharedIdentifiers(): void {
    const { features, ids, unionFind } = this
    const identifierKinds = [
      ['pmid', (f: Features) => f.pmid],
      ['pmcid', (f: Features) => f.pmcid],
      ['arxiv', (f: Features) => f.arxivId],
      ['doi', (f: Features) => f.doi]
    ] as const
    for (const [kind, valueOf] of identifierKinds) {
      const groups = new Map<string, number[]>()
      for (let i = 0; i < features.length; i++) {
        const value = valueOf(features[i])
        if (value === undefined) continue
        const group = groups.get(value)
        if (group) group.push(i)
        else groups.set(value, [i])
      }
      for (const [value, group] of groups) {
        if (group.length < 2) continue
        const pairs: Array<[number, number]> = []
        if (group.length <= MAX_IDENTIFIER_GROUP) {
          for (let x = 0; x < group.length; x++) for (let y = x + 1; y < group.length; y++) pairs.push([group[x], group[y]])
        } else {
          // A identifier on many records is mostly a shared container DOI;
          // link only records that also have the same title.
          const byTitle = new Map<string, number>()
          for (const i of group) {
            const first = byTitle.get(features[i].compact)
            if (first === undefined) byTitle.set(features[i].compact, i)
            else pairs.push([first, i])
          }
        }
        for (const [a, b] of pairs) {
          if (unionFind.find(a) === unionFind.find(b)) continue
          this.comparisons++
          const why = identifierPairObjection(this.context.profiles, kind, features[a], features[b])
          if (why) {
            if (kind !== 'pmid') this.conflicts.push({ a: ids[a], b: ids[b], identifier: kind, value, why })
            continue
          }
          this.apply({ a, b, reason: kind, score: 1, evidence: [`same ${kind === 'arxiv' ? 'arXiv id' : kind.toUpperCase()} ${value}`] }, true)
        }
      }
    }
  }

  /**
   * Stage 2: blocked bibliographic comparison. Pairs are enumerated from
   * their lower-indexed record, so a stamp per partner (`lastPartnerOf`)
   * suffices to skip a pair met again through another block.
   */
  private compareBlocks(blocks: number[][], maxBlockSize: number, window: number): void {
    const { features, splitOff, unionFind } = this
    const count = features.length
    const lastPartnerOf = new Int32Array(count).fill(-1)
    // Blocks of each record, CSR style: blockIds[start[i] .. start[i+1]) with the record's position in the block.
    const blockIsLarge: boolean[] = []
    const membership = new Int32Array(count + 1)
    for (const members of blocks) {
      const large = members.length > maxBlockSize
      if (large) {
        members.sort((p, q) => (features[p].compact < features[q].compact ? -1 : features[p].compact > features[q].compact ? 1 : p - q))
      }
      blockIsLarge.push(large)
      for (const member of members) membership[member + 1]++
    }
    for (let i = 0; i < count; i++) membership[i + 1] += membership[i]
    const fill = membership.slice(0, count)
    const blockOf = new Int32Array(membership[count])
    const positionIn = new Int32Array(membership[count])
    blocks.forEach((members, blockId) => {
      members.forEach((member, position) => {
        blockOf[fill[member]] = blockId
        positionIn[fill[member]] = position
        fill[member]++
      })
    })
    const consider = (a: number, b: number): void => {
      if (lastPartnerOf[b] === a) return
      lastPartnerOf[b] = a
      if (splitOff[b] === 1 || unionFind.find(a) === unionFind.find(b)) return
      this.comparisons++
      this.addFuzzy(a, b, comparePair(this.context, features[a], features[b]))
    }
    for (let a = 0; a < count; a++) {
      if (splitOff[a] === 1) continue
      for (let k = membership[a]; k < membership[a + 1]; k++) {
        const members = blocks[blockOf[k]]
        if (!blockIsLarge[blockOf[k]]) {
          for (const b of members) if (b > a) consider(a, b)
        } else {
          // A large block is compared only between neighbours in title order.
          const position = positionIn[k]
          const last = Math.min(members.length - 1, position + window)
          for (let m = Math.max(0, position - window); m <= last; m++) if (members[m] > a) consider(a, members[m])
        }
      }
    }
  }

  private addFuzzy(a: number, b: number, verdict: PairVerdict | undefined): void {
    if (!verdict) return
    this.fuzzy.push({ a, b, reason: 'bibliographic', score: Math.min(1, Math.round((verdict.points / 8) * 100) / 100), evidence: verdict.evidence })
  }

  /** Records whose abstracts the pending pairs need, in input order. */
  pendingRecords(): number[] {
    const wanted = new Set<number>()
    for (const pair of this.context.pending) {
      wanted.add(pair.a)
      wanted.add(pair.b)
    }
    return [...wanted].sort((x, y) => x - y)
  }

  /** Decides the pending pairs with their abstracts. */
  resolvePending(abstractOf: (f: Features) => string): void {
    this.context.abstractOf = abstractOf
    for (const pair of this.context.pending) {
      this.addFuzzy(pair.a, pair.b, judgeByAbstracts(this.context, pair, this.features[pair.a], this.features[pair.b]))
    }
    this.context.pending = []
  }

  conclude(): DedupResult {
    if (this.context.pending.length > 0) throw new Error('pairs are waiting for their abstracts')
    // The strongest links first, so that a cannot-link constraint rejects the weaker one.
    this.fuzzy.sort((p, q) => q.score - p.score || p.a - q.a || p.b - q.b)
    for (const link of this.fuzzy) this.apply(link, true)
    return {
      clusters: assembleClusters(this.ids, this.features, this.unionFind, this.accepted),
      comparisons: this.comparisons,
      sharedIdentifierConflicts: this.conflicts
    }
  }
}

/** Why two records sharing an identifier should not be linked by it, or undefined. */
function identifierPairObjection(p: Profiles, kind: 'pmid' | 'pmcid' | 'arxiv' | 'doi', a: Features, b: Features): string | undefined {
  if (a.notice !== b.notice) return 'one record is an erratum, retraction or comment notice'
  if (kind === 'pmid') return undefined
  if (a.pmid && b.pmid && a.pmid !== b.pmid) return 'different PMIDs'
  if (kind !== 'doi') return undefined
  if (a.compact.length === 0 || b.compact.length === 0) return undefined
  const similarity = titleSimilarity(p, a, b)
  if (similarity >= 0.9) return undefined
  if (a.page !== undefined && b.page !== undefined && a.page !== b.page) return 'different first pages'
  if (similarity >= 0.6 || titleContained(a, b)) return undefined
  const sameAuthor = a.firstAuthor !== '' && b.firstAuthor !== '' && familyNamesMatch(a.firstAuthor, b.firstAuthor)
  const closeYear = a.year !== undefined && b.year !== undefined && Math.abs(a.year - b.year) <= 1
  const samePage = a.page !== undefined && a.page === b.page
  return sameAuthor && closeYear && samePage ? undefined : 'different titles'
}

/** Kinds of blocking keys, mixed into their hashes. */
const enum BlockKey { TitleStart = 1, TitleEnd = 2, RareWord = 3, AuthorYear = 4, PageJournal = 5 }

/** Keys a record can have: title start and end, RARE_WORD_KEYS rare words, author + year, page + journal. */
const KEYS_PER_RECORD = 4 + RARE_WORD_KEYS

/**
 * Two independent 32-bit hashes of a blocking key, built a piece at a time
 * without making the key's string: 64 bits make a collision between two of
 * a few hundred thousand keys unlikely (about 1 in 10^8 per run), and one
 * would only add comparisons to a block.
 */
class KeyHash {
  hi = 0
  lo = 0

  start(kind: BlockKey): this {
    this.hi = Math.imul(0x811c9dc5 ^ kind, 0x01000193)
    this.lo = Math.imul(0x9e3779b9 ^ kind, 0x5bd1e995)
    return this
  }

  add(code: number): this {
    this.hi = Math.imul(this.hi ^ code, 0x01000193)
    const lo = Math.imul(this.lo ^ code, 0x5bd1e995)
    this.lo = lo ^ (lo >>> 15)
    return this
  }

  addText(text: string, from = 0, to = text.length): this {
    for (let i = from; i < to; i++) this.add(text.charCodeAt(i))
    // A separator, so that ("ab", "c") and ("a", "bc") differ.
    return this.add(0x10000)
  }
}

/**
 * The blocks: records sharing a key, as lists of two or more record
 * indexes in input order. Keys are hashed (KeyHash) and sorted rather than
 * kept as strings in a map: most keys belong to one record only, and a map
 * of a string and a list per key cost more memory than the features
 * themselves.
 */
function buildBlocks(features: readonly Features[], profiles: Profiles, maxBlockSize: number): number[][] {
  const { words, wordStart } = profiles
  // Document frequency of title words, to pick each title's rarest words.
  // Counted by word hash: a rare collision only merges two counts.
  const frequency = new Map<number, number>()
  for (const f of features) {
    for (let k = wordStart[f.index]; k < wordStart[f.index] + f.keyWordCount; k++) frequency.set(words[k], (frequency.get(words[k]) ?? 0) + 1)
  }
  const capacity = features.length * KEYS_PER_RECORD
  const keyHi = new Int32Array(capacity)
  const keyLo = new Int32Array(capacity)
  const keyOf = new Int32Array(capacity)
  let keys = 0
  const hash = new KeyHash()
  /** Records the key just hashed for a record. */
  const add = (index: number): void => {
    keyHi[keys] = hash.hi
    keyLo[keys] = hash.lo
    keyOf[keys++] = index
  }
  const rare: Array<[number, number]> = []
  for (const f of features) {
    const { compact, index } = f
    if (compact.length >= 10) {
      hash.start(BlockKey.TitleStart).addText(compact, 0, Math.min(16, compact.length))
      add(index)
      hash.start(BlockKey.TitleEnd).addText(compact, Math.max(0, compact.length - 16))
      add(index)
    }
    rare.length = 0
    for (let k = wordStart[index]; k < wordStart[index] + f.keyWordCount; k++) {
      const word = words[k]
      const df = frequency.get(word)!
      // A word found once cannot pair the record with anything; a common
      // word makes a block whose title-ordered window only repeats what
      // the title-start key already compares.
      if (df >= 2 && df <= maxBlockSize) rare.push([word, df])
    }
    rare.sort((x, y) => x[1] - y[1] || x[0] - y[0])
    for (let k = 0; k < RARE_WORD_KEYS && k < rare.length; k++) {
      hash.start(BlockKey.RareWord).add(rare[k][0])
      add(index)
    }
    if (f.firstAuthor && f.year !== undefined) {
      hash.start(BlockKey.AuthorYear).addText(f.firstAuthor).add(f.year)
      add(index)
    }
    if (f.page !== undefined && (f.journalInitials || f.volume)) {
      hash.start(BlockKey.PageJournal).addText(f.page)
      if (f.journalInitials) hash.addText(f.journalInitials)
      else hash.add(0x10001).addText(f.volume!)
      add(index)
    }
  }
  // Keys in hash order, each key's records in input order.
  const order = new Uint32Array(keys)
  for (let k = 0; k < keys; k++) order[k] = k
  order.sort((x, y) => keyHi[x] - keyHi[y] || keyLo[x] - keyLo[y] || keyOf[x] - keyOf[y])
  const blocks: number[][] = []
  for (let first = 0; first < keys;) {
    let last = first + 1
    while (last < keys && keyHi[order[last]] === keyHi[order[first]] && keyLo[order[last]] === keyLo[order[first]]) last++
    if (last - first >= 2) {
      const members: number[] = []
      for (let k = first; k < last; k++) {
        const member = keyOf[order[k]]
        if (members[members.length - 1] !== member) members.push(member)
      }
      if (members.length >= 2) blocks.push(members)
    }
    first = last
  }
  return blocks
}

function assembleClusters(ids: readonly string[], features: readonly Features[], unionFind: ConstrainedUnionFind, links: CandidateLink[]): DuplicateCluster[] {
  const linked = new Set<number>()
  for (const link of links) {
    linked.add(link.a)
    linked.add(link.b)
  }
  const membersByRoot = new Map<number, number[]>()
  for (const index of [...linked].sort((x, y) => x - y)) {
    const root = unionFind.find(index)
    const members = membersByRoot.get(root)
    if (members) members.push(index)
    else membersByRoot.set(root, [index])
  }
  const linksByRoot = new Map<number, CandidateLink[]>()
  for (const link of links) {
    const root = unionFind.find(link.a)
    const list = linksByRoot.get(root)
    if (list) list.push(link)
    else linksByRoot.set(root, [link])
  }
  const clusters: Array<{ primary: number; cluster: DuplicateCluster }> = []
  for (const [root, members] of membersByRoot) {
    let primary = members[0]
    let best = features[primary].completeness
    for (const member of members) {
      const score = features[member].completeness
      if (score > best) {
        best = score
        primary = member
      }
    }
    const clusterLinks = linksByRoot.get(root) ?? []
    clusters.push({
      primary,
      cluster: {
        primaryId: ids[primary],
        memberIds: members.map((m) => ids[m]),
        reasons: [...new Set(clusterLinks.map((l) => l.reason))],
        score: clusterLinks.reduce((min, l) => Math.min(min, l.score), 1),
        links: clusterLinks.map((l) => ({ a: ids[l.a], b: ids[l.b], reason: l.reason, score: l.score, evidence: l.evidence }))
      }
    })
  }
  clusters.sort((x, y) => x.primary - y.primary)
  return clusters.map((c) => c.cluster)
}
