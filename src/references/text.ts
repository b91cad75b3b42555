/**
 * Text helpers shared by the tagged-format importers (RIS, MEDLINE, Web of
 * Science) and BibTeX: line splitting over streamed chunks, HTML cleanup,
 * person-name parsing, page ranges, ISSN/ISBN extraction, decision labels.
 */
import type { Author, ImportedLabel, ParsedItem, ReferenceRecord } from './model.ts'
import type { FormatInput } from './formats/types.ts'
import { DEFAULT_IMPORT_LIMITS, ImportLimitError, type ImportLimits } from './limits.ts'

const LINE_BREAK = /\r\n|\r|\n/

/**
 * Split streamed text into lines, in batches (one array per chunk) because
 * yielding line by line through an async generator costs more than parsing
 * the line. CRLF, LF and lone CR all end a line, also when a CRLF pair or a
 * line is cut across two chunks. A final line without line break is kept.
 * With `limits`, a line longer than IMPORT_MAX_RECORD_CHARS is refused as soon
 * as that many characters came without a line break.
 */
export async function* lineBatches(chunks: AsyncIterable<string>, limits?: ImportLimits): AsyncGenerator<string[]> {
  const max = limits?.maxRecordChars ?? Infinity
  let carry = ''
  let afterCr = false
  let lineCount = 0
  for await (let chunk of chunks) {
    if (chunk.length === 0) continue
    if (afterCr && chunk.charCodeAt(0) === 10) chunk = chunk.slice(1)
    if (chunk.length === 0) continue
    afterCr = chunk.charCodeAt(chunk.length - 1) === 13
    // the carried piece holds no line break, so it can be prepended to the chunk's first line
    // instead of concatenating (and copying) the whole chunk
    const lines = splitAllLines(chunk)
    if (carry.length > 0) lines[0] = carry + lines[0]
    carry = lines.pop() as string
    if (carry.length > max) throw ImportLimitError.recordChars(limits as ImportLimits, `line ${lineCount + lines.length + 1}`)
    if (lines.length > 0 && (lines[0].length > max || chunk.length > max)) {
      const long = lines.findIndex((line) => line.length > max)
      if (long >= 0) throw ImportLimitError.recordChars(limits as ImportLimits, `line ${lineCount + long + 1}`)
    }
    lineCount += lines.length
    if (lines.length > 0) yield lines
  }
  if (carry.length > 0) yield [carry]
}

/**
 * Split on every line break, keeping a last (possibly empty) piece after the
 * final break. Splitting on a plain string is much faster than on a regular
 * expression, so LF and CRLF texts (also mixed, as in concatenated exports)
 * are split on "\n" and stripped of the CR; only lone CRs need the regex.
 */
function splitAllLines(text: string): string[] {
  let cr = text.indexOf('\r')
  if (cr === -1) return text.split('\n')
  const lines = text.split('\n')
  let stripped = 0
  // the last piece is not stripped: a CR ending the text must stay a line break
  for (let i = 0; i < lines.length - 1; i++) {
    const line = lines[i]
    if (line.charCodeAt(line.length - 1) === 13) {
      lines[i] = line.slice(0, -1)
      stripped++
    }
  }
  let crCount = 0
  while (cr !== -1) {
    crCount++
    cr = text.indexOf('\r', cr + 1)
  }
  return crCount === stripped ? lines : text.split(LINE_BREAK)
}

/** Split a whole string into lines (CRLF, LF or CR). */
export function splitLines(text: string): string[] {
  const lines = splitAllLines(text)
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** Turn a string into a one-chunk stream, or into chunks of `size` characters (tests of chunk boundaries). */
export async function* textChunks(text: string, size = text.length || 1): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size)
}

/**
 * Named character references found in bibliographic text (titles, abstracts,
 * API answers): punctuation, symbols, Greek and accented Latin letters.
 * A no-break space becomes a plain space: nothing downstream tells them apart.
 */
