import t from 'tap'
import { readFileSync } from 'node:fs'
import type { ParsedItem, ReferenceRecord } from '../../src/references/model.ts'
import { medlineFormat, parseMedline } from '../../src/references/formats/medline.ts'
import { textChunks } from '../../src/references/text.ts'

const fixture = readFileSync(new URL('./fixtures/pubmed.nbib', import.meta.url), 'utf8')

async function parseText(text: string, chunkSize?: number): Promise<ParsedItem[]> {
  const items: ParsedItem[] = []
  const input = { text: () => textChunks(text, chunkSize), bytes: () => { throw new Error('not used') } }
  for await (const item of parseMedline(input)) items.push(item)
  return items
}

async function recordsOf(text: string): Promise<ReferenceRecord[]> {
  return (await parseText(text)).flatMap((item) => (item.kind === 'record' ? [item.record] : []))
}

t.test('one record per PMID, at its line', async (t) => {
  const items = await parseText(fixture)
  t.same(items.map((item) => [item.kind, item.position.line, item.position.index]), [
    ['record', 1, 0], ['record', 62, 1], ['record', 83, 2]
  ])
})

t.test('journal article: wrapped title and structured abstract, FAU with ORCID, group author, MeSH, keywords, ids', async (t) => {
  const [record] = await recordsOf(fixture)
  t.equal(record.pmid, '33651234')
  t.equal(record.title, 'The Digital Therapeutic Alliance and Human-Computer Interaction in Mobile Health: A Systematic Review.')
  t.match(record.abstract, /^BACKGROUND: Therapeutic alliance predicts outcomes in face-to-face therapy, but its role in digital interventions is unclear\. OBJECTIVE:/)
  t.match(record.abstract, /measure adapted to digital settings\.$/)
  t.same(record.authors, [
    { family: 'Müller', given: 'Jörg', orcid: '0000-0002-1825-0097' },
    { family: 'van der Berg', given: 'Anna M' },
    { family: 'Digital Alliance Study Group', literal: true }
  ])
  t.equal(record.type, 'review', 'PT Systematic Review')
  t.equal(record.year, 2021)
  t.equal(record.journal, 'Journal of medical Internet research')
  t.equal(record.journalAbbrev, 'J Med Internet Res')
  t.equal(record.volume, '23')
  t.equal(record.issue, '3')
  t.equal(record.pages, 'e24567')
  t.equal(record.doi, '10.2196/24567')
  t.equal(record.pmcid, 'PMC8003927')
  t.same(record.issn, ['1438-8871', '1439-4456'])
  t.same(record.mesh, ['Humans', 'Mobile Applications', 'Professional-Patient Relations', 'Telemedicine', 'Therapeutic Alliance'])
  t.same(record.keywords, ['digital therapeutic alliance', 'mHealth', 'human-computer interaction'])
  t.equal(record.language, 'eng')
  t.equal(record.sourceDatabase, 'PubMed')
  const original = record.original as Record<string, string[]>
  t.same(original.MH, ['Humans', '*Mobile Applications', 'Professional-Patient Relations', '*Telemedicine/methods/standards', 'Therapeutic Alliance'])
  t.same(original.AID, ['v23i3e24567 [pii]', '10.2196/24567 [doi]'])
  t.same(original.PT, ['Journal Article', 'Systematic Review'])
})

t.test('letter with AU initials only, and a Bookshelf chapter', async (t) => {
  const [, letter, chapter] = await recordsOf(fixture)
  t.equal(letter.type, 'letter')
  t.same(letter.authors, [{ family: 'Smith', given: 'JA' }, { family: "O'Brien", given: 'P' }])
  t.equal(letter.pages, '754-5')
  t.equal(letter.journal, 'Lancet (London, England)')
  t.same(letter.mesh, ['Humans', 'Psychiatry', 'Rural Health Services'])
  t.equal(letter.doi, undefined)

  t.equal(chapter.type, 'chapter')
  t.equal(chapter.title, 'Chatbots in mental health care.')
  t.equal(chapter.journal, "Digital Mental Health: A Practitioner's Guide", 'the book is the container')
  t.same(chapter.authors, [{ family: 'Lee', given: 'Hannah' }], 'editors (FED/ED) are not authors')
  t.same(chapter.isbn, ['9783030123456'])
  t.equal(chapter.publisher, 'Springer')
  t.same(chapter.notes, ['Copyright 2019, The Author(s).'])
})

t.test('records are the same whatever the chunk boundaries and line endings', async (t) => {
  const whole = await parseText(fixture)
  t.same(await parseText(fixture, 1), whole, '1-character chunks')
  t.same(await parseText(fixture, 7), whole, '7-character chunks')
  t.same(await parseText(fixture.replace(/\n/g, '\r\n'), 7), whole, 'CRLF in 7-character chunks')
})

t.test('text outside records is reported and the records around it are kept', async (t) => {
  const text = 'Search results from PubMed\n\nPMID- 1\nTI  - One\n\nPMID- 2\nTI  - Two\nPMID- 3\nTI  - Three'
  const items = await parseText(text)
  t.same(items.map((item) => [item.kind, item.position.line]), [['error', 1], ['record', 3], ['record', 6], ['record', 8]])
  t.match(items[0].kind === 'error' && items[0].message, /line 1: "Search results from PubMed"/)
  t.same((await recordsOf(text)).map((record) => record.title), ['One', 'Two', 'Three'])
})

t.test('sniff accepts MEDLINE and refuses RIS', async (t) => {
  t.ok(medlineFormat.sniff(fixture))
  t.notOk(medlineFormat.sniff('TY  - JOUR\nAN  - 123\nER  - \n'))
  t.notOk(medlineFormat.sniff('PMID,title\n123,x\n'))
})
