import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import { ProjectParams, Stage, Task, Uuid } from '../../src/http/schemas.ts'
import { files } from '../../src/db/schema.ts'
import { getArticle, listArticles, toArticleView } from '../../src/services/articles.ts'
import { projectStorageDir, requireProject } from '../../src/services/projects.ts'
import { HttpError } from '../../src/http-errors.ts'
import { toTaskView } from '../../src/tasks/store.ts'
import { openReferenceFile, UnsupportedFormatError } from '../../src/references/import.ts'
import { formats } from '../../src/references/formats/index.ts'
import type { FormatId, ReferenceFormat } from '../../src/references/formats/types.ts'


const articlesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify

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
  }, async (request) => {
    await requireProject(db, request.user, request.params.projectId)
    const q = request.query
    return listArticles(db, request.params.projectId, { ...q, stage: q.stage ?? 'title_abstract' })
  })

  fastify.get('/:projectId/articles/:articleId', {
    schema: { tags: ['articles'], params: Type.Object({ projectId: Uuid, articleId: Uuid }) }
  }, async (request) => {
    await requireProject(db, request.user, request.params.projectId)
    const row = await getArticle(db, request.params.projectId, request.params.articleId)
    if (!row) throw new HttpError(404, 'article not found')
    return { ...toArticleView(row), original: row.original }
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
    if (!request.isMultipart()) throw new HttpError(415, 'send the file as multipart/form-data in a field named "file"')

    const fields: Record<string, string> = {}
    let stored: { storagePath: string; absolute: string; size: number; sha256: string; name: string; contentType: string } | undefined
    const dir = path.join(projectStorageDir(fastify.storageDir, project.id), 'uploads')
    await fs.mkdir(dir, { recursive: true })
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        fields[part.fieldname] = String(part.value)
        continue
      }
      if (part.fieldname !== 'file' || stored) {
        part.file.resume()
        continue
      }
      const name = path.basename(part.filename || 'upload')
      const id = randomUUID()
      const absolute = path.join(dir, `${id}-${name.replace(/[^\w.-]+/g, '_')}`)
      const hash = createHash('sha256')
      let size = 0
      await pipeline(part.file, new Transform({
        transform (chunk: Buffer, _enc, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk) }
      }), createWriteStream(absolute))
      if (part.file.truncated) {
        await fs.rm(absolute, { force: true })
        throw new HttpError(413, `file is larger than the upload limit of ${fastify.config.UPLOAD_MAX_BYTES} bytes`, 'file')
      }
      stored = { storagePath: path.relative(fastify.storageDir, absolute), absolute, size, sha256: hash.digest('hex'), name, contentType: part.mimetype }
    }
    if (!stored) throw new HttpError(400, 'no file: send it in a multipart field named "file"', 'file')

    const format = fields.format as FormatId | undefined
    if (format && !formats.some((f: ReferenceFormat) => f.id === format)) {
      await fs.rm(stored.absolute, { force: true })
      throw new HttpError(400, `unknown format "${format}"; expected one of ${formats.map((f: ReferenceFormat) => f.id).join(', ')}`, 'format')
    }
    if (stored.size === 0) {
      await fs.rm(stored.absolute, { force: true })
      throw new HttpError(422, 'the file is empty', 'file')
    }
    // Reject what is not a bibliography now, with a clear message, rather than in a failed task.
    try {
      await openReferenceFile(stored.absolute, { fileName: stored.name, format })
    } catch (err) {
      await fs.rm(stored.absolute, { force: true })
      if (err instanceof UnsupportedFormatError) throw new HttpError(422, err.message, 'file')
      throw err
    }

    const [file] = await db.insert(files).values({
      projectId: project.id, storagePath: stored.storagePath, originalName: stored.name, contentType: stored.contentType,
      size: stored.size, sha256: stored.sha256, origin: 'upload', createdBy: request.user.id
    }).returning()
    const task = await fastify.tasks.submit({
      type: 'import-references', projectId: project.id, createdBy: request.user.id,
      payload: { fileId: file.id, format, sourceDatabase: fields.sourceDatabase || undefined, importLabels: fields.importLabels !== 'false' }
    })
    return reply.status(202).send(toTaskView(task))
  })
}

export default articlesRoutes
