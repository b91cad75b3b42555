/**
 * A reader for the fields of BibTeX entries that need no real LaTeX conversion.
 *
 * @retorquere/bibtex-parser runs every field value through unified-latex's
 * PEG parser, even when the value is plain text, which makes it read a few
 * hundred entries a second. Most exported entries hold little TeX: UTF-8 text
 * with &, %, _ and # escaped, or ASCII with accents written as commands
 * ({\"u}, \c{c}) and a few text commands (\textless{}). This module scans an
 * entry's fields the way the library's own scanner does and converts each such
 * value by the library's rules for that field's mode (names, lists, verbatim
 * fields, text), giving the very values the library gives; anything else
 * (math, formatting and unknown commands, macros, concatenations, unusual name
 * forms) is left to the library. The rules mirrored here are those of
 * @retorquere/bibtex-parser 9 (dist/esm/index.js: FieldMode, parseCreator,
 * split, stringify, stringField; verbatim.js: the scanner); the tests compare
 * both readers on every fixture and on seeded random values, so an upgrade
 * that changes them is caught.
 *
 * One deliberate difference: a bare % is kept as a percent sign, where TeX
 * (and the library) would drop the rest of the line as a comment; exporters
 * write \% for a percent sign, so a bare one in a field is text.
 */
import type { Creator } from '@retorquere/bibtex-parser'

/** One field as written: its lower-cased name and, when it is a single braced, quoted or numeric value, its text. */
export interface ScannedField {
  name: string
  /** The value as written after "=" (braces, quotes, macros and # included). */
  source: string
  /** The text inside the braces or quotes, or the number; undefined for macros and concatenations. */
  text?: string
}

export interface ScannedEntry {
  /** Entry type in lower case. */
  type: string
  key: string
  fields: ScannedField[]
}

