/** Articles of one project as requests name them: checked to exist there, or shown one at a time. */
import { and, eq, inArray } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles } from '../db/schema.ts'
import { NotFound } from '../errors.ts'
import { getArticle, toArticleView } from './articles.ts'
import { originalOf } from './originals.ts'
import { currentRanking } from './screening-ranking.ts'

/**
 * The articles `ids` of the project, each with the primary of its duplicate
 * cluster; a NotFound naming (up to ten of) those that are not in it.
 */
export async function requireArticles(db: Database, projectId: string, ids: readonly string[], field = 'articleIds'): Promise<Array<{ id: string; duplicateOf: string | null }>> {
  const found = await db.select({ id: articles.id, duplicateOf: articles.duplicateOf }).from(articles)
    .where(and(eq(articles.projectId, projectId), inArray(articles.id, [...ids])))
  if (found.length !== ids.length) {
    const known = new Set(found.map((f) => f.id))
    const missing = ids.filter((id) => !known.has(id))
    throw new NotFound(`article(s) not found in this project: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}`, field)
  }
  return found
}

/** One article with its original record (null when unknown). */
export async function articleDetail(db: Database, projectId: string, articleId: string) {
  const row = await getArticle(db, projectId, articleId)
  if (!row) throw new NotFound('article not found')
  const ranking = await currentRanking(db, projectId, 'title_abstract')
  return { ...toArticleView(row, ranking?.scoreOf(row.id) ?? null), original: await originalOf(db, row) ?? null }
}
