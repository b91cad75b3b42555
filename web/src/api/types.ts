/** Shapes the UI reads from responses the OpenAPI document leaves undescribed (see api/client.ts `call`). */
export type Decision = 'include' | 'exclude' | 'maybe'
export type Stage = 'title_abstract' | 'full_text'

export interface User { id: string; email: string; name: string; isAdmin: boolean }
export interface Author { family?: string; given?: string; literal?: string }
export interface Article {
  id: string; title: string; abstract: string; authors: Author[]; year: number | null; journal: string | null
  volume: string | null; issue: string | null; pages: string | null; doi: string | null; pmid: string | null
  pmcid: string | null; arxivId: string | null; type: string | null; sourceDatabase: string | null
  batchId: string | null; duplicateOf: string | null; keywords: string[]; mesh: string[]; url: string | null
  createdAt: string; relevance: number | null; decision?: Decision | null; original?: unknown; status?: string
}
export interface ArticlePage { items: Article[]; total: number; page: number; pageSize: number }
export interface NextRecord { article: Article | null; rankedBy: 'model' | 'llm' | 'random' | null; score: number | null; remaining: number }
export interface ScreeningStats {
  stage: Stage; records: number; screened: number; unscreened: number
  statusCounts: Record<'awaiting' | 'conflict' | 'included' | 'excluded' | 'maybe', number>
  includesFound: number; sinceLastInclude: number
  remainingRelevant: { method: string; estimate: number | null; upper: number | null; assumptions: string }
  knee: { stop: boolean; kneeAt: number; slopeRatio: number | null; requiredRatio: number; [key: string]: unknown }
  gain: Array<[number, number]>
  model: { classifier: string; labelled: number; includes: number; trainedAt: string } | null
}
export interface Task {
  id: string; projectId: string | null; type: string; status: string; progress: number; message: string | null
  result: unknown; error: string | null; createdAt: string; finishedAt: string | null
}
export interface ClusterMember {
  id: string; title: string; year: number | null; doi: string | null; pmid: string | null; journal: string | null
  firstAuthor: string | null; sourceDatabase: string | null; confirmed: boolean
}
export interface DuplicateCluster { primaryId: string; members: ClusterMember[] }

export function authorsText(authors: Author[]): string {
  return authors.map((a) => a.literal ?? [a.family, a.given].filter(Boolean).join(', ')).join('; ')
}
