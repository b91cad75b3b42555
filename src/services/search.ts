/**
 * Literature search in the service: the connectors configured from the
 * validated configuration, the list of databases shown to users, turning a
 * search request (one query for several databases, or one query per
 * database) into a plan, and the PRISMA-S search log (`search_runs`).
 */
import { desc, eq } from 'drizzle-orm'
import { Type, type Static } from '@sinclair/typebox'
import { listDatabases, type Connectors, type DatabaseInfo } from '../connectors/registry.ts'
import type { DatabaseId } from '../connectors/types.ts'
import type { Database } from '../db/index.ts'
import type { SearchRunView } from '../http/schemas/searches.ts'
import { searchRuns } from '../db/schema.ts'
import { Invalid } from '../errors.ts'
import { redactUrl } from '../net/errors.ts'

/** The databases that can be searched (Unpaywall only looks up DOIs). */
export type SearchDatabaseId = Exclude<DatabaseId, 'unpaywall'>
export const SEARCH_DATABASES: readonly SearchDatabaseId[] = ['pubmed', 'europepmc', 'crossref', 'openalex', 'semanticscholar', 'arxiv']
export const CITATION_DATABASES = ['openalex', 'semanticscholar'] as const
export type CitationDatabaseId = (typeof CITATION_DATABASES)[number]

/** Records one database may return for one search when the request does not say. */
export const DEFAULT_MAX_RECORDS_PER_DATABASE = 10_000
export const MAX_RECORDS_PER_DATABASE = 50_000

export type DatabaseView = DatabaseInfo

/** Every database with whether it is configured, its rate limit and what it supports (base URLs without secrets). */
export function databaseViews(connectors: Connectors): DatabaseView[] {
  return connectors.list().map((d) => ({ ...d, baseUrl: redactUrl(d.baseUrl) }))
}

export function databaseLabel(id: DatabaseId): string {
  return listDatabases().find((d) => d.id === id)?.label ?? id
}

const PlannedSearch = Type.Object({
  database: Type.Union(SEARCH_DATABASES.map((id) => Type.Literal(id))),
  /** The query as the user wrote it for this database. */
  query: Type.String({ minLength: 1 })
})
export type PlannedSearch = Static<typeof PlannedSearch>

/** What a search task's payload holds. */
export const SearchPayload = Type.Object({
  mode: Type.Union([Type.Literal('simple'), Type.Literal('expert')]),
  searches: Type.Array(PlannedSearch, { minItems: 1 }),
  maxRecordsPerDatabase: Type.Integer({ minimum: 1 })
})
export type SearchPayload = Static<typeof SearchPayload>

export interface SearchRequest {
  query?: string
  databases?: string[]
  queries?: Partial<Record<string, string>>
  maxRecordsPerDatabase?: number
}

/**
 * Simple mode: `{ query, databases }` sends the same query to each database.
 * Expert mode: `{ queries: { pubmed: '…', arxiv: 'ti:…' } }` sends each
 * database its own syntax, untouched. Throws Invalid naming the field.
 */
export function planSearch(request: SearchRequest): SearchPayload {
  const maxRecordsPerDatabase = request.maxRecordsPerDatabase ?? DEFAULT_MAX_RECORDS_PER_DATABASE
  const known = (id: string): id is SearchDatabaseId => (SEARCH_DATABASES as readonly string[]).includes(id)
  if (request.queries !== undefined) {
    if (request.query !== undefined || request.databases !== undefined) {
      throw new Invalid('send either "query" with "databases" (simple mode) or "queries" (expert mode), not both', 'queries')
    }
    const entries = Object.entries(request.queries).filter((e): e is [string, string] => typeof e[1] === 'string')
    if (entries.length === 0) throw new Invalid('body.queries must name at least one database', 'queries')
    const searches: PlannedSearch[] = []
    for (const [database, query] of entries) {
      if (!known(database)) throw new Invalid(`body.queries.${database}: not a searchable database; expected ${SEARCH_DATABASES.join(', ')}`, `queries.${database}`)
      if (!query.trim()) throw new Invalid(`body.queries.${database} must not be empty`, `queries.${database}`)
      searches.push({ database, query: query.trim() })
    }
    return { mode: 'expert', searches, maxRecordsPerDatabase }
  }
  if (request.query === undefined) throw new Invalid('body.query is required (or "queries" for one query per database)', 'query')
  if (!request.query.trim()) throw new Invalid('body.query must not be empty', 'query')
  if (!request.databases || request.databases.length === 0) throw new Invalid('body.databases must list at least one database', 'databases')
  const unknown = request.databases.filter((d) => !known(d))
  if (unknown.length > 0) throw new Invalid(`body.databases: ${unknown.join(', ')} cannot be searched; expected ${SEARCH_DATABASES.join(', ')}`, 'databases')
  const databases = [...new Set(request.databases)] as SearchDatabaseId[]
  return { mode: 'simple', searches: databases.map((database) => ({ database, query: request.query!.trim() })), maxRecordsPerDatabase }
}

export type SearchRunRow = typeof searchRuns.$inferSelect

export type { SearchRunView }

export function toSearchRunView(row: SearchRunRow): SearchRunView {
  return {
    id: row.id, taskId: row.taskId, batchId: row.batchId, database: row.database, databaseLabel: databaseLabel(row.database as DatabaseId),
    query: row.query, queryAsSent: row.queryAsSent, maxRecords: row.maxRecords, status: row.status, totalHits: row.totalHits,
    retrieved: row.retrieved, newRecords: row.newRecords, error: row.error, createdBy: row.createdBy,
    startedAt: row.startedAt?.toISOString() ?? null, finishedAt: row.finishedAt?.toISOString() ?? null, createdAt: row.createdAt.toISOString()
  }
}

/** The project's search log, newest first (PRISMA-S: database, query as sent, date, hits, retrieved, new). */
export async function listSearchRuns(db: Database, projectId: string): Promise<SearchRunView[]> {
  const rows = await db.select().from(searchRuns).where(eq(searchRuns.projectId, projectId)).orderBy(desc(searchRuns.createdAt), searchRuns.database)
  return rows.map(toSearchRunView)
}
