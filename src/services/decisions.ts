import { and, desc, eq, type SQL } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { decisions, users } from '../db/schema.ts'

export type DecisionRow = typeof decisions.$inferSelect

export interface DecisionInput {
  articleId: string
  reviewerId: string
  stage: 'title_abstract' | 'full_text'
  decision: 'include' | 'exclude' | 'maybe'
  reason?: string
  note?: string
}

/** Decisions are appended, never updated: the history of every reviewer's choices is kept. */
export async function recordDecision(db: Database, projectId: string, input: DecisionInput): Promise<DecisionRow> {
  const [row] = await db.insert(decisions).values({ projectId, ...input, source: 'human' }).returning()
  return row
}

export async function listDecisions(db: Database, projectId: string, filter: { stage?: string; articleId?: string; reviewerId?: string; limit: number; offset: number }) {
  const where: SQL[] = [eq(decisions.projectId, projectId)]
  if (filter.stage) where.push(eq(decisions.stage, filter.stage as DecisionRow['stage']))
  if (filter.articleId) where.push(eq(decisions.articleId, filter.articleId))
  if (filter.reviewerId) where.push(eq(decisions.reviewerId, filter.reviewerId))
  const rows = await db.select({ decision: decisions, reviewerEmail: users.email }).from(decisions)
    .leftJoin(users, eq(users.id, decisions.reviewerId))
    .where(and(...where)).orderBy(desc(decisions.createdAt), desc(decisions.id)).limit(filter.limit).offset(filter.offset)
  return rows.map((r) => toDecisionView(r.decision, r.reviewerEmail))
}

export function toDecisionView(row: DecisionRow, reviewerEmail: string | null = null) {
  return {
    id: row.id, articleId: row.articleId, reviewerId: row.reviewerId, reviewerEmail, stage: row.stage, decision: row.decision,
    reason: row.reason, note: row.note, source: row.source, createdAt: row.createdAt.toISOString()
  }
}
