import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ProjectParams } from '../../../src/http/schemas/common.ts'
import { SearchBody, SearchRun } from '../../../src/http/schemas/searches.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { queueSearch } from '../../../src/services/project-tasks.ts'
import { listSearchRuns } from '../../../src/services/search.ts'

/** Search runs: `POST /api/projects/:projectId/searches` (task 'search'), `GET …/searches` (the PRISMA-S search log). */
const searchesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/searches', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['search'], summary: 'Search several databases (background task "search"; one search run per database)',
      description: 'Simple mode: {"query", "databases"}. Expert mode: {"queries": {"pubmed": "…", "arxiv": "ti:…"}}. ' +
        'Records already in the project (same DOI, PMID, PMCID or arXiv id) are not added again.',
      params: ProjectParams, body: SearchBody, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await queueSearch(fastify, request.project.id, request.user.id, request.body)))

  fastify.get('/searches', {
    schema: {
      tags: ['search'], summary: 'Search log (PRISMA-S): database, query as sent, date, hits, retrieved, new records, status',
      params: ProjectParams, response: { 200: Type.Array(SearchRun) }
    }
  }, async (request) => listSearchRuns(fastify.db, request.project.id))
}

export default searchesRoutes
