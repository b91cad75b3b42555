/**
 * Whether two records are duplicates, judged on their features: the points
 * of a bibliographic comparison (comparePair) and the objections to a
 * shared identifier (identifierPairObjection).
 */

import { decodeAuthors, personKey, type Features, type Profiles } from './features.ts'
import { journalWordsCompatible, normalizeText } from './normalize.ts'
import { diceSimilarityIn, diceUpperBound, levenshteinDistance, levenshteinRatio } from './similarity.ts'

/** Points at which a bibliographic comparison links two records. */
export const DUPLICATE_POINTS = 4

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
export interface MatchContext {
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
export function trigramDice(p: Profiles, a: Features, b: Features): number {
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
  DifferentVolume: 2048, DifferentPmcids: 8192, DifferentArxivIds: 16384,
  TitleContained: 32768, SimilarAbstracts: 65536, PreprintAndArticle: 131072
} as const

const EVIDENCE_TEXT: ReadonlyArray<[number, string]> = [
  [Evidence.SameYear, 'same year'], [Evidence.NearYear, 'year ±1'], [Evidence.YearsDiffer, 'years differ'],
  [Evidence.SameFirstAuthor, 'same first author'], [Evidence.SharedAuthor, 'shared author'],
  [Evidence.NoCommonAuthor, 'no author in common'], [Evidence.SameJournal, 'same journal'],
  [Evidence.DifferentJournal, 'different journal'], [Evidence.SamePage, 'same first page'],
  [Evidence.DifferentPages, 'different pages'], [Evidence.SameVolume, 'same volume'],
  [Evidence.DifferentVolume, 'different volume'],
  [Evidence.DifferentPmcids, 'different PMCIDs'], [Evidence.DifferentArxivIds, 'different arXiv ids'],
  [Evidence.SimilarAbstracts, 'similar abstracts'], [Evidence.PreprintAndArticle, 'a preprint and its published version']
]

export interface PairVerdict {
  points: number
  evidence: string[]
  /**
   * A preprint and the version published elsewhere: the same work, two
   * publications. Such a pair is reported as related and never merged.
   */
  related?: boolean
}

/**
 * Why two records are two publications whatever their titles say, or
 * undefined. These contradictions veto a bibliographic link:
 *   - two different DOIs (a preprint and its published version aside: they
 *     are related, see PairVerdict.related);
 *   - a conference abstract or paper and a full journal article, or a
 *     preprint and anything that is not a preprint (without different DOIs
 *     the pair can still be reported as related);
 *   - abstracts of two meetings (different venues, or different years
 *     without the same first page);
 *   - venue, year, volume and first page all given and all different.
 */
export function contradiction(a: Features, b: Features): string | undefined {
  const preprintPair = (a.kind === 'preprint') !== (b.kind === 'preprint')
  if (a.doi && b.doi && a.doi !== b.doi && !preprintPair) return 'different DOIs'
  if ((a.kind === 'meeting' && b.kind === 'article') || (a.kind === 'article' && b.kind === 'meeting')) {
    return 'a conference abstract and a journal article'
  }
  const venues = a.journalWords.length > 0 && b.journalWords.length > 0
  const venuesDiffer = venues && !journalWordsCompatible(a.journalWords, b.journalWords)
  const yearsDiffer = a.year !== undefined && b.year !== undefined && a.year !== b.year
  // One abstract printed twice keeps its page; the year alone may be the meeting's or the supplement's.
  if (a.kind === 'meeting' && b.kind === 'meeting' && (venuesDiffer || (yearsDiffer && (a.page === undefined || a.page !== b.page)))) return 'abstracts of different meetings'
  if (venuesDiffer && yearsDiffer && a.volume !== undefined && b.volume !== undefined && a.volume !== b.volume &&
    a.page !== undefined && b.page !== undefined && a.page !== b.page) {
    return 'venue, year, volume and pages all differ'
  }
  return undefined
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
 * issue), different -1.5; different PMCIDs -4, different arXiv ids -3;
 * similar abstracts +2 (looked at only when they can change the outcome).
 * Absolute vetoes: the contradictions of `contradiction` (different DOIs,
 * abstract vs article, different meetings, venue + year + volume + pages
 * all different: callers check it first), different PMIDs (distinct PubMed
 * records), a notice (erratum, retraction, comment) paired with a
 * non-notice, and titles with conflicting numbers ("Part 1" / "Part 2",
 * "phase II" / "phase III"). A preprint paired with a non-preprint that
 * scores as a duplicate is `related`, not a duplicate.
 */
export function comparePair(c: MatchContext, a: Features, b: Features): PairVerdict | undefined {
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
  if ((a.kind === 'preprint') !== (b.kind === 'preprint')) {
    flags |= Evidence.PreprintAndArticle
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
export interface PendingPair {
  a: number
  b: number
  points: number
  flags: number
  identical: boolean
  similarity: number
}

/** The verdict on a pending pair, its abstracts now at hand. */
export function judgeByAbstracts(c: MatchContext, pair: PendingPair, a: Features, b: Features): PairVerdict | undefined {
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
  return flags & Evidence.PreprintAndArticle ? { points, evidence, related: true } : { points, evidence }
}

/** Why two records sharing an identifier should not be linked by it, or undefined. */
export function identifierPairObjection(p: Profiles, kind: 'pmid' | 'pmcid' | 'arxiv' | 'doi', a: Features, b: Features): string | undefined {
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
