/**
 * Shapes shared by several resources. One TypeBox definition per API shape
 * (src/http/schemas/<resource>.ts): routes declare them, services type their
 * results with their `Static<>` types. Kept out of routes/, which autoload reads entirely.
 */
import { Type, type TSchema } from '@sinclair/typebox'

export const Uuid = Type.String({ format: 'uuid' })
export const ProjectParams = Type.Object({ projectId: Uuid })
export const ArticleParams = Type.Object({ projectId: Uuid, articleId: Uuid })

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const Stage = Type.Union([Type.Literal('title_abstract'), Type.Literal('full_text')])
export const DecisionValue = Type.Union([Type.Literal('include'), Type.Literal('exclude'), Type.Literal('maybe')])
export const DecisionFilter = Type.Union([Type.Literal('include'), Type.Literal('exclude'), Type.Literal('maybe'), Type.Literal('undecided')])

/**
 * The pagination convention of every paged list: `page` (from 1) and
 * `pageSize`. Lists answer `{ items, total, page, pageSize }`; the two lists
 * whose body has always been an array (decisions, a project's tasks) give
 * the total in the `X-Total-Count` header instead.
 */
export const pageQuery = (defaultSize: number, maxSize: number) => ({
  page: Type.Integer({ minimum: 1, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: maxSize, default: defaultSize })
})

/**
 * Lists paged with `limit`/`offset` before the convention: those names keep
 * working (an explicit `limit` or `offset` wins over `page`/`pageSize`).
 */
export const legacyPageQuery = (maxSize: number) => ({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: maxSize, description: 'deprecated: pageSize' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, description: 'deprecated: (page - 1) * pageSize' }))
})

export interface PageRequest { page: number; pageSize: number; limit?: number; offset?: number }

/** The rows to read for a page request: `limit`/`offset` when given, else `page`/`pageSize`. */
export function pageWindow(query: PageRequest): { limit: number; offset: number } {
  const limit = query.limit ?? query.pageSize
  return { limit, offset: query.offset ?? (query.page - 1) * (query.limit ?? query.pageSize) }
}

export const Paged = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer()
})

export const ErrorBody = Type.Object({
  statusCode: Type.Integer(), error: Type.String(), message: Type.String(), field: Type.Optional(Type.String())
})

/** A response that is a file or a stream rather than JSON: documented, not serialised. */
export const FileResponse = (contentType: string, description: string) => ({ description, content: { [contentType]: { schema: { type: 'string', format: 'binary' } } } })

/** 204 No Content. */
export const NoContent = Type.Unsafe<void>({ type: 'null', description: 'no content' })
