/**
 * Reports of a project: the bibliography of a set of its records in a
 * citation style (or as BibTeX/RIS), and the report workbook (articles,
 * decisions with reasons, PRISMA counts, one sheet per screening stage).
 * Sets and statuses are those of the PRISMA counts (prisma.ts): records
 * without duplicates, statuses from human reviewers and resolutions.
 */
import { PassThrough } from 'node:stream'
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, decisions, robAssessments, users } from '../db/schema.ts'
import { TooLarge } from '../errors.ts'
import { EXPORT_FORMATS, writeExport, type ExportItem } from '../export/index.ts'
import { bibliographyDocx } from '../reporting/docx.ts'
import { formatBibliographyInThread } from '../reporting/reporting-thread.ts'
import { BIBLIOGRAPHY_STYLES, type Bibliography, type BibliographyLocale, type BibliographyOutput, type BibliographyStyle } from '../reporting/bibliography.ts'
import { tableSheet, writeWorkbook, type SheetDefinition, type WorkbookCell } from '../reporting/workbook.ts'
import { robTable, tableCells, tableHeader } from './appraisal.ts'
import { rowToRecord } from './articles.ts'
import { exportItems } from './export.ts'
import { extractionTable, listGrids } from './extraction.ts'
import { listAnalyses } from './meta-analysis.ts'
import type { ProjectCaller } from './screening-actions.ts'
import { exclusionReason, prismaCounts } from './prisma.ts'
import { loadStageDecisions, recordStatus, type RecordDecisions, type RecordStatus } from './screening.ts'
import { getScreeningSettings, STAGES, type Stage } from './screening-settings.ts'

export type BibliographySet = 'included' | 'screened' | 'all'
export type BibliographyFormat = BibliographyOutput | 'docx' | 'bibtex' | 'ris'

export interface ReportFile {
  body: string | Buffer | NodeJS.ReadableStream
  contentType: string
  fileName: string
}

export const fileBase = (project: { name: string }) => project.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'project'

interface StageStatuses {
  decisions: Map<string, RecordDecisions>
  status: (recordId: string) => RecordStatus
}

async function stageStatuses(db: Database, projectId: string): Promise<Record<Stage, StageStatuses> & { reasons: (id: string) => string | null }> {
  const settings = await getScreeningSettings(db, projectId)
  const [titleAbstract, fullText] = await Promise.all(STAGES.map((stage) => loadStageDecisions(db, projectId, stage)))
  const of = (map: Map<string, RecordDecisions>): StageStatuses => ({ decisions: map, status: (id) => recordStatus(map.get(id), settings.reviewersPerRecord) })
  return { title_abstract: of(titleAbstract), full_text: of(fullText), reasons: (id) => exclusionReason(fullText.get(id), settings) }
}

/**
 * The records of a set: 'all' (every record but duplicates), 'screened'
 * (decided at title/abstract), 'included' (included at full text after
 * passing title/abstract: the studies PRISMA counts as included).
 */
export async function setRecordIds(db: Database, projectId: string, set: BibliographySet): Promise<string[] | undefined> {
  if (set === 'all') return undefined
  const statuses = await stageStatuses(db, projectId)
  const ta = statuses.title_abstract
  const passed = (id: string) => ['included', 'maybe'].includes(ta.status(id))
  return set === 'screened'
    ? [...ta.decisions.keys()].filter((id) => ['included', 'excluded', 'maybe'].includes(ta.status(id)))
    : [...statuses.full_text.decisions.keys()].filter((id) => passed(id) && statuses.full_text.status(id) === 'included')
}

/**
 * citeproc formats synchronously, several milliseconds of CPU per reference
 * (bench/reports.ts): more than this many would hold the event loop for
 * seconds. Larger sets are refused (BibTeX and RIS stream any number).
 */
export const MAX_FORMATTED_REFERENCES = 1000

const BIBLIOGRAPHY_TYPES: Record<BibliographyOutput, { extension: string; contentType: string }> = {
  text: { extension: 'txt', contentType: 'text/plain; charset=utf-8' },
  html: { extension: 'html', contentType: 'text/html; charset=utf-8' },
  rtf: { extension: 'rtf', contentType: 'application/rtf' }
}

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'