const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ',
  ndash: '–', mdash: '—', minus: '−', hyphen: '-', hellip: '…', lsquo: '‘', rsquo: '’', sbquo: '‚',
  ldquo: '“', rdquo: '”', bdquo: '„', laquo: '«', raquo: '»', middot: '·', bull: '•', deg: '°',
  plusmn: '±', times: '×', divide: '÷', le: '≤', ge: '≥', ne: '≠', asymp: '≈', micro: 'µ',
  copy: '©', reg: '®', trade: '™', sect: '§', para: '¶', prime: '′', Prime: '″', shy: '',
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ε', kappa: 'κ', lambda: 'λ', mu: 'μ',
  pi: 'π', sigma: 'σ', tau: 'τ', chi: 'χ', omega: 'ω', Delta: 'Δ', Omega: 'Ω',
  szlig: 'ß', aelig: 'æ', AElig: 'Æ', oslash: 'ø', Oslash: 'Ø', eth: 'ð', thorn: 'þ',
  agrave: 'à', aacute: 'á', acirc: 'â', atilde: 'ã', auml: 'ä', aring: 'å', ccedil: 'ç',
  egrave: 'è', eacute: 'é', ecirc: 'ê', euml: 'ë', igrave: 'ì', iacute: 'í', icirc: 'î', iuml: 'ï',
  ntilde: 'ñ', ograve: 'ò', oacute: 'ó', ocirc: 'ô', otilde: 'õ', ouml: 'ö', ugrave: 'ù',
  uacute: 'ú', ucirc: 'û', uuml: 'ü', yacute: 'ý', yuml: 'ÿ',
  Agrave: 'À', Aacute: 'Á', Acirc: 'Â', Auml: 'Ä', Aring: 'Å', Ccedil: 'Ç', Eacute: 'É',
  Egrave: 'È', Ntilde: 'Ñ', Oacute: 'Ó', Ouml: 'Ö', Uacute: 'Ú', Uuml: 'Ü'
}

/**
 * Decode HTML/XML character references: numeric (`&#8211;`, `&#x2013;`) and
 * the named ones above, matched exactly first (`&Delta;` is not `&delta;`),
 * then case-insensitively (`&AMP;`). Unknown references are left as written.
 */
export function decodeHtmlEntities(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z][a-zA-Z0-9]{1,8});/g, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10)
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole
    }
    return NAMED_ENTITIES[body] ?? NAMED_ENTITIES[body.toLowerCase()] ?? whole
  })
}

/**
 * Remove HTML markup (Zotero notes come as `<p>…</p>`, BibTeX rich text as
 * `<i>…</i>`), decode entities and tidy the spaces left behind.
 */
export function stripHtml(text: string): string {
  if (!text.includes('<') && !text.includes('&')) return text.trim()
  const withoutTags = text
    .replace(/<\s*br\s*\/?>/gi, '\n')
    .replace(/<\/\s*(p|div|li|h\d)\s*>/gi, '\n')
    .replace(/<\/?[a-z][a-z0-9]*(\s[^<>]*)?\/?>/gi, '')
  return decodeHtmlEntities(withoutTags).replace(/[ \t]+\n/g, '\n').replace(/\n{2,}/g, '\n').trim()
}

const MULTIPLE_SPACES = /\s\s|[\t\n\r\f\v\u00a0]/

/** Collapse runs of white space (including line breaks) into single spaces. */
export function collapseSpaces(text: string): string {
  return MULTIPLE_SPACES.test(text) ? text.replace(/\s+/g, ' ').trim() : text.trim()
}

/** Words that start a family name ("van der Berg", "de la Cruz") in "Given Family" order. */
const NAME_PARTICLES = new Set([
  'van', 'von', 'der', 'den', 'de', 'del', 'della', 'di', 'da', 'dos', 'das', 'du', 'la', 'le', 'ten', 'ter', 'zu', 'bin', 'ibn', 'al', 'el', 'st.'
])

const CORPORATE_WORDS = /\b(group|organi[sz]ation|consortium|committee|collaboration|collaborative|association|society|institute|investigators|team|network|council|agency|ministry|university|foundation|centre|center|department|working|task force|alliance|federation|commission|program(me)?|study)\b/i

/** Whether an author string names an organisation rather than a person. */
export function looksCorporate(name: string): boolean {
  const words = name.trim().split(/\s+/)
  return words.length >= 2 && !name.includes(',') && CORPORATE_WORDS.test(name)
}

/** "JA", "J.A.", "J. A.", "J-P", "JA.", "G.-F." : initials written after a family name (MEDLINE, Embase, Scopus). */
const INITIALS = /^(?:[A-Z]\.?[- ]?){1,4}$/

/** Generational suffixes: "Jr", "Sr.", "III", "3rd". */
const SUFFIX = /^(?:jr|sr|jnr|snr|ii|iii|iv|2nd|3rd|4th)\.?$/i

/** A particle left after the given names: "ten", "van der", or the end of a hyphenated name ("Kroese-van"). */
function isTrailingParticle(word: string): boolean {
  return NAME_PARTICLES.has(word) || /^\p{Lu}\p{L}+-(?:van|von|de|der|den|ter|ten|la|le)$/u.test(word)
}

/** The given names with a suffix after a comma ("John, Jr."), as in "Smith, John, Jr.". */
function withSuffix(given: string, suffix: string | undefined): string | undefined {
  if (!suffix) return given || undefined
  return given ? `${given}, ${suffix}` : suffix
}

