import t from 'tap'
import { readFileSync } from 'node:fs'
import type { ParsedItem, ReferenceRecord } from '../../src/references/model.ts'
import { BibtexSplitter, bibtexFormat, parseBibtex } from '../../src/references/formats/bibtex.ts'
import { textChunks } from '../../src/references/text.ts'
import { parse as parseLibrary } from '@retorquere/bibtex-parser'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openReferenceFile } from '../../src/references/import.ts'
import { toBibtex } from '../../src/export/index.ts'

const fixture = readFileSync(new URL('./fixtures/references.bib', import.meta.url), 'utf8')

async function parseText(text: string, chunkSize?: number): Promise<ParsedItem[]> {
  const items: ParsedItem[] = []
  const input = { text: () => textChunks(text, chunkSize), bytes: () => { throw new Error('not used') } }
  for await (const item of parseBibtex(input)) items.push(item)
  return items
}

function records(items: ParsedItem[]): ReferenceRecord[] {
  return items.flatMap((item) => (item.kind === 'record' ? [item.record] : []))
}

function byKey(items: ParsedItem[], key: string): ReferenceRecord {
  const record = records(items).find((candidate) => (candidate.original as { key: string }).key === key)
  if (!record) throw new Error(`no record ${key}`)
  return record
}

t.test('the fixture gives 8 records and one error for the unbalanced entry, at its line', async (t) => {
  const items = await parseText(fixture)
  t.same(items.map((item) => [item.kind, item.position.line, item.position.index]), [
    ['record', 10, 0], ['record', 28, 1], ['record', 37, 2], ['error', 47, 3], ['record', 53, 4],
    ['record', 65, 5], ['record', 74, 6], ['record', 82, 7]
  ])
  const error = items[3]
  t.match(error.kind === 'error' && error.message, /@article entry at line 47 is not closed/)
})

t.test('LaTeX accents, macros, math and name orders are decoded', async (t) => {
  const items = await parseText(fixture)
  const record = byKey(items, 'mueller2021therapeutic')
  t.equal(record.type, 'article')
  t.equal(record.title, 'The Digital Therapeutic Alliance: a systematic review of Straße-level α-tests')
  t.same(record.authors, [
    { family: 'Müller', given: 'Jörg' },
    { family: 'García-López', given: 'María' },
    { family: 'Østergaard', given: 'Søren' },
    { family: 'van der Berg', given: 'Anna M.' }
  ])
  t.equal(record.journal, 'Journal of Medical Internet Research', '@string macro expanded')
  t.equal(record.year, 2021)
  t.equal(record.volume, '23')
  t.equal(record.issue, '3')
  t.equal(record.pages, 'e24567-e24580')
  t.equal(record.doi, '10.2196/24567')
  t.equal(record.pmid, '33651234')
  t.same([...record.keywords].sort(), ['digital interventions', 'mental health', 'therapeutic alliance'], 'split on ; and ,')
  t.match(record.abstract, /^Background: Digital interventions raise the question of the alliance\. Methods: .* 95% CI 0\.2–0\.4\.$/)
  t.same(record.attachments, ['files/120/Muller2021.pdf'])
  t.same(record.notes, ['AnalyLit decision: include'])
  t.equal(record.label, 'include')
  t.equal(record.language, 'english')
  const original = record.original as { entryType: string; key: string; fields: Record<string, unknown>; input: string }
  t.equal(original.entryType, 'article')
  t.ok(original.input.includes('M{\\"u}ller, J{\\"o}rg'), 'the raw entry text is kept')
})

