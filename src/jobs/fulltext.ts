/**
 * Open-access full texts as a background task: for each article, Unpaywall
 * says where open copies of its DOI are; the first PDF location that
 * downloads under the policy (public addresses only unless
 * ALLOW_PRIVATE_DOWNLOADS, redirects checked, FULLTEXT_MAX_BYTES, PDF
 * signature) is stored in the project's storage and linked as the article's
 * full text. Each article's outcome is reported; a PDF already attached
 * stays attached if the task is cancelled later.
 */
import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { ConnectorConfigError } from '../connectors/registry.ts'
import type { UnpaywallConnector } from '../connectors/unpaywall.ts'
import type { OpenAccessFailureReason } from '../connectors/unpaywall.ts'
import type { SafeFetchFailure } from '../net/safe-fetch.ts'
import { attachFullText, fullTextCandidates, fullTextDir, type FullTextCandidate } from '../services/fulltext.ts'
import { extractionTargets } from '../services/fulltext-text.ts'
import { extractFiles, summarise, type FullTextExtractResult } from './fulltext-extract.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export const FullTextPayload = Type.Object({
  /** Articles to fetch; absent: the included records with a DOI and no full text yet. */
  articleIds: Type.Optional(Type.Array(Type.String()))
})
export type FullTextPayload = Static<typeof FullTextPayload>

export type FullTextStatus =
  | 'downloaded'
  | 'already-has-full-text'
  | 'no-doi'
  | 'not-found' // the article is no longer in the project
  | OpenAccessFailureReason // unknown-doi, not-open-access, no-pdf-location, download-failed
  | 'error' // Unpaywall could not be asked (network, 5xx after retries)

export interface FullTextOutcome {
  articleId: string
  doi: string | null
  status: FullTextStatus
  fileId?: string
  bytes?: number
  /** Where the PDF came from (after redirects). */
  url?: string
  hostType?: string
  license?: string
  version?: string
  detail?: string
  /** Each PDF location tried and why it failed. */
  attempts?: Array<{ url: string; reason: SafeFetchFailure; message: string }>
}

export interface FullTextResult {
  requested: number
  downloaded: number
  /** Articles without an open-access PDF (unknown DOI, closed, landing pages only, every location refused). */
  unavailable: number
  errors: number
  skipped: number
  outcomes: FullTextOutcome[]
  /** Text extraction of the downloaded PDFs. */
  extraction?: FullTextExtractResult
}

/** Articles handled at once: Unpaywall's limiter paces its API; downloads go to many hosts. */
const CONCURRENCY = 4

export async function fetchFullTexts(ctx: JobContext, payload: FullTextPayload): Promise<FullTextResult> {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('full-text task has no project')
  const config = ctx.config
  let unpaywall: UnpaywallConnector
  try {
    unpaywall = ctx.connectors.get('unpaywall')
  } catch (error) {
    if (error instanceof ConnectorConfigError) throw new TaskError(error.message)
    throw error
  }

  const candidates = await fullTextCandidates(ctx.db, projectId, payload.articleIds)
  const requested = payload.articleIds ?? candidates.map((c) => c.id)
  const byId = new Map(candidates.map((c) => [c.id, c]))
  const dir = fullTextDir(ctx.storageDir, projectId)
  await fs.mkdir(dir, { recursive: true })

  const fetchOne = async (article: FullTextCandidate | undefined, articleId: string): Promise<FullTextOutcome> => {
    if (!article) return { articleId, doi: null, status: 'not-found' }
    const base = { articleId, doi: article.doi }
    if (article.fullTextFileId) return { ...base, status: 'already-has-full-text', fileId: article.fullTextFileId }
    if (!article.doi) return { ...base, status: 'no-doi' }
    const dest = path.join(dir, `${articleId}-${randomUUID().slice(0, 8)}.pdf`)
    let answer: Awaited<ReturnType<UnpaywallConnector['downloadOpenAccessPdf']>>
    try {
      answer = await unpaywall.downloadOpenAccessPdf(article.doi, dest, { maxBytes: config.FULLTEXT_MAX_BYTES, signal: ctx.signal })
    } catch (error) {
      if (ctx.signal.aborted) throw error
      ctx.log.warn({ err: error, articleId }, 'Unpaywall lookup failed')
      return { ...base, status: 'error', detail: error instanceof Error ? error.message : String(error) }
    }
    if (!answer.ok) return { ...base, status: answer.reason, detail: answer.detail, ...(answer.attempts.length > 0 ? { attempts: answer.attempts } : {}) }
    const fileId = await attachFullText(ctx.db, ctx.storageDir, projectId, articleId, {
      absolute: answer.path, bytes: answer.bytes, sha256: answer.sha256, originUrl: answer.url, origin: 'unpaywall',
      originalName: `${article.doi.replace(/[^\w.-]+/g, '_')}.pdf`
    }, ctx.task.createdBy).catch(async (error: unknown) => {
      await fs.rm(answer.path, { force: true })
      throw error
    })
    if (!fileId) {
      await fs.rm(answer.path, { force: true })
      return { ...base, status: 'already-has-full-text' }
    }
    return {
      ...base, status: 'downloaded', fileId, bytes: answer.bytes, url: answer.url,
      ...(answer.hostType ? { hostType: answer.hostType } : {}), ...(answer.license ? { license: answer.license } : {}),
      ...(answer.version ? { version: answer.version } : {})
    }
  }

  const outcomes = new Map<string, FullTextOutcome>()
  const queue = [...requested]
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const outcome = await fetchOne(byId.get(id), id)
      outcomes.set(id, outcome)
      if (outcome.status === 'downloaded') await ctx.emit('fulltext.attached', { articleId: id, fileId: outcome.fileId })
      await ctx.progress(outcomes.size / Math.max(1, requested.length), `${outcomes.size} of ${requested.length} articles`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, requested.length) }, worker))

  const list = requested.map((id) => outcomes.get(id)!)
  // The downloaded PDFs' text is extracted at once (a PDF already extracted, shared with another article, is not read again).
  const downloadedFiles = list.flatMap((o) => o.status === 'downloaded' && o.fileId ? [o.fileId] : [])
  const extraction = downloadedFiles.length > 0 ? summarise(await extractFiles(ctx, await extractionTargets(ctx.db, projectId, { fileIds: downloadedFiles }))) : undefined
  const count = (statuses: FullTextStatus[]) => list.filter((o) => statuses.includes(o.status)).length
  return {
    requested: requested.length,
    downloaded: count(['downloaded']),
    unavailable: count(['unknown-doi', 'not-open-access', 'no-pdf-location', 'download-failed']),
    errors: count(['error']),
    skipped: count(['already-has-full-text', 'no-doi', 'not-found']),
    outcomes: list,
    ...(extraction ? { extraction } : {})
  }
}
