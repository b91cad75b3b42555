import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { cslJsonFormat, jsonArrayElements } from '../../src/references/formats/csl-json.ts'
import type { FormatInput, ReferenceFormat } from '../../src/references/formats/types.ts'
import type { ParsedItem } from '../../src/references/model.ts'
import { fileInput, parseAll, records, textInput } from './support.ts'

const exportsDir = fileURLToPath(new URL('../../../shared/datasets/exports/', import.meta.url))
const zoteroLibrary = `${exportsDir}analylit-zotero.csl.json`
const groupExport = `${exportsDir}analylit-20atn.csl.json`
const skip = existsSync(exportsDir) ? false : 'shared datasets are not available'

const collect = (input: FormatInput, format: ReferenceFormat = cslJsonFormat): Promise<ParsedItem[]> => parseAll(format, input)

t.test('sniffs CSL-JSON arrays and not other JSON', async (t) => {
  t.ok(cslJsonFormat.sniff('[\n  {"id":"x","type":"article-journal","title":"T"}'))
  t.ok(cslJsonFormat.sniff('[\n\t{\n\t\t"id": "http://zotero.org/groups/1/items/A",\n\t\t"type": "article-journal",'))
  t.notOk(cslJsonFormat.sniff('{"id":"x","type":"article-journal"}'), 'a lone object is not an export')
  t.notOk(cslJsonFormat.sniff('[{"name":"x","value":2}]'))
  t.notOk(cslJsonFormat.sniff('[1, 2, 3]'))
  t.notOk(cslJsonFormat.sniff('TY  - JOUR\nTI  - [x]'))
})

t.test('the array splitter follows strings, escapes and nesting across any chunking', async (t) => {
  const json = '[ {"a": "x]}\\"{", "b": [1, {"c": "\\\\"}]},\n  "bare", 42 ,{"d":null}\n]'
  for (const size of [1, 2, 3, 5, json.length]) {
    const chunks = (async function* () { for (let i = 0; i < json.length; i += size) yield json.slice(i, i + size) })()
    const elements = []
    for await (const element of jsonArrayElements(chunks)) elements.push(element)
    t.same(elements, [
      { text: '{"a": "x]}\\"{", "b": [1, {"c": "\\\\"}]}', line: 1 },
      { text: '"bare"', line: 2 },
      { text: '42 ', line: 2 },
      { text: '{"d":null}', line: 2 }
    ], `chunks of ${size}`)
  }
})

t.test('a broken item is reported with its line and the following items still import', async (t) => {
  const json = '[\n{"id":"a","type":"article-journal","title":"First"},\n{"id":"b","type":"article-journal","title":"Broken",,},\n' +
    '7,\n{"id":"c","type":"book","title":"Third","ISBN":"978-0-19-973720-8"}\n]'
  const items = await collect(textInput(json, 10))
  t.same(items.map((item) => [item.kind, item.position.line, item.position.index]), [
    ['record', 2, 0], ['error', 3, 1], ['error', 4, 2], ['record', 5, 3]
  ])
  if (items[1].kind === 'error') t.match(items[1].message, /invalid JSON/)
  if (items[2].kind === 'error') t.match(items[2].message, /not a CSL item/)
  const third = records(items)[1]
  t.equal(third.type, 'book')
  t.same(third.isbn, ['9780199737208'])
})

t.test('a file cut in the middle of an item ends with an error for that item', async (t) => {
  const items = await collect(textInput('[{"id":"a","type":"article","title":"Whole"},\n{"id":"b","title":"Cut'))
  t.same(items.map((item) => item.kind), ['record', 'error'])
  if (items[1].kind === 'error') t.match(items[1].message, /line 2 is cut short/)
})

t.test('refuses JSON that is not an array', async (t) => {
  await t.rejects(collect(textInput('{"items": []}')), /not a JSON array/)
})

t.test('maps names, dates, notes and types as CSL defines them', async (t) => {
  const [record] = records(await collect(textInput(JSON.stringify([{
    id: 'x',
    type: 'article',
    title: 'Growth of <i>E. coli</i> in   space',
    author: [
      { family: 'Beethoven', given: 'Ludwig', 'dropping-particle': 'van' },
      { literal: 'WHO Collaborating Group' },
      { given: 'Plato' }
    ],
    issued: { raw: 'Spring 2019' },
    keyword: 'alliance, mHealth; chatbots',
    note: 'arXiv: 2101.00001v2\ntex.ids: x2021\nAnalyLit decision: include',
    URL: 'https://arxiv.org/abs/2101.00001v2',
    publisher: 'arXiv'
  }]))))
  t.equal(record.title, 'Growth of E. coli in space')
  t.same(record.authors, [
    { family: 'Beethoven', given: 'Ludwig van' },
    { family: 'WHO Collaborating Group', literal: true },
    { family: 'Plato' }
  ])
  t.equal(record.year, 2019)
  t.same(record.keywords, ['alliance', 'mHealth', 'chatbots'])
  t.equal(record.arxivId, '2101.00001')
  t.equal(record.type, 'preprint')
  t.same(record.notes, ['tex.ids: x2021\nAnalyLit decision: include'])
  t.equal(record.label, 'include')
})