t.test('corporate authors, ISBN, concatenated macros, DOI URLs, parenthesised entries, arXiv, theses, online', async (t) => {
  const items = await parseText(fixture)
  const who = byKey(items, 'who2020guidelines')
  t.equal(who.type, 'book')
  t.same(who.authors, [{ family: 'World Health Organization', literal: true }])
  t.same(who.isbn, ['9789241550505'])
  t.equal(who.publisher, 'WHO Press')

  const conference = byKey(items, 'francois2019')
  t.equal(conference.type, 'conference-paper')
  t.same(conference.authors, [
    { family: 'Dupont', given: 'François' }, { family: 'Picard', given: 'Jean-Luc' }, { family: 'Smith', given: 'John, Jr.' }
  ])
  t.equal(conference.journal, 'Digital Health Conference 2019', 'macro # string concatenation')
  t.equal(conference.doi, '10.1145/3357384.3357999')
  t.equal(conference.pages, '101-110')

  const lancet = byKey(items, 'lancet2020')
  t.equal(lancet.title, 'Offline: COVID-19 and the NHS—“a national scandal”')
  t.equal(lancet.journal, 'The Lancet')
  t.equal(lancet.pmcid, 'PMC7194929')

  const arxiv = byKey(items, 'vaswani2017attention')
  t.equal(arxiv.type, 'preprint')
  t.equal(arxiv.arxivId, '1706.03762')
  t.same(arxiv.authors.map((author) => author.family), ['Vaswani', 'Shazeer', 'Parmar'])

  const thesis = byKey(items, 'oconnor2015')
  t.equal(thesis.type, 'thesis')
  t.equal(thesis.publisher, 'University College Dublin')
  t.same(thesis.authors, [{ family: "O'Connor", given: 'Siobhán' }])
  t.equal(thesis.label, 'exclude', 'ASReview label in annote')

  const online = byKey(items, 'zotero2023')
  t.equal(online.type, 'web')
  t.equal(online.year, 2023)
  t.equal(online.url, 'https://www.zotero.org/support/')
})

t.test('records are the same whatever the chunk boundaries', async (t) => {
  const whole = await parseText(fixture)
  t.same(await parseText(fixture, 1), whole, '1-character chunks')
  t.same(await parseText(fixture, 7), whole, '7-character chunks')
})

t.test('CRLF line endings read as LF ones: a line break inside a field is a space, not a paragraph', async (t) => {
  const text = `@article{crlf2021,
  author = {Darcy, Alison and
            Daniels, Jade},
  title = {Alliance with
           chatbots},
  note = {Export Date: 18 November 2019
          Cited By: 2},
  abstract = {Background: M{\\"u}nchen
              rated it.}
}
`
  const withoutInput = (items: ParsedItem[]) => records(items).map((record) => ({ ...record, original: { ...(record.original as object), input: undefined } }))
  const lf = await parseText(text)
  const crlf = await parseText(text.replace(/\n/g, '\r\n'))
  t.same(withoutInput(crlf), withoutInput(lf))
  const [record] = records(crlf)
  t.same(record.authors, [{ family: 'Darcy', given: 'Alison' }, { family: 'Daniels', given: 'Jade' }])
  t.same(record.notes, ['Export Date: 18 November 2019 Cited By: 2'])
  t.equal(record.abstract, 'Background: M\u00fcnchen rated it.')
  t.match((record.original as { input: string }).input, /\r\n/, 'the original keeps its line endings')
})

t.test('broken entries are reported with their line and do not stop the import', async (t) => {
  const text = [
    '@article{a, title = {Undefined macro}, journal = nomacro, year = 2000}',
    '@article{b, title = "Quoted {Title} with } brace", year = {2001}}',
    '@misc{c,',
    '  title = {Missing comma}',
    '  year = {2003}',
    '}',
    '@ARTICLE{D, TITLE = {Upper case}, YEAR = {2004}}',
    '@article{e, title = {Never closed',
    ''
  ].join('\n')
  const items = await parseText(text)
  t.same(items.map((item) => [item.kind, item.position.line]), [
    ['record', 1], ['error', 2], ['error', 3], ['record', 7], ['error', 8]
  ])
  const first = records(items)[0]
  t.equal(first.journal, 'nomacro', 'an undefined macro stands for its own name, as BibTeX would not fail')
  t.equal(records(items)[1].title, 'Upper case')
})

t.test('the splitter cuts at top-level @ only, counts lines over CRLF and skips text between entries', async (t) => {
  const splitter = new BibtexSplitter()
  splitter.feed('% comment with user@example.org\r\n@article{k,\r\n  note = {see x@y.org and {nested {braces}}}\r\n}\r\nstray text\r\n@book(b, title = "A (B) C")', true)
  t.same(splitter.chunks.map((chunk) => [chunk.type, chunk.line, chunk.complete]), [['article', 2, true], ['book', 6, true]])
  t.equal(splitter.chunks[1].text, '@book(b, title = "A (B) C")')
})

