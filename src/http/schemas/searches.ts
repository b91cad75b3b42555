import { Type, type Static } from '@sinclair/typebox'
import { CITATION_DATABASES, MAX_RECORDS_PER_DATABASE, SEARCH_DATABASES } from '../../services/search.ts'
import { MAX_IDENTIFIERS } from '../../services/identifiers.ts'
import { Nullable, Uuid } from './common.ts'

const Query = (description?: string) => Type.String({ minLength: 1, maxLength: 20000, ...(description ? { description } : {}) })
const SearchDatabase = Type.Union(SEARCH_DATABASES.map((id) => Type.Literal(id)))

export const SearchBody = Type.Object({
  query: Type.Optional(Query('simple mode: the same query sent to every database in "databases"')),
  databases: Type.Optional(Type.Array(SearchDatabase, { minItems: 1, maxItems: SEARCH_DATABASES.length, uniqueItems: true })),
  queries: Type.Optional(Type.Object(Object.fromEntries(SEARCH_DATABASES.map((id) => [id, Type.Optional(Query())])), {
    additionalProperties: false, minProperties: 1, description: 'expert mode: one query per database, in its own syntax, sent as written'
  })),
  maxRecordsPerDatabase: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RECORDS_PER_DATABASE, description: 'default 10,000' }))
}, { additionalProperties: false })

export const SearchRun = Type.Object({
  id: Type.String(), taskId: Nullable(Type.String()), batchId: Nullable(Type.String()),
  database: Type.String(), databaseLabel: Type.String(), query: Type.String(), queryAsSent: Nullable(Type.String()),
  maxRecords: Nullable(Type.Integer()), status: Type.String(), totalHits: Nullable(Type.Integer({ description: 'hits the database reported for the query' })),
  retrieved: Type.Integer(), newRecords: Type.Integer({ description: 'records added to the project (those not already in it)' }),
  error: Nullable(Type.String()), createdBy: Nullable(Type.String()),
  startedAt: Nullable(Type.String()), finishedAt: Nullable(Type.String()), createdAt: Type.String()
})
export type SearchRunView = Static<typeof SearchRun>

export const CitationsBody = Type.Object({
  articleIds: Type.Array(Uuid, { minItems: 1, maxItems: 500, uniqueItems: true, description: 'seed articles of this project' }),
  direction: Type.Union([Type.Literal('backward'), Type.Literal('forward'), Type.Literal('both')], { description: 'backward: their references; forward: works citing them' }),
  database: Type.Union(CITATION_DATABASES.map((id) => Type.Literal(id))),
  maxRecordsPerArticle: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'per direction; default 1,000' }))
}, { additionalProperties: false })
export type CitationsRequest = Static<typeof CitationsBody>

export const FullTextBody = Type.Object({
  articleIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 5000, uniqueItems: true, description: 'default: included records with a DOI and no full text yet' }))
}, { additionalProperties: false })

export const Database = Type.Object({
  id: Type.String(), label: Type.String(),
  configured: Type.Boolean({ description: 'false when a setting it needs is missing (see "missing")' }),
  missing: Type.Optional(Type.String()),
  baseUrl: Type.String(),
  rateLimit: Type.Object({ requestsPerSecond: Type.Number(), maxConcurrent: Type.Optional(Type.Number()), note: Type.String() }),
  supports: Type.Object({ search: Type.Boolean(), lookup: Type.Boolean(), citations: Type.Boolean(), openAccessPdf: Type.Boolean() })
})

const Ids = (description: string) => Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: MAX_IDENTIFIERS, description }))

export const IdentifiersBody = Type.Object({
  pmids: Ids('PubMed ids ("12345678", "PMID: 12345678")'),
  dois: Ids('DOIs ("10.1000/xyz", "https://doi.org/10.1000/xyz")'),
  pmcids: Ids('PubMed Central ids ("PMC1234567")'),
  arxivIds: Ids('arXiv ids ("2101.00001", "arXiv:2101.00001v2", "hep-th/9901001")')
}, { additionalProperties: false })
