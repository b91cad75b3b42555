import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createReadStream } from 'node:fs'
import { ArticleParams, FileResponse, ProjectParams } from '../../../src/http/schemas/common.ts'
import { FullTextBody } from '../../../src/http/schemas/searches.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { requireFullText } from '../../../src/services/fulltext.ts'
import { queueFullText } from '../../../src/services/project-tasks.ts'

/**
 * `POST /api/projects/:projectId/fulltext`: fetch open-access PDFs through Unpaywall (task 'fulltext');
 * `GET /api/projects/:projectId/articles/:articleId/fulltext`: the stored PDF.
 */
const fulltextRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/fulltext', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['search'], summary: 'Download open-access PDFs found by Unpaywall (background task "fulltext")',
      description: 'Without articleIds: the records whose latest title/abstract decision is "include", with a DOI and no full text yet.',
      params: ProjectParams, body: FullTextBody, response: { 202: Task }
    },
    // No body at all means the default selection, as `{}` does.
    preValidation: async (request) => { request.body ??= {} }
  }, async (request, reply) => reply.status(202).send(await queueFullText(fastify, request.project.id, request.user.id, request.body.articleIds)))

  fastify.get('/articles/:articleId/fulltext', {
    schema: {
      tags: ['search'], summary: 'The article\'s full text (PDF); 404 when it has none', params: ArticleParams,
      response: { 200: FileResponse('application/pdf', 'the stored full text') }
    }
  }, async (request, reply) => {
    const stored = await requireFullText(fastify.db, fastify.storageDir, request.project.id, request.params.articleId)
    const name = stored.originalName.replace(/[^\w.-]+/g, '_')
    return reply
      .type(stored.contentType)
      .header('content-length', stored.size)
      .header('content-disposition', `inline; filename="${name}"`)
      .send(createReadStream(stored.absolute))
  })
}

export default fulltextRoutes
