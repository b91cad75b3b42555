import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { pubmedXmlFormat } from '../../src/references/formats/pubmed-xml.ts'
import type { FormatInput, ReferenceFormat } from '../../src/references/formats/types.ts'
import type { ParsedItem } from '../../src/references/model.ts'
import { fileInput, parseAll, records, textInput } from './support.ts'

const fixture = fileURLToPath(new URL('./fixtures/pubmed-xml-efetch.xml', import.meta.url))

/** Reads a file in small chunks so that records straddle chunk boundaries. */
const collect = (input: FormatInput, format: ReferenceFormat = pubmedXmlFormat): Promise<ParsedItem[]> => parseAll(format, input)

t.test('sniffs efetch output and nothing else', async (t) => {
  const head = readFileSync(fixture, 'utf8').slice(0, 4000)
  t.ok(pubmedXmlFormat.sniff(head))
  t.ok(pubmedXmlFormat.sniff('<?xml version="1.0"?>\n<PubmedArticleSet>\n<PubmedArticle>'))
  t.notOk(pubmedXmlFormat.sniff('<?xml version="1.0"?><xml><records><record>'))
  t.notOk(pubmedXmlFormat.sniff('PMID- 40585405\nTI  - Exploring user characteristics'))
  t.notOk(pubmedXmlFormat.sniff('<?xml version="1.0"?><eSearchResult><IdList><Id>1</Id></IdList></eSearchResult>'))
})

t.test('reads every article of the fixture, reporting the malformed one where it is', async (t) => {
  const items = await collect(fileInput(fixture, 512))
  t.same(items.map((item) => item.kind), ['record', 'record', 'error', 'record', 'record'])
  t.same(items.map((item) => item.position.index), [0, 1, 2, 3, 4])
  const error = items[2]
  t.equal(error.kind, 'error')
  if (error.kind === 'error') {
    t.equal(error.position.line, 211, 'line of the <PubmedArticle> start tag')
    t.match(error.message, /PMID 36701234/)
    t.match(error.message, /disallowed character in tag name/)
  }
  t.equal(items[0].position.line, 4)
})

t.test('maps a journal article with a structured abstract field by field', async (t) => {
  const [record] = records(await collect(fileInput(fixture)))
  t.equal(record.title, 'Exploring user characteristics, motives, and expectations and the therapeutic alliance in the mental health conversational AI Clare®: a baseline study.')
  t.equal(record.abstract, [
    'INTRODUCTION: This study examined the characteristics, motives, expectations, and attitudes of users interested in artificial intelligence (AI) self-help provided by the bot Clare®.',
    'METHODS: A cross-sectional survey of 527 English-speaking self-referred users was conducted; the working alliance was measured with the WAI-SR (M = 3.76, SD = .72).',
    'CONCLUSIONS: These findings highlight the potential of conversational AI in providing accessible and stigma-free support.'
  ].join('\n'))
  t.same(record.authors, [
    { family: 'Schäfer', given: 'Lea Maria', orcid: '0000-0002-1825-0097' },
    { family: 'Krause', given: 'Tabea' },
    { family: 'Köhler', given: 'Stephan' }
  ])
  t.equal(record.year, 2025)
  t.equal(record.journal, 'Frontiers in digital health')
  t.equal(record.journalAbbrev, 'Front Digit Health')
  t.equal(record.volume, '7')
  t.equal(record.issue, undefined)
  t.equal(record.pages, '1576135')
  t.same(record.issn, ['2673-253X'])
  t.equal(record.doi, '10.3389/fdgth.2025.1576135')
  t.equal(record.pmid, '40585405')
  t.equal(record.pmcid, 'PMC12203671')
  t.equal(record.language, 'eng')
  t.equal(record.type, 'article')
  t.equal(record.sourceDatabase, 'PubMed')
  t.same(record.keywords, ['AI voicebot', 'conversational agent', 'therapeutic alliance'])
  t.same(record.mesh, [])
  const original = record.original as { MedlineCitation: { PMID: unknown; Article: { ArticleTitle: unknown } } }
  t.same(original.MedlineCitation.PMID, { '@Version': '1', '#text': '40585405' })
  t.match(original.MedlineCitation.Article.ArticleTitle, /Clare<sup>®<\/sup>: a baseline/, 'inline markup kept in original')
})

