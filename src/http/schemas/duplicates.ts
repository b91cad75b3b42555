import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Paged, Uuid, legacyPageQuery, pageQuery } from './common.ts'

export const ArticleIds = Type.Object({ articleIds: Type.Array(Uuid, { minItems: 2, maxItems: 100, uniqueItems: true }) }, { additionalProperties: false })
export const SplitBody = Type.Object({ articleId: Uuid }, { additionalProperties: false })

export const ClusterMember = Type.Object({
  id: Type.String(), title: Type.String(), year: Nullable(Type.Integer()), doi: Nullable(Type.String()), pmid: Nullable(Type.String()),
  journal: Nullable(Type.String()), firstAuthor: Nullable(Type.String()), sourceDatabase: Nullable(Type.String()), confirmed: Type.Boolean()
})
export const Cluster = Type.Object({ primaryId: Type.String(), members: Type.Array(ClusterMember) })
export type ClusterView = Static<typeof Cluster>

export const ClusterListQuery = Type.Object({ ...pageQuery(50, 500), ...legacyPageQuery(500) }, { additionalProperties: false })
export const ClusterPage = Paged(Cluster)