/** The references of a set formatted in a style (at most MAX_FORMATTED_REFERENCES; more is a 413 naming the set). */
export async function formattedBibliography(db: Database, project: { id: string }, options: {
  style: BibliographyStyle; format: BibliographyOutput; set: BibliographySet; locale?: BibliographyLocale; ownDecisionsOf?: string
}): Promise<Bibliography> {
  const onlyIds = await setRecordIds(db, project.id, options.set)
  if (onlyIds === undefined || onlyIds.length > MAX_FORMATTED_REFERENCES) {
    const [{ n }] = onlyIds ? [{ n: onlyIds.length }] : await db.select({ n: sql<number>`count(*)::int` }).from(articles)
      .where(and(eq(articles.projectId, project.id), isNull(articles.duplicateOf)))
    if (n > MAX_FORMATTED_REFERENCES) {
      throw new TooLarge(`${n} references: a formatted bibliography takes at most ${MAX_FORMATTED_REFERENCES}; choose a smaller set or format=bibtex or ris`, 'set')
    }
  }
  const all: ExportItem[] = []
  for await (const item of exportItems(db, project.id, { stage: 'full_text', includeDuplicates: false, onlyIds, ownDecisionsOf: options.ownDecisionsOf })) all.push(item)
  return formatBibliographyInThread(all, { style: options.style, format: options.format, locale: options.locale })
}

/** The bibliography of a set of the project's records. */
export async function bibliographyFile(db: Database, project: { id: string; name: string }, options: {
  style: BibliographyStyle; format: BibliographyFormat; set: BibliographySet; locale?: BibliographyLocale; ownDecisionsOf?: string
}): Promise<ReportFile> {
  const name = `${fileBase(project)}-bibliography`
  if (options.format === 'bibtex' || options.format === 'ris') {
    const onlyIds = await setRecordIds(db, project.id, options.set)
    const items = exportItems(db, project.id, { stage: 'full_text', includeDuplicates: false, onlyIds, ownDecisionsOf: options.ownDecisionsOf })
    const info = EXPORT_FORMATS[options.format]
    const body = new PassThrough()
    writeExport(options.format, items, body).catch((err: Error) => body.destroy(err))
    return { body, contentType: info.contentType, fileName: `${name}.${info.extension}` }
  }
  if (options.format === 'docx') {
    const { entries } = await formattedBibliography(db, project, { ...options, format: 'html' })
    return { body: await bibliographyDocx(`References (${BIBLIOGRAPHY_STYLES[options.style].label})`, entries), contentType: DOCX, fileName: `${name}-${options.style}.docx` }
  }
  const { body } = await formattedBibliography(db, project, { ...options, format: options.format })
  const info = BIBLIOGRAPHY_TYPES[options.format]
  return { body, contentType: info.contentType, fileName: `${name}-${options.style}.${info.extension}` }
}

const PAGE = 1000

/** The project's records but duplicates, a page at a time, in a stable order. */
async function* projectRecords(db: Database, projectId: string) {
  let after: string | undefined
  for (;;) {
    const rows = await db.select().from(articles)
      .where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf), ...(after ? [gt(articles.id, after)] : [])))
      .orderBy(asc(articles.id)).limit(PAGE)
    yield* rows
    if (rows.length < PAGE) return
    after = rows[rows.length - 1].id
  }
}