/**
 * Parse a person's name as written in exports: "Family, Given" (RIS, WoS,
 * BibTeX, with an optional ", Jr."), "Family Initials" (MEDLINE AU "Smith
 * JA", Vancouver with dotted initials "Lewis G. F.", Embase "Adler D.G.",
 * particles first "van Duyvenvoorde W."), or "Given Family" (particles kept
 * in the family name: "Anna van der Berg"). A generational suffix (Jr,
 * III) goes after the given names ("John, Jr."). Organisation names become
 * literal authors. Returns undefined for an empty name.
 */
export function parsePersonName(raw: string): Author | undefined {
  const name = collapseSpaces(raw).replace(/[;,]+$/, '').trim()
  if (name.length === 0) return undefined
  const comma = name.indexOf(',')
  if (comma > 0 && looksCorporate(name.slice(0, comma))) return { family: name, literal: true }
  if (comma > 0) {
    let family = name.slice(0, comma).trim()
    let given = name.slice(comma + 1).trim().replace(/^,\s*/, '')
    // "Smith Jr, John" and "Smith, Jr., John"
    const familyWords = family.split(' ')
    let suffix: string | undefined
    if (familyWords.length > 1 && SUFFIX.test(familyWords[familyWords.length - 1])) {
      suffix = familyWords.pop()
      family = familyWords.join(' ')
    } else {
      const leading = /^([^,]+),\s*(.+)$/.exec(given)
      if (leading && SUFFIX.test(leading[1].trim())) {
        suffix = leading[1].trim()
        given = leading[2].trim()
      }
    }
    // Particles written after the given names ("Doesschate, T. ten", "Dieren, Judith J Kroese-van") belong to the family name.
    const givenWords = given.split(' ')
    let moved = givenWords.length
    while (moved > 1 && isTrailingParticle(givenWords[moved - 1])) moved--
    if (moved < givenWords.length) {
      family = `${givenWords.slice(moved).join(' ')} ${family}`.replace(/- /g, '-')
      given = givenWords.slice(0, moved).join(' ')
    }
    given = withSuffix(given, suffix) ?? ''
    return given.length > 0 ? { family, given } : { family }
  }
  if (looksCorporate(name)) return { family: name, literal: true }
  const words = name.split(' ')
  const suffix = words.length >= 2 && SUFFIX.test(words[words.length - 1]) ? words.pop() : undefined
  if (words.length === 1) return suffix ? { family: words[0], given: suffix } : { family: name }
  // Family followed by initials: "Liu R.", "Adler D.G.", "Smith JA", "Lewis G. F.", "van Duyvenvoorde W."
  let initialsFrom = words.length
  while (initialsFrom > 1 && INITIALS.test(words[initialsFrom - 1])) initialsFrom--
  const startsLikeFamily = !INITIALS.test(words[0]) && (/^[A-Z\u00C0-\u024F]/.test(words[0]) || NAME_PARTICLES.has(words[0].toLowerCase()))
  if (initialsFrom < words.length && startsLikeFamily) {
    return { family: words.slice(0, initialsFrom).join(' '), given: withSuffix(words.slice(initialsFrom).join(' '), suffix) }
  }
  // Given names followed by family name, which may start with particles
  let start = words.length - 1
  while (start > 1 && NAME_PARTICLES.has(words[start - 1].toLowerCase())) start--
  if (start === 1 && NAME_PARTICLES.has(words[0].toLowerCase())) start = 0
  // After initials, a name before the particles starts a compound family name: "A. O. Grassi de Gende", "A Lopez de Maturana".
  if (start < words.length - 1 && start >= 2 && !INITIALS.test(words[start - 1]) && words.slice(0, start - 1).every((w) => INITIALS.test(w))) start--
  if (start === 0) return suffix ? { family: words.join(' '), given: suffix } : { family: name }
  return { family: words.slice(start).join(' '), given: withSuffix(words.slice(0, start).join(' '), suffix) }
}

/**
 * Join start and end page into "start-end", accepting a range already in the
 * start page, en dashes and BibTeX's "--". Placeholder values without any
 * digit (Ovid writes "No" / "Specified") are dropped.
 */
export function formatPages(start?: string, end?: string): string | undefined {
  const first = cleanPage(start)
  const last = cleanPage(end)
  if (!first) return last
  if (!last || last === first || first.includes('-')) return first
  return `${first}-${last}`
}

function cleanPage(value?: string): string | undefined {
  if (!value) return undefined
  const text = value.trim().replace(/\s*(?:--|[–—‐‑-])\s*/g, '-')
  return /\d/.test(text) ? text : undefined
}

