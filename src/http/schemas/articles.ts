import { Type, type Static } from '@sinclair/typebox'
import { DecisionFilter, Nullable, Paged, Stage, pageQuery } from './common.ts'

export const Author = Type.Object({}, { additionalProperties: true, description: 'family, given, literal, orcid, affiliation…' })

export const Article = Type.Object({
  id: Type.String(), title: Type.String(), abstract: Type.String(), authors: Type.Array(Author), year: Nullable(Type.Integer()),
  journal: Nullable(Type.String()), volume: Nullable(Type.String()), issue: Nullable(Type.String()), pages: Nullable(Type.String()),
  doi: Nullable(Type.String()), pmid: Nullable(Type.String()), pmcid: Nullable(Type.String()), arxivId: Nullable(Type.String()),
  type: Type.String(), sourceDatabase: Nullable(Type.String()), batchId: Nullable(Type.String()), duplicateOf: Nullable(Type.String()),
  keywords: Type.Array(Type.String()), mesh: Type.Array(Type.String()), url: Nullable(Type.String()), createdAt: Type.String(),
  decision: Type.Optional(Nullable(Type.String({ description: 'the latest decision at the requested stage, any reviewer' }))),
  relevance: Nullable(Type.Number())
})

export const ArticleDetail = Type.Composite([Article, Type.Object({
  original: Type.Unknown({ description: 'the record as the file or the database gave it; null when unknown' })
})])

export const ArticleSort = Type.Union([Type.Literal('createdAt'), Type.Literal('title'), Type.Literal('year'), Type.Literal('journal'), Type.Literal('atn')], { description: 'atn: by ATN score (unscored articles below every score)' })

export const ArticleListQuery = Type.Object({
  ...pageQuery(50, 500),
  sort: Type.Union(ArticleSort.anyOf, { default: 'createdAt' }),
  order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'words searched in title and abstract (web search syntax)' })),
  decision: Type.Optional(DecisionFilter),
  stage: Type.Optional(Stage),
  includeDuplicates: Type.Boolean({ default: false }),
  minAtn: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'only articles whose ATN score is at least this' }))
}, { additionalProperties: false })
export type ArticleListQuery = Static<typeof ArticleListQuery>

export const ArticlePage = Paged(Article)