/** The PRISMA flow counts as rows (section, box, detail, count), as the workbook and the report show them. */
export function prismaCountRows(counts: Awaited<ReturnType<typeof prismaCounts>>): Array<Record<string, WorkbookCell> & { section: string; box: string; detail?: string | null; count: number }> {
  return [
    ...counts.identification.sources.map((s) => ({ section: 'Identification', box: `Records identified (${s.kind})`, detail: s.sourceDatabase, count: s.records })),
    { section: 'Identification', box: 'Records identified', count: counts.identification.total },
    { section: 'Identification', box: 'Duplicate records removed', count: counts.identification.duplicatesRemoved },
    { section: 'Screening', box: 'Records screened', count: counts.screening.titleAbstract.screened },
    { section: 'Screening', box: 'Records excluded', count: counts.screening.titleAbstract.excluded },
    { section: 'Screening', box: 'Records awaiting screening', count: counts.screening.titleAbstract.awaiting },
    { section: 'Screening', box: 'Reports sought for retrieval', count: counts.screening.fullText.soughtForRetrieval },
    { section: 'Screening', box: 'Reports not retrieved', count: counts.screening.fullText.notRetrieved },
    { section: 'Screening', box: 'Reports assessed for eligibility', count: counts.screening.fullText.assessed },
    ...counts.screening.fullText.exclusionReasons.map((r) => ({ section: 'Screening', box: 'Reports excluded', detail: r.reason, count: r.count })),
    { section: 'Screening', box: 'Reports excluded (total)', count: counts.screening.fullText.excluded },
    { section: 'Included', box: 'Studies included in review', count: counts.included }
  ]
}

const STAGE_LABELS: Record<Stage, string> = { title_abstract: 'Title-abstract screening', full_text: 'Full-text screening' }

/** The sheets of the report workbook, in order: articles, decisions, PRISMA counts, one per stage with decisions. */
export async function reportSheets(db: Database, projectId: string, ownDecisionsOf?: string): Promise<SheetDefinition[]> {
  const [statuses, counts] = await Promise.all([stageStatuses(db, projectId), prismaCounts(db, projectId)])
  const titles = new Map<string, string>()

  async function* articleRows() {
    for await (const row of projectRecords(db, projectId)) {
      const record = rowToRecord(row)
      titles.set(row.id, record.title ?? '')
      yield {
        id: row.id, title: record.title, authors: record.authors.map((a) => (a.given && !a.literal ? `${a.family}, ${a.given}` : a.family)).join('; '),
        year: record.year, journal: record.journal, volume: record.volume, issue: record.issue, pages: record.pages, doi: record.doi,
        pmid: record.pmid, pmcid: record.pmcid, type: record.type, source_database: record.sourceDatabase, keywords: record.keywords.join('; '),
        title_abstract: statuses.title_abstract.status(row.id), full_text: statuses.full_text.decisions.has(row.id) ? statuses.full_text.status(row.id) : null
      }
    }
  }

  async function* decisionRows() {
    let after: { createdAt: Date; id: string } | undefined
    for (;;) {
      const rows = await db.select({
        id: decisions.id, articleId: decisions.articleId, stage: decisions.stage, decision: decisions.decision, reason: decisions.reason,
        note: decisions.note, tags: decisions.tags, source: decisions.source, model: decisions.model, createdAt: decisions.createdAt,
        reviewer: sql<string | null>`coalesce(${users.email}, ${users.name})`, title: articles.title
      }).from(decisions).leftJoin(users, eq(users.id, decisions.reviewerId)).innerJoin(articles, eq(articles.id, decisions.articleId))
        .where(and(eq(decisions.projectId, projectId), ownDecisionsOf ? eq(decisions.reviewerId, ownDecisionsOf) : undefined,
          after ? sql`(${decisions.createdAt}, ${decisions.id}) > (${after.createdAt}, ${after.id})` : undefined))
        .orderBy(asc(decisions.createdAt), asc(decisions.id)).limit(PAGE)
      for (const d of rows) {
        yield {
          article_id: d.articleId, title: d.title, stage: d.stage, decision: d.decision, reason: d.reason, note: d.note, tags: d.tags.join('; '),
          source: d.source, reviewer: d.reviewer ?? d.model, date: d.createdAt
        }
      }
      if (rows.length < PAGE) return
      after = rows[rows.length - 1]
    }
  }

  const prismaRows = prismaCountRows(counts)

  const stageSheets = STAGES.filter((stage) => statuses[stage].decisions.size > 0).map((stage): SheetDefinition => ({
    name: STAGE_LABELS[stage],
    columns: [{ key: 'article_id', width: 38 }, { key: 'title', width: 60 }, { key: 'status' }, ...(stage === 'full_text' ? [{ key: 'exclusion_reason', width: 30 }] : []),
      ...(ownDecisionsOf ? [] : [{ key: 'include' }, { key: 'exclude' }, { key: 'maybe' }])],
    rows: (function* () {
      for (const [id, record] of statuses[stage].decisions) {
        const status = statuses[stage].status(id)
        const votes = (value: string) => record.human.filter((d) => d.decision === value).length
        yield {
          article_id: id, title: titles.get(id), status,
          exclusion_reason: stage === 'full_text' && status === 'excluded' ? statuses.reasons(id) : null,
          include: votes('include'), exclude: votes('exclude'), maybe: votes('maybe')
        }
      }
    })()
  }))

  return [
    {
      name: 'Articles',
      columns: ['id', 'title', 'authors', 'year', 'journal', 'volume', 'issue', 'pages', 'doi', 'pmid', 'pmcid', 'type', 'source_database', 'keywords', 'title_abstract', 'full_text']
        .map((key) => ({ key, ...(key === 'title' ? { width: 60 } : key === 'id' ? { width: 38 } : {}) })),
      rows: articleRows()
    },
    {
      name: 'Decisions',
      columns: ['article_id', 'title', 'stage', 'decision', 'reason', 'note', 'tags', 'source', 'reviewer', 'date'].map((key) => ({ key })),
      rows: decisionRows()
    },
    { name: 'PRISMA', columns: [{ key: 'section' }, { key: 'box', width: 40 }, { key: 'detail', width: 30 }, { key: 'count' }], rows: prismaRows },
    ...stageSheets
  ]
}

