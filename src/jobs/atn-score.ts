import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm'
import { Type } from '@sinclair/typebox'
import { scoreArticle } from '../appraisal/atn.ts'
import { articles, atnScores } from '../db/schema.ts'
import { getAtnCriteria } from '../services/appraisal.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export const AtnScorePayload = Type.Object({})

const BATCH = 1000

/**
 * Scores every live (non-duplicate) article of the project with its ATN criteria set (its own, else
 * the seeded v2.2), then replaces the project's scores in one transaction: a failure or a
 * cancellation leaves the previous scores as they were.
 */
export async function atnScore(ctx: JobContext) {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('ATN scoring task has no project')
  const { set } = await getAtnCriteria(ctx.db, projectId)
  const setVersion = `${set.name} ${set.version}`
  const live = and(eq(articles.projectId, projectId), isNull(articles.duplicateOf))
  const [{ total }] = await ctx.db.select({ total: sql<number>`count(*)::int` }).from(articles).where(live)
  const scores: Array<typeof atnScores.$inferInsert> = []
  const byCategory: Record<string, number> = Object.fromEntries(set.categories.map((c) => [c.label, 0]))
  let after = ''
  for (;;) {
    const rows = await ctx.db.select({ id: articles.id, title: articles.title, abstract: articles.abstract, year: articles.year, keywords: sql<unknown>`${articles.data}->'keywords'` })
      .from(articles).where(and(live, after ? gt(articles.id, after) : undefined)).orderBy(asc(articles.id)).limit(BATCH)
    if (!rows.length) break
    for (const r of rows) {
      const keywords = Array.isArray(r.keywords) ? r.keywords.map(String) : typeof r.keywords === 'string' ? r.keywords : null
      const s = scoreArticle(set, { title: r.title, abstract: r.abstract, year: r.year, keywords })
      byCategory[s.category] = (byCategory[s.category] ?? 0) + 1
      scores.push({ articleId: r.id, projectId, score: s.score, category: s.category, justification: s.justification, setVersion })
    }
    after = rows[rows.length - 1]!.id
    await ctx.progress(0.9 * scores.length / Math.max(total, 1), `scored ${scores.length} of ${total} articles`)
  }
  await ctx.progress(0.9, `storing ${scores.length} scores`)
  await ctx.db.transaction(async (tx) => {
    await tx.delete(atnScores).where(eq(atnScores.projectId, projectId))
    for (let i = 0; i < scores.length; i += BATCH) await tx.insert(atnScores).values(scores.slice(i, i + BATCH))
  })
  await ctx.emit('atn.scored', { scored: scores.length, setVersion })
  return { scored: scores.length, setVersion, byCategory }
}
