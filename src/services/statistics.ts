/**
 * Descriptive statistics and the concept graph of a project's records: the
 * record set (all live records, those screened, or those included) read
 * once, then counted by src/synthesis/descriptive.
 *
 * "Included" is included at full text; in a project where nobody has made a
 * full-text decision yet (a scoping review screened in one stage), included
 * at title/abstract; the answer says which (`includedAt`). "Screened" is what
 * PRISMA counts as screened: settled at title/abstract (included, excluded or
 * maybe). Statuses are screening.ts's: human reviewers and resolutions.
 */
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles } from '../db/schema.ts'
import { barChartSvg } from '../charts/bar-chart.ts'
import { categoricalTerms, conceptGraph, countBy, crossTabulate, toGraphml, type Dimension, type RecordFacts } from '../synthesis/descriptive/index.ts'
import { Invalid } from '../errors.ts'
import { gridFields } from '../extraction/grid.ts'
import { groundedConceptsByArticle } from './llm-concepts.ts'
import { chosenExtractions, type ChosenExtraction } from './synthesis.ts'
import { loadStageDecisions, recordStatus } from './screening.ts'
import { getScreeningSettings } from './screening-settings.ts'

export type RecordSet = 'included' | 'screened' | 'all'
type Facts = RecordFacts & { id: string }

const strings = (value: unknown): string[] => Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : []

/** The facts of the records of a set, and for "included" the stage that decided it. */
async function recordSet(db: Database, projectId: string, set: RecordSet): Promise<{ records: Facts[], includedAt?: 'full_text' | 'title_abstract' }> {
  const rows = await db.select({
    id: articles.id, year: articles.year, journal: articles.journal, type: articles.type, database: articles.sourceDatabase,
    keywords: sql<unknown>`${articles.data}->'keywords'`, country: sql<unknown>`${articles.data}->'country'`
  }).from(articles).where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf))).orderBy(articles.createdAt, articles.sourceIndex, articles.id)
  const facts = rows.map((r): Facts => ({
    id: r.id, year: r.year, journal: r.journal, design: r.type, database: r.database, keywords: strings(r.keywords), country: strings(r.country)
  }))
  if (set === 'all') return { records: facts }
  const settings = await getScreeningSettings(db, projectId)
  const titleAbstract = await loadStageDecisions(db, projectId, 'title_abstract')
  const taStatus = (id: string) => recordStatus(titleAbstract.get(id), settings.reviewersPerRecord)
  if (set === 'screened') return { records: facts.filter((f) => ['included', 'excluded', 'maybe'].includes(taStatus(f.id))) }
  const fullText = await loadStageDecisions(db, projectId, 'full_text')
  if (fullText.size === 0) return { records: facts.filter((f) => taStatus(f.id) === 'included'), includedAt: 'title_abstract' }
  return {
    records: facts.filter((f) => ['included', 'maybe'].includes(taStatus(f.id)) && recordStatus(fullText.get(f.id), settings.reviewersPerRecord) === 'included'),
    includedAt: 'full_text'
  }
}

export interface StatisticsQuery { set: RecordSet, by?: Dimension, by2?: Dimension, limit: number }

export async function projectStatistics(db: Database, projectId: string, query: StatisticsQuery) {
  if (query.by2 && !query.by) throw new Invalid('by2 cross-tabulates with by: give both', 'by2')
  if (query.by2 && query.by2 === query.by) throw new Invalid('by and by2 must be different dimensions', 'by2')
  const { records, includedAt } = await recordSet(db, projectId, query.set)
  const dimensions = query.by ? [query.by, ...(query.by2 ? [query.by2] : [])] : ['year', 'journal', 'country', 'design', 'keyword', 'database'] as Dimension[]
  return {
    set: query.set, ...(includedAt ? { includedAt } : {}), total: records.length,
    dimensions: Object.fromEntries(dimensions.map((d) => [d, countBy(records, d, query.limit)])),
    ...(query.by && query.by2 ? { crosstab: { by: query.by, by2: query.by2, cells: crossTabulate(records, query.by, query.by2, query.limit) } } : {})
  }
}

const DIMENSION_NAMES: Record<Dimension, string> = {
  year: 'Publication year', journal: 'Journal', country: 'Country', design: 'Study design (publication type)', keyword: 'Keyword', database: 'Database'
}
const SET_NAMES: Record<RecordSet, string> = { included: 'included records', screened: 'screened records', all: 'all records' }

export async function statisticsChart(db: Database, projectId: string, dimension: Dimension, set: RecordSet, limit: number): Promise<string> {
  const { records } = await recordSet(db, projectId, set)
  const { counts } = countBy(records, dimension, limit)
  return barChartSvg(counts.map((c) => ({ label: c.value, value: c.count })), {
    title: `${DIMENSION_NAMES[dimension]}: ${SET_NAMES[set]} (n = ${records.length})`, axisLabel: 'Records'
  })
}

export interface ConceptQuery { set: RecordSet, minCount: number, maxNodes: number, extraction: boolean, llm: boolean }

/**
 * The concept graph of a record set: keywords; with `extraction` the categorical values of each
 * record's extraction (consensus first, as the synthesis chooses); with `llm` the grounded concepts of
 * the latest LLM concept run.
 */
export async function projectConcepts(db: Database, projectId: string, query: ConceptQuery) {
  const { records, includedAt } = await recordSet(db, projectId, query.set)
  const extracted = query.extraction ? await chosenExtractions(db, projectId, records.map((r) => r.id)) : new Map<string, ChosenExtraction[]>()
  const llmConcepts = query.llm ? await groundedConceptsByArticle(db, projectId) : new Map<string, string[]>()
  const graph = conceptGraph(records.map((r) => ({
    keyword: r.keywords,
    'extraction-value': (extracted.get(r.id) ?? []).flatMap((e) => categoricalTerms(gridFields(e.definition), e.values)),
    'llm-concept': llmConcepts.get(r.id) ?? []
  })), { minCount: query.minCount, maxNodes: query.maxNodes })
  return { set: query.set, ...(includedAt ? { includedAt } : {}), records: records.length, ...graph }
}

export { toGraphml }