t.test('sniff accepts BibTeX and refuses RIS', async (t) => {
  t.ok(bibtexFormat.sniff(fixture))
  t.ok(bibtexFormat.sniff('\n  @Article{x, title={y}}'))
  t.notOk(bibtexFormat.sniff('TY  - JOUR\nN1  - mail x@article{y}\nER  -'))
  t.notOk(bibtexFormat.sniff('name,email\nJane,jane@example.org'))
})

t.test('long plain abstracts and notes read the same through the fast path as through the LaTeX converter', async (t) => {
  const plainAbstract = 'Background: conversational agents may form a {working alliance} with users. '.repeat(8).trim()
  const texAbstract = `${'Participants in M{\\"u}nchen rated the agent. '.repeat(6)}Results were 10--20\\% higher.`
  const text = `@article{plain2021,
  title = {Alliance with chatbots},
  author = {Darcy, Alison and Daniels, Jade},
  abstract = {${plainAbstract}},
  note = "${'Reference list entry one; reference two. '.repeat(6).trim()}",
  year = 2021
}
@article{tex2021,
  title = {Alliance in Munich},
  author = {Roe, Richard},
  abstract = {${texAbstract}},
  year = 2021
}
`
  const items = await parseText(text)
  const [plain, tex] = records(items)
  t.equal(plain.abstract, plainAbstract.replace(/[{}]/g, ''), 'braces dropped, text unchanged')
  t.same(plain.notes, ['Reference list entry one; reference two. '.repeat(6).trim()])
  t.same(plain.authors.map((a) => a.family), ['Darcy', 'Daniels'])
  t.match((plain.original as { input: string }).input, /working alliance/, 'the original entry is kept whole')
  t.match(tex.abstract, /München/, 'an abstract with TeX is still converted')

  // The fast path gives exactly what the library gives for plain text with escapes and dashes.
  const note = 'Trier Social Stress Test--a tool --- for 10\\% of A \\& B, x\\_y; issue \\#3. '.repeat(4)
  const library = parseLibrary(`@article{k, note = {${note}}}`, { sentenceCase: false, english: false, caseProtection: false }).entries[0].fields.note as string
  const [fast] = records(await parseText(`@article{k, title = {x}, note = {${note}}}`))
  t.equal(fast.notes[0], library.trim())
  t.match(tex.abstract, /10–20% higher/)
})

/** The text with accented letters written as LaTeX accent commands ("\\\"{u}"), as ASCII BibTeX exports write them. */
function latexAccents(text: string): string {
  const commands: Record<string, string> = { '\u0300': '`', '\u0301': "'", '\u0302': '^', '\u0303': '~', '\u0308': '"', '\u0327': 'c', '\u030c': 'v' }
  return text.normalize('NFD').replace(/([a-zA-Z])([\u0300-\u036f])/g, (all, letter: string, mark: string) =>
    commands[mark] ? `\\${commands[mark]}{${letter}}` : all).normalize('NFC')
}

const exportsDir = fileURLToPath(new URL('../../../shared/datasets/exports/', import.meta.url))
const skip = existsSync(exportsDir) ? false : 'shared datasets are not available'

t.test('every entry reads the same fields as through the library alone: the fixture and all shared exports written as BibTeX, in UTF-8 and with LaTeX accents', { skip }, async (t) => {
  const texts = [fixture]
  for (const name of readdirSync(exportsDir).sort()) {
    if (!/\.(ris|txt|csv|tsv|json|rdf|xml|nbib)$/.test(name)) continue
    const items = []
    try {
      for await (const item of (await openReferenceFile(path.join(exportsDir, name))).items) {
        if (item.kind === 'record') items.push({ record: item.record, tags: ['to read'] })
      }
    } catch {
      continue // fixtures of files that are not bibliographies
    }
    const text = [...toBibtex(items)].join('')
    texts.push(text, latexAccents(text))
  }
  let compared = 0
  for (const text of texts) {
    const library = new Map(parseLibrary(text, { sentenceCase: false, english: false, caseProtection: false, unsupported: 'ignore', applyCrossRef: false })
      .entries.map((entry) => [entry.key, entry.fields]))
    for (const record of records(await parseText(text))) {
      const { key, fields } = record.original as { key: string; fields: unknown }
      if (JSON.stringify(fields) !== JSON.stringify(library.get(key))) t.same(fields, library.get(key), key)
      compared++
    }
  }
  t.ok(compared > 2000, `${compared} entries compared`)
})
