/**
 * Unpaywall: `/v2/{doi}?email=…` tells where a DOI's open-access copies are.
 * `downloadOpenAccessPdf` tries the best location's `url_for_pdf`, then the
 * other locations with a PDF URL, each through safe-fetch (public addresses
 * only, redirects checked, size cap, PDF signature), and returns what it
 * downloaded or why it could not. The email is required by Unpaywall.
 */
import { emptyRecord } from '../references/model.ts'
import type { Author, ReferenceRecord, ReferenceType } from '../references/model.ts'
import { normalizeDoi, parseYear } from '../references/identifiers.ts'
import { UpstreamHttpError, ResponseFormatError, redactUrl } from '../net/errors.ts'
import { safeDownload, SafeFetchError } from '../net/safe-fetch.ts'
import type { SafeDownloadOptions, SafeFetchFailure } from '../net/safe-fetch.ts'
import { ApiContext, compactRecord, encodePathId, orcidFrom, userAgent } from './common.ts'
import type { ConnectorOptions, LookupConnector, LookupResult } from './types.ts'

export const UNPAYWALL_DEFAULT_BASE_URL = 'https://api.unpaywall.org/v2'
export const UNPAYWALL_REQUESTS_PER_SECOND = 10

export interface UnpaywallLocation {
  url?: string | null
  url_for_pdf?: string | null
  url_for_landing_page?: string | null
  host_type?: 'publisher' | 'repository' | string | null
  license?: string | null
  version?: string | null
  is_best?: boolean
}

/** The parts of an Unpaywall DOI object this module reads. */
export interface UnpaywallRecord {
  doi?: string
  title?: string | null
  year?: number | null
  genre?: string | null
  journal_name?: string | null
  journal_issns?: string | null
  publisher?: string | null
  is_oa?: boolean
  oa_status?: string | null
  best_oa_location?: UnpaywallLocation | null
  oa_locations?: UnpaywallLocation[]
  z_authors?: Array<{ given?: string; family?: string; ORCID?: string }> | null
  [key: string]: unknown
}

export interface UnpaywallOptions extends ConnectorOptions {
  /** Download policy overrides (tests use them to allow a local server). */
  download?: Pick<SafeDownloadOptions, 'allowAddress' | 'resolve' | 'timeoutMs' | 'maxRedirects'>
}

export interface OpenAccessPdf {
  ok: true
  /** The URL the PDF came from, after redirects. */
  url: string
  /** The Unpaywall location URL that was tried. */
  locationUrl: string
  path: string
  bytes: number
  sha256: string
  source: 'unpaywall'
  hostType?: string
  license?: string
  version?: string
}

export type OpenAccessFailureReason =
  | 'unknown-doi' // Unpaywall does not know the DOI
  | 'not-open-access' // known, no open copy
  | 'no-pdf-location' // open, but only landing pages
  | 'download-failed' // every PDF location failed (see attempts)

export interface OpenAccessFailure {
  ok: false
  reason: OpenAccessFailureReason
  detail: string
  /** Each PDF URL tried and why it failed. */
  attempts: Array<{ url: string; reason: SafeFetchFailure; message: string }>
}

const GENRES: Record<string, ReferenceType> = {
  'journal-article': 'article', 'book-chapter': 'chapter', book: 'book', 'proceedings-article': 'conference-paper',
  dissertation: 'thesis', report: 'report', dataset: 'dataset', 'posted-content': 'preprint'
}

export function unpaywallToRecord(data: UnpaywallRecord): ReferenceRecord {
  const record = emptyRecord(GENRES[data.genre ?? ''] ?? 'article')
  record.sourceDatabase = 'Unpaywall'
  record.original = data
  record.doi = normalizeDoi(data.doi)
  record.title = data.title?.replace(/\s+/g, ' ').trim() || undefined
  record.year = parseYear(data.year)
  record.journal = data.journal_name ?? undefined
  record.publisher = data.publisher ?? undefined
  if (data.journal_issns) record.issn = data.journal_issns.split(',').map((s) => s.trim()).filter(Boolean)
  record.authors = (data.z_authors ?? []).flatMap((a): Author[] => {
    if (!a.family) return []
    const author: Author = { family: a.family }
    if (a.given) author.given = a.given
    const orcid = orcidFrom(a.ORCID)
    if (orcid) author.orcid = orcid
    return [author]
  })
  record.url = data.best_oa_location?.url ?? (record.doi ? `https://doi.org/${record.doi}` : undefined)
  return compactRecord(record)
}

