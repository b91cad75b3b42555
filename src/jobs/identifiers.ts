/**
 * Adding records by identifier as a background task: PMIDs and PMCIDs are
 * resolved by PubMed (PMCIDs through NCBI's ID converter), DOIs by Crossref
 * and, for the DOIs Crossref does not register (DataCite and other
 * agencies), by OpenAlex, arXiv ids by arXiv, all in batches. An identifier
 * no database knows is reported, never replaced by an invented record.
 * Records go into one source batch (kind 'identifiers') in one transaction.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { Connectors } from '../connectors/registry.ts'
import type { LookupResult } from '../connectors/types.ts'
import type { ReferenceRecord } from '../references/model.ts'
import type { DedupSummary } from '../services/dedup.ts'
import { IDENTIFIER_KINDS, type IdentifierKind, type IdentifierLists } from '../services/identifiers.ts'
import { databaseLabel } from '../services/search.ts'
import {
  IdentifierIndex, projectIdentifiers, removeTaskSources, storeFoundRecords
} from '../services/source-records.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

const Ids = Type.Array(Type.String())
export const IdentifiersPayload = Type.Object({ pmids: Ids, dois: Ids, pmcids: Ids, arxivIds: Ids } satisfies Record<IdentifierKind, typeof Ids>)
export type IdentifiersPayload = Static<typeof IdentifiersPayload>

type LookupDatabase = 'pubmed' | 'crossref' | 'openalex' | 'arxiv'

export interface IdentifiersResult {
  batchId: string | null
  requested: number
  /** Identifiers a database resolved. */
  found: number
  /** Records added to the project. */
  added: number
  /** Found, but the project already holds a record with one of the same identifiers (nothing added). */
  alreadyInProject: IdentifierLists
  /** Found as the same record as another identifier of this request (e.g. its PMID and its DOI). */
  sameRecordAsAnother: IdentifierLists
  /** Identifiers no database knows. */
  notFound: IdentifierLists
  /** Lookups that failed (after retries): these identifiers are neither found nor known to be unknown. */
  failed: Array<{ database: LookupDatabase; ids: string[]; error: string }>
  /** Identifiers resolved by each database. */
  resolvedBy: Partial<Record<LookupDatabase, number>>
  deduplication: DedupSummary | { error: string } | null
}

const emptyLists = (): IdentifierLists => ({ pmids: [], dois: [], pmcids: [], arxivIds: [] })

interface Resolution {
  kind: IdentifierKind
  id: string
  record: ReferenceRecord
  database: LookupDatabase
}

export async function resolveIdentifiers(ctx: JobContext, payload: IdentifiersPayload): Promise<IdentifiersResult> {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('identifier task has no project')
  const lists: IdentifierLists = { ...emptyLists(), ...payload }
  const kindOf = new Map<string, IdentifierKind>()
  for (const kind of IDENTIFIER_KINDS) for (const id of lists[kind]) kindOf.set(`${kind}:${id}`, kind)
  await removeTaskSources(ctx.db, ctx.task.id)

  const result: IdentifiersResult = {
    batchId: null, requested: IDENTIFIER_KINDS.reduce((n, k) => n + lists[k].length, 0), found: 0, added: 0,
    alreadyInProject: emptyLists(), sameRecordAsAnother: emptyLists(), notFound: emptyLists(), failed: [], resolvedBy: {}, deduplication: null
  }
  const resolutions: Resolution[] = []
  let done = 0
  const lookup = async (database: LookupDatabase, entries: Array<{ kind: IdentifierKind; id: string }>): Promise<Array<{ kind: IdentifierKind; id: string }>> => {
    if (entries.length === 0) return []
    let answer: LookupResult
    try {
      answer = await lookupWith(database, ctx.connectors, entries.map((e) => e.id), ctx.signal)
    } catch (error) {
      if (ctx.signal.aborted) throw error
      ctx.log.warn({ err: error, database, taskId: ctx.task.id }, 'identifier lookup failed')
      result.failed.push({ database, ids: entries.map((e) => e.id), error: error instanceof Error ? error.message : String(error) })
      return []
    }
    const kindFor = (id: string) => entries.find((e) => e.id === id)!.kind
    for (const match of answer.found) resolutions.push({ kind: kindFor(match.id), id: match.id, record: match.record, database })
    if (answer.found.length > 0) result.resolvedBy[database] = (result.resolvedBy[database] ?? 0) + answer.found.length
    done += answer.found.length
    await ctx.progress(Math.min(0.8, 0.8 * done / Math.max(1, result.requested)), `${done} of ${result.requested} identifiers resolved`)
    return [...answer.notFound, ...answer.unsupported].map((id) => ({ kind: kindFor(id), id }))
  }

  const entries = (kind: IdentifierKind) => lists[kind].map((id) => ({ kind, id }))
  const unresolved = (await Promise.all([
    lookup('pubmed', [...entries('pmids'), ...entries('pmcids')]),
    // DOIs Crossref does not register (DataCite, mEDRA…) are asked of OpenAlex.
    lookup('crossref', entries('dois')).then((missing) => lookup('openalex', missing)),
    lookup('arxiv', entries('arxivIds'))
  ])).flat()
  for (const { kind, id } of unresolved) result.notFound[kind].push(id)
  result.found = resolutions.length

  // Keep the request's order: PMIDs, DOIs, PMCIDs, arXiv ids as given.
  const order = new Map<string, number>()
  IDENTIFIER_KINDS.flatMap((kind) => lists[kind].map((id) => `${kind}:${id}`)).forEach((key, i) => order.set(key, i))
  resolutions.sort((a, b) => order.get(`${a.kind}:${a.id}`)! - order.get(`${b.kind}:${b.id}`)!)
  const known = await projectIdentifiers(ctx.db, projectId, ctx.task.id)
  const seen = new IdentifierIndex()
  const fresh: ReferenceRecord[] = []
  const resolutionOf = new Map<ReferenceRecord, Resolution>()
  for (const r of resolutions) {
    if (known.has(r.record)) result.alreadyInProject[r.kind].push(r.id)
    else if (seen.has(r.record)) result.sameRecordAsAnother[r.kind].push(r.id)
    else {
      seen.add(r.record)
      fresh.push(r.record)
      resolutionOf.set(r.record, r)
    }
  }

  if (result.failed.length > 0 && resolutions.length === 0) {
    throw new TaskError(`identifier lookup failed: ${result.failed.map((f) => `${databaseLabel(f.database)}: ${f.error}`).join('; ')}`, result)
  }
  if (fresh.length > 0) {
    const databases = [...new Set(resolutions.map((r) => databaseLabel(r.database)))].join(', ')
    const stored = await storeFoundRecords(ctx, known, { kind: 'identifiers', sourceDatabase: databases, records: fresh, recordsRead: result.found })
    result.batchId = stored.batchId
    result.added = stored.added.length
    result.deduplication = stored.deduplication
    // Stored by another task meanwhile.
    for (const record of stored.alreadyInProject) {
      const r = resolutionOf.get(record)!
      result.alreadyInProject[r.kind].push(r.id)
    }
  }
  return result
}

function lookupWith(database: LookupDatabase, connectors: Connectors, ids: string[], signal: AbortSignal): Promise<LookupResult> {
  return connectors.get(database).lookup(ids, { signal })
}