/** Characters the library's scanner accepts in keys and field names (verbatim.js `key`). */
const KEY_CHAR = /[+'a-zA-Z0-9&;_:\\./-]|[\p{Lu}\p{Lt}\p{Ll}\p{Lm}\p{Lo}]/u

/**
 * Cuts one "@type{key, name = value, …}" entry into its fields, as the
 * library's scanner would. Returns undefined for anything it does not read the
 * same way (parenthesised entries, @string, a missing key, a repeated field,
 * a syntax error), which the caller then gives to the library whole.
 */
export function scanBibtexEntry(input: string): ScannedEntry | undefined {
  let pos = 0
  const skipSpace = () => {
    while (pos < input.length) {
      const c = input[pos]
      if (c === '%') {
        while (pos < input.length && input[pos] !== '\n') pos++
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\n') pos++
      else return
    }
  }
  const key = (extra = '') => {
    const start = pos
    while (pos < input.length && (KEY_CHAR.test(input[pos]) || extra.includes(input[pos]))) pos++
    return input.slice(start, pos)
  }

  skipSpace()
  if (input[pos] !== '@') return undefined
  pos++
  skipSpace()
  const type = key().toLowerCase()
  if (type === '' || type === 'string' || type === 'preamble' || type === 'comment') return undefined
  skipSpace()
  if (input[pos] !== '{') return undefined
  pos++
  skipSpace()
  let citationKey = ''
  if (input[pos] !== ',') citationKey = key('[]*"')
  skipSpace()
  if (input[pos] === '=') return undefined
  if (input[pos] === ',') pos++

  const fields: ScannedField[] = []
  const seen = new Set<string>()
  for (;;) {
    skipSpace()
    if (input[pos] === '}') {
      pos++
      skipSpace()
      return pos === input.length ? { type, key: citationKey, fields } : undefined
    }
    const name = key().toLowerCase()
    if (name === '' || seen.has(name)) return undefined
    seen.add(name)
    skipSpace()
    if (input[pos] !== '=') return undefined
    pos++
    skipSpace()
    const valueStart = pos
    let valueEnd: number
    const pieces: Array<string | undefined> = []
    for (;;) {
      skipSpace()
      const piece = readValue()
      if (piece === null) return undefined
      pieces.push(piece)
      valueEnd = pos
      skipSpace()
      if (input[pos] !== '#') break
      pos++
    }
    const source = input.slice(valueStart, valueEnd)
    fields.push(pieces.length === 1 && pieces[0] !== undefined ? { name, source, text: pieces[0] } : { name, source })
    if (input[pos] === ',') pos++
    else if (input[pos] !== '}') return undefined
  }

  /** One braced, quoted or bare value: its text, undefined for a macro name, null when it cannot be read. */
  function readValue(): string | undefined | null {
    const open = input[pos]
    if (open === '{' || open === '"') {
      const start = ++pos
      let depth = 0
      for (; pos < input.length; pos++) {
        const c = input[pos]
        if (c === '\\') pos++
        else if (c === '{') depth++
        else if (c === '}') {
          if (open === '{' && depth === 0) return input.slice(start, pos++)
          depth--
        } else if (c === '"' && open === '"' && depth <= 0) return input.slice(start, pos++)
      }
      return null
    }
    const bare = key()
    if (bare === '') return null
    return /^\d+$/.test(bare) ? bare : undefined
  }
}

type FieldMode = 'creatorlist' | 'title' | 'verbatim' | 'richtext' | 'literallist' | 'literal'

/** The library's field modes (FieldMode in @retorquere/bibtex-parser). */
const MODES: ReadonlyMap<string, FieldMode> = new Map([
  ...['author', 'bookauthor', 'collaborator', 'commentator', 'director', 'editor', 'editora', 'editorb', 'editors',
    'holder', 'scriptwriter', 'translator'].map((name) => [name, 'creatorlist'] as const),
  ...['title', 'subtitle', 'series', 'shorttitle', 'booktitle', 'origtitle', 'maintitle', 'eventtitle']
    .map((name) => [name, 'title'] as const),
  ...['doi', 'eprint', 'file', 'files', 'pdf', 'groups', 'ids', 'url', 'verba', 'verbb', 'verbc', 'keywords']
    .map((name) => [name, 'verbatim'] as const),
  ...['annotation', 'comment', 'annote', 'review', 'notes', 'note'].map((name) => [name, 'richtext'] as const),
  ...['institution', 'publisher', 'origpublisher', 'organization', 'location', 'origlocation']
    .map((name) => [name, 'literallist'] as const)
])

/** The mode the library reads a field in (exported for the tests, which compare it with the library's table). */
export function modeOf(name: string): FieldMode {
  const mode = MODES.get(name)
  if (mode) return mode
  return /^citeulike-linkout-[0-9]+$|^bdsk-url-[0-9]+$/.test(name) ? 'verbatim' : 'literal'
}

/** Characters escaped with a backslash ("\&"), which the library turns into the characters. */
const ESCAPABLE = '&%_#{}$'
/**
 * Text commands without arguments that exporters write for characters TeX
 * treats specially or that a keyboard lacks, and the characters the library
 * gives for them (the tests check each against the library).
 */
export const TEXT_COMMANDS: Readonly<Record<string, string>> = {
  textless: '<', textgreater: '>', textasciitilde: '~', textasciicircum: '^', textbackslash: '\\', textbar: '|',
  textendash: '\u2013', textemdash: '\u2014', textquoteleft: '\u2018', textquoteright: '\u2019',
  textquotedblleft: '\u201c', textquotedblright: '\u201d', textdegree: '\u00b0', textregistered: '\u00ae',
  texttrademark: '\u2122', textcopyright: '\u00a9', textbullet: '\u2022', textsection: '\u00a7', textpm: '\u00b1',
  texttimes: '\u00d7', textmu: '\u00b5', ldots: '\u2026', dots: '\u2026', textellipsis: '\u2026', pounds: '\u00a3',
  euro: '\u20ac',
  ss: '\u00df', o: '\u00f8', O: '\u00d8', ae: '\u00e6', AE: '\u00c6', oe: '\u0153', OE: '\u0152', aa: 'a\u030a',
  AA: 'A\u030a', l: '\u0142', L: '\u0141', i: '\u0131', j: '\u0237'
}
/**
 * Accent commands and the combining marks the library puts after the letter
 * ("\'{e}" gives "e" + U+0301, decomposed; the tests check each).
 */
export const ACCENT_MARKS: Readonly<Record<string, string>> = {
  "'": '\u0301', '`': '\u0300', '^': '\u0302', '"': '\u0308', '~': '\u0303', '=': '\u0304', '.': '\u0307',
  c: '\u0327', v: '\u030c', u: '\u0306', H: '\u030b', k: '\u0328', r: '\u030a'
}
/** Stand-ins for braces that were escaped, so that removing grouping braces leaves them. */
const OPEN_BRACE = '\uE000'
const CLOSE_BRACE = '\uE001'
/**
 * What the library would change in text beyond braces, dashes and the
 * commands above (converted here the same way): other commands, math, ties,
 * the OT1 glyphs it prints for < and >, quote ligatures, macro parameters.
 */
const TEX_IN_TEXT = /[\\$^~<>#\uE000\uE001]|``|''|!`|\?`/
/** In names the library also gives meaning to "=", "&" and "_"; such names are left to it. */
const TEX_IN_NAME = /[\\$^~<>#=&_%\uE000\uE001]|``|''|!`|\?`|--/
const SPACE_RUN = /[ \t\r\n]+/g
/** Two line breaks with only spaces between (unified-latex counts the CR and the LF of a CRLF as two). */
const PARAGRAPH_BREAK = /[\r\n][ \t]*[\r\n]/
/**
 * A command: an accent on one ASCII letter ("\'e", "\'{e}", "\c{c}"), an
 * escaped character ("\&"), or a command word and what ends it: "{}", spaces
 * (which the library drops) or anything else.
 */
const COMMAND = /\\(?:(['`^"~=.])(?:\{([a-zA-Z])\}|([a-zA-Z]))|([cvuHkr])\{([a-zA-Z])\}|([^a-zA-Z])|([a-zA-Z]+)(\{\}|[ \t\r\n]+)?)/g
/** A list's separator: "and" (any case) between spaces. */
const AND = /[ \t\r\n]+and[ \t\r\n]+/i
/** "and" at either end of a list, which the library splits differently. */
const AND_AT_END = /^and(?:[ \t\r\n]|$)|[ \t\r\n]and$/i

/**
 * The value with its commands replaced by their characters (escaped braces
 * by stand-ins, grouping braces kept), or undefined if it holds a command
 * not listed here or TeX that `special` finds outside the commands.
 */
function decodeCommands(value: string, special: RegExp): string | undefined {
  if (value.indexOf('\\') < 0) return special.test(value) ? undefined : value
  let unknown = false
  const decoded = value.replace(COMMAND, (all, accent?: string, braced?: string, bare?: string, letterAccent?: string,
    letterAccented?: string, escaped?: string, command?: string, end?: string) => {
    if (accent !== undefined) return `${braced ?? bare}${ACCENT_MARKS[accent]}`
    if (letterAccent !== undefined) return `${letterAccented}${ACCENT_MARKS[letterAccent]}`
    if (escaped !== undefined) {
      if (!ESCAPABLE.includes(escaped)) unknown = true
      return escaped === '{' ? OPEN_BRACE : escaped === '}' ? CLOSE_BRACE : escaped
    }
    const character = TEXT_COMMANDS[command as string]
    if (character === undefined || (end !== undefined && PARAGRAPH_BREAK.test(end))) unknown = true
    return character ?? ''
  })
  return unknown || special.test(value.replace(COMMAND, '')) ? undefined : decoded
}

/** Plain text as the library renders it in literal, title and rich-text mode, or undefined if it holds other TeX. */
function plainText(value: string, mode: FieldMode): string | undefined {
  if (mode === 'richtext' && PARAGRAPH_BREAK.test(value)) return undefined // the library marks paragraphs there
  const decoded = decodeCommands(value, TEX_IN_TEXT)
  if (decoded === undefined) return undefined
  return decoded
    .replace(SPACE_RUN, ' ')
    .replace(/---/g, '\u2014').replace(/--/g, '\u2013')
    .replace(/[{}]/g, '')
    .replace(/\uE000/g, '{').replace(/\uE001/g, '}')
    .trim()
}

/** A verbatim value (identifiers, links, paths, keywords) as the library prints it, or undefined. */
function verbatimText(name: string, value: string): string | undefined {
  if (/[\\$]/.test(value) || PARAGRAPH_BREAK.test(value)) return undefined
  // A % starts a comment, which the library prints back as written, up to the end of its line.
  const comment = value.indexOf('%')
  if (comment >= 0 && /[\r\n{}]/.test(value.slice(comment))) return undefined
  let text = comment >= 0 ? value.slice(0, comment) : value
  // The library removes one enclosing pair of braces from the verbatim fields it names (keywords is
  // named by a pattern, which its removeOuterBraces default leaves out).
  const outerBracesRemoved = name !== 'keywords' && MODES.get(name) === 'verbatim'
  if (comment < 0 && outerBracesRemoved && text.startsWith('{') && closingBrace(text, 0) === text.length - 1) {
    text = text.slice(1, -1)
  }
  return (text.replace(SPACE_RUN, ' ') + (comment >= 0 ? value.slice(comment) : '')).trim()
}

/** Index of the brace closing the one at `open`. */
function closingBrace(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return i
  }
  return -1
}

/** The library's creator with empty parts dropped (its trimCreator). */
function creator(parts: Creator): Creator {
  const result: Creator = {}
  for (const [part, value] of Object.entries(parts) as Array<[keyof Creator, string | undefined]>) {
    const trimmed = value?.trim()
    if (trimmed) (result as Record<string, string>)[part] = trimmed
  }
  return result
}

/** One name of a list, by the library's rules for "Last, First", "Last, Jr, First", "First von Last" and {Corporate}. */
function parseName(written: string): Creator | undefined {
  const decoded = decodeCommands(written, TEX_IN_NAME)
  if (decoded === undefined || /[\uE000\uE001]/.test(decoded)) return undefined
  if (decoded.startsWith('{') && decoded.endsWith('}') && !/[{}]/.test(decoded.slice(1, -1))) {
    return creator({ name: decoded.slice(1, -1).replace(SPACE_RUN, ' ') })
  }
  // Braces around letters ("M{\"u}ller", "{\"O}zt{\"u}rk") change nothing in how a name splits; braces
  // around spaces or commas ("{van der} Berg") do, and are left to the library.
  if (/[{}]/.test(decoded) && !/^(?:[^{}]|\{[^{}\s,]*\})*$/.test(decoded)) return undefined
  const name = decoded.replace(/[{}]/g, '')
  if (name.includes(',')) {
    const parts = name.split(',').map((part) => part.replace(SPACE_RUN, ' ').trim())
    if (parts.length === 3 && parts[2] === '') parts.pop()
    if (parts.length > 3) return undefined // the library reports these as errors
    const [family, suffix, firstName] = parts.length === 2 ? [parts[0], undefined, parts[1]] : parts
    // a lower-case particle ("van der Berg, Anna") is the prefix
    const particle = /^([a-z'. ]+) (.+)/.exec(family)
    return creator({ lastName: particle ? particle[2] : family, firstName, prefix: particle?.[1], suffix })
  }
  const words = name.split(SPACE_RUN).filter((word) => word.length > 0)
  if (words.length === 1) return creator({ lastName: words[0] })
  const prefixAt = words.findIndex((word) => /^[a-z]/.test(word))
  const lastAt = prefixAt <= 0 ? -1 : words.findIndex((word, i) => i > prefixAt && !/^[a-z]/.test(word))
  if (lastAt === -1) {
    const lastName = words.pop()
    return creator({ lastName, firstName: words.join(' ') })
  }
  return creator({
    firstName: words.slice(0, prefixAt).join(' '),
    prefix: words.slice(prefixAt, lastAt).join(' '),
    lastName: words.slice(lastAt).join(' ')
  })
}

function nameList(value: string): Creator[] | undefined {
  // a blank line is a paragraph to the library, not a space between words
  if (value !== value.trim() || AND_AT_END.test(value) || PARAGRAPH_BREAK.test(value)) return undefined
  const creators: Creator[] = []
  for (const name of value.split(AND)) {
    const parsed = parseName(name)
    if (!parsed) return undefined
    if (Object.keys(parsed).length > 0) creators.push(parsed)
  }
  return creators
}

function literalList(value: string): string[] | undefined {
  if (/[{}]/.test(value) || AND_AT_END.test(value.trim()) || PARAGRAPH_BREAK.test(value)) return undefined
  const items: string[] = []
  for (const item of value.split(AND)) {
    const text = plainText(item, 'literal')
    if (text === undefined) return undefined
    items.push(text)
  }
  return items
}

/** Keywords as the library gives them: split on , and ;, deduplicated, sorted case-insensitively. */
function keywordList(value: string): string[] {
  const keywords = value.split(/\s*[,;]\s*/).map((keyword) => keyword.trim()).filter((keyword) => keyword)
  return [...new Set(keywords)].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))
}

/**
 * The value the library would give for this field, or undefined when only
 * the library can tell (TeX in it, or a form whose rules are not mirrored).
 * `value` is the text inside the braces or quotes. Keywords come back as the
 * list (empty when the value names none).
 */
export function plainFieldValue(name: string, value: string): string | string[] | Creator[] | undefined {
  const mode = modeOf(name)
  switch (mode) {
    case 'creatorlist':
      return nameList(value)
    case 'literallist':
      return literalList(value)
    case 'verbatim': {
      const text = verbatimText(name, value)
      return name === 'keywords' && text !== undefined ? keywordList(text) : text
    }
    default: {
      const text = plainText(value, mode)
      if (text === undefined) return undefined
      if (name === 'year' || name === 'month') {
        // the library gives numbers without leading zeros, and month names as numbers
        if (/^-?\d+$/.test(text)) return `${parseInt(text, 10)}`
        if (name === 'month') return undefined
      }
      return text
    }
  }
}

/**
 * An entry's fields split into those read here, with the values the library
 * would give, and those left to the library. Fields the library drops
 * (empty values, an empty keyword list) are in neither.
 */
export function readPlainFields(entry: ScannedEntry): { read: Map<string, unknown>; left: ScannedField[] } {
  const read = new Map<string, unknown>()
  const left: ScannedField[] = []
  for (const field of entry.fields) {
    if (field.text === undefined) {
      left.push(field)
      continue
    }
    if (field.text.trim() === '') continue
    const value = plainFieldValue(field.name, field.text)
    if (value === undefined) left.push(field)
    else if (!(Array.isArray(value) && value.length === 0 && field.name === 'keywords')) read.set(field.name, value)
  }
  return { read, left }
}
