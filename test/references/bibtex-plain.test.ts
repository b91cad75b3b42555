import t from 'tap'
import { FieldMode, parse as parseLibrary } from '@retorquere/bibtex-parser'
import { ACCENT_MARKS, TEXT_COMMANDS, modeOf, plainFieldValue, readPlainFields, scanBibtexEntry } from '../../src/references/formats/bibtex-plain.ts'

const OPTIONS = { sentenceCase: false, english: false, caseProtection: false, unsupported: 'ignore', applyCrossRef: false } as const

/** What the library alone gives for one field. */
function library(field: string, value: string): unknown {
  const parsed = parseLibrary(`@article{k,\n  ${field} = {${value}}\n}`, OPTIONS)
  return (parsed.entries[0]?.fields as Record<string, unknown> | undefined)?.[field]
}

function fast(field: string, value: string): unknown {
  return plainFieldValue(field, value)
}

/** Values the fast reader must read itself, each giving exactly what the library gives. */
const PLAIN: Record<string, string[]> = {
  title: [
    'Alliance with chatbots', '{The {COVID}-19} pandemic -- a review---of reviews', '  spaced\n  out\ttitle  ',
    'Cost \\& effect in 10\\% of \\_cases\\_ \\#3 for \\$5', 'a { } b', 'a{ b }c', '-{}- and ----- dashes',
    'p \\textless{} 0.05 and q \\textgreater{}0.1, {\\textless}x', 'x\\textless  y', '\\textasciitilde{}5 \\textasciicircum{}2 \\textbar{} \\textbackslash{}',
    'escaped \\{braces\\} kept', 'Caf\u00e9 \u00fcber na\u00efve \u2014 \u65e5\u672c', "O'Brien's \"quoted\" (sic) [1]; 3:4?!", 'a & b_c',
    '\\textendash{} \\textemdash{} \\textquoteleft{}x\\textquoteright{} \\textquotedblleft{}y\\textquotedblright{}',
    '37\\textdegree{}C \\textpm{} 2 \\texttimes{} 3 \\textmu{}g \\textsection{}4 \\textbullet{} \\ldots{} \\dots{} \\textellipsis{} \\pounds{}3 \\euro{}4',
    '\\textregistered{} \\texttrademark{} \\textcopyright{}',
    "{\\'e}cole \\'{e} \\'ecole \\\"{u} {\\c{c}} \\c{c} \\v{s} {\\H{o}} \\ss{} \\o{} {\\aa} \\AE{} \\l{} Ha\\ss ler",
    'Stra{\\ss}e-level {\\"O}sterreich', 'M{\\"u}nchen'
  ],
  abstract: ['Background: {working alliance}.\n\nMethods: we searched.  Results:  54.', 'one\r\ntwo'],
  journal: ['Journal of {Medical} Internet Research', 'Lancet'],
  pages: ['97--105', 'e24567--e24580', '1254'],
  volume: ['23'],
  year: ['2021', '0012', ' 2020 '],
  month: ['05', '11'],
  note: ['line one\nline two', 'AnalyLit decision: include', 'Cited By :2\nExport Date: 18 November 2019'],
  annote: ['ASReview_irrelevant'],
  author: [
    'Blomberg, Bj\u00f6rn A. and Moghbel, Mateen', 'de Bree, Remco and van der Berg, Anna M.', 'Smith, Jr., John',
    'Smith, J., and Doe, Jane', 'Anna van der Berg and Jean de la Fontaine and Ashish Vaswani', '{World Health Organization}',
    '{World  Health   Organization} and Smith, J.', 'Darcy, Alison AND Daniels, Jade And Roe, R.', 'Smith and and Jones',
    'Smith and, and Mc Donald', 'Plato', "O'Connor, Siobh\u00e1n and Jean-Luc Picard", 'Smith,', 'Smith,\n  John\n and\n Doe, Jane',
    'de la Fontaine', 'jean de la Fontaine', 'A B c D e F',
    String.raw`M{\"u}ller, J{\"o}rg and Garc\'ia, Mar{\'i}a and {\"O}zt{\"u}rk, Ay{\c{s}}e`, String.raw`{\O}stergaard, S{\o}ren`,
    String.raw`Fran\c{c}ois Dupont and {\"u}ber den Berg`, String.raw`{\'E}cole Polytechnique`, '{A} {B}', String.raw`{\"U}`, 'Smith{}, J.',
    String.raw`Smith \& Sons`
  ],
  editor: ['Ed, One and Ed, Two'],
  publisher: ['Springer New York', 'Wiley and Sons and Elsevier', 'Multidisciplinary Digital Publishing Institute (MDPI)', ' padded '],
  institution: ['University College Dublin'],
  doi: ['10.2196/24567', '{10.1/x}', ' 10.1/y '],
  url: [
    'https://x.org/a_b&c~d#e?f=g', 'https://link.springer.com/content/pdf/10.1007%2Fs11307-012-0572-0.pdf',
    'https://www.scopus.com/inward/record.uri?eid=2-s2.0-1&doi=10.1016%2fj.psyneuen.2019.104501&partnerID=40',
    'https://x.org/a%20b  c', 'https://x.org/a  b'
  ],
  file: ['Full Text PDF:files/120/Muller2021.pdf:application/pdf', '{a}  b\n c', '{/home/me/paper.pdf}'],
  keywords: ['b, a; C , a', 'therapeutic alliance; mental health, digital interventions', '{a, b}, c', 'x;;y'],
  eprint: ['1706.03762'],
  language: ['english'],
  'bdsk-url-1': ['https://x.org/a  b']
}

