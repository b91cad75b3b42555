/** OpenAlex `/works` (search, filter, per_page, cursor) and `/works/{id}` over a corpus. */
import type { CorpusPaper } from './corpus.ts'
import { abstractPlain } from './corpus.ts'
import type { ApiServer, ServerOptions } from './server.ts'
import { sendJson, startApiServer } from './server.ts'

function invertedIndex(text: string): Record<string, number[]> {
  const index: Record<string, number[]> = {}
  text.split(/\s+/).filter(Boolean).forEach((word, i) => {
    if (!Object.prototype.hasOwnProperty.call(index, word)) index[word] = []
    index[word].push(i)
  })
  return index
}

export function openAlexWork(p: CorpusPaper, corpus: CorpusPaper[]): Record<string, unknown> {
  return {
    id: `https://openalex.org/${p.openalexId}`, doi: `https://doi.org/${p.doi}`, title: p.title, display_name: p.title,
    publication_year: p.year, publication_date: p.date, language: 'en', type: p.type === 'journal-article' ? 'article' : p.type, type_crossref: 'journal-article',
    ids: { openalex: `https://openalex.org/${p.openalexId}`, doi: `https://doi.org/${p.doi}`, pmid: `https://pubmed.ncbi.nlm.nih.gov/${p.pmid}`,
      ...(p.pmcid ? { pmcid: `https://www.ncbi.nlm.nih.gov/pmc/articles/${p.pmcid.slice(3)}` } : {}) },
    primary_location: { is_oa: Boolean(p.pmcid), landing_page_url: `https://doi.org/${p.doi}`, pdf_url: null,
      source: { id: 'https://openalex.org/S1234', display_name: p.journal, issn_l: p.issn, issn: [p.issn], is_oa: true, host_organization_name: 'JMIR Publications', type: 'journal' },
      license: null, version: 'publishedVersion' },
    authorships: p.authors.map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', author: { id: `https://openalex.org/A${p.n}${i}`, display_name: `${a.given} ${a.family}`,
      orcid: a.orcid ? `https://orcid.org/${a.orcid}` : null }, institutions: [], raw_author_name: `${a.given} ${a.family}` })),
    biblio: { volume: p.volume, issue: p.issue, first_page: p.pages.split('-')[0], last_page: p.pages.split('-')[1] },
    abstract_inverted_index: invertedIndex(abstractPlain(p).replace(/\n/g, ' ')),
    cited_by_count: corpus.filter((q) => q.references.includes(p.n)).length,
    keywords: p.keywords.map((k, i) => ({ id: `https://openalex.org/keywords/k${i}`, display_name: k, score: 0.5 })),
    mesh: p.mesh.map((m) => ({ descriptor_ui: 'D006801', descriptor_name: m, qualifier_ui: '', qualifier_name: null, is_major_topic: false })),
    referenced_works: p.references.map((r) => `https://openalex.org/${corpus[r].openalexId}`),
    open_access: { is_oa: Boolean(p.pmcid), oa_status: p.pmcid ? 'green' : 'closed', oa_url: null }
  }
}

export async function startOpenAlexServer(corpus: CorpusPaper[], options: ServerOptions = {}): Promise<ApiServer> {
  const cursors = new Map<string, number>()
  const error = (res: Parameters<typeof sendJson>[0], status: number, message: string) => sendJson(res, status, { error: status === 404 ? '404 Not Found' : 'Invalid query parameters error.', message })
  const find = (key: string): CorpusPaper | undefined => {
    const k = decodeURIComponent(key)
    if (/^W\d+$/i.test(k)) return corpus.find((p) => p.openalexId === k.toUpperCase())
    if (/^doi:/i.test(k)) return corpus.find((p) => p.doi === k.slice(4).toLowerCase())
    if (/^pmid:/i.test(k)) return corpus.find((p) => p.pmid === k.slice(5))
    if (/^pmcid:/i.test(k)) return corpus.find((p) => p.pmcid === k.slice(6).toUpperCase())
    return undefined
  }
  return startApiServer((req, res) => {
    const single = /^\/works\/(.+)$/.exec(req.path)
    if (single) {
      const paper = find(single[1])
      return paper ? sendJson(res, 200, openAlexWork(paper, corpus)) : error(res, 404, `${single[1]} is not a valid OpenAlex ID`)
    }
    if (req.path !== '/works') return error(res, 404, 'Unknown path')
    const perPage = Number(req.params.get('per_page') ?? req.params.get('per-page') ?? 25)
    if (perPage > 200) return error(res, 400, 'per-page parameter must be between 1 and 200')
    let hits = (req.params.get('search') ?? '').includes('nohits') ? [] : corpus
    for (const clause of (req.params.get('filter') ?? '').split(',').filter(Boolean)) {
      const [field, value] = [clause.slice(0, clause.indexOf(':')), clause.slice(clause.indexOf(':') + 1)]
      const values = value.split('|')
      if (values.length > 50) return error(res, 400, 'Maximum 50 values in an OR filter')
      if (field === 'openalex') hits = hits.filter((p) => values.includes(p.openalexId))
      else if (field === 'doi') hits = hits.filter((p) => values.map((v) => v.toLowerCase()).includes(p.doi))
      else if (field === 'pmid') hits = hits.filter((p) => values.includes(p.pmid))
      else if (field === 'cites') {
        const target = corpus.find((p) => p.openalexId === value)
        hits = target ? hits.filter((p) => p.references.includes(target.n)) : []
      } else return error(res, 400, `${field} is not a valid filter`)
    }
    const cursor = req.params.get('cursor')
    const offset = cursor && cursor !== '*' ? cursors.get(cursor) ?? 0 : 0
    const results = hits.slice(offset, offset + perPage)
    let next: string | null = null
    if (cursor && results.length > 0) {
      next = Buffer.from(`["cursor", ${cursors.size + 1}]`).toString('base64')
      cursors.set(next, offset + results.length)
    }
    sendJson(res, 200, {
      meta: { count: hits.length, db_response_time_ms: 12, page: cursor ? null : 1, per_page: perPage, next_cursor: next, groups_count: null },
      results: results.map((p) => openAlexWork(p, corpus)), group_by: []
    })
  }, options)
}
