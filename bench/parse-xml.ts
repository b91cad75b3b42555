/**
 * Throughput and memory of the streaming PubMed XML importer.
 *
 * Writes a PubMed efetch file of N records (default 100 000) into a temporary
 * directory, built from a realistic template article (structured abstract
 * with inline markup, authors with affiliations, MeSH, keywords, article ids
 * and a short reference list, about 6 KB) with varied PMIDs, titles and DOIs,
 * then parses it and prints records/s, MiB/s and peak RSS. With --lean the
 * template drops affiliations, history and references (about 3.5 KB, like
 * older MEDLINE records).
 *
 * It also times saxes alone over the same file (events counted, nothing
 * built): that is the ceiling for any importer built on saxes.
 *
 *   npx tsx bench/parse-xml.ts [records] [--lean]
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { SaxesParser } from 'saxes'
import { pubmedXmlFormat } from '../src/references/formats/pubmed-xml.ts'

const args = process.argv.slice(2)
const lean = args.includes('--lean')
const count = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 100_000)

function article(index: number): string {
  const xml = fullArticle(index)
  if (!lean) return xml
  return xml
    .replace(/<AffiliationInfo>.*?<\/AffiliationInfo>/g, '')
    .replace(/<History>.*?<\/History>/s, '')
    .replace(/\s*<ReferenceList>.*?<\/ReferenceList>/s, '')
}

function fullArticle(index: number): string {
  const pmid = 30000000 + index
  return `<PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM" IndexingMethod="Automated">
        <PMID Version="1">${pmid}</PMID>
        <DateCompleted><Year>2021</Year><Month>03</Month><Day>12</Day></DateCompleted>
        <Article PubModel="Print-Electronic">
            <Journal>
                <ISSN IssnType="Electronic">1438-8871</ISSN>
                <JournalIssue CitedMedium="Internet">
                    <Volume>${(index % 27) + 1}</Volume>
                    <Issue>${(index % 12) + 1}</Issue>
                    <PubDate><Year>${2000 + (index % 25)}</Year><Month>Mar</Month></PubDate>
                </JournalIssue>
                <Title>Journal of medical Internet research</Title>
                <ISOAbbreviation>J Med Internet Res</ISOAbbreviation>
            </Journal>
            <ArticleTitle>Therapeutic alliance in digital intervention ${index}: a randomised trial of app-supported therapy in <i>adults</i> with depression.</ArticleTitle>
            <Pagination><StartPage>e${20000 + (index % 9000)}</StartPage><MedlinePgn>e${20000 + (index % 9000)}</MedlinePgn></Pagination>
            <ELocationID EIdType="doi" ValidYN="Y">10.2196/${20000 + index}</ELocationID>
            <Abstract>
                <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">The therapeutic alliance predicts outcome in face-to-face psychotherapy, yet little is known about how it develops when part of the treatment is delivered by a smartphone application (record ${index}).</AbstractText>
                <AbstractText Label="METHODS" NlmCategory="METHODS">We randomised 312 adults with moderate depression to blended therapy or to face-to-face therapy alone and measured the alliance with the WAI-SR at sessions 3 and 8 (<i>n</i> = 156 per arm).</AbstractText>
                <AbstractText Label="RESULTS" NlmCategory="RESULTS">Alliance ratings did not differ between arms (<i>d</i> = 0.08; 95% CI -0.14 to 0.30) and predicted symptom change in both (<i>r</i> = .31, <i>P</i> &lt; .001).</AbstractText>
                <AbstractText Label="CONCLUSIONS" NlmCategory="CONCLUSIONS">Adding an app does not weaken the alliance; clinicians can blend digital components into therapy without compromising the relationship.</AbstractText>
                <CopyrightInformation>©The authors. Originally published in the Journal of Medical Internet Research.</CopyrightInformation>
            </Abstract>
            <AuthorList CompleteYN="Y">
                <Author ValidYN="Y"><LastName>Berger</LastName><ForeName>Thomas</ForeName><Initials>T</Initials><AffiliationInfo><Affiliation>Department of Clinical Psychology and Psychotherapy, University of Bern, Bern, Switzerland.</Affiliation></AffiliationInfo></Author>
                <Author ValidYN="Y"><LastName>Krieger</LastName><ForeName>Tobias</ForeName><Initials>T</Initials><AffiliationInfo><Affiliation>Department of Clinical Psychology and Psychotherapy, University of Bern, Bern, Switzerland.</Affiliation></AffiliationInfo></Author>
                <Author ValidYN="Y"><LastName>Sude</LastName><ForeName>Kerstin</ForeName><Initials>K</Initials></Author>
                <Author ValidYN="Y"><LastName>Meyer</LastName><ForeName>Björn</ForeName><Initials>B</Initials></Author>
                <Author ValidYN="Y"><LastName>Maercker</LastName><ForeName>Andreas</ForeName><Initials>A</Initials></Author>
            </AuthorList>
            <Language>eng</Language>
            <PublicationTypeList>
                <PublicationType UI="D016428">Journal Article</PublicationType>
                <PublicationType UI="D016449">Randomized Controlled Trial</PublicationType>
            </PublicationTypeList>
            <ArticleDate DateType="Electronic"><Year>2021</Year><Month>02</Month><Day>01</Day></ArticleDate>
        </Article>
        <MedlineJournalInfo><Country>Canada</Country><MedlineTA>J Med Internet Res</MedlineTA><NlmUniqueID>100959882</NlmUniqueID><ISSNLinking>1438-8871</ISSNLinking></MedlineJournalInfo>
        <MeshHeadingList>
            <MeshHeading><DescriptorName UI="D000328" MajorTopicYN="N">Adult</DescriptorName></MeshHeading>
            <MeshHeading><DescriptorName UI="D003863" MajorTopicYN="Y">Depression</DescriptorName><QualifierName UI="Q000628" MajorTopicYN="N">therapy</QualifierName></MeshHeading>
            <MeshHeading><DescriptorName UI="D006801" MajorTopicYN="N">Humans</DescriptorName></MeshHeading>
            <MeshHeading><DescriptorName UI="D063731" MajorTopicYN="Y">Mobile Applications</DescriptorName></MeshHeading>
            <MeshHeading><DescriptorName UI="D012961" MajorTopicYN="N">Therapeutic Alliance</DescriptorName></MeshHeading>
        </MeshHeadingList>
        <KeywordList Owner="NOTNLM"><Keyword MajorTopicYN="N">blended therapy</Keyword><Keyword MajorTopicYN="N">mHealth</Keyword><Keyword MajorTopicYN="N">working alliance</Keyword></KeywordList>
    </MedlineCitation>
    <PubmedData>
        <History><PubMedPubDate PubStatus="received"><Year>2020</Year><Month>7</Month><Day>2</Day></PubMedPubDate><PubMedPubDate PubStatus="pubmed"><Year>2021</Year><Month>2</Month><Day>1</Day></PubMedPubDate></History>
        <PublicationStatus>epublish</PublicationStatus>
        <ArticleIdList>
            <ArticleId IdType="pubmed">${pmid}</ArticleId>
            <ArticleId IdType="pmc">PMC${7000000 + index}</ArticleId>
            <ArticleId IdType="doi">10.2196/${20000 + index}</ArticleId>
            <ArticleId IdType="pii">v23i2e${20000 + index}</ArticleId>
        </ArticleIdList>
        <ReferenceList>
            <Reference><Citation>Flückiger C, Del Re AC, Wampold BE, Horvath AO. The alliance in adult psychotherapy: a meta-analytic synthesis. Psychotherapy (Chic). 2018;55(4):316-340.</Citation><ArticleIdList><ArticleId IdType="doi">10.1037/pst0000172</ArticleId><ArticleId IdType="pubmed">29792475</ArticleId></ArticleIdList></Reference>
            <Reference><Citation>Henson P, Wisniewski H, Hollis C, Keshavan M, Torous J. Digital mental health apps and the therapeutic alliance: initial review. BJPsych Open. 2019;5(1):e15.</Citation><ArticleIdList><ArticleId IdType="doi">10.1192/bjo.2018.86</ArticleId><ArticleId IdType="pubmed">30762511</ArticleId></ArticleIdList></Reference>
        </ReferenceList>
    </PubmedData>
</PubmedArticle>
`
}

async function writeFixture(path: string): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8' })
  out.write('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n')
  for (let index = 0; index < count; index++) {
    if (!out.write(article(index))) await once(out, 'drain')
  }
  out.end('</PubmedArticleSet>\n')
  await once(out, 'finish')
}

/** saxes alone over the file: the tokenizer's own speed, with no tree or record built. */
async function saxesOnly(path: string): Promise<number> {
  const parser = new SaxesParser()
  parser.on('opentag', () => {})
  parser.on('closetag', () => {})
  parser.on('text', () => {})
  const started = process.hrtime.bigint()
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 })) parser.write(chunk as string)
  parser.close()
  return Number(process.hrtime.bigint() - started) / 1e9
}