t.test('imports the 328-item Zotero library (Better BibTeX CSL-JSON) field by field', { skip }, async (t) => {
  const items = await collect(fileInput(zoteroLibrary))
  t.equal(items.length, 328)
  t.equal(items.filter((item) => item.kind === 'error').length, 0)
  const all = records(items)
  const first = all[0]
  t.equal(first.title, 'Predicting working alliance in psychotherapy: A multi-modal machine learning approach')
  t.same(first.authors, [
    { family: 'Aafjes-van Doorn', given: 'Katie' },
    { family: 'Cicconet', given: 'Marcelo' },
    { family: 'Cohn', given: 'Jeffrey F.' },
    { family: 'Aafjes', given: 'Marc' }
  ])
  t.equal(first.journal, 'Psychotherapy Research: Journal of the Society for Psychotherapy Research')
  t.equal(first.journalAbbrev, 'Psychother Res')
  t.equal(first.year, 2025)
  t.equal(first.volume, '35')
  t.equal(first.issue, '2')
  t.equal(first.pages, '256-270')
  t.equal(first.doi, '10.1080/10503307.2024.2428702')
  t.equal(first.pmid, '39743668')
  t.equal(first.pmcid, undefined)
  t.same(first.issn, ['1468-4381'])
  t.equal(first.language, 'eng')
  t.equal(first.sourceDatabase, 'PubMed')
  t.equal(first.type, 'article')
  t.match(first.abstract, /^OBJECTIVE: Session-by-session tracking[^\n]+\nMETHOD: A naturalistic dataset/)
  t.equal((first.original as { 'citation-key': string })['citation-key'], 'aafjes-vandoornPredictingWorkingAlliance2025')

  const chapter = all[221]
  t.equal(chapter.type, 'chapter')
  t.equal(chapter.title, 'Psychotherapy and Therapeutic Relationship')
  t.equal(chapter.journal, 'StatPearls')
  t.equal(chapter.publisher, 'StatPearls Publishing')
  t.equal(chapter.url, 'http://www.ncbi.nlm.nih.gov/books/NBK608012/')
  t.equal(chapter.doi, undefined)

  const healer = all[32]
  t.equal(healer.doi, '10.2196/53096')
  t.equal(healer.authors.length, 16)
  t.same(healer.authors[15], { family: 'M-Healer Research Team', literal: true })

  t.equal(all.filter((record) => record.pmcid !== undefined).length, 232, 'PMCID field of 232 items')
  t.equal(all.filter((record) => record.doi !== undefined).length, 326)
  t.ok(all.every((record) => record.pmid !== undefined))
})

t.test('imports the 20-item group export, taking PMIDs and PMCIDs out of the note', { skip }, async (t) => {
  const items = await collect(fileInput(groupExport, 1000))
  t.equal(items.length, 20)
  const all = records(items)
  t.equal(all.length, 20)
  const [first, second] = all
  t.same(first.authors[0], { family: 'van Benthem', given: 'Patty' }, 'non-dropping particle joins the family name')
  t.equal(first.year, 2025)
  t.equal(first.pmid, '40512270')
  t.equal(first.journal, 'European Child & Adolescent Psychiatry')
  t.equal(first.journalAbbrev, 'Eur Child Adolesc Psychiatry', 'from journalAbbreviation')
  t.same(first.notes, [], 'a note made only of identifiers leaves no note')
  t.equal(second.pmid, '40433301')
  t.equal(second.pmcid, 'PMC12107005')
  t.equal(second.pages, '20552076251326222')
  t.equal(second.volume, '11')
  const source = JSON.parse(readFileSync(groupExport, 'utf8')) as Array<{ note: string }>
  const withPmcid = source.filter((item) => /PMCID: PMC\d+/.test(item.note)).length
  t.equal(all.filter((record) => record.pmcid).length, withPmcid)
  t.ok(all.every((record) => record.pmid))
})
