import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { endnoteXmlFormat } from '../../src/references/formats/endnote-xml.ts'
import type { FormatInput, ReferenceFormat } from '../../src/references/formats/types.ts'
import type { ParsedItem, ReferenceRecord } from '../../src/references/model.ts'
import { fileInput, parseAll, records, textInput } from './support.ts'

const fixture = fileURLToPath(new URL('./fixtures/endnote-xml-library.xml', import.meta.url))

const collect = (input: FormatInput, format: ReferenceFormat = endnoteXmlFormat): Promise<ParsedItem[]> => parseAll(format, input)
const recordsOf = async (input: FormatInput): Promise<ReferenceRecord[]> => records(await collect(input))

t.test('sniffs EndNote XML exports only', async (t) => {
  t.ok(endnoteXmlFormat.sniff(readFileSync(fixture, 'utf8').slice(0, 2000)))
  t.ok(endnoteXmlFormat.sniff('<?xml version="1.0" encoding="UTF-8" ?><xml><records><record><database name="x.enl">'))
  t.notOk(endnoteXmlFormat.sniff('<?xml version="1.0"?>\n<PubmedArticleSet><PubmedArticle>'))
  t.notOk(endnoteXmlFormat.sniff('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'))
})

t.test('streams every record with its position; one without title or identifier is an error', async (t) => {
  const items = await collect(fileInput(fixture))
  t.same(items.map((item) => item.kind), ['record', 'record', 'record', 'record', 'error', 'record'])
  t.same(items.map((item) => item.position.line), [2, 3, 4, 5, 6, 7])
  const error = items[4]
  if (error.kind === 'error') t.match(error.message, /record 16 has no title, abstract or identifier/)
})

t.test('maps a PubMed-sourced journal article with styled text', async (t) => {
  const [record] = await recordsOf(fileInput(fixture))
  t.equal(record.type, 'article')
  t.equal(record.title, 'Predicting working alliance in psychotherapy: A multi-modal machine learning approach')
  t.same(record.authors, [
    { family: 'Aafjes-van Doorn', given: 'K.' },
    { family: 'Cicconet', given: 'M.' },
    { family: 'Cohn', given: 'J. F.' },
    { family: 'Aafjes', given: 'M.' }
  ])
  t.equal(record.journal, 'Psychotherapy Research')
  t.equal(record.journalAbbrev, 'Psychother Res')
  t.equal(record.volume, '35')
  t.equal(record.issue, '2')
  t.equal(record.pages, '256-270')
  t.equal(record.year, 2025)
  t.same(record.issn, ['1050-3307', '1468-4381'])
  t.equal(record.isbn, undefined)
  t.equal(record.doi, '10.1080/10503307.2024.2428702')
  t.equal(record.pmid, '39743668', 'accession number of a Medline record')
  t.equal(record.pmcid, 'PMC11723456', 'PMCID from custom2')
  t.equal(record.language, 'eng')
  t.equal(record.sourceDatabase, 'Medline')
  t.same(record.keywords, ['Humans', '*Therapeutic Alliance', '*Machine Learning', 'alliance'])
  t.equal(record.abstract, [
    'OBJECTIVE: Session-by-session tracking of the working alliance enables clinicians to detect alliance deterioration.',
    'METHOD: A naturalistic dataset of session recordings was available for 252 sessions.',
    'RESULTS: Best results were achieved with a Gradient Boosting architecture (ICC = 0.66).'
  ].join('\n'))
  t.equal(record.url, 'https://www.ncbi.nlm.nih.gov/pubmed/39743668')
  t.same(record.attachments, ['internal-pdf://0934581163/Aafjes-van Doorn-2025-Predicting working allian.pdf'])
  t.equal(record.label, 'include')
  const original = record.original as Record<string, unknown>
  t.same(original['ref-type'], { '@name': 'Journal Article', '#text': '17' })
  t.equal(original['rec-number'], '12')
})

