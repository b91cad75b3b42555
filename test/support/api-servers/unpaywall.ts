/** Unpaywall v2 `/{doi}?email=` answering DOI objects from a table given by the test. */
import type { ApiServer, ServerOptions } from './server.ts'
import { sendJson, startApiServer } from './server.ts'

export interface UnpaywallLocationFixture {
  url_for_pdf: string | null
  url?: string
  host_type?: 'publisher' | 'repository'
  license?: string | null
  version?: string
}

export function unpaywallObject(doi: string, locations: UnpaywallLocationFixture[]): Record<string, unknown> {
  const oa = locations.map((l, i) => ({
    url: l.url ?? l.url_for_pdf ?? `https://doi.org/${doi}`, url_for_pdf: l.url_for_pdf, url_for_landing_page: `https://doi.org/${doi}`,
    evidence: 'open (via page says license)', license: l.license ?? 'cc-by', version: l.version ?? 'publishedVersion', host_type: l.host_type ?? 'publisher',
    is_best: i === 0, pmh_id: null, endpoint_id: null, repository_institution: null, oa_date: '2020-05-01', updated: '2024-11-02T10:00:00'
  }))
  return {
    doi, doi_url: `https://doi.org/${doi}`, title: 'Digital therapeutic alliance in internet interventions', genre: 'journal-article', is_paratext: false,
    published_date: '2020-05-01', year: 2020, journal_name: 'Internet Interventions', journal_issns: '2214-7829', journal_issn_l: '2214-7829',
    journal_is_oa: true, journal_is_in_doaj: true, publisher: 'Elsevier BV', is_oa: oa.length > 0, oa_status: oa.length > 0 ? 'gold' : 'closed',
    has_repository_copy: oa.some((l) => l.host_type === 'repository'), best_oa_location: oa[0] ?? null, first_oa_location: oa[0] ?? null,
    oa_locations: oa, oa_locations_embargoed: [], updated: '2024-11-02T10:00:00', data_standard: 2,
    z_authors: [{ given: 'Anna', family: 'Berger', sequence: 'first', ORCID: 'http://orcid.org/0000-0002-1825-0097' }, { given: 'Kwame', family: 'Okafor', sequence: 'additional' }]
  }
}

export async function startUnpaywallServer(table: Record<string, UnpaywallLocationFixture[]>, options: ServerOptions = {}): Promise<ApiServer & { baseUrl: string }> {
  const server = await startApiServer((req, res) => {
    const email = req.params.get('email')
    if (!email || !email.includes('@')) {
      return sendJson(res, 422, { HTTP_status_code: 422, error: true, message: 'Please use your email address in your API calls. Like this: ?email=you@example.com' })
    }
    const doi = decodeURIComponent(req.path.replace(/^\/v2\//, '')).toLowerCase()
    const locations = table[doi]
    if (!locations) return sendJson(res, 404, { HTTP_status_code: 404, error: true, message: `'${doi}' is an invalid doi. See https://doi.org/${doi}` })
    sendJson(res, 200, unpaywallObject(doi, locations))
  }, options)
  return Object.assign(server, { baseUrl: `${server.origin}/v2` })
}