/**
 * The sheets of the later stages, as the caller may see them: each extraction grid's consensus table,
 * the risk-of-bias table of each tool used (consensus, else the caller's own assessments, as the
 * API's table), and one row per stored meta-analysis.
 */
export async function reviewSheets(db: Database, caller: ProjectCaller): Promise<SheetDefinition[]> {
  const sheets: SheetDefinition[] = []
  const projectId = caller.project.id
  for (const grid of await listGrids(db, projectId)) {
    const table = await extractionTable(db, caller, { gridId: grid.id, variant: 'consensus' })
    if (table.rows.length > 0) sheets.push(tableSheet(`Extraction ${table.name}`, table.header, table.rows))
  }
  const tools = await db.selectDistinct({ tool: robAssessments.tool }).from(robAssessments).where(eq(robAssessments.projectId, projectId)).orderBy(asc(robAssessments.tool))
  for (const { tool: toolId } of tools) {
    const { tool, rows } = await robTable(db, caller, toolId)
    if (rows.length > 0) sheets.push(tableSheet(`Risk of bias ${tool.id}`, tableHeader(tool), rows.map((r) => tableCells(tool, r))))
  }
  const analyses = await listAnalyses(db, projectId)
  if (analyses.length > 0) {
    sheets.push({
      name: 'Meta-analyses',
      columns: ['name', 'kind', 'measure', 'method', 'k', 'estimate', 'ci_lower', 'ci_upper', 'library_version', 'updated_at'].map((key) => ({ key })),
      rows: analyses.map((a) => ({
        name: a.name, kind: a.kind, measure: a.measure, method: a.method, k: a.k, estimate: a.estimate, ci_lower: a.ciLb, ci_upper: a.ciUb,
        library_version: a.libraryVersion, updated_at: a.updatedAt
      }))
    })
  }
  return sheets
}

/** The report workbook as a stream (written as it is read; a failure ends the stream with the error). */
export async function reportWorkbookFile(db: Database, project: { id: string; name: string }, log: { error: (obj: object, msg: string) => void }, ownDecisionsOf?: string, extraSheets: SheetDefinition[] = []): Promise<ReportFile> {
  const sheets = [...await reportSheets(db, project.id, ownDecisionsOf), ...extraSheets]
  const body = new PassThrough()
  writeWorkbook(sheets, body).catch((err: Error) => {
    log.error({ err }, 'report workbook failed')
    body.destroy(err)
  })
  return { body, contentType: EXPORT_FORMATS.xlsx.contentType, fileName: `${fileBase(project)}-report.xlsx` }
}
