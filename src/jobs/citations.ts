/**
 * Citation chasing as a background task: for each seed article, the works it
 * cites (backward), the works citing it (forward), or both, from OpenAlex or
 * Semantic Scholar. What is new to the project goes into one source batch
 * (kind 'citations'), counted apart from database searches as PRISMA asks
 * ("records identified from citation searching").
 */
import { Type, type Static } from '@sinclair/typebox'
import { and, eq, inArray } from 'drizzle-orm'
import type { CitationResult } from '../connectors/types.ts'
import { articles } from '../db/schema.ts'
import type { ReferenceRecord } from '../references/model.ts'
import { rowToRecord } from '../services/articles.ts'
import { originalOf } from '../services/originals.ts'
import type { DedupSummary } from '../services/dedup.ts'
import { CITATION_DATABASES, databaseLabel, type CitationDatabaseId } from '../services/search.ts'
import {
  IdentifierIndex, projectIdentifiers, removeTaskSources, storeFoundRecords
} from '../services/source-records.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export const CitationsPayload = Type.Object({
  articleIds: Type.Array(Type.String()),
  direction: Type.Union([Type.Literal('backward'), Type.Literal('forward'), Type.Literal('both')]),
  database: Type.Union(CITATION_DATABASES.map((id) => Type.Literal(id))),
  maxRecordsPerArticle: Type.Integer({ minimum: 1 })
})
export type CitationsPayload = Static<typeof CitationsPayload>
export type CitationDirection = CitationsPayload['direction']

export interface DirectionOutcome {
  /** References (backward) or citing works (forward) the database lists. */
  total: number
  retrieved: number
}

export interface SeedOutcome {
  articleId: string
  title: string
  /** Whether the database knows the seed article (by its own id, DOI, PMID, PMCID or arXiv id). */
  seedFound: boolean
  seedId?: string
  backward?: DirectionOutcome
  forward?: DirectionOutcome
  /** Records this seed brought that were new to the project. */
  added: number
  error?: string
}

export interface CitationsResult {
  batchId: string | null
  database: CitationDatabaseId
  direction: CitationDirection
  seeds: SeedOutcome[]
  /** Records the database returned, over all seeds and directions. */
  retrieved: number
  added: number
  /** Records already in the project (by DOI, PMID, PMCID or arXiv id). */
  alreadyInProject: number
  /** Records returned for several seeds (or both directions) and added once. */
  repeated: number
  deduplication: DedupSummary | { error: string } | null
}

/** Seeds chased at once; the database's rate limiter paces the requests themselves. */
const SEED_CONCURRENCY = 4

/** A stable key for records without DOI/PMID/PMCID/arXiv id, to add each once per run. */
function fallbackKey(record: ReferenceRecord): string | undefined {
  if (record.url) return `url:${record.url}`
  return record.title ? `title:${record.title.toLowerCase().replace(/\W+/g, ' ').trim()}|${record.year ?? ''}` : undefined
}

export async function chaseCitations(ctx: JobContext, payload: CitationsPayload): Promise<CitationsResult> {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('citation task has no project')
  const connector = ctx.connectors.get(payload.database)
  await removeTaskSources(ctx.db, ctx.task.id)

  const rows = await ctx.db.select().from(articles).where(and(eq(articles.projectId, projectId), inArray(articles.id, payload.articleIds)))
  const byId = new Map(rows.map((r) => [r.id, r]))
  const known = await projectIdentifiers(ctx.db, projectId, ctx.task.id)
  const seen = new IdentifierIndex()
  const seenOther = new Set<string>()
  const fresh: ReferenceRecord[] = []
  const seedOf = new Map<ReferenceRecord, SeedOutcome>()
  const result: CitationsResult = {
    batchId: null, database: payload.database, direction: payload.direction, seeds: [], retrieved: 0, added: 0, alreadyInProject: 0, repeated: 0,
    deduplication: null
  }
  const directions = payload.direction === 'both' ? (['backward', 'forward'] as const) : [payload.direction]

  const take = (records: ReferenceRecord[], seed: SeedOutcome): number => {
    let added = 0
    for (const record of records) {
      result.retrieved++
      if (known.has(record)) {
        result.alreadyInProject++
        continue
      }
      const hasIds = Boolean(record.doi || record.pmid || record.pmcid || record.arxivId)
      const key = hasIds ? undefined : fallbackKey(record)
      if (hasIds ? seen.has(record) : key !== undefined && seenOther.has(key)) {
        result.repeated++
        continue
      }
      if (hasIds) seen.add(record)
      else if (key) seenOther.add(key)
      fresh.push(record)
      seedOf.set(record, seed)
      added++
    }
    return added
  }

  const chaseOne = async (articleId: string): Promise<SeedOutcome> => {
    const row = byId.get(articleId)
    if (!row) return { articleId, title: '', seedFound: false, added: 0, error: 'article no longer in the project' }
    // The article's record with its original, so that a record that came from this database is found by its own id.
    const seed: ReferenceRecord = { ...rowToRecord(row), original: await originalOf(ctx.db, row) }
    const outcome: SeedOutcome = { articleId, title: row.title, seedFound: false, added: 0 }
    try {
      for (const direction of directions) {
        const answer: CitationResult = await connector[direction](seed, { maxRecords: payload.maxRecordsPerArticle, signal: ctx.signal })
        outcome.seedFound = answer.seedFound
        if (answer.seedId) outcome.seedId = answer.seedId
        if (!answer.seedFound) break
        outcome[direction] = { total: answer.total, retrieved: answer.records.length }
        outcome.added += take(answer.records, outcome)
      }
    } catch (error) {
      if (ctx.signal.aborted) throw error
      ctx.log.warn({ err: error, articleId, database: payload.database }, 'citation chasing failed for one article')
      outcome.error = error instanceof Error ? error.message : String(error)
    }
    return outcome
  }

  const queue = [...payload.articleIds]
  const outcomes = new Map<string, SeedOutcome>()
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      outcomes.set(id, await chaseOne(id))
      await ctx.progress(0.85 * outcomes.size / payload.articleIds.length, `${outcomes.size} of ${payload.articleIds.length} articles chased`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, payload.articleIds.length) }, worker))
  result.seeds = payload.articleIds.map((id) => outcomes.get(id)!)

  if (result.seeds.every((s) => s.error)) {
    throw new TaskError(`citation chasing failed for every article: ${result.seeds[0]?.error}`, result)
  }
  if (fresh.length > 0) {
    const stored = await storeFoundRecords(ctx, known, { kind: 'citations', sourceDatabase: databaseLabel(payload.database), records: fresh, recordsRead: result.retrieved })
    result.batchId = stored.batchId
    result.added = stored.added.length
    // Stored by another task meanwhile.
    result.alreadyInProject += stored.alreadyInProject.length
    for (const record of stored.alreadyInProject) seedOf.get(record)!.added--
    result.deduplication = stored.deduplication
  }
  return result
}
