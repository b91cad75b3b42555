import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import { ProjectParams, Stage, Task, Uuid } from '../../src/http/schemas.ts'
import { getArticle, toArticleView } from '../../src/services/articles.ts'
import { ByteLru, serveArticlePage } from '../../src/services/article-pages.ts'
import { originalOf } from '../../src/services/originals.ts'
import { blindScope, requireProject } from '../../src/services/projects.ts'
import { acceptBibliography, newUploadPath, type StoredFile } from '../../src/services/imports.ts'
import { safeDownload, SafeFetchError } from '../../src/net/safe-fetch.ts'
import { Invalid, NotFound, TooLarge, Unprocessable, Unsupported } from '../../src/errors.ts'
import { checkFileName, checkText } from '../../src/http/input-guard.ts'
import { toTaskView } from '../../src/tasks/store.ts'


const articlesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify
  const pages = new ByteLru(fastify.config.PAGE_CACHE_MAX_BYTES)

  fastify.get('/:projectId/articles', {
    schema: {
      tags: ['articles'], summary: 'List articles with pagination, sorting, decision filter and full-text search', params: ProjectParams,
      querystring: Type.Object({
        page: Type.Integer({ minimum: 1, default: 1 }),
        pageSize: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        sort: Type.Union([Type.Literal('createdAt'), Type.Literal('title'), Type.Literal('year'), Type.Literal('journal')], { default: 'createdAt' }),
        order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
        q: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'words searched in title and abstract (web search syntax)' })),
        decision: Type.Optional(Type.Union([Type.Literal('include'), Type.Literal('exclude'), Type.Literal('maybe'), Type.Literal('undecided')])),
        stage: Type.Optional(Stage),
        includeDuplicates: Type.Boolean({ default: false })
      }, { additionalProperties: false })
    }
  }, async (request, reply) => {
    const { project, role } = await requireProject(db, request.user, request.params.projectId)
    const q = request.query
    const page = await serveArticlePage(db, pages, project, { ...q, stage: q.stage ?? 'title_abstract', ownDecisionsOf: blindScope(project, role, request.user.id) }, request.headers['if-none-match'])
    reply.header('etag', page.etag).header('cache-control', 'private, no-cache').header('vary', 'authorization')
    return page.body === null ? reply.status(304).send() : reply.type('application/json; charset=utf-8').send(page.body)
  })

  fastify.get('/:projectId/articles/:articleId', {
    schema: { tags: ['articles'], params: Type.Object({ projectId: Uuid, articleId: Uuid }) }
  }, async (request) => {
    await requireProject(db, request.user, request.params.projectId)
    const row = await getArticle(db, request.params.projectId, request.params.articleId)
    if (!row) throw new NotFound('article not found')
    return { ...toArticleView(row), original: await originalOf(db, row) ?? null }
  })

  fastify.post('/:projectId/imports', {
    schema: {
      tags: ['articles'],
      summary: 'Import a bibliography file (multipart field "file"); runs as a background task',
      description: 'Optional multipart fields: format (skip auto-detection), sourceDatabase (e.g. "PubMed"), importLabels ("true"/"false").',
      params: ProjectParams,
      consumes: ['multipart/form-data'],
      response: { 202: Task }
    }
  }, async (request, reply) => {
    const { project } = await requireProject(db, request.user, request.params.projectId, 'reviewer')
    if (!request.isMultipart()) throw new Unsupported('send the file as multipart/form-data in a field named "file"')

    const fields: Record<string, string> = {}
    let stored: StoredFile | undefined
    // A refusal waits for the end of the request (the rest is read and dropped), so that it is sent at once.
    let refusal: unknown
    const check = (fn: () => void) => { try { fn() } catch (err) { refusal ??= err } }
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        fields[part.fieldname] = String(part.value)
        check(() => { checkText(`${part.fieldname} (field name)`, part.fieldname, 100); checkText(part.fieldname, fields[part.fieldname], 1000) })
        continue
      }
      const name = path.basename(part.filename || 'upload')
      if (part.fieldname === 'file') check(() => checkFileName('file', name))
      if (refusal || part.fieldname !== 'file' || stored) {
        part.file.resume()
        continue
      }
      const absolute = await newUploadPath(fastify.storageDir, project.id, name)
      const hash = createHash('sha256')
      let size = 0
      await pipeline(part.file, new Transform({
        transform (chunk: Buffer, _enc, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk) }
      }), createWriteStream(absolute))
      if (part.file.truncated) {
        await fs.rm(absolute, { force: true })
        throw new TooLarge(`file is larger than the upload limit of ${fastify.config.UPLOAD_MAX_BYTES} bytes`, 'file')
      }
      stored = { absolute, size, sha256: hash.digest('hex'), name, contentType: part.mimetype, origin: 'upload' }
    }
    if (refusal) {
      if (stored) await fs.rm(stored.absolute, { force: true })
      throw refusal
    }
    if (!stored) throw new Invalid('no file: send it in a multipart field named "file"', 'file')
    const task = await acceptBibliography(fastify, project.id, request.user.id, stored, {
      format: fields.format, sourceDatabase: fields.sourceDatabase, importLabels: fields.importLabels !== 'false'
    })
    return reply.status(202).send(toTaskView(task))
  })

  fastify.post('/:projectId/imports/url', {
    schema: {
      tags: ['articles'],
      summary: 'Import a bibliography file from a public http(s) URL; runs as a background task',
      params: ProjectParams,
      body: Type.Object({
        url: Type.String({ pattern: '^https?://', maxLength: 4000 }),
        format: Type.Optional(Type.String()),
        sourceDatabase: Type.Optional(Type.String({ maxLength: 200 })),
        importLabels: Type.Optional(Type.Boolean())
      }, { additionalProperties: false }),
      response: { 202: Task }
    }
  }, async (request, reply) => {
    const { project } = await requireProject(db, request.user, request.params.projectId, 'reviewer')
    let url: URL
    try {
      url = new URL(request.body.url)
    } catch {
      throw new Invalid('url is not a valid URL (check the host, the port and the brackets of an IPv6 address)', 'url')
    }
    const name = path.basename(url.pathname) || 'download'
    const absolute = await newUploadPath(fastify.storageDir, project.id, name)
    let downloaded
    try {
      downloaded = await safeDownload(request.body.url, {
        dest: absolute, maxBytes: fastify.config.UPLOAD_MAX_BYTES, timeoutMs: 60000,
        ...(fastify.config.ALLOW_PRIVATE_DOWNLOADS ? { allowAddress: () => true } : {})
      })
    } catch (err) {
      await fs.rm(absolute, { force: true })
      if (err instanceof SafeFetchError) {
        const Refusal = err.reason === 'too-large' ? TooLarge : err.reason === 'blocked-address' || err.reason === 'unsupported-scheme' || err.reason === 'invalid-url' ? Invalid : Unprocessable
        throw new Refusal(`could not download ${err.url}: ${err.message}`, 'url')
      }
      throw err
    }
    const task = await acceptBibliography(fastify, project.id, request.user.id, {
      absolute, name, size: downloaded.bytes, sha256: downloaded.sha256, contentType: downloaded.contentType, origin: 'url', originUrl: downloaded.url
    }, request.body)
    return reply.status(202).send(toTaskView(task))
  })
}

export default articlesRoutes
