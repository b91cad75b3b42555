/** Europe PMC REST `/search` (format=json, resultType=core, cursorMark paging) over a corpus. */
import type { CorpusPaper } from './corpus.ts'
import type { ApiServer, ServerOptions } from './server.ts'
import { sendJson, sendText, startApiServer } from './server.ts'

export function europePmcResult(p: CorpusPaper): Record<string, unknown> {
  return {
    id: p.pmid, source: 'MED', pmid: p.pmid, ...(p.pmcid ? { pmcid: p.pmcid } : {}), doi: p.doi, title: `${p.title}.`,
    authorString: p.authors.map((a) => `${a.family} ${a.given.split(' ').map((w) => w[0]).join('')}`).join(', ') + '.',
    authorList: { author: [
      ...p.authors.map((a) => ({ fullName: `${a.family} ${a.given[0]}`, firstName: a.given, lastName: a.family, initials: a.given.split(' ').map((w) => w[0]).join(''),
        ...(a.orcid ? { authorId: { type: 'ORCID', value: a.orcid } } : {}) })),
      ...(p.collective ? [{ collectiveName: p.collective }] : [])
    ] },
    journalInfo: { issue: p.issue, volume: p.volume, journalIssueId: 1000 + p.n, dateOfPublication: p.date, monthOfPublication: Number(p.date.slice(5, 7)),
      yearOfPublication: p.year, printPublicationDate: p.date, journal: { title: p.journal, medlineAbbreviation: p.journalAbbrev, isoabbreviation: `${p.journalAbbrev}.`, essn: p.issn, nlmid: '100959882' } },
    pubYear: String(p.year), pageInfo: p.pages,
    abstractText: p.abstract.map((s) => s.label ? `<h4>${s.label}</h4>${s.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}` : s.text).join(''),
    language: p.language, pubModel: 'Print-Electronic',
    pubTypeList: { pubType: p.type === 'review' ? ['Review', 'Journal Article'] : p.type === 'preprint' ? ['Preprint'] : ['research-article', 'Journal Article'] },
    keywordList: { keyword: p.keywords },
    meshHeadingList: { meshHeading: p.mesh.map((m) => ({ majorTopic_YN: 'N', descriptorName: m })) },
    isOpenAccess: p.pmcid ? 'Y' : 'N', inEPMC: p.pmcid ? 'Y' : 'N', inPMC: p.pmcid ? 'Y' : 'N', hasPDF: p.pmcid ? 'Y' : 'N',
    citedByCount: p.n % 13, firstPublicationDate: p.date
  }
}

const encodeCursor = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64')
const decodeCursor = (mark: string) => (mark === '*' ? 0 : Number(Buffer.from(mark, 'base64').toString().replace('offset:', '')))

export async function startEuropePmcServer(corpus: CorpusPaper[], options: ServerOptions = {}): Promise<ApiServer & { baseUrl: string }> {
  const server = await startApiServer((req, res) => {
    if (!req.path.endsWith('/webservices/rest/search')) return sendText(res, 404, 'Not Found')
    const query = req.params.get('query') ?? ''
    const pageSize = Number(req.params.get('pageSize') ?? 25)
    if (pageSize > 1000) return sendJson(res, 400, { errCode: 400, errMsg: 'pageSize must be at most 1000' })
    let hits = query.includes('nohits') ? [] : corpus
    if (/EXT_ID:|PMCID:|DOI:/.test(query)) {
      const pmids = [...query.matchAll(/EXT_ID:(\d+)/g)].map((m) => m[1])
      const pmcids = [...query.matchAll(/PMCID:(PMC\d+)/g)].map((m) => m[1])
      const dois = [...query.matchAll(/DOI:"([^"]+)"/g)].map((m) => m[1])
      hits = corpus.filter((p) => pmids.includes(p.pmid) || (p.pmcid && pmcids.includes(p.pmcid)) || dois.includes(p.doi))
    }
    const cursorMark = req.params.get('cursorMark') ?? '*'
    const offset = decodeCursor(cursorMark)
    const page = hits.slice(offset, offset + pageSize)
    const next = page.length > 0 ? encodeCursor(offset + page.length) : cursorMark
    sendJson(res, 200, {
      version: '6.9', hitCount: hits.length, nextCursorMark: next,
      request: { queryString: query, resultType: req.params.get('resultType'), cursorMark, pageSize, sort: '', synonym: false },
      resultList: { result: req.params.get('resultType') === 'core' ? page.map(europePmcResult) : page.map((p) => ({ id: p.pmid, source: 'MED', title: p.title })) }
    })
  }, options)
  return Object.assign(server, { baseUrl: `${server.origin}/europepmc/webservices/rest` })
}
