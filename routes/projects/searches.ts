import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ProjectParams, Task } from '../../src/http/schemas.ts'
import { requireProject } from '../../src/services/projects.ts'
import { MAX_RECORDS_PER_DATABASE, SEARCH_DATABASES, listSearchRuns, planSearch } from '../../src/services/search.ts'
import { toTaskView } from '../../src/tasks/store.ts'

const Query = (description?: string) => Type.String({ minLength: 1, maxLength: 20000, ...(description ? { description } : {}) })
const SearchDatabase = Type.Union(SEARCH_DATABASES.map((id) => Type.Literal(id)))

const SearchBody = Type.Object({
  query: Type.Optional(Query('simple mode: the same query sent to every database in "databases"')),
  databases: Type.Optional(Type.Array(SearchDatabase, { minItems: 1, maxItems: SEARCH_DATABASES.length, uniqueItems: true })),
  queries: Type.Optional(Type.Object(Object.fromEntries(SEARCH_DATABASES.map((id) => [id, Type.Optional(Query())])), {
    additionalProperties: false, minProperties: 1, description: 'expert mode: one query per database, in its own syntax, sent as written'
  })),
  maxRecordsPerDatabase: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RECORDS_PER_DATABASE, description: 'default 10,000' }))
}, { additionalProperties: false })

const SearchRun = Type.Object({
  id: Type.String(), taskId: Type.Union([Type.String(), Type.Null()]), batchId: Type.Union([Type.String(), Type.Null()]),
  database: Type.String(), databaseLabel: Type.String(), query: Type.String(), queryAsSent: Type.Union([Type.String(), Type.Null()]),
  maxRecords: Type.Union([Type.Integer(), Type.Null()]), status: Type.String(), totalHits: Type.Union([Type.Integer(), Type.Null()]),
  retrieved: Type.Integer(), newRecords: Type.Integer(), error: Type.Union([Type.String(), Type.Null()]), createdBy: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.Union([Type.String(), Type.Null()]), finishedAt: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String()
})

/** Search runs: `POST /api/projects/:projectId/searches` (task 'search'), `GET …/searches` (the PRISMA-S search log). */
const searchesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {

  fastify.post('/:projectId/searches', {
    schema: {
      tags: ['search'], summary: 'Search several databases (background task "search"; one search run per database)',
      description: 'Simple mode: {"query", "databases"}. Expert mode: {"queries": {"pubmed": "…", "arxiv": "ti:…"}}. ' +
        'Records already in the project (same DOI, PMID, PMCID or arXiv id) are not added again.',
      params: ProjectParams, body: SearchBody, response: { 202: Task }
    }
  }, async (request, reply) => {
    await requireProject(fastify.db, request.user, request.params.projectId, 'reviewer')
    const payload = planSearch(request.body)
    const task = await fastify.tasks.submit({ type: 'search', projectId: request.params.projectId, createdBy: request.user.id, payload })
    return reply.status(202).send(toTaskView(task))
  })

  fastify.get('/:projectId/searches', {
    schema: {
      tags: ['search'], summary: 'Search log (PRISMA-S): database, query as sent, date, hits, retrieved, new records, status',
      params: ProjectParams, response: { 200: Type.Array(SearchRun) }
    }
  }, async (request) => {
    await requireProject(fastify.db, request.user, request.params.projectId)
    return listSearchRuns(fastify.db, request.params.projectId)
  })
}

export default searchesRoutes
