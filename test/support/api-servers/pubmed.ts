/**
 * NCBI E-utilities (esearch JSON with history, efetch PubMed XML) and the
 * PMC ID converter, answering in their documented formats over a corpus.
 * The server enforces the history window (efetch past it is an error), so a
 * client that does not split large queries fails.
 */
import type http from 'node:http'
import type { CorpusPaper } from './corpus.ts'
import { escapeXml } from './corpus.ts'
import type { ApiServer, RecordedRequest, ServerOptions } from './server.ts'
import { sendJson, sendText, sendXml, startApiServer } from './server.ts'

export interface PubMedServerOptions extends ServerOptions {
  /** Which papers a query (without the date clause) matches; default: all, none for a query containing "nohits". */
  match?: (query: string, paper: CorpusPaper) => boolean
  /** History window (records readable by efetch from one search); default 9999. */
  window?: number
}

export interface PubMedServer extends ApiServer {
  /** E-utilities root, e.g. http://127.0.0.1:1234/entrez/eutils */
  baseUrl: string
  /** PMC ID converter root. */
  idconvUrl: string
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DATE_CLAUSE = /^\((.*)\) AND \("(\d{4})\/(\d{2})\/(\d{2})"\[dp\] : "(\d{4})\/(\d{2})\/(\d{2})"\[dp\]\)$/s

export function pubmedArticleXml(paper: CorpusPaper): string {
  const [y, m, d] = paper.date.split('-')
  const authors = paper.authors.map((a) => `<Author ValidYN="Y"><LastName>${escapeXml(a.family)}</LastName><ForeName>${escapeXml(a.given)}</ForeName>` +
    `<Initials>${a.given.split(/\s+/).map((w) => w[0]).join('')}</Initials>` +
    (a.orcid ? `<Identifier Source="ORCID">https://orcid.org/${a.orcid}</Identifier>` : '') +
    '<AffiliationInfo><Affiliation>Department of Psychology, Example University.</Affiliation></AffiliationInfo></Author>').join('')
  const collective = paper.collective ? `<Author ValidYN="Y"><CollectiveName>${escapeXml(paper.collective)}</CollectiveName></Author>` : ''
  const abstract = paper.abstract.map((s) => s.label
    ? `<AbstractText Label="${s.label}" NlmCategory="${s.label}">${escapeXml(s.text)}</AbstractText>`
    : `<AbstractText>${escapeXml(s.text)}</AbstractText>`).join('')
  const pubType = paper.type === 'review' ? '<PublicationType UI="D016454">Review</PublicationType>'
    : paper.type === 'preprint' ? '<PublicationType UI="D000076942">Preprint</PublicationType>' : ''
  const [start, end] = paper.pages.split('-')
  return `<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM" IndexingMethod="Automated"><PMID Version="1">${paper.pmid}</PMID>` +
    `<DateCompleted><Year>${y}</Year><Month>${m}</Month><Day>${d}</Day></DateCompleted>` +
    `<Article PubModel="Print-Electronic"><Journal><ISSN IssnType="Electronic">${paper.issn}</ISSN><JournalIssue CitedMedium="Internet">` +
    `<Volume>${paper.volume}</Volume><Issue>${paper.issue}</Issue><PubDate><Year>${y}</Year><Month>${MONTHS[Number(m) - 1]}</Month><Day>${d}</Day></PubDate></JournalIssue>` +
    `<Title>${escapeXml(paper.journal)}</Title><ISOAbbreviation>${escapeXml(paper.journalAbbrev)}</ISOAbbreviation></Journal>` +
    `<ArticleTitle>${escapeXml(paper.title).replace('Effects', '<i>Effects</i>')}</ArticleTitle>` +
    `<Pagination><StartPage>${start}</StartPage><EndPage>${end}</EndPage><MedlinePgn>${paper.pages}</MedlinePgn></Pagination>` +
    `<ELocationID EIdType="doi" ValidYN="Y">${paper.doi}</ELocationID>` +
    `<Abstract>${abstract}<CopyrightInformation>© ${y} The Authors.</CopyrightInformation></Abstract>` +
    `<AuthorList CompleteYN="Y">${authors}${collective}</AuthorList><Language>${paper.language}</Language>` +
    `<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>${pubType}</PublicationTypeList>` +
    `<ArticleDate DateType="Electronic"><Year>${y}</Year><Month>${m}</Month><Day>${d}</Day></ArticleDate></Article>` +
    `<MedlineJournalInfo><Country>Canada</Country><MedlineTA>${escapeXml(paper.journalAbbrev)}</MedlineTA><NlmUniqueID>100959882</NlmUniqueID><ISSNLinking>${paper.issn}</ISSNLinking></MedlineJournalInfo>` +
    `<MeshHeadingList>${paper.mesh.map((h) => `<MeshHeading><DescriptorName UI="D006801" MajorTopicYN="N">${h}</DescriptorName></MeshHeading>`).join('')}</MeshHeadingList>` +
    `<KeywordList Owner="NOTNLM">${paper.keywords.map((k) => `<Keyword MajorTopicYN="N">${escapeXml(k)}</Keyword>`).join('')}</KeywordList>` +
    `</MedlineCitation><PubmedData><History><PubMedPubDate PubStatus="pubmed"><Year>${y}</Year><Month>${Number(m)}</Month><Day>${Number(d)}</Day></PubMedPubDate></History>` +
    `<PublicationStatus>ppublish</PublicationStatus><ArticleIdList><ArticleId IdType="pubmed">${paper.pmid}</ArticleId><ArticleId IdType="doi">${paper.doi}</ArticleId>` +
    (paper.pmcid ? `<ArticleId IdType="pmc">${paper.pmcid}</ArticleId>` : '') +
    '</ArticleIdList></PubmedData></PubmedArticle>'
}

/** Rendered articles, kept so that answering a batch does not block the server (and delay the arrival times it records). */
const rendered = new WeakMap<CorpusPaper, string>()

function articleXml(paper: CorpusPaper): string {
  let xml = rendered.get(paper)
  if (xml === undefined) {
    xml = pubmedArticleXml(paper)
    rendered.set(paper, xml)
  }
  return xml
}

export function efetchXml(papers: CorpusPaper[]): string {
  return '<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n' +
    `<PubmedArticleSet>\n${papers.map(articleXml).join('\n')}\n</PubmedArticleSet>`
}

export async function startPubMedServer(corpus: CorpusPaper[], options: PubMedServerOptions = {}): Promise<PubMedServer> {
  const window = options.window ?? 9999
  const match = options.match ?? ((query: string) => !query.includes('nohits'))
  const histories = new Map<string, CorpusPaper[]>()
  const byPmid = new Map(corpus.map((p) => [p.pmid, p]))
  for (const paper of corpus) articleXml(paper)

  const evaluate = (term: string): CorpusPaper[] => {
    const aids = [...term.matchAll(/"([^"]+)"\[aid\]/g)].map((m) => m[1].toLowerCase())
    if (aids.length > 0) return corpus.filter((p) => aids.includes(p.doi))
    const clause = DATE_CLAUSE.exec(term)
    if (!clause) return corpus.filter((p) => match(term, p))
    const [, query, fy, fm, fd, ty, tm, td] = clause
    const from = `${fy}-${fm}-${fd}`
    const to = `${ty}-${tm}-${td}`
    return corpus.filter((p) => match(query, p) && p.date >= from && p.date <= to)
  }

  const esearch = (req: RecordedRequest, res: http.ServerResponse) => {
    const term = req.params.get('term') ?? ''
    if (!term.trim()) return sendJson(res, 200, { header: { type: 'esearch', version: '0.3' }, esearchresult: { ERROR: 'Empty term and query_key - nothing todo' } })
    if (term.includes('SYNTAX(')) return sendJson(res, 200, { header: { type: 'esearch', version: '0.3' }, esearchresult: { ERROR: 'Invalid query syntax' } })
    const hits = evaluate(term)
    const retstart = Number(req.params.get('retstart') ?? 0)
    const retmax = Number(req.params.get('retmax') ?? 20)
    const result: Record<string, unknown> = {
      count: String(hits.length), retmax: String(Math.min(retmax, Math.max(0, hits.length - retstart))), retstart: String(retstart),
      idlist: hits.slice(retstart, retstart + retmax).map((p) => p.pmid), translationset: [], querytranslation: `${term}[All Fields]`
    }
    if (req.params.get('usehistory') === 'y') {
      const webenv = `MCID_${histories.size + 1}`
      histories.set(webenv, hits)
      Object.assign(result, { querykey: '1', webenv })
    }
    sendJson(res, 200, { header: { type: 'esearch', version: '0.3' }, esearchresult: result })
  }

  const efetch = (req: RecordedRequest, res: http.ServerResponse) => {
    const ids = req.params.get('id')
    if (ids) {
      const papers = ids.split(',').map((id) => byPmid.get(id.trim())).filter((p): p is CorpusPaper => p !== undefined)
      return sendXml(res, 200, efetchXml(papers))
    }
    const webenv = req.params.get('WebEnv') ?? ''
    const hits = histories.get(webenv)
    if (!hits || req.params.get('query_key') !== '1') {
      return sendXml(res, 200, '<?xml version="1.0" encoding="UTF-8" ?>\n<eFetchResult>\n\t<ERROR>Cannot retrieve history data. query_key: 1, WebEnv: ' + escapeXml(webenv) + '</ERROR>\n</eFetchResult>')
    }
    const retstart = Number(req.params.get('retstart') ?? 0)
    const retmax = Number(req.params.get('retmax') ?? 20)
    if (retstart + retmax > window) {
      return sendXml(res, 400, `<?xml version="1.0" encoding="UTF-8" ?>\n<eFetchResult>\n\t<ERROR>Search Backend failed: Exception:\n'retstart' cannot be larger than ${window - 1}. For PubMed, ESearch can only retrieve the first ${window} records matching the query.</ERROR>\n</eFetchResult>`)
    }
    sendXml(res, 200, efetchXml(hits.slice(retstart, retstart + retmax)))
  }

  const idconv = (req: RecordedRequest, res: http.ServerResponse) => {
    const ids = (req.params.get('ids') ?? '').split(',').filter(Boolean)
    const idtype = req.params.get('idtype')
    if (ids.length > 200) return sendJson(res, 400, { status: 'error', message: 'Too many ids' })
    const records = ids.map((id) => {
      const paper = corpus.find((p) => (idtype === 'doi' ? p.doi === id.toLowerCase() : p.pmcid === id.toUpperCase()))
      if (!paper || !paper.pmcid) return { 'requested-id': id, status: 'error', errmsg: 'Identifier not found in PMC' }
      return { 'requested-id': id, pmcid: paper.pmcid, pmid: Number(paper.pmid), doi: paper.doi }
    })
    sendJson(res, 200, { status: 'ok', responseDate: '2025-01-15 10:00:00', request: `ids=${ids.join('%2C')};format=json`, records })
  }

  const server = await startApiServer((req, res) => {
    if (req.path.endsWith('/esearch.fcgi')) return esearch(req, res)
    if (req.path.endsWith('/efetch.fcgi')) return efetch(req, res)
    if (req.path.startsWith('/pmc/utils/idconv/v1.0')) return idconv(req, res)
    sendText(res, 404, 'Not Found')
  }, options)
  return Object.assign(server, { baseUrl: `${server.origin}/entrez/eutils`, idconvUrl: `${server.origin}/pmc/utils/idconv/v1.0/` })
}