const directory = await mkdtemp(join(tmpdir(), 'analylit-bench-'))
const path = join(directory, 'pubmed.xml')
try {
  await writeFixture(path)
  const size = (await stat(path)).size
  const rssBefore = process.memoryUsage().rss
  let peakRss = rssBefore
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 50)
  const started = process.hrtime.bigint()
  let records = 0
  let errors = 0
  let lastPmid = ''
  const input = {
    text: () => createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 }) as AsyncIterable<string>,
    bytes: () => createReadStream(path) as AsyncIterable<Uint8Array>
  }
  for await (const item of pubmedXmlFormat.parse(input)) {
    if (item.kind === 'record') {
      records++
      lastPmid = item.record.pmid ?? ''
    } else errors++
    if ((records & 1023) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  clearInterval(sampler)
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
  const saxesSeconds = await saxesOnly(path)
  console.log(`file: ${count} records, ${mb(size)} MiB (${(size / count / 1024).toFixed(1)} KiB per record${lean ? ', lean template' : ''})`)
  console.log(`parsed: ${records} records, ${errors} errors, last PMID ${lastPmid}`)
  console.log(`time: ${seconds.toFixed(2)} s -> ${Math.round(records / seconds)} records/s, ${(size / 1024 / 1024 / seconds).toFixed(1)} MiB/s`)
  console.log(`saxes alone: ${saxesSeconds.toFixed(2)} s -> ${Math.round(count / saxesSeconds)} records/s, ${(size / 1024 / 1024 / saxesSeconds).toFixed(1)} MiB/s (ceiling for a saxes-based importer)`)
  console.log(`RSS: ${mb(rssBefore)} MiB before parsing, peak ${mb(peakRss)} MiB (max RSS of process ${mb(process.resourceUsage().maxRSS * 1024)} MiB)`)
} finally {
  await rm(directory, { recursive: true, force: true })
}
