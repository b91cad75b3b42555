/**
 * Normalised comparison keys for duplicate detection. The same reference
 * reaches a review from several databases with different casing,
 * punctuation, markup, diacritics, journal abbreviations and page styles;
 * these functions map such variants to one form so that the matcher
 * compares content, not typography.
 */

import { decodeHtmlEntities, parsePersonName } from '../references/text.ts'

// Inline markup (italics for species names, sub/superscripts in formulas)
// sits inside words, so it is removed without leaving a space: "H<sub>2</sub>O" -> "H2O".
const INLINE_TAG = /<\/?(?:i|b|em|strong|sub|sup|span|u|sc|small|font|mml:[a-z]+|scp)(?:\s[^<>]*)?>/gi
const OTHER_TAG = /<\/?[a-zA-Z][a-zA-Z0-9:-]*(?:\s[^<>]*)?\/?>/g

/** Removes HTML/XML/MathML tags; inline tags vanish, block tags become spaces. */
export function stripTags(text: string): string {
  if (!text.includes('<')) return text
  return text.replace(INLINE_TAG, '').replace(OTHER_TAG, ' ')
}

// Letters that NFKD does not decompose into base letter + combining mark.
const SPECIAL_LETTERS: Record<string, string> = {
  ß: 'ss', æ: 'ae', Æ: 'ae', œ: 'oe', Œ: 'oe', ø: 'o', Ø: 'o', ł: 'l', Ł: 'l', đ: 'd', Đ: 'd',
  ð: 'd', þ: 'th', Þ: 'th', ı: 'i', ŀ: 'l'
}
// Greek letters are spelt out in ASCII exports ("beta-blockers" vs "β-blockers").
const GREEK_LETTERS: Record<string, string> = {
  α: 'alpha', β: 'beta', γ: 'gamma', δ: 'delta', ε: 'epsilon', ζ: 'zeta', η: 'eta', θ: 'theta',
  ι: 'iota', κ: 'kappa', λ: 'lambda', μ: 'mu', µ: 'mu', ν: 'nu', ξ: 'xi', π: 'pi', ρ: 'rho',
  σ: 'sigma', ς: 'sigma', τ: 'tau', υ: 'upsilon', φ: 'phi', χ: 'chi', ψ: 'psi', ω: 'omega'
}
const SPECIAL_PATTERN = new RegExp(`[${Object.keys(SPECIAL_LETTERS).join('')}]`, 'g')
const GREEK_PATTERN = new RegExp(`[${Object.keys(GREEK_LETTERS).join('')}]`, 'g')

/** Lower-case ASCII-folded text: diacritics removed, ligatures and Greek letters spelt out. */
export function foldToAscii(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return text.toLowerCase()
  let folded = text.normalize('NFKD').replace(/\p{M}+/gu, '')
  // Only pay for the extra passes when non-ASCII letters remain.
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(folded)) {
    folded = folded.replace(SPECIAL_PATTERN, (ch) => SPECIAL_LETTERS[ch]).toLowerCase()
      .replace(GREEK_PATTERN, (ch) => GREEK_LETTERS[ch])
  }
  return folded.toLowerCase()
}