t.test('cited references do not leak their identifiers into the record', async (t) => {
  const [record] = records(await collect(fileInput(fixture)))
  t.not(record.doi, '10.1037/h0085885')
  t.not(record.doi, '10.2196/27868')
  t.equal(record.pmid, '40585405')
})

t.test('maps a meta-analysis with MathML, MedlineDate, collective and invalid authors', async (t) => {
  const record = records(await collect(fileInput(fixture)))[1]
  t.equal(record.abstract, 'The alliance-outcome association was estimated across 295 studies (N > 30,000 patients) with a random-effects model; the overall effect was r=.278, equivalent to d = .579.')
  t.same(record.authors, [
    { family: 'Flückiger', given: 'Christoph' },
    { family: 'Del Re', given: 'A C' },
    { family: 'Alliance Meta-Analysis Working Group', literal: true }
  ], 'ValidYN="N" author dropped')
  t.equal(record.year, 2021, 'from MedlineDate "2021 Dec-2022 Jan"')
  t.equal(record.pages, '316-340')
  t.equal(record.issue, '4')
  t.equal(record.doi, '10.1037/pst0000172')
  t.equal(record.pmcid, undefined)
  t.equal(record.type, 'review')
  t.same(record.mesh, ['Adult', 'Humans', 'Psychotherapy', 'Therapeutic Alliance'])
  t.same(record.issn, ['0033-3204'])
})

t.test('maps a letter with only an electronic location and two keyword lists', async (t) => {
  const record = records(await collect(fileInput(fixture)))[2]
  t.equal(record.pmid, '35012345')
  t.equal(record.type, 'letter')
  t.equal(record.title, '[Therapeutic alliance with smartphone apps: a reply].')
  t.equal(record.pages, 'e34567', 'pii ELocationID stands in for pages')
  t.equal(record.doi, undefined)
  t.equal(record.language, 'ger')
  t.same(record.authors, [{ family: 'van der Berg', given: 'Anna M' }])
  t.same(record.keywords, ['mHealth', 'Ethics'])
  t.equal(record.abstract, undefined)
})

t.test('maps a Bookshelf chapter', async (t) => {
  const record = records(await collect(fileInput(fixture)))[3]
  t.equal(record.type, 'chapter')
  t.equal(record.title, 'Psychotherapy and Therapeutic Relationship')
  t.equal(record.journal, 'StatPearls')
  t.equal(record.publisher, 'StatPearls Publishing')
  t.equal(record.year, 2025)
  t.equal(record.pmid, '39383291')
  t.same(record.authors, [{ family: 'Opland', given: 'Caitlin' }, { family: 'Torrico', given: 'Tyler J' }], 'editors left out')
  t.match(record.abstract, /^Psychotherapy, also known as talk therapy/)
  t.notMatch(record.abstract, /Copyright/)
})

t.test('a truncated file yields the complete records then an error for the cut one', async (t) => {
  const text = readFileSync(fixture, 'utf8')
  const cut = text.slice(0, text.indexOf('<PubmedArticle>', text.indexOf('34482234')) + 300)
  const items = await collect(textInput(cut))
  t.same(items.map((item) => item.kind), ['record', 'record', 'error'])
  const last = items[2]
  if (last.kind === 'error') t.match(last.message, /not closed/)
})

t.test('an unterminated record does not swallow the next one', async (t) => {
  const xml = '<PubmedArticleSet>\n<PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>Cut short\n' +
    '<PubmedArticle><MedlineCitation><PMID>2</PMID><Article><ArticleTitle>Whole</ArticleTitle></Article></MedlineCitation></PubmedArticle>\n' +
    '</PubmedArticleSet>'
  const items = await collect(textInput(xml))
  t.equal(items[0].kind, 'error')
  t.equal(items[0].position.line, 2)
  const second = items[1]
  t.equal(second.kind, 'record')
  if (second.kind === 'record') {
    t.equal(second.record.pmid, '2')
    t.equal(second.record.title, 'Whole')
  }
})

t.test('refuses XML that is not a PubMed article set', async (t) => {
  await t.rejects(collect(textInput('<?xml version="1.0"?><xml><records><record/></records></xml>')), /not a PubMed XML file/)
  await t.rejects(collect(textInput('PMID- 123\nTI  - Not XML')), /XML/)
})
