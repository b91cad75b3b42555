import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ParsedItem, ReferenceRecord } from '../../src/references/model.ts'
import { parseRis, risFormat } from '../../src/references/formats/ris.ts'
import { decodeBytes } from '../../src/references/encoding.ts'
import { textChunks } from '../../src/references/text.ts'

const exportsDir = new URL('../../../shared/datasets/exports/', import.meta.url)
const skip = existsSync(fileURLToPath(exportsDir)) ? false : 'shared datasets are not available'

function readExport(name: string): string {
  return decodeBytes(readFileSync(new URL(name, exportsDir)))
}

async function parseText(text: string, chunkSize?: number): Promise<ParsedItem[]> {
  const items: ParsedItem[] = []
  const input = { text: () => textChunks(text, chunkSize), bytes: () => { throw new Error('not used') } }
  for await (const item of parseRis(input)) items.push(item)
  return items
}

async function recordsOf(name: string): Promise<ReferenceRecord[]> {
  const items = await parseText(readExport(name))
  const errors = items.filter((item) => item.kind === 'error')
  if (errors.length > 0) throw new Error(`unexpected errors in ${name}: ${JSON.stringify(errors)}`)
  return items.flatMap((item) => (item.kind === 'record' ? [item.record] : []))
}

// Expected counts come from counting "ER  -" lines in each file (grep -c '^ER  -').
const RECORD_COUNTS: Record<string, number> = {
  '_baseline.ris': 100,
  'baseline_empty_values.ris': 4,
  'baseline_reference_types.ris': 61,
  'baseline_tag-notes.ris': 12,
  'baseline_tag-notes_labels.ris': 32,
  'baseline_tag-notes_zotero.ris': 4,
  'baseline_tag_and_field_definitions_lists.ris': 1,
  'baseline_zotero.ris': 100,
  'embase.ris': 6,
  'faulty_year.ris': 1,
  'ovid_psycinfo.ris': 6,
  'ovid_zotero.ris': 6,
  'proquest.ris': 6,
  'pubmed_zotero.ris': 6,
  'scopus.ris': 6,
  'pubmed_endnote.txt': 6,
  'ris_issue_1099.txt': 7,
  'ris_issue_992.txt': 19,
  'web_of_science.txt': 10
}

t.test('every RIS dialect in the shared exports gives one record per ER line and no error', { skip }, async (t) => {
  for (const [name, expected] of Object.entries(RECORD_COUNTS)) {
    const items = await parseText(readExport(name))
    t.equal(items.filter((item) => item.kind === 'record').length, expected, `${name} records`)
    t.same(items.filter((item) => item.kind === 'error'), [], `${name} has no error`)
  }
})

t.test('Scopus: authors, journal and abbreviation, PMID from C2, ISSN, article number kept in original', { skip }, async (t) => {
  const records = await recordsOf('scopus.ris')
  const record = records[2]
  t.equal(record.title?.startsWith('Does symptom activity explain psychological differences in patients with irritable bowel syndrome'), true)
  t.same(record.authors.map((author) => `${author.family}|${author.given}`), [
    'Berens|S.', 'Schaefert|R.', 'Baumeister|D.', 'Gauss|A.', 'Eich|W.', 'Tesarz|J.'
  ])
  t.equal(record.journal, 'Journal of Psychosomatic Research')
  t.equal(record.journalAbbrev, 'J. Psychosom. Res.')
  t.equal(record.volume, '126')
  t.equal(record.year, 2019)
  t.equal(record.doi, '10.1016/j.jpsychores.2019.109836')
  t.equal(record.pmid, '31627144')
  t.same(record.issn, ['0022-3999'])
  t.equal(record.publisher, 'Elsevier Inc.')
  t.equal(record.sourceDatabase, 'Scopus')
  t.equal(record.language, 'English')
  t.equal(record.type, 'article')
  const original = record.original as Record<string, string[]>
  t.same(original.C7, ['109836'])
  t.same(original.SN, ['00223999 (ISSN)'])
  // the reference list wraps over many untagged lines: they stay in the note, not in a new field
  const references = record.notes.find((note) => note.startsWith('References:'))
  t.ok(references?.includes('\nLöwe, B., Lohse, A., Andresen, V.'), 'continuation lines joined to the N1 value')
  t.equal(records[0].type, 'review', 'M3 "Review" refines JOUR')
})

