import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createReadStream } from 'node:fs'
import { ArticleParams, FileResponse, NoContent, Paged, ProjectParams } from '../../../src/http/schemas/common.ts'
import { BulkMultipart, BulkUpload, ExtractBody, FileParams, FullTextMultipart, MatchBody, MatchResult, FullTextPages, FullTextUpload, PagesQuery, SearchHit, SearchQuery, StoredFile, UnmatchedQuery } from '../../../src/http/schemas/fulltext.ts'
import { FullTextBody } from '../../../src/http/schemas/searches.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { bulkUpload, deleteUnmatchedPdf, detachFullText, listStoredPdfs, matchFile, requireFullText, uploadFullText } from '../../../src/services/fulltext.ts'
import { articleFullTextPages, searchFullTexts } from '../../../src/services/fulltext-text.ts'
import type { UploadPart } from '../../../src/services/imports.ts'
import { queueFullText, queueFullTextExtraction } from '../../../src/services/project-tasks.ts'

/**
 * Full texts: open-access download (task 'fulltext'), upload, text extraction
 * (task 'fulltext-extract'), pages and project-wide search.
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
      tags: ['fulltext'], summary: 'The article\'s full text (PDF); 404 when it has none', params: ArticleParams,
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

  fastify.post('/articles/:articleId/fulltext', {
    config: { role: 'reviewer', openapiBody: FullTextMultipart },
    schema: {
      tags: ['fulltext'], summary: 'Attach a PDF to the article (multipart field "file"); its text is extracted by a background task',
      description: 'Replaces the article\'s previous full text. The same PDF uploaded twice in a project is stored once. Not a PDF: 415.',
      params: ArticleParams, consumes: ['multipart/form-data'], response: { 201: FullTextUpload }
    }
  }, async (request, reply) => {
    const parts = request.isMultipart() ? request.parts({ limits: { fileSize: fastify.config.FULLTEXT_MAX_BYTES, files: 1 } }) as AsyncIterable<UploadPart> : undefined
    return reply.status(201).send(await uploadFullText(fastify, request.project.id, request.params.articleId, request.user.id, parts))
  })

  fastify.delete('/articles/:articleId/fulltext', {
    config: { role: 'reviewer' },
    schema: { tags: ['fulltext'], summary: 'Detach the article\'s full text (the PDF is deleted when no other article uses it)', params: ArticleParams, response: { 204: NoContent } }
  }, async (request, reply) => {
    await detachFullText(fastify.db, fastify.storageDir, request.project.id, request.params.articleId)
    return reply.status(204).send()
  })

  fastify.get('/articles/:articleId/fulltext/pages', {
    schema: {
      tags: ['fulltext'], summary: 'The extracted text of the article\'s full text, page by page, with its sections',
      params: ArticleParams, querystring: PagesQuery, response: { 200: FullTextPages }
    }
  }, async (request) => articleFullTextPages(fastify.db, request.project.id, request.params.articleId, request.query))

  fastify.post('/fulltext/extract', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['fulltext'], summary: 'Extract the text of full texts (background task "fulltext-extract")',
      description: 'Without articleIds: every article with a full text. Files already extracted are skipped unless force is true.',
      params: ProjectParams, body: ExtractBody, response: { 202: Task }
    },
    preValidation: async (request) => { request.body ??= {} }
  }, async (request, reply) => reply.status(202).send(await queueFullTextExtraction(fastify, request.project.id, request.user.id, request.body)))

  fastify.get('/fulltext/search', {
    schema: {
      tags: ['fulltext'], summary: 'Search the text of the project\'s full texts (PostgreSQL websearch syntax), best matches first',
      params: ProjectParams, querystring: SearchQuery, response: { 200: Paged(SearchHit) }
    }
  }, async (request) => {
    const { page, pageSize, q } = request.query
    return { ...await searchFullTexts(fastify.db, request.project.id, q, { limit: pageSize, offset: (page - 1) * pageSize }), page, pageSize }
  })

  fastify.post('/fulltext/bulk', {
    config: { role: 'reviewer', openapiBody: BulkMultipart },
    schema: {
      tags: ['fulltext'], summary: 'Upload several PDFs or ZIP archives of PDFs (multipart fields "files"); the task "fulltext-bulk" extracts them and matches each to an article',
      description: 'Matching: DOI or PMID found in the PDF, then the file name (DOI, PMID or title), then title similarity. Unmatched files are kept for POST …/fulltext/files/:fileId/match.',
      params: ProjectParams, consumes: ['multipart/form-data'], response: { 202: BulkUpload }
    }
  }, async (request, reply) => {
    // A ZIP may be as large as any upload; each PDF (alone or inside a ZIP) at most FULLTEXT_MAX_BYTES.
    const fileSize = Math.max(fastify.config.FULLTEXT_MAX_BYTES, fastify.config.UPLOAD_MAX_BYTES)
    const parts = request.isMultipart() ? request.parts({ limits: { fileSize, files: MAX_BULK_FILES } }) as AsyncIterable<UploadPart> : undefined
    return reply.status(202).send(await bulkUpload(fastify, request.project.id, request.user.id, parts))
  })

  fastify.post('/fulltext/files/:fileId/match', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['fulltext'], summary: 'Attach a stored PDF (e.g. one a bulk upload left unmatched) to an article without a full text',
      params: FileParams, body: MatchBody, response: { 200: MatchResult }
    }
  }, async (request) => matchFile(fastify.db, request.project.id, request.params.fileId, request.body.articleId))

  fastify.get('/fulltext/files', {
    schema: {
      tags: ['fulltext'], summary: 'The project\'s stored PDFs, by default those attached to no article (status=unmatched), newest first',
      description: 'Each with its size, upload time, the task that brought it, what the text extraction found, and for an unmatched file the closest articles without a full text (title similarity).',
      params: ProjectParams, querystring: UnmatchedQuery, response: { 200: Paged(StoredFile) }
    }
  }, async (request) => listStoredPdfs(fastify.db, request.project.id, request.query))

  fastify.delete('/fulltext/files/:fileId', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['fulltext'], summary: 'Delete a stored PDF that no article uses (409 when one does)',
      params: FileParams, response: { 204: NoContent }
    }
  }, async (request, reply) => {
    await deleteUnmatchedPdf(fastify.db, fastify.storageDir, request.project.id, request.params.fileId)
    return reply.status(204).send()
  })
}

/** PDFs in one bulk upload. */
const MAX_BULK_FILES = 500

export default fulltextRoutes
