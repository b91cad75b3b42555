import t from 'tap'
import { readFileSync } from 'node:fs'
import type { ParsedItem, ReferenceRecord } from '../../src/references/model.ts'
import { parseWos, wosFormat } from '../../src/references/formats/wos.ts'
import { textChunks } from '../../src/references/text.ts'

const fixture = readFileSync(new URL('./fixtures/savedrecs.txt', import.meta.url), 'utf8')
const exportsDir = new URL('../../../shared/datasets/exports/', import.meta.url)

async function parseText(text: string, chunkSize?: number): Promise<ParsedItem[]> {
  const items: ParsedItem[] = []
  const input = { text: () => textChunks(text, chunkSize), bytes: () => { throw new Error('not used') } }
  for await (const item of parseWos(input)) items.push(item)
  return items
}

async function recordsOf(text: string): Promise<ReferenceRecord[]> {
  return (await parseText(text)).flatMap((item) => (item.kind === 'record' ? [item.record] : []))
}

t.test('one record per PT…ER block, header and EF skipped', async (t) => {
  const items = await parseText(fixture)
  t.same(items.map((item) => [item.kind, item.position.line]), [['record', 3], ['record', 53], ['record', 75]])
})

t.test('journal article: full author names, wrapped title, keywords, ids, ORCID', async (t) => {
  const [record] = await recordsOf(fixture)
  t.equal(record.type, 'article')
  t.equal(record.title, 'Holding Yourself Captive: Perceptions of Custody During Interviews and Interrogations')
  t.same(record.authors, [
    { family: 'Alceste', given: 'Fabiana' },
    { family: 'Luke', given: 'Timothy J.', orcid: '0000-0002-4180-8214' },
    { family: 'Kassin', given: 'Saul M.' }
  ])
  t.equal(record.journal, 'JOURNAL OF APPLIED RESEARCH IN MEMORY AND COGNITION')
  t.equal(record.journalAbbrev, 'J. Appl. Res. Mem. Cogn.')
  t.equal(record.year, 2018)
  t.equal(record.volume, '7')
  t.equal(record.issue, '3')
  t.equal(record.pages, '387-397')
  t.equal(record.doi, '10.1016/j.jarmac.2018.03.001')
  t.same(record.issn, ['2211-3681', '2211-369X'])
  t.same(record.keywords, [
    'Police custody', 'Interview', 'Interrogation', 'Perception of freedom',
    'PERSPECTIVE-TAKING', 'INNOCENCE', 'MIRANDA', 'ATTRIBUTION', 'OBSERVERS', 'ACTORS', 'SELF'
  ])
  t.equal(record.abstract, 'Police custody activates important legal safeguards. To determine custody, courts examine objective conditions and ask whether a "reasonable person" would feel free to leave while being questioned.')
  t.equal(record.publisher, 'ELSEVIER SCIENCE INC')
  t.equal(record.sourceDatabase, 'Web of Science')
  const original = record.original as Record<string, string[]>
  t.same(original.UT, ['WOS:000445120500009'])
  t.same(original.AU, ['Alceste, F', 'Luke, TJ', 'Kassin, SM'], 'list tags keep one value per line')
  t.equal(original.CR.length, 2)
  t.equal(original.C1.length, 2)
})

t.test('review with PMID, and a book chapter with a group author', async (t) => {
  const [, review, chapter] = await recordsOf(fixture)
  t.equal(review.type, 'review')
  t.equal(review.pmid, '26158992')
  t.same(chapter.authors, [
    { family: 'Ofshe', given: 'Richard J.' }, { family: 'Leo', given: 'Richard A.' },
    { family: 'Interrogation Research Group', literal: true }
  ])
  t.equal(chapter.type, 'chapter')
  t.same(chapter.isbn, ['9780762301131'])
  t.equal(chapter.pages, '189-251')
})

t.test('records are the same whatever the chunk boundaries and line endings', async (t) => {
  const whole = await parseText(fixture)
  t.same(await parseText(fixture, 1), whole, '1-character chunks')
  t.same(await parseText(fixture.replace(/\n/g, '\r\n'), 7), whole, 'CRLF in 7-character chunks')
})

t.test('a record cut short and stray text give error items', async (t) => {
  const text = 'FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI First\nER\n\nnot a tag line\nPT J\nTI Second\nPT J\nTI Third\nER\nPT J\nTI Truncated'
  const items = await parseText(text)
  t.same(items.map((item) => [item.kind, item.position.line]), [
    ['record', 3], ['error', 7], ['error', 8], ['record', 10], ['error', 13]
  ])
})

t.test('sniff: plain-text export yes; the WoS RIS export in the shared data is RIS, not this format', async (t) => {
  t.ok(wosFormat.sniff(fixture))
  const risExport = readFileSync(new URL('web_of_science.txt', exportsDir), 'utf8')
  t.notOk(wosFormat.sniff(risExport.slice(0, 65536)))
})