t.test('PubMed via EndNote: PMID from AN, MeSH from one KW with continuation lines, author keywords apart', { skip }, async (t) => {
  const records = await recordsOf('pubmed_endnote.txt')
  const first = records[0]
  t.equal(first.title, 'Boswellia serrata: an overall assessment of in vitro, preclinical, pharmacokinetic and clinical data')
  t.same(first.authors, [
    { family: 'Abdel-Tawab', given: 'M.' }, { family: 'Werz', given: 'O.' }, { family: 'Schubert-Zsilavecz', given: 'M.' }
  ])
  t.equal(first.pmid, '21553931')
  t.equal(first.doi, '10.2165/11586800-000000000-00000')
  t.equal(first.journal, 'Clin Pharmacokinet')
  t.equal(first.volume, '50')
  t.equal(first.issue, '6')
  t.equal(first.pages, '349-69')
  t.equal(first.year, 2011)
  t.equal(first.language, 'eng')
  t.equal(first.sourceDatabase, 'NLM')
  t.same(first.mesh, [
    'Animals', 'Anti-Inflammatory Agents', 'Boswellia', 'Clinical Trials as Topic', 'Disease Models, Animal',
    'Drug Evaluation, Preclinical', 'Humans', 'Inflammation', 'Medicine, Ayurvedic', 'Plant Extracts'
  ])
  const second = records[1]
  t.ok(second.mesh.includes('Colitis, Ulcerative'))
  t.same(second.keywords, ['antioxidant against lipids', 'citrus flavonoid', 'experimental colitis', 'inflammation', 'oxidative stress', 'yuzu'])
  const original = first.original as Record<string, string[]>
  t.equal(original.KW.length, 1, 'original keeps the tag as read')
  t.ok(original.KW[0].includes('\nAnti-Inflammatory Agents/adverse effects/pharmacokinetics/*pharmacology\n'))
})

t.test('Ovid PsycINFO: numbering and link lines skipped, NL after ER kept with its record, DOI URL normalised', { skip }, async (t) => {
  const records = await recordsOf('ovid_psycinfo.ris')
  const first = records[0]
  t.equal(first.title, 'The influence of self-criticism on depression symptoms among ambulatory patients with inflammatory bowel disease.')
  t.equal(first.authors.length, 5)
  t.same(first.authors[0], { family: 'Trindade', given: 'Ines A' })
  t.equal(first.doi, '10.1002/cpp.2398')
  t.equal(first.year, 2019)
  t.equal(first.journal, 'Clinical Psychology & Psychotherapy')
  t.equal(first.pages, undefined, 'Ovid\'s "No"/"Specified" page placeholders are dropped')
  t.equal(first.publisher, 'John Wiley & Sons')
  t.same(first.issn, ['1063-3995'])
  t.same((first.original as Record<string, string[]>).NL, ['Clin Psychol Psychother'])
  t.equal(first.journalAbbrev, undefined)
  const second = records[1]
  t.same(second.keywords, ['Body Image', 'Colon Disorders', 'Human Sex Differences', 'Self-Concept', 'Sex Roles', 'Symptoms'])
  t.equal(second.pages, '847-856')
})

t.test('Embase: A1 authors in "Family Initials" form, PMID from C5, empty DB skipped', { skip }, async (t) => {
  const records = await recordsOf('embase.ris')
  const record = records[1]
  t.same(record.authors.slice(0, 3), [
    { family: 'Eloubeidi', given: 'M.A.' }, { family: 'Cohn', given: 'M.' }, { family: 'Cerfolio', given: 'R.J.' }
  ])
  t.equal(record.pmid, '15368318')
  t.equal(record.doi, '10.1002/cncr.20369')
  t.equal(record.sourceDatabase, 'Embase')
  t.equal(record.year, 2004)
  t.equal(record.pages, '253-258')
  t.ok(record.abstract?.startsWith('BACKGROUND. The management of foregut duplication cysts'), 'N2 is the abstract')
  t.equal(record.keywords.length, 27)
})

t.test('ProQuest, Zotero and lens.org exports: ISSN lists, PMID and PMCID from links, L1 attachments, labels in HTML notes', { skip }, async (t) => {
  const proquest = await recordsOf('proquest.ris')
  t.same(proquest[1].issn, ['2000-8066'])
  t.equal(proquest[1].doi, '10.1080/20008198.2019.1586266')
  t.equal(proquest[1].sourceDatabase, 'PTSDpubs')

  const pubmedZotero = await recordsOf('pubmed_zotero.ris')
  t.same(pubmedZotero[1].issn, ['1128-045X', '1123-6337'])
  t.equal(pubmedZotero[1].journalAbbrev, 'Tech Coloproctol')
  t.equal(pubmedZotero[1].journal, 'Techniques in coloproctology')

  const baseline = await recordsOf('_baseline.ris')
  t.equal(baseline[0].pmid, '22752652')
  t.equal(baseline[0].pmcid, 'PMC3553406')
  t.same(baseline[0].attachments, ['https://link.springer.com/content/pdf/10.1007%2Fs11307-012-0572-0.pdf'])
  t.same(baseline[0].issn, ['1860-2002', '1536-1632'])
  t.same(baseline[0].authors[0], { family: 'Blomberg', given: 'Björn A.' })

  const zotero = await recordsOf('baseline_zotero.ris')
  t.same(zotero[0].notes, ['ASReview_relevant'], 'XHTML stripped from the Zotero note')
  t.equal(zotero[0].label, 'include')
  t.same(zotero[0].authors.slice(0, 2), [{ family: 'van de Schoot', given: 'Rens' }, { family: 'de Bruin', given: 'Jonathan' }])
})

