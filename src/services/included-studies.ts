/**
 * The included studies of a project, as synthesis uses them: included at
 * full text (after passing title/abstract); in a project where nobody has made
 * a full-text decision yet, included at title/abstract (the rule of the
 * descriptive statistics, statistics.ts). Duplicates are left out. Each comes
 * with its citation key (src/synthesis/citations.ts), in a stable order
 * (first author, year, title).
 */
import { and, eq, inArray, isNull } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles } from '../db/schema.ts'
import { citationKeys } from '../synthesis/citations.ts'
import { loadStageDecisions, recordStatus } from './screening.ts'
import { getScreeningSettings } from './screening-settings.ts'

export interface IncludedStudy {
  id: string
  key: string
  title: string
  authors: Array<{ family?: string; given?: string }>
  year: number | null
  journal: string | null
  doi: string | null
  type: string
  abstract: string
}

export async function includedStudies(db: Database, projectId: string): Promise<{ studies: IncludedStudy[]; includedAt: 'full_text' | 'title_abstract' }> {
  const settings = await getScreeningSettings(db, projectId)
  const [titleAbstract, fullText] = await Promise.all([loadStageDecisions(db, projectId, 'title_abstract'), loadStageDecisions(db, projectId, 'full_text')])
  const ta = (id: string) => recordStatus(titleAbstract.get(id), settings.reviewersPerRecord)
  const includedAt = fullText.size === 0 ? 'title_abstract' as const : 'full_text' as const
  const ids = includedAt === 'title_abstract'
    ? [...titleAbstract.keys()].filter((id) => ta(id) === 'included')
    : [...fullText.keys()].filter((id) => ['included', 'maybe'].includes(ta(id)) && recordStatus(fullText.get(id), settings.reviewersPerRecord) === 'included')
  const rows: Array<Omit<IncludedStudy, 'key' | 'authors'> & { authors: unknown }> = []
  for (let i = 0; i < ids.length; i += 5000) {
    rows.push(...await db.select({
      id: articles.id, title: articles.title, authors: articles.authors, year: articles.year, journal: articles.journal, doi: articles.doi,
      type: articles.type, abstract: articles.abstract
    }).from(articles).where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf), inArray(articles.id, ids.slice(i, i + 5000)))))
  }
  const authorsOf = (value: unknown) => (Array.isArray(value) ? value as IncludedStudy['authors'] : [])
  const sortName = (r: typeof rows[number]) => `${authorsOf(r.authors)[0]?.family ?? r.title}`.toLowerCase()
  rows.sort((a, b) => sortName(a).localeCompare(sortName(b)) || (a.year ?? 0) - (b.year ?? 0) || a.title.localeCompare(b.title) || a.id.localeCompare(b.id))
  const keys = citationKeys(rows.map((r) => ({ id: r.id, authors: authorsOf(r.authors), year: r.year, title: r.title })))
  return { studies: rows.map((r) => ({ ...r, authors: authorsOf(r.authors), key: keys.get(r.id)! })), includedAt }
}