/** Values the fast reader must leave to the library (TeX it does not convert, or name forms it does not mirror). */
const LEFT: Record<string, string[]> = {
  title: [String.raw`M{\"\i}nchen`, '$\\alpha$-tests', 'a~b', '``quoted\'\'', 'x\\textless\n\ny', '\\emph{x}', 'a \\\\ b', 'p<0.05', 'a # b', '\\S 3'],
  note: ['para one\n\npara two'],
  month: ['jun'],
  author: [
    '{van der} Berg, Anna', ' Smith, J.', 'and Smith', 'Smith and', 'given=John, family=Smith',
    'a, b, c, d', 'Smith--Jones, A.', '{World {Health} Organization}', String.raw`Mar{\'\i}a`, String.raw`{Universit{\'e} Paris}`,
    String.raw`A \{B\}`, '{A, B} C'
  ],
  publisher: ['{Wiley and Sons}'],
  url: ['https://x.org/a\\_b', 'https://x.org/%a\nb', 'https://x.org/{a%b}']
}

t.test('plain values read exactly as the library reads them', async (t) => {
  for (const [field, values] of Object.entries(PLAIN)) {
    for (const value of values) {
      const read = fast(field, value)
      t.not(read, undefined, `${field} = {${value}} is read without the library`)
      t.same(read, library(field, value), `${field} = {${value}}`)
      if (Array.isArray(read)) t.equal(JSON.stringify(read), JSON.stringify(library(field, value)), `${field} = {${value}} in the same order`)
    }
  }
})

t.test('field modes are the library\'s', async (t) => {
  for (const [mode, names] of Object.entries(FieldMode)) {
    for (const name of names) if (typeof name === 'string') t.equal(modeOf(name), mode, name)
  }
  for (const name of ['keywords', 'citeulike-linkout-1', 'bdsk-url-2']) t.equal(modeOf(name), 'verbatim', name)
  t.equal(modeOf('journal'), 'literal')
})

t.test('values holding other TeX, or unusual name forms, are left to the library', async (t) => {
  for (const [field, values] of Object.entries(LEFT)) {
    for (const value of values) t.equal(fast(field, value), undefined, `${field} = {${value}}`)
  }
})

t.test('every text command converted without the library gives the library\'s character', async (t) => {
  for (const [command, character] of Object.entries(TEXT_COMMANDS)) {
    t.equal(library('title', `a\\${command}{}b`), `a${character}b`, command)
    t.equal(fast('title', `a\\${command}{}b`), `a${character}b`, command)
  }
})

t.test('every accent converted without the library gives the library\'s letter and mark', async (t) => {
  for (const [accent, mark] of Object.entries(ACCENT_MARKS)) {
    for (const letter of ['a', 'e', 'o', 'u', 'c', 's', 'z', 'A', 'O', 'S']) {
      const braced = `x\\${accent}{${letter}}y`
      t.equal(fast('title', braced), `x${letter}${mark}y`, braced)
      t.equal(library('title', braced), `x${letter}${mark}y`, `${braced} through the library`)
      if (/[a-z]/i.test(accent)) continue
      const grouped = `x{\\${accent}${letter}}y`
      t.equal(fast('title', grouped), library('title', grouped), grouped)
    }
  }
})