t.test('Web of Science RIS, Rayyan and Citavi quirks', { skip }, async (t) => {
  const wos = await recordsOf('web_of_science.txt')
  t.equal(wos[0].sourceDatabase, 'Web of Science')
  t.same(wos[0].issn, ['2211-3681', '2211-369X'])
  t.equal(wos[0].title, 'Holding Yourself Captive: Perceptions of Custody During Interviews and Interrogations')

  const rayyan = await recordsOf('ris_issue_992.txt')
  t.same(rayyan[0].keywords.slice(0, 3), ['Health Facility Administration', 'Joint Commission', 'Standards'])
  t.equal(rayyan[0].keywords.length, 13)
  t.equal(rayyan[0].sourceDatabase, 'Rayyan')

  const citavi = await recordsOf('ris_issue_1099.txt')
  const book = citavi[1]
  t.equal(book.type, 'book')
  t.same((book.original as Record<string, string[]>).U3, [
    'Cited By :2\nExport Date: 12 May 2022\nConference Paper\nCorrespondence Address: Van Acker, B.; 2020 Antwerp, Belgium; email: Bert.VanAcker@uantwerpen.be'
  ])
  t.same(book.authors[0], { family: 'van Acker', given: 'B.' })
  t.equal(book.doi, '10.1007/978-3-030-58167-1_7')
})

t.test('every RIS reference type maps to the model vocabulary', { skip }, async (t) => {
  const records = await recordsOf('baseline_reference_types.ris')
  const byCode = new Map(records.map((record) => [((record.original as Record<string, string[]>).TY[0]), record.type]))
  t.equal(byCode.get(''), 'other', 'empty TY')
  const expected: Record<string, string> = {
    JOUR: 'article', EJOUR: 'article', MGZN: 'article', BOOK: 'book', EDBOOK: 'book', EBOOK: 'book', CHAP: 'chapter',
    ECHAP: 'chapter', CONF: 'conference-paper', CPAPER: 'conference-paper', THES: 'thesis', RPRT: 'report',
    GOVDOC: 'report', UNPD: 'preprint', DATA: 'dataset', DBASE: 'dataset', WEB: 'web', BLOG: 'web', PAT: 'patent',
    NEWS: 'news', PCOMM: 'letter', GEN: 'other', VIDEO: 'other', CASE: 'other'
  }
  for (const [code, type] of Object.entries(expected)) t.equal(byCode.get(code), type, code)
  for (const record of records) t.ok(record.type, 'every record has a type')
})

t.test('ASReview labels in N1 notes become record labels', { skip }, async (t) => {
  const records = await recordsOf('baseline_tag-notes_labels.ris')
  const none = undefined
  const expected = [
    'include', 'exclude', none, none,
    ...Array.from({ length: 9 }, () => ['include', 'exclude', none]).flat(),
    none
  ]
  t.same(records.map((record) => record.label), expected)
  t.same(records[4].notes, ['ASReview_relevant. Additional notes 2.'])
})

t.test('notes, empty values and odd tag spacing', { skip }, async (t) => {
  const notes = await recordsOf('baseline_tag-notes.ris')
  t.same(notes[1].notes, ['What about', 'multiline notes?'])
  const emptyLine = notes.find((record) => record.notes[0] === 'Oops, there is an empty line')
  t.same(emptyLine?.notes, ['Oops, there is an empty line', "in this record's notes section."])

  const empty = await recordsOf('baseline_empty_values.ris')
  t.equal(empty[0].title, 'Title of reference')
  t.equal(empty[0].abstract, undefined, 'an empty N2 is no abstract')
  t.same((empty[0].original as Record<string, string[]>).N2, [''])
  t.equal(empty[1].title, undefined)
  t.equal(empty[1].abstract, 'Lorem ipsum dolor sit amet, consectetuer adipiscing elit.')

  const definitions = await parseText(readExport('baseline_tag_and_field_definitions.ris'))
  const record = definitions[0].kind === 'record' ? definitions[0].record : undefined
  t.equal(record?.title, 'Title', 'TI wins over T1')
  t.equal(record?.abstract, 'Notes Abstract', 'N2 read from a tab-separated tag')
  t.same((record?.original as Record<string, string[]>).A1, ['First Authors'])
  t.same((record?.original as Record<string, string[]>).EP, ['End Page'])
  t.same(definitions.slice(1).map((item) => [item.kind, item.position.line]), [['error', 65]],
    'the tags after "ER - End of Reference" have no TY: one error')

  const lists = await recordsOf('baseline_tag_and_field_definitions_lists.ris')
  t.same(lists[0].authors.map((author) => [author.given, author.family].join(' ')), ['Author 1', 'Author 2', 'First Author 1', 'First Author 2'],
    'AU then A1, in file order')
  t.same(lists[0].keywords, ['Keywords 1', 'Keywords 2'])

  const faulty = await recordsOf('faulty_year.ris')
  t.equal(faulty[0].year, undefined, 'PY "10 15" is no year')
})

