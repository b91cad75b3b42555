/**
 * Citation keys for included studies and the check of a generated text's
 * citations: every sentence that states something must cite at least one key
 * in brackets (`[Smith2020]`, `[Smith2020; Lee2019a]`), and every key cited
 * must be one of the studies given to the model.
 *
 * Keys are the first author's family name (ASCII letters only) followed by
 * the year ("nd" when unknown), with a, b, c… when two studies would share a
 * key; with no author, the first word of the title stands in.
 */

export interface KeyedStudy { id: string; authors: Array<{ family?: string }>; year: number | null; title: string }

const ascii = (text: string) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z]/g, '')

function baseKey(study: KeyedStudy): string {
  const family = ascii(study.authors[0]?.family ?? '')
  const stem = family || ascii(study.title.split(/\s+/).find((w) => ascii(w).length > 2) ?? '') || 'Anon'
  return `${stem.charAt(0).toUpperCase()}${stem.slice(1, 40)}${study.year ?? 'nd'}`
}

/** A unique key per study, in the order given; studies sharing a base key all get a suffix (a, b, …). */
export function citationKeys(studies: KeyedStudy[]): Map<string, string> {
  const groups = new Map<string, KeyedStudy[]>()
  for (const s of studies) {
    const key = baseKey(s)
    groups.set(key, [...(groups.get(key) ?? []), s])
  }
  const out = new Map<string, string>()
  for (const [key, members] of groups) {
    members.forEach((s, i) => out.set(s.id, members.length === 1 ? key : `${key}${suffix(i)}`))
  }
  return out
}

const suffix = (i: number): string => (i < 26 ? String.fromCharCode(97 + i) : suffix(Math.floor(i / 26) - 1) + String.fromCharCode(97 + (i % 26)))

/** A short label for tables and plots: "Smith 2020", "Smith 2020a". */
export function studyLabel(key: string): string {
  return key.replace(/^([A-Za-z]+?)(\d{4}|nd)([a-z]*)$/, '$1 $2$3')
}

/**
 * Words after which a full stop does not end a sentence (English and French):
 * "et al.", "e.g.", "i.e.", "vs.", "cf.", "approx.", "Fig.", "p.", initials ("J. Smith").
 */
const ABBREVIATIONS = new Set([
  'al', 'e.g', 'i.e', 'eg', 'ie', 'vs', 'cf', 'etc', 'approx', 'fig', 'figs', 'tab', 'no', 'nos', 'vol', 'p', 'pp', 'dr', 'prof', 'mr', 'mrs', 'ms',
  'st', 'resp', 'ca', 'viz', 'min', 'max', 'sd', 'ref', 'refs', 'eq', 'ed', 'eds', 'ex', 'par', 'env', 'cad', 'mme', 'mm', 'chap', 'sq', 'sqq'
])

/**
 * Splits text into sentences: a sentence ends at ".", "!" or "?" (and any
 * closing brackets or quotes, and a citation in brackets right after it)
 * followed by white space and then an upper-case letter, a digit, a bracket
 * or a quote — unless the word before the full stop is a known abbreviation
 * or a single letter (an initial). Line breaks between paragraphs, list items
 * and headings always end a sentence.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = []
  for (const block of text.split(/\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)]|#)\s)/)) {
    const flat = block.replace(/\s+/g, ' ').trim()
    if (!flat) continue
    let start = 0
    const end = /([.!?…]+)((?:["'»”)\]]*)(?:\s*\[[^\]]*\])?[.]?)(?:\s+(?=["'«“([]?[\p{Lu}\p{N}])|\s*$)/gu
    let m: RegExpExecArray | null
    while ((m = end.exec(flat))) {
      const before = flat.slice(start, m.index)
      const word = /([\p{L}.]+)$/u.exec(before)?.[1]?.toLowerCase() ?? ''
      if (m[1] === '.' && (ABBREVIATIONS.has(word) || ABBREVIATIONS.has(word.replace(/\.$/, '')) || /^\p{L}$/u.test(word) || /(^|\.)\p{L}\.\p{L}$/u.test(word))) continue
      out.push(flat.slice(start, m.index + m[1].length + m[2].length).trim())
      start = m.index + m[0].length
    }
    const rest = flat.slice(start).trim()
    if (rest) out.push(rest)
  }
  return out
}

export interface CheckedSentence {
  text: string
  /** Keys cited that are included studies. */
  keys: string[]
  /** Keys cited that are not among the studies given. */
  unknownKeys: string[]
  /** A statement that cites nothing. */
  uncited: boolean
}

/** A heading ("## Themes", "Themes:") or a bare list marker states nothing and needs no citation. */
const isHeading = (s: string) => /^#{1,6}\s/.test(s) || (/:$/.test(s) && s.split(/\s+/).length <= 8) || /^\*\*[^*]+\*\*:?$/.test(s) || !/\p{L}{2}/u.test(s)

/** Citations in brackets: `[A2020]`, `[A2020; B2019a]`, `[A2020, B2019]`; a bracket of anything else (e.g. "[sic]") is not read as a citation unless it looks like a key. */
export function citedKeys(sentence: string): string[] {
  const keys: string[] = []
  for (const m of sentence.matchAll(/\[([^\]\n]{1,400})\]/g)) {
    for (const part of m[1].split(/[;,]/)) {
      const key = part.trim().replace(/^@/, '')
      if (/^[A-Za-z][A-Za-z'-]*(\d{4}|nd)[a-z]{0,2}$/.test(key)) keys.push(key)
    }
  }
  return [...new Set(keys)]
}

/** Checks every sentence of a text against the known keys. */
export function checkCitations(text: string, known: ReadonlySet<string>): CheckedSentence[] {
  return splitSentences(text).map((sentence) => {
    const cited = citedKeys(sentence)
    const heading = cited.length === 0 && isHeading(sentence.replace(/^[-*•]\s*/, ''))
    return {
      text: sentence,
      keys: cited.filter((k) => known.has(k)),
      unknownKeys: cited.filter((k) => !known.has(k)),
      uncited: !heading && cited.length === 0
    }
  })
}