/** Text reduced to lower-case ASCII words separated by single spaces. */
export function normalizeText(text: string): string {
  return foldToAscii(stripTags(decodeHtmlEntities(text)))
    .replace(/&/g, ' and ')
    // Apostrophes join ("Crohn's" ~ "Crohns") rather than split a word.
    .replace(/['’‘`´]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
}

const LEADING_ARTICLES = new Set(['the', 'a', 'an', 'le', 'la', 'les', 'l', 'el', 'los', 'las', 'der', 'die', 'das', 'il', 'lo', 'gli'])

export interface TitleOptions {
  /** Drop a leading article ("The", "A", "An", and common French/Spanish/German/Italian ones). */
  dropLeadingArticles?: boolean
}

/**
 * Normalised title: entities decoded, tags stripped, diacritics folded,
 * lower case, punctuation as spaces, collapsed spaces. MEDLINE's square
 * brackets around translated titles and a trailing period vanish with the
 * punctuation.
 */
export function normalizeTitle(title: string | undefined, options: TitleOptions = {}): string {
  if (!title) return ''
  const text = normalizeText(title)
  if (!options.dropLeadingArticles) return text
  const space = text.indexOf(' ')
  if (space > 0 && LEADING_ARTICLES.has(text.slice(0, space))) return text.slice(space + 1)
  return text
}

// Particles that are part of a family name in one source and of the given
// names (or dropped) in another: "van der Berg" / "Berg, A. van der".
const NAME_PARTICLES = new Set([
  'van', 'von', 'der', 'den', 'de', 'del', 'della', 'di', 'da', 'dos', 'das', 'du', 'la', 'le',
  'ten', 'ter', 'te', 'vander', 'vanden', 'al', 'el', 'bin', 'ibn', 'st', 'mac'
])

/** Generational suffixes left in a family name ("King Jr"). */
const NAME_SUFFIXES = new Set(['jr', 'sr', 'jnr', 'snr', 'ii', 'iii', 'iv'])

/**
 * Family name key: folded, lower case, letters only, particles removed
 * ("van der Berg" -> "berg", "Müller" -> "muller", "O'Brien" -> "obrien").
 */
export function normalizeFamilyName(family: string | undefined): string {
  if (!family) return ''
  const words = normalizeText(family).split(' ').filter((w) => w.length > 0 && !/^\d+$/.test(w))
  const kept = words.filter((w) => !NAME_PARTICLES.has(w) && !NAME_SUFFIXES.has(w))
  return (kept.length > 0 ? kept : words).join('')
}

/**
 * Key of the first author's family name. When the family field holds a whole
 * Vancouver-style name ("Smith JA") with no given name, the trailing initials
 * are dropped; corporate authors keep their whole name.
 */
export function firstAuthorKey(authors: ReadonlyArray<{ family: string; given?: string; literal?: boolean }>): string {
  const first = authors[0]
  if (!first || !first.family) return ''
  if (first.literal) return normalizeText(first.family).replace(/ /g, '')
  let family = first.family.trim()
  // A whole name in the family field: "Smith JA", "Lewis G. F.", "van Duyvenvoorde W.", "Smith, J".
  if (!first.given) family = parsePersonName(family)?.family ?? family
  return normalizeFamilyName(family)
}

// Words that abbreviated journal titles omit ("J Med Internet Res" for
// "Journal of Medical Internet Research").
// Single letters stay: they are initials in abbreviations ("U S A").
const JOURNAL_STOP_WORDS = new Set([
  'of', 'the', 'and', 'in', 'for', 'on', 'at', 'to', 'an', 'with', 'from', 'by',
  'de', 'des', 'du', 'la', 'le', 'les', 'et', 'en', 'der', 'die', 'das', 'und', 'fur', 'di', 'il'
])

/** Journal title as lower-case ASCII words, without a leading "The" or a parenthetical place ("(London)"). */
export function normalizeJournal(journal: string | undefined): string {
  if (!journal) return ''
  return normalizeText(journal.replace(/\((?:[^()]*)\)\s*$/, ''))
    .replace(/^the /, '')
}

/** Significant words of a journal title, in order (stop words dropped). */
export function journalWords(journal: string | undefined): string[] {
  const text = normalizeJournal(journal)
  if (!text) return []
  return text.split(' ').filter((w) => !JOURNAL_STOP_WORDS.has(w))
}

/**
 * Initial letters of the significant words: "J Med Internet Res" and
 * "Journal of Medical Internet Research" both give "jmir".
 */
export function journalInitials(journal: string | undefined): string {
  return journalWords(journal).map((w) => w[0]).join('')
}

/** Whether `abbrev` can abbreviate `word`: same first letter, its letters appear in order ("natl" ~ "national"). */
function abbreviates(abbrev: string, word: string): boolean {
  if (abbrev === word) return true
  if (abbrev.length > word.length || abbrev[0] !== word[0]) return false
  let j = 1
  for (let i = 1; i < abbrev.length; i++) {
    while (j < word.length && word[j] !== abbrev[i]) j++
    if (j >= word.length) return false
    j++
  }
  return true
}

/**
 * Whether two journal titles can name the same journal: equal once
 * normalised, or one is a word-by-word abbreviation of the other
 * ("Br J Psychiatry" ~ "British Journal of Psychiatry",
 * "Proc Natl Acad Sci U S A" ~ "Proceedings of the National Academy of Sciences of the United States of America").
 * Returns undefined when either title is missing (no evidence either way).
 */
export function journalsCompatible(a: string | undefined, b: string | undefined): boolean | undefined {
  const wordsA = journalWords(a)
  const wordsB = journalWords(b)
  if (wordsA.length === 0 || wordsB.length === 0) return undefined
  return journalWordsCompatible(wordsA, wordsB)
}

/** journalsCompatible on pre-computed significant words. */
export function journalWordsCompatible(wordsA: readonly string[], wordsB: readonly string[]): boolean {
  if (wordsA.length !== wordsB.length) {
    // A single-word abbreviation of a longer title that was written without
    // spaces ("JMIR" for "Journal of Medical Internet Research").
    const [shorter, longer] = wordsA.length < wordsB.length ? [wordsA, wordsB] : [wordsB, wordsA]
    if (shorter.length === 1 && shorter[0] === longer.map((w) => w[0]).join('')) return true
    return false
  }
  for (let i = 0; i < wordsA.length; i++) {
    const x = wordsA[i]
    const y = wordsB[i]
    if (x === y) continue
    if (!(x.length <= y.length ? abbreviates(x, y) : abbreviates(y, x))) return false
  }
  return true
}

/**
 * First page as digits without leading zeros: "123-9" -> "123",
 * "e1234" -> "1234", "S12–S19" -> "12"; undefined when no digits.
 */
export function firstPage(pages: string | undefined): string | undefined {
  if (!pages) return undefined
  const match = /\d+/.exec(pages)
  if (!match) return undefined
  const digits = match[0].replace(/^0+/, '')
  return digits.length > 0 ? digits : undefined
}

/** Volume as its leading digits ("12 (Suppl 2)" -> "12"), or the normalised text when it has none. */
export function normalizeVolume(volume: string | undefined): string | undefined {
  if (!volume) return undefined
  const match = /\d+/.exec(volume)
  if (match) return match[0].replace(/^0+/, '') || '0'
  const text = normalizeText(volume)
  return text.length > 0 ? text : undefined
}

/** Publication year as a number, or undefined for a missing/implausible one. */
export function normalizeYear(year: number | undefined): number | undefined {
  return year !== undefined && Number.isInteger(year) && year >= 1000 && year <= 2200 ? year : undefined
}

// Titles of notices that point at another article and usually repeat its
// title: they are separate records, never duplicates of the article. The
// patterns need the punctuation that marks a notice ("Correction: …",
// "Response to: …") so that articles such as "Correction of scoliosis…" or
// "Response to treatment…" are not taken for notices.
const NOTICE_PATTERNS = [
  /^(?:erratum|errata|corrigendum|corrigenda|addendum)\b/,
  /^(?:correction|retraction|retracted(?: article)?|withdrawn|expression of concern|notice of retraction|retraction notice)\s*(?::|to\b|-\s)/,
  /^(?:comments? on|commentary on|reply to|response to|in reply to|re)\s*:/,
  /^(?:comments? on|commentary on|reply to|response to|in reply to)\s*["“‘']/,
  /^(?:authors?'?|the authors'?) reply\b/
]

/** Whether a title (raw, as imported) is that of an erratum, retraction, comment or reply notice. */
export function isNoticeTitle(title: string | undefined): boolean {
  if (!title) return false
  const text = foldToAscii(stripTags(decodeHtmlEntities(title))).replace(/^[\s[("']+/, '')
  return NOTICE_PATTERNS.some((pattern) => pattern.test(text))
}
