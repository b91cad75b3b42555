import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { FileResponse, ProjectParams } from '../../../src/http/schemas/common.ts'
import { ChartQuery, Concepts, ConceptsQuery, Statistics, StatisticsQuery } from '../../../src/http/schemas/statistics.ts'
import { projectConcepts, projectStatistics, statisticsChart, toGraphml } from '../../../src/services/statistics.ts'
import { DIMENSIONS } from '../../../src/synthesis/descriptive/index.ts'

/** Descriptive statistics of the records (counts, cross-tabulations, bar charts) and the keyword concept graph. */
const statisticsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify
  const tags = ['statistics']

  fastify.get('/statistics', {
    schema: {
      tags, summary: 'Records counted by year, journal, country, study design, keyword and database; ?by=…&by2=… cross-tabulates',
      params: ProjectParams, querystring: StatisticsQuery, response: { 200: Statistics }
    }
  }, async (request) => projectStatistics(db, request.project.id, request.query))

  for (const dimension of DIMENSIONS) {
    fastify.get(`/statistics/${dimension}.svg`, {
      schema: { tags, summary: `Records by ${dimension}: a bar chart`, params: ProjectParams, querystring: ChartQuery, response: { 200: FileResponse('image/svg+xml', 'the bar chart') } }
    }, async (request, reply) => reply.type('image/svg+xml').send(await statisticsChart(db, request.project.id, dimension, request.query.set, request.query.limit)))
  }

  fastify.get('/concepts', {
    schema: {
      tags, summary: 'Keyword co-occurrence graph (keywords normalised for case, accents and simple plurals; ?llm=true adds the LLM concepts); ?format=graphml for GraphML',
      params: ProjectParams, querystring: ConceptsQuery, response: { 200: Concepts }
    }
  }, async (request, reply) => {
    const graph = await projectConcepts(db, request.project.id, request.query)
    if (request.query.format === 'graphml') {
      return reply.type('application/graphml+xml; charset=utf-8').header('content-disposition', 'attachment; filename="concepts.graphml"').send(toGraphml(graph) as never)
    }
    return graph
  })
}

export default statisticsRoutes