/** Pieces that random values are built from: words, spaces, punctuation, escapes, accents, commands and TeX. */
const PIECES = [
  'a', 'B', 'de', 'van', 'and', 'AND', 'Jr.', 'Mc', '2020', ' ', '  ', '\t', '\n', '\n\n', '\r\n', ',', '.', '-', '--', '---', "'", '`',
  '"', "''", '``', ';', ':', '=', '!', '?', '(', ')', '&', '_', '{', '}', '{}', '{{x}}', ' {A, B} ', '-{}-', '\u00e9', '\u00a0',
  String.raw`\&`, String.raw`\%`, String.raw`\_`, String.raw`\#`, String.raw`\{`, String.raw`\}`, String.raw`\$`, String.raw`\'e`,
  String.raw`\"{u}`, String.raw`{\"o}`, String.raw`\c{c}`, String.raw`{\c{s}}`, String.raw`\v s`, String.raw`\'{\i}`, String.raw`\ss{}`,
  String.raw`\ss `, String.raw`\o`, String.raw`\aa`, String.raw`\textless{}`, String.raw`\textendash `, String.raw`\textless` + '\n\n',
  String.raw`\\`, String.raw`\"`, String.raw`\i`, '~', '<', '$x$', String.raw`\emph{x}`, 'given=', 'x/y', 'http://x.org/a?b=c'
]
const RANDOM_FIELDS = ['title', 'abstract', 'journal', 'year', 'month', 'note', 'annote', 'author', 'editor', 'publisher', 'institution',
  'doi', 'url', 'file', 'eprint', 'keywords', 'bdsk-url-1']

t.test('random values built from tricky pieces: whatever the fast reader reads, it reads as the library does', async (t) => {
  let seed = 20261125
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff
    return Math.floor((seed / 0x80000000) * n)
  }
  let read = 0
  let compared = 0
  while (compared < 3000) {
    let value = ''
    for (let pieces = 1 + random(10); pieces > 0; pieces--) value += PIECES[random(PIECES.length)]
    const field = RANDOM_FIELDS[random(RANDOM_FIELDS.length)]
    // only values the scanner would hand over (balanced braces, not blank), without the deliberate % difference
    if (!balanced(value) || value.trim() === '' || /(^|[^\\])%/.test(value)) continue
    compared++
    const plain = readPlainFields({ type: 'article', key: 'k', fields: [{ name: field, source: `{${value}}`, text: value }] })
    if (plain.left.length > 0) continue
    read++
    const fastValue = plain.read.get(field) // undefined when dropped, like an empty keyword list
    const libraryValue = library(field, value)
    if (JSON.stringify(fastValue) !== JSON.stringify(libraryValue)) t.same(fastValue, libraryValue, `${field} = {${value}}`)
  }
  t.ok(read > 500, `${read} of ${compared} random values read without the library, each as the library reads it`)
})

function balanced(value: string): boolean {
  let depth = 0
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++
    else if (value[i] === '{') depth++
    else if (value[i] === '}' && --depth < 0) return false
  }
  return depth === 0 && !value.endsWith('\\')
}

t.test('a bare % in text is kept as a percent sign, where TeX would drop the rest of the line', async (t) => {
  t.equal(fast('abstract', '50% of cases and 30\\% of the rest'), '50% of cases and 30% of the rest')
  t.equal(library('abstract', '50% of cases and 30\\% of the rest'), '50', 'the library loses the text')
})

t.test('the scanner reads entries as the library does, or declines', async (t) => {
  const entry = scanBibtexEntry(`@Article{key:1,
  title = {A {nested} title}, % a comment
  author = "Doe, Jane and {R}oe, R.",
  year = 2021,
  journal = jmir,
  booktitle = dig # " Health",
  empty = {},
}`)
  t.same(entry, {
    type: 'article',
    key: 'key:1',
    fields: [
      { name: 'title', source: '{A {nested} title}', text: 'A {nested} title' },
      { name: 'author', source: '"Doe, Jane and {R}oe, R."', text: 'Doe, Jane and {R}oe, R.' },
      { name: 'year', source: '2021', text: '2021' },
      { name: 'journal', source: 'jmir' },
      { name: 'booktitle', source: 'dig # " Health"' },
      { name: 'empty', source: '{}', text: '' }
    ]
  })
  t.same(scanBibtexEntry('@article{,\n title = {x}}')?.key, '', 'an empty key')
  t.equal(scanBibtexEntry('@misc(k, title = "x")'), undefined, 'parenthesised entries go to the library')
  t.equal(scanBibtexEntry('@string{jmir = "J Med Internet Res"}'), undefined, '@string goes to the library')
  t.equal(scanBibtexEntry('@article{k, title = {x}, title = {y}}'), undefined, 'a repeated field goes to the library')
  t.equal(scanBibtexEntry('@article{title = {x}}'), undefined, 'a missing key goes to the library')
  t.equal(scanBibtexEntry('@article{k, title {x}}'), undefined, 'a missing "=" goes to the library')
  t.equal(scanBibtexEntry('@article{k, title = {x}'), undefined, 'an unclosed entry goes to the library')
  t.equal(scanBibtexEntry('@article{k, title = {x} junk}'), undefined, 'text after a value goes to the library')
})
