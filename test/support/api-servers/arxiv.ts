/** arXiv API `/api/query` answering Atom 1.0 with OpenSearch totals. */
import type { CorpusPaper } from './corpus.ts'
import { abstractPlain, escapeXml } from './corpus.ts'
import type { ApiServer, ServerOptions } from './server.ts'
import { sendText, startApiServer } from './server.ts'

const ATOM = 'application/atom+xml; charset=utf-8'

export function arxivEntry(p: CorpusPaper): string {
  return `<entry>\n<id>http://arxiv.org/abs/${p.arxivId}v2</id>\n<updated>${p.date}T12:00:00Z</updated>\n<published>${p.date}T09:30:00Z</published>\n` +
    `<title>${escapeXml(p.title).replace(': ', ':\n  ')}</title>\n<summary>  ${escapeXml(abstractPlain(p))}\n</summary>\n` +
    p.authors.map((a) => `<author>\n<name>${escapeXml(`${a.given} ${a.family}`)}</name>\n</author>\n`).join('') +
    (p.n % 10 === 0 ? `<arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">${p.doi}</arxiv:doi>\n<link title="doi" href="https://doi.org/${p.doi}" rel="related"/>\n` : '') +
    '<arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">12 pages, 3 figures</arxiv:comment>\n' +
    (p.n % 10 === 0 ? `<arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">${escapeXml(p.journalAbbrev)} ${p.volume} (${p.year}) ${p.pages}</arxiv:journal_ref>\n` : '') +
    `<link href="http://arxiv.org/abs/${p.arxivId}v2" rel="alternate" type="text/html"/>\n<link title="pdf" href="http://arxiv.org/pdf/${p.arxivId}v2" rel="related" type="application/pdf"/>\n` +
    '<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.HC" scheme="http://arxiv.org/schemas/atom"/>\n' +
    '<category term="cs.HC" scheme="http://arxiv.org/schemas/atom"/>\n<category term="cs.CY" scheme="http://arxiv.org/schemas/atom"/>\n</entry>\n'
}

export function arxivFeed(query: string, total: number, start: number, entries: string[]): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n' +
    `<link href="http://arxiv.org/api/query?${escapeXml(query)}" rel="self" type="application/atom+xml"/>\n` +
    `<title type="html">ArXiv Query: ${escapeXml(query)}</title>\n<id>http://arxiv.org/api/cHxbiOdZaP56ODnBPIenZhzg5f8</id>\n<updated>2025-01-15T00:00:00-05:00</updated>\n` +
    `<opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${total}</opensearch:totalResults>\n` +
    `<opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${start}</opensearch:startIndex>\n` +
    `<opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${entries.length}</opensearch:itemsPerPage>\n` +
    entries.join('') + '</feed>\n'
}

export function arxivErrorFeed(message: string): string {
  return arxivFeed('error', 1, 0, [`<entry>\n<id>http://arxiv.org/api/errors#${escapeXml(message.replace(/ /g, '_'))}</id>\n<title>Error</title>\n<summary>${escapeXml(message)}</summary>\n` +
    `<updated>2025-01-15T00:00:00-05:00</updated>\n<link href="http://arxiv.org/api/errors#${escapeXml(message.replace(/ /g, '_'))}" rel="alternate" type="text/html"/>\n<author>\n<name>arXiv api core</name>\n</author>\n</entry>\n`])
}

export async function startArxivServer(corpus: CorpusPaper[], options: ServerOptions = {}): Promise<ApiServer & { baseUrl: string }> {
  const papers = corpus.filter((p) => p.arxivId)
  const server = await startApiServer((req, res) => {
    if (req.path !== '/api/query') return sendText(res, 404, 'Not Found')
    const start = Number(req.params.get('start') ?? 0)
    const max = Number(req.params.get('max_results') ?? 10)
    const raw = req.query.toString()
    if (max > 2000) return sendText(res, 400, arxivErrorFeed('max_results must be at most 2000'), ATOM)
    const idList = req.params.get('id_list')
    if (idList) {
      const ids = idList.split(',')
      const bad = ids.find((id) => !/^(\d{4}\.\d{4,5}|[a-z-]+\/\d{7})(v\d+)?$/.test(id))
      if (bad) return sendText(res, 200, arxivErrorFeed(`incorrect id format for ${bad}`), ATOM)
      const entries = ids.map((id) => {
        const p = papers.find((q) => q.arxivId === id.replace(/v\d+$/, ''))
        return p ? arxivEntry(p) : `<entry>\n<id>http://arxiv.org/abs/${id}</id>\n<updated>2025-01-15T00:00:00-05:00</updated>\n<summary/>\n</entry>\n`
      })
      return sendText(res, 200, arxivFeed(raw, entries.length, 0, entries), ATOM)
    }
    const query = req.params.get('search_query') ?? ''
    const hits = query.includes('nohits') ? [] : papers
    sendText(res, 200, arxivFeed(raw, hits.length, start, hits.slice(start, start + max).map(arxivEntry)), ATOM)
  }, options)
  return Object.assign(server, { baseUrl: `${server.origin}/api` })
}
