/** Semantic Scholar Graph API v1: paper search, batch, references and citations. */
import type { CorpusPaper } from './corpus.ts'
import { abstractPlain } from './corpus.ts'
import type { ApiServer, ServerOptions } from './server.ts'
import { sendJson, startApiServer } from './server.ts'

export function s2Paper(p: CorpusPaper): Record<string, unknown> {
  return {
    paperId: p.s2Id,
    externalIds: { DOI: p.doi, PubMed: p.pmid, ...(p.pmcid ? { PubMedCentral: p.pmcid.slice(3) } : {}), ...(p.arxivId ? { ArXiv: p.arxivId } : {}), CorpusId: 200_000 + p.n },
    url: `https://www.semanticscholar.org/paper/${p.s2Id}`, title: p.title, abstract: abstractPlain(p), venue: p.journal,
    publicationVenue: { id: 'b6a2b4c3', name: p.journal, type: 'journal', issn: p.issn },
    year: p.year, authors: [...p.authors.map((a, i) => ({ authorId: String(1000 * p.n + i), name: `${a.given} ${a.family}` }))],
    journal: { name: p.journal, volume: p.volume, pages: ` ${p.pages}` },
    publicationTypes: p.type === 'review' ? ['Review', 'JournalArticle'] : ['JournalArticle'], publicationDate: p.date,
    fieldsOfStudy: ['Psychology', 'Medicine'], openAccessPdf: p.pmcid ? { url: `https://europepmc.org/articles/${p.pmcid}?pdf=render`, status: 'GREEN' } : null
  }
}

export async function startSemanticScholarServer(corpus: CorpusPaper[], options: ServerOptions = {}): Promise<ApiServer & { baseUrl: string }> {
  const find = (id: string): CorpusPaper | undefined => {
    const [kind, ...rest] = id.split(':')
    const value = rest.join(':')
    if (!value) return corpus.find((p) => p.s2Id === id)
    switch (kind.toUpperCase()) {
      case 'DOI': return corpus.find((p) => p.doi === value.toLowerCase())
      case 'PMID': return corpus.find((p) => p.pmid === value)
      case 'PMCID': return corpus.find((p) => p.pmcid === `PMC${value}`)
      case 'ARXIV': return corpus.find((p) => p.arxivId === value)
      default: return undefined
    }
  }
  const server = await startApiServer((req, res) => {
    const path = req.path.replace(/^\/graph\/v1/, '')
    if (!req.params.get('fields')) return sendJson(res, 400, { error: 'Missing fields parameter' })
    if (path === '/paper/search') {
      const offset = Number(req.params.get('offset') ?? 0)
      const limit = Number(req.params.get('limit') ?? 100)
      if (limit > 100) return sendJson(res, 400, { error: 'Limit must be <= 100' })
      if (offset + limit > 1000) return sendJson(res, 400, { error: 'Requested data for this limit and/or offset is not available' })
      const hits = (req.params.get('query') ?? '').includes('nohits') ? [] : corpus
      const data = hits.slice(offset, offset + limit)
      const next = offset + data.length
      return sendJson(res, 200, { total: hits.length, offset, ...(next < Math.min(hits.length, 1000) ? { next } : {}), data: data.map(s2Paper) })
    }
    if (path === '/paper/batch' && req.method === 'POST') {
      const { ids } = JSON.parse(req.body) as { ids: string[] }
      if (ids.length > 500) return sendJson(res, 400, { error: '-- Too many ids. 500 maximum.' })
      return sendJson(res, 200, ids.map((id) => { const p = find(id); return p ? s2Paper(p) : null }))
    }
    const chase = /^\/paper\/(.+)\/(references|citations)$/.exec(path)
    if (chase) {
      const paper = find(decodeURIComponent(chase[1]))
      if (!paper) return sendJson(res, 404, { error: `Paper with id ${chase[1]} not found` })
      const offset = Number(req.params.get('offset') ?? 0)
      const limit = Number(req.params.get('limit') ?? 100)
      if (limit > 1000) return sendJson(res, 400, { error: 'Limit must be <= 1000' })
      const list = chase[2] === 'references'
        ? [...paper.references.map((r) => ({ citedPaper: s2Paper(corpus[r]) })), { citedPaper: { paperId: null, title: null } }]
        : corpus.filter((q) => q.references.includes(paper.n)).map((q) => ({ citingPaper: s2Paper(q) }))
      const data = list.slice(offset, offset + limit)
      return sendJson(res, 200, { offset, ...(offset + data.length < list.length ? { next: offset + data.length } : {}), data })
    }
    sendJson(res, 404, { error: 'Not found' })
  }, options)
  return Object.assign(server, { baseUrl: `${server.origin}/graph/v1` })
}