t.test('a missing ER, text between records and a record without TY give error items; the rest is imported', async (t) => {
  const text = [
    'TY  - JOUR', 'TI  - First', 'ER  - ', '',
    'Some text a tool wrote between records', 'and another line', '',
    'TY  - JOUR', 'TI  - Second without end', '',
    'TY  - BOOK', 'TI  - Third', 'AU  - Doe, Jane', 'ER  -', '',
    'AU  - Orphan, Author', 'ER  -', '',
    'TY  - JOUR', 'TI  - Truncated at the end of the file'
  ].join('\r\n')
  const items = await parseText(text)
  t.same(items.map((item) => [item.kind, item.position.line, item.position.index]), [
    ['record', 1, 0],
    ['error', 5, 1],
    ['error', 8, 2],
    ['record', 11, 3],
    ['error', 16, 4],
    ['error', 19, 5]
  ])
  const messages = items.flatMap((item) => (item.kind === 'error' ? [item.message] : []))
  t.match(messages[0], /Unrecognised text between records at line 5: "Some text a tool wrote between records" \(and 1 more line\)/)
  t.match(messages[1], /record starting at line 8 has no "ER {2}-" end line/)
  t.match(messages[2], /Lines 16-17 form a record without a "TY {2}-" start line/)
  t.match(messages[3], /line 19 is not closed by an "ER {2}-" line/)
  const third = items[3].kind === 'record' ? items[3].record : undefined
  t.equal(third?.title, 'Third')
  t.same(third?.authors, [{ family: 'Doe', given: 'Jane' }])
})

t.test('records are the same whatever the chunk boundaries (1 and 7 characters, CRLF split)', { skip }, async (t) => {
  for (const name of ['ovid_psycinfo.ris', 'pubmed_endnote.txt', 'baseline_tag-notes.ris']) {
    const text = readExport(name)
    const whole = await parseText(text)
    t.same(await parseText(text, 1), whole, `${name} in 1-character chunks`)
    t.same(await parseText(text, 7), whole, `${name} in 7-character chunks`)
  }
})

t.test('lone CR line endings (classic Mac EndNote) are read like LF', async (t) => {
  const items = await parseText('TY  - JOUR\rTI  - Old Mac export\rAU  - Smith, J\rER  - \r')
  t.equal(items.length, 1)
  t.equal(items[0].kind === 'record' && items[0].record.title, 'Old Mac export')
})

t.test('sniff accepts RIS and refuses other formats', { skip }, async (t) => {
  t.ok(risFormat.sniff(readExport('ovid_psycinfo.ris').slice(0, 65536)))
  t.ok(risFormat.sniff(readExport('_baseline.ris').slice(0, 65536)))
  t.notOk(risFormat.sniff('PMID- 123\nTI  - Title\n'))
  t.notOk(risFormat.sniff('title,abstract\n"TY  - JOUR",x\n'))
  t.notOk(risFormat.sniff('@article{key, title = {TY  - JOUR}}'))
})

t.test('export headers before the first record are skipped; the article number stands in for missing pages', async (t) => {
  const text = 'Provider: Elsevier\nDatabase: ScienceDirect\nContent: text/plain; charset="UTF-8"\n\n' +
    'TY  - JOUR\nTI  - With article number\nC7  - 109324\nER  - \n\nTY  - JOUR\nTI  - With pages\nSP  - 3\nEP  - 9\nC7  - 5\nER  - \n'
  const items = await parseText(text)
  t.same(items.map((item) => [item.kind, item.position.line]), [['record', 5], ['record', 10]])
  const pages = items.map((item) => (item.kind === 'record' ? item.record.pages : undefined))
  t.same(pages, ['109324', '3-9'])
})
