/** Crossref REST `/works` (query, rows, cursor deep paging, filter, mailto) and `/works/{doi}`. */
import type { CorpusPaper } from './corpus.ts'
import { escapeXml } from './corpus.ts'
import type { ApiServer, ServerOptions } from './server.ts'
import { sendJson, sendText, startApiServer } from './server.ts'

export function crossrefWork(p: CorpusPaper): Record<string, unknown> {
  const [y, m, d] = p.date.split('-').map(Number)
  return {
    indexed: { 'date-parts': [[2025, 1, 10]], 'date-time': '2025-01-10T05:00:00Z', timestamp: 1736485200000 },
    'reference-count': p.references.length, publisher: 'JMIR Publications Inc.', issue: p.issue,
    'content-domain': { domain: [], 'crossmark-restriction': false }, 'short-container-title': [p.journalAbbrev],
    abstract: '<jats:title>Abstract</jats:title>' + p.abstract.map((s) => s.label
      ? `<jats:sec><jats:title>${s.label[0]}${s.label.slice(1).toLowerCase()}</jats:title><jats:p>${escapeXml(s.text)}</jats:p></jats:sec>`
      : `<jats:p>${escapeXml(s.text)}</jats:p>`).join(''),
    DOI: p.doi.toUpperCase(), type: p.type === 'preprint' ? 'posted-content' : 'journal-article', ...(p.type === 'preprint' ? { subtype: 'preprint' } : {}),
    created: { 'date-parts': [[y, m, d]] }, page: p.pages, source: 'Crossref', 'is-referenced-by-count': p.n % 13,
    title: [p.title], prefix: '10.5555', volume: p.volume, author: [
      ...p.authors.map((a, i) => ({ given: a.given, family: a.family, sequence: i === 0 ? 'first' : 'additional', affiliation: [],
        ...(a.orcid ? { ORCID: `https://orcid.org/${a.orcid}`, 'authenticated-orcid': true } : {}) })),
      ...(p.collective ? [{ name: p.collective, sequence: 'additional', affiliation: [] }] : [])
    ],
    member: '1010', 'container-title': [p.journal], language: 'en', 'published-online': { 'date-parts': [[y, m, d]] },
    issued: { 'date-parts': [[y, m]] }, URL: `https://doi.org/${p.doi}`, ISSN: [p.issn], 'issn-type': [{ type: 'electronic', value: p.issn }],
    subject: ['Health Informatics'], score: 12.5
  }
}

export async function startCrossrefServer(corpus: CorpusPaper[], options: ServerOptions = {}): Promise<ApiServer> {
  const cursors = new Map<string, number>()
  const byDoi = new Map(corpus.map((p) => [p.doi, p]))
  return startApiServer((req, res) => {
    const single = /^\/works\/(.+)$/.exec(req.path)
    if (single) {
      const paper = byDoi.get(decodeURIComponent(single[1]).toLowerCase())
      if (!paper) return sendText(res, 404, 'Resource not found.')
      return sendJson(res, 200, { status: 'ok', 'message-type': 'work', 'message-version': '1.0.0', message: crossrefWork(paper) })
    }
    if (req.path !== '/works') return sendText(res, 404, 'Resource not found.')
    const rows = Number(req.params.get('rows') ?? 20)
    if (rows > 1000) {
      return sendJson(res, 400, { status: 'failed', 'message-type': 'validation-failure', message: [{ type: 'integer-not-valid', value: String(rows), message: 'Integer specified as 1001 but must be a positive integer less than or equal to 1000.' }] })
    }
    const query = req.params.get('query') ?? ''
    let hits = query.includes('nohits') ? [] : corpus
    const filter = req.params.get('filter')
    const fromYear = filter ? /from-pub-date:(\d{4})/.exec(filter)?.[1] : undefined
    if (fromYear) hits = hits.filter((p) => p.year >= Number(fromYear))
    const cursor = req.params.get('cursor')
    const offset = !cursor || cursor === '*' ? 0 : cursors.get(cursor) ?? -1
    if (offset < 0) return sendJson(res, 400, { status: 'failed', 'message-type': 'validation-failure', message: [{ type: 'cursor-not-valid', message: 'Cursor expired' }] })
    const items = hits.slice(offset, offset + rows)
    const next = `DnF1ZXJ5VGhlbkZldGNo${cursors.size + 1}`
    cursors.set(next, offset + items.length)
    sendJson(res, 200, {
      status: 'ok', 'message-type': 'work-list', 'message-version': '1.0.0',
      message: { facets: {}, 'next-cursor': next, 'total-results': hits.length, items: items.map(crossrefWork), 'items-per-page': rows, query: { 'start-index': 0, 'search-terms': query } }
    })
  }, options)
}