export class UnpaywallConnector implements LookupConnector {
  readonly id = 'unpaywall' as const
  readonly label = 'Unpaywall'
  private readonly api: ApiContext
  private readonly email: string
  private readonly download: UnpaywallOptions['download']

  constructor(options: UnpaywallOptions = {}) {
    if (!options.email) throw new Error('Unpaywall requires a contact email (CONTACT_EMAIL)')
    this.api = new ApiContext({ id: 'unpaywall', baseUrl: UNPAYWALL_DEFAULT_BASE_URL, requestsPerSecond: UNPAYWALL_REQUESTS_PER_SECOND }, options)
    this.email = options.email
    this.download = options.download
  }

  /** Unpaywall's record for a DOI, or undefined when it does not know the DOI. */
  async get(doi: string, signal?: AbortSignal): Promise<UnpaywallRecord | undefined> {
    const normalized = normalizeDoi(doi)
    if (!normalized) return undefined
    const url = this.api.url(encodePathId(normalized), { email: this.email })
    try {
      const data = await this.api.getJson<UnpaywallRecord>(url, signal)
      if (!data || typeof data !== 'object' || typeof data.doi !== 'string') throw new ResponseFormatError(redactUrl(url), 'expected a DOI object')
      return data
    } catch (error) {
      // Unpaywall answers 404 for DOIs it does not know, 422 for strings that are not DOIs.
      if (error instanceof UpstreamHttpError && (error.status === 404 || error.status === 422)) return undefined
      throw error
    }
  }

  async lookup(ids: string[], options: { signal?: AbortSignal } = {}): Promise<LookupResult> {
    const result: LookupResult = { found: [], notFound: [], unsupported: [] }
    const answers = await Promise.all(ids.map(async (id) => {
      const doi = normalizeDoi(id)
      return { id, doi, data: doi ? await this.get(doi, options.signal) : undefined }
    }))
    for (const a of answers) {
      if (!a.doi) result.unsupported.push(a.id)
      else if (a.data) result.found.push({ id: a.id, record: unpaywallToRecord(a.data) })
      else result.notFound.push(a.id)
    }
    return result
  }

  /**
   * Downloads the open-access PDF of `doi` to `dest`. Never throws for a
   * missing or refused PDF (that is a result); throws only when Unpaywall
   * itself cannot be asked (network, 5xx after retries) or on abort.
   */
  async downloadOpenAccessPdf(
    doi: string,
    dest: string,
    options: { maxBytes: number; timeoutMs?: number; signal?: AbortSignal }
  ): Promise<OpenAccessPdf | OpenAccessFailure> {
    const data = await this.get(doi, options.signal)
    if (!data) return { ok: false, reason: 'unknown-doi', detail: `Unpaywall does not know ${doi}`, attempts: [] }
    if (!data.is_oa) return { ok: false, reason: 'not-open-access', detail: `No open-access copy of ${data.doi} is known`, attempts: [] }
    const locations = [data.best_oa_location, ...(data.oa_locations ?? [])].filter((l): l is UnpaywallLocation => !!l?.url_for_pdf)
    const seen = new Set<string>()
    const unique = locations.filter((l) => !seen.has(l.url_for_pdf!) && seen.add(l.url_for_pdf!))
    if (unique.length === 0) {
      return { ok: false, reason: 'no-pdf-location', detail: `Open-access copies of ${data.doi} are landing pages only`, attempts: [] }
    }
    const attempts: OpenAccessFailure['attempts'] = []
    for (const location of unique) {
      try {
        const download = await safeDownload(location.url_for_pdf!, {
          ...this.download,
          maxBytes: options.maxBytes,
          dest,
          requirePdf: true,
          timeoutMs: options.timeoutMs ?? this.download?.timeoutMs,
          signal: options.signal,
          headers: { 'user-agent': userAgent(this.email), accept: 'application/pdf,*/*;q=0.5' }
        })
        return {
          ok: true, url: download.url, locationUrl: location.url_for_pdf!, path: download.path!, bytes: download.bytes, sha256: download.sha256,
          source: 'unpaywall', hostType: location.host_type ?? undefined, license: location.license ?? undefined, version: location.version ?? undefined
        }
      } catch (error) {
        if (!(error instanceof SafeFetchError)) throw error
        attempts.push({ url: redactUrl(location.url_for_pdf!), reason: error.reason, message: error.message })
      }
    }
    return { ok: false, reason: 'download-failed', detail: `None of the ${unique.length} PDF locations could be downloaded`, attempts }
  }
}