t.test('maps a book section whose title has italic runs', async (t) => {
  const record = (await recordsOf(fileInput(fixture)))[1]
  t.equal(record.type, 'chapter')
  t.equal(record.title, 'The role of the therapeutic alliance in psychotherapy')
  t.equal(record.journal, 'Psychotherapy relationships that work', 'book title as container')
  t.equal(record.journalAbbrev, undefined)
  t.same(record.authors, [{ family: 'Horvath', given: 'Adam O.' }, { family: 'Luborsky', given: 'Lester' }], 'editors are not authors')
  t.equal(record.publisher, 'Oxford University Press')
  t.same(record.isbn, ['9780199737208'])
  t.equal(record.issn, undefined)
  t.same(record.notes, ['Chapter 2\nCited in the protocol'])
  t.equal(record.label, 'exclude')
  t.equal(record.sourceDatabase, 'EndNote')
})

t.test('maps a conference paper with a corporate author and identifiers in links and notes', async (t) => {
  const record = (await recordsOf(fileInput(fixture)))[2]
  t.equal(record.type, 'conference-paper')
  t.same(record.authors, [
    { family: 'Digital Therapeutic Alliance Working Group', literal: true },
    { family: 'Müller', given: 'Anna-Lena' }
  ])
  t.equal(record.pmid, '37001122', 'from research notes, not from the WoS accession number')
  t.equal(record.doi, '10.5555/ecdp.2023.112', 'from the doi.org link')
  t.equal(record.journal, 'Proceedings of the European Conference on Digital Psychology')
  t.equal(record.sourceDatabase, 'Web of Science')
  t.equal(record.year, 2023)
})

t.test('maps a thesis and an unstyled review record', async (t) => {
  const records = await recordsOf(fileInput(fixture))
  const thesis = records[3]
  t.equal(thesis.type, 'thesis')
  t.equal(thesis.title, "L'alliance thérapeutique numérique : une revue de la portée")
  t.equal(thesis.publisher, 'Université de Montréal')
  t.equal(thesis.language, 'fre')
  const review = records[4]
  t.equal(review.type, 'review', 'work-type "Journal Article; Review"')
  t.equal(review.journal, 'Internet Interventions')
  t.equal(review.journalAbbrev, 'Internet Interv')
  t.equal(review.doi, '10.1016/j.invent.2020.100330')
  t.equal(review.pages, '100330')
})

t.test('a record with mismatched tags is reported and the others still import', async (t) => {
  const xml = '<?xml version="1.0" encoding="UTF-8" ?><xml><records>\n' +
    '<record><rec-number>1</rec-number><titles><title>Broken</titel></titles></record>\n' +
    '<record><rec-number>2</rec-number><titles><title>Intact</title></titles></record>\n</records></xml>'
  const items = await collect(textInput(xml))
  t.same(items.map((item) => item.kind), ['error', 'record'])
  if (items[0].kind === 'error') t.match(items[0].message, /malformed record 1/)
  if (items[1].kind === 'record') t.equal(items[1].record.title, 'Intact')
})

t.test('bare ampersands and HTML entities do not cost records', async (t) => {
  const xml = '<?xml version="1.0" encoding="UTF-8" ?><xml><records>\n' +
    '<record><rec-number>1</rec-number><titles><title>Smith & Wesson&nbsp;R&D &amp; more</title></titles>' +
    '<urls><related-urls><url>https://example.org/a?b=1&c=2</url></related-urls></urls></record>\n' +
    '<record><rec-number>2</rec-number><titles><title>Intact &#233;</title></titles></record>\n</records></xml>'
  for (const size of [1, 7, 50, xml.length]) {
    const chunks = (async function* () { for (let i = 0; i < xml.length; i += size) yield xml.slice(i, i + size) })()
    const records = await recordsOf({ text: () => chunks, bytes: () => { throw new Error('unused') } })
    t.same(records.map((record) => record.title), ['Smith & Wesson R&D & more', 'Intact é'], `chunks of ${size}`)
    t.equal(records[0].url, 'https://example.org/a?b=1&c=2')
  }
})

t.test('refuses another XML vocabulary', async (t) => {
  await t.rejects(collect(textInput('<?xml version="1.0"?><PubmedArticleSet></PubmedArticleSet>')), /not an EndNote XML file/)
})
