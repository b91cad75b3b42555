import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Uuid } from './common.ts'
import { Task } from './tasks.ts'

/** The multipart body of `POST …/articles/:articleId/fulltext`, as documented (the route reads the parts as a stream). */
export const FullTextMultipart = {
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', format: 'binary', description: 'the PDF (at most FULLTEXT_MAX_BYTES)' } }
}

export const FullTextUpload = Type.Object({
  articleId: Type.String(), fileId: Type.String(), sha256: Type.String(), size: Type.Integer(),
  duplicate: Type.Boolean({ description: 'the project already had this PDF: it was linked, not stored again' }),
  task: Nullable(Task)
})

export const ExtractBody = Type.Object({
  articleIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 5000, uniqueItems: true, description: 'default: every article with a full text' })),
  force: Type.Optional(Type.Boolean({ description: 'extract again files already extracted (default false)' }))
}, { additionalProperties: false })
export type ExtractBody = Static<typeof ExtractBody>

export const PagesQuery = Type.Object({
  from: Type.Integer({ minimum: 1, default: 1 }),
  to: Type.Optional(Type.Integer({ minimum: 1, description: 'default: from + 49' }))
})

export const FullTextPages = Type.Object({
  articleId: Type.String(), fileId: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  pageCount: Type.Integer(), extractorVersion: Type.String(), extractedAt: Type.String(),
  sections: Type.Array(Type.Object({ name: Type.String(), page: Type.Integer(), offset: Type.Integer() })),
  ocrPages: Type.Array(Type.Object({ page: Type.Integer(), status: Type.String(), reason: Type.Optional(Type.String()) })),
  pages: Type.Array(Type.Object({ number: Type.Integer(), text: Type.String() }))
})

export const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 500, examples: ['therapeutic alliance'], description: 'websearch syntax: words, "a phrase", or, -excluded' }),
  page: Type.Integer({ minimum: 1, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 })
})

export const SearchHit = Type.Object({
  articleId: Type.String(), title: Type.String(), fileId: Type.String(), page: Type.Integer(),
  snippet: Type.String({ description: 'matches between « and »' }), rank: Type.Number()
})

/** The multipart body of `POST …/fulltext/bulk`. */
export const BulkMultipart = {
  type: 'object',
  required: ['files'],
  properties: { files: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'PDFs (each at most FULLTEXT_MAX_BYTES) and/or ZIP archives of PDFs (any folder depth)' } }
}

export const BulkUpload = Type.Object({
  task: Task,
  stored: Type.Array(Type.Object({ fileId: Type.String(), fileName: Type.String(), duplicate: Type.Boolean() })),
  archives: Type.Array(Type.Object({ fileId: Type.String(), fileName: Type.String(), entries: Type.Integer({ description: 'files in the archive; its PDFs are read by the task' }) })),
  rejected: Type.Array(Type.Object({ fileName: Type.String(), reason: Type.String() }))
})

export const FileParams = Type.Object({ projectId: Uuid, fileId: Uuid })
export const MatchBody = Type.Object({ articleId: Uuid }, { additionalProperties: false })
export const MatchResult = Type.Object({ articleId: Type.String(), fileId: Type.String() })

export const UnmatchedQuery = Type.Object({
  status: Type.Union([Type.Literal('unmatched'), Type.Literal('all')], { default: 'unmatched', description: 'unmatched: PDFs no article links; all: every stored PDF' }),
  page: Type.Integer({ minimum: 1, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 50 })
})
export type UnmatchedQuery = Static<typeof UnmatchedQuery>

export const StoredFile = Type.Object({
  fileId: Type.String(), fileName: Type.String(), size: Type.Integer(), sha256: Type.String(), origin: Type.String(), uploadedAt: Type.String(),
  taskId: Nullable(Type.String({ description: 'the task that brought the file in (bulk upload, ZIP, Zotero import)' })),
  taskType: Nullable(Type.String()),
  articleIds: Type.Array(Type.String(), { description: 'articles whose full text it is (empty: unmatched)' }),
  extraction: Nullable(Type.Object({ status: Type.String(), title: Nullable(Type.String()), doi: Nullable(Type.String()), pmid: Nullable(Type.String()) })),
  candidates: Type.Array(Type.Object({ articleId: Type.String(), title: Type.String(), year: Nullable(Type.Integer()), score: Type.Number({ description: 'title similarity (0–1) with the PDF\'s title or file name' }) }), {
    description: 'for an unmatched file: the best articles without a full text, best first (at most 3)'
  })
})
