import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from '@sinclair/typebox'
import { ArticleDetail, ArticleListQuery, ArticlePage } from '../../../src/http/schemas/articles.ts'
import { NoContent } from '../../../src/http/schemas/common.ts'
import { ArticleParams, ProjectParams } from '../../../src/http/schemas/common.ts'
import { ImportMultipart, UrlImportBody } from '../../../src/http/schemas/imports.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { ByteLru, serveArticlePage } from '../../../src/services/article-pages.ts'
import { importFromUrl, importUpload, type UploadPart } from '../../../src/services/imports.ts'
import { articleDetail } from '../../../src/services/project-articles.ts'
import { blindScope } from '../../../src/services/projects.ts'

const articlesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify
  // Serialised pages per data version, query and reviewer scope (see src/services/article-pages.ts).
  const pages = new ByteLru(fastify.config.PAGE_CACHE_MAX_BYTES)

  fastify.get('/articles', {
    schema: {
      tags: ['articles'], summary: 'List articles with pagination, sorting, decision filter and full-text search', params: ProjectParams,
      querystring: ArticleListQuery, response: { 200: ArticlePage, 304: NoContent }
    }
  }, async (request, reply) => {
    const { project, projectRole } = request
    const q = request.query
    const page = await serveArticlePage(db, pages, project, { ...q, stage: q.stage ?? 'title_abstract', ownDecisionsOf: blindScope(project, projectRole, request.user.id) }, request.headers['if-none-match'])
    reply.header('etag', page.etag).header('cache-control', 'private, no-cache').header('vary', 'authorization, cookie')
    if (page.body === null) return reply.status(304).send()
    // The body is a page already serialised by the service (and cached as such): sent as it is.
    return reply.type('application/json; charset=utf-8').send(page.body as unknown as Static<typeof ArticlePage>)
  })

  fastify.get('/articles/:articleId', { schema: { tags: ['articles'], params: ArticleParams, response: { 200: ArticleDetail } } },
    async (request) => articleDetail(db, request.project.id, request.params.articleId))

  fastify.post('/imports', {
    config: { role: 'reviewer', openapiBody: ImportMultipart },
    schema: {
      tags: ['articles'],
      summary: 'Import a bibliography file (multipart field "file"); runs as a background task',
      description: 'Optional multipart fields: format (skip auto-detection), sourceDatabase (e.g. "PubMed"), importLabels ("true"/"false").',
      params: ProjectParams,
      consumes: ['multipart/form-data'],
      response: { 202: Task }
    }
  }, async (request, reply) => {
    const parts = request.isMultipart() ? request.parts() as AsyncIterable<UploadPart> : undefined
    return reply.status(202).send(await importUpload(fastify, request.project.id, request.user.id, parts))
  })

  fastify.post('/imports/url', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['articles'],
      summary: 'Import a bibliography file from a public http(s) URL; runs as a background task',
      params: ProjectParams, body: UrlImportBody, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await importFromUrl(fastify, request.project.id, request.user.id, request.body)))
}

export default articlesRoutes