/** ISSNs ("1234-567X") and ISBNs (digits only) found in a free-text serial number field. */
export function extractSerialNumbers(values: readonly string[]): { issn: string[]; isbn: string[] } {
  const issn: string[] = []
  const isbn: string[] = []
  for (const value of values) {
    for (const token of value.split(/[\s,;]+/)) {
      const compact = token.replace(/[-‐‑–]/g, '').replace(/^\(|\)$/g, '').toUpperCase()
      if (/^\d{7}[\dX]$/.test(compact)) {
        const formatted = `${compact.slice(0, 4)}-${compact.slice(4)}`
        if (!issn.includes(formatted)) issn.push(formatted)
      } else if (/^(?:\d{9}[\dX]|97[89]\d{10})$/.test(compact)) {
        if (!isbn.includes(compact)) isbn.push(compact)
      }
    }
  }
  return { issn, isbn }
}

/**
 * A screening decision carried in notes: ASReview writes `ASReview_relevant`
 * / `ASReview_irrelevant` (`ASReview_not_seen` is no decision), AnalyLit
 * writes `AnalyLit decision: include|exclude|maybe`.
 */
export function labelFromNotes(notes: readonly string[]): ImportedLabel | undefined {
  for (const note of notes) {
    // Scopus puts whole reference lists in notes: look for labels only at the ends of long notes
    const text = note.length > 4096 ? `${note.slice(0, 1024)}\n${note.slice(-1024)}` : note
    if (!text.includes('ASReview') && !/analylit/i.test(text)) continue
    const analylit = /AnalyLit decision:\s*(include|exclude|maybe)\b/i.exec(text)
    if (analylit) return analylit[1].toLowerCase() as ImportedLabel
    if (/\bASReview_relevant\b/.test(text)) return 'include'
    if (/\bASReview_irrelevant\b/.test(text)) return 'exclude'
  }
  return undefined
}

/** MeSH heading without major-topic star and subheadings: "Colitis, Ulcerative/*drug therapy" -> "Colitis, Ulcerative". */
export function meshHeading(term: string): string {
  return term.split('/')[0].replace(/^\*/, '').trim()
}

/** Identifiers that live in links: PubMed, PubMed Central / Europe PMC, DOI resolver and arXiv URLs. */
export function identifiersInUrl(url: string): { pmid?: string; pmcid?: string; doi?: string; arxiv?: string } {
  const found: { pmid?: string; pmcid?: string; doi?: string; arxiv?: string } = {}
  if (url.includes('ncbi.nlm.nih.gov') || url.includes('pubmed') || url.includes('europepmc.org')) {
    const pmc = /[/=](PMC\d+)(?:[/?#&.]|$)/i.exec(url)
    if (pmc) found.pmcid = pmc[1].toUpperCase()
    const pmid = /(?:pubmed(?:\.ncbi\.nlm\.nih\.gov)?|\/abstract\/MED|\/article\/MED)\/(\d{1,9})(?:[/?#]|$)/i.exec(url)
    if (pmid) found.pmid = pmid[1]
  }
  if (url.includes('doi.org/')) found.doi = url.slice(url.indexOf('doi.org/') + 8)
  if (url.includes('arxiv.org/')) found.arxiv = url
  return found
}

/** Remove optional fields that a mapping set to undefined, so records compare and serialise cleanly. */
export function withoutUndefined(record: ReferenceRecord): ReferenceRecord {
  const fields = record as unknown as Record<string, unknown>
  for (const key in fields) if (fields[key] === undefined) delete fields[key]
  return record
}

/** A reader of line-tagged records (RIS, MEDLINE, WoS): fed line by line, it collects the items it finds. */
export interface LineRecordReader {
  items: ParsedItem[]
  push(line: string): void
  end(): void
}

/**
 * Streams the items a line reader finds in a decoded input, as soon as each is
 * complete. The characters pushed since the reader last completed an item (one
 * record, and any text between it and the next) are counted against
 * IMPORT_MAX_RECORD_CHARS, so no record grows past it.
 */
export async function* readLineRecords(input: FormatInput, reader: LineRecordReader): AsyncGenerator<ParsedItem> {
  const limits = input.limits ?? DEFAULT_IMPORT_LIMITS
  let lineNumber = 0
  let held = 0
  for await (const lines of lineBatches(input.text(), limits)) {
    for (let i = 0; i < lines.length; i++) {
      const before = reader.items.length
      reader.push(lines[i])
      lineNumber++
      held = reader.items.length === before ? held + lines[i].length + 1 : lines[i].length + 1
      if (held > limits.maxRecordChars) throw ImportLimitError.recordChars(limits, `the record being read at line ${lineNumber}`)
    }
    if (reader.items.length > 0) yield* reader.items.splice(0)
  }
  reader.end()
  yield* reader.items.splice(0)
}
