/**
 * The report document (DOCX) and the report bundle (ZIP) of a project. Every
 * number comes from the services the API answers with (PRISMA counts,
 * agreement, extraction and risk-of-bias tables, stored meta-analyses,
 * bibliography); this module only gathers and lays them out. Both are built
 * by background tasks (src/jobs/report.ts) that store the file in the
 * project's storage, downloadable through GET /reports/:taskId/download.
 */
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { and, asc, desc, eq, inArray } from 'drizzle-orm'
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate'
import type { Database } from '../db/index.ts'
import { articles, files, robAssessments, synthesisDrafts, tasks as tasksTable } from '../db/schema.ts'
import { Conflict, Forbidden, NotFound } from '../errors.ts'
import { csvLine } from '../export/csv.ts'
import { BIBLIOGRAPHY_STYLES, type BibliographyLocale, type BibliographyStyle } from '../reporting/bibliography.ts'
import { CHECKLISTS, getChecklist, checklistCsv, checklistXlsx } from '../reporting/checklists/index.ts'
import { checklistDocx, REPORT_SECTIONS, reportDocx, type ReportContent, type ReportLanguage, type ReportSection } from '../reporting/docx.ts'
import { diagramInput, prismaDiagramSvg } from '../reporting/prisma-diagram.ts'
import { svgToPng } from '../reporting/render.ts'
import { workbookBuffer, workbookCell, type SheetDefinition } from '../reporting/workbook.ts'
import type { MetaAnalysisResult } from '../synthesis/meta-analysis/index.ts'
import { trafficLightPlot, summaryPlot } from '../appraisal/robvis.ts'
import { robTable } from './appraisal.ts'
import { projectChecklist } from './checklists.ts'
import { extractionTable, listGrids } from './extraction.ts'
import { rowToRecord } from './articles.ts'
import { stageAgreement } from './agreement.ts'
import { analysisPlot, getAnalysis, listAnalyses } from './meta-analysis.ts'
import { blindScope, projectStorageDir } from './projects.ts'
import { batchSources, prismaCounts } from './prisma.ts'
import { bibliographyFile, fileBase, formattedBibliography, prismaCountRows, reportSheets, reviewSheets, setRecordIds, type ReportFile } from './reports.ts'
import { listSearchRuns } from './search.ts'
import type { ProjectCaller } from './screening-actions.ts'
import type { TaskView } from '../http/schemas/tasks.ts'
import type { TaskService } from '../tasks/service.ts'
import { toTaskView } from '../tasks/store.ts'
import { getScreeningSettings, STAGES } from './screening-settings.ts'

export const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
export const ZIP_TYPE = 'application/zip'

export interface ReportOptions {
  style: BibliographyStyle
  language: ReportLanguage
  /** The sections of the report (all by default). */
  sections?: ReportSection[]
}

type Progress = (fraction: number, message: string) => Promise<void>
const noProgress: Progress = async () => {}

/** The locale of the references for the report's language (the style's own in English). */
const localeOf = (language: ReportLanguage): BibliographyLocale | undefined => language === 'fr' ? 'fr-FR' : undefined

/**
 * The synthesis section: the project's latest LLM synthesis draft (src/services/synthesis.ts), its
 * sections one after the other, with the model that wrote it; null when none was generated.
 */
export async function synthesisDraft(db: Database, projectId: string): Promise<{ text: string; model?: string } | null> {
  const [row] = await db.select({ sections: synthesisDrafts.sections, model: synthesisDrafts.model }).from(synthesisDrafts)
    .where(eq(synthesisDrafts.projectId, projectId)).orderBy(desc(synthesisDrafts.version)).limit(1)
  if (!row) return null
  const sections = row.sections as Array<{ name: string; text: string }>
  return { text: sections.map((s) => s.text.trim()).filter(Boolean).join('\n\n'), model: row.model }
}

interface Figures {
  prisma: { svg: string; png: Buffer }
  rob: Array<{ tool: string; toolId: string; trafficLight: { svg: string; png: Buffer }; summary: { svg: string; png: Buffer } }>
  analyses: Array<{ id: string; name: string; forest: { svg: string; png: Buffer }; funnel: { svg: string; png: Buffer }; result: MetaAnalysisResult; measure: string }>
}

const withPng = async (svg: string) => ({ svg, png: await svgToPng(svg) })

/** Everything in the report but its layout, and the figures (SVG and PNG) the bundle also holds. */
export async function reportContent(db: Database, caller: ProjectCaller, options: ReportOptions, progress: Progress = noProgress): Promise<{ content: ReportContent; figures: Figures }> {
  const { project } = caller
  const projectId = project.id
  const sections = options.sections?.length ? REPORT_SECTIONS.filter((s) => options.sections!.includes(s)) : [...REPORT_SECTIONS]
  await progress(0.05, 'counting the PRISMA flow')
  const [counts, sources, runs, settings, grids, tools] = await Promise.all([
    prismaCounts(db, projectId), batchSources(db, projectId), listSearchRuns(db, projectId), getScreeningSettings(db, projectId), listGrids(db, projectId),
    db.selectDistinct({ tool: robAssessments.tool }).from(robAssessments).where(eq(robAssessments.projectId, projectId)).orderBy(asc(robAssessments.tool))
  ])
  const agreements = await Promise.all(STAGES.map((stage) => stageAgreement(db, projectId, stage)))

  // Sources: one row per kind of source and database, with the date of its last import or search.
  const bySource = new Map<string, { kind: string; database: string | null; records: number; lastDate: string | null }>()
  for (const s of sources) {
    const key = `${s.kind}\u0000${s.sourceDatabase ?? ''}`
    const date = new Date(s.date).toISOString().slice(0, 10)
    const row = bySource.get(key) ?? { kind: s.kind, database: s.sourceDatabase, records: 0, lastDate: null }
    row.records += s.records
    if (!row.lastDate || date > row.lastDate) row.lastDate = date
    bySource.set(key, row)
  }

  await progress(0.15, 'drawing the PRISMA diagram')
  const prisma = await withPng(prismaDiagramSvg(diagramInput(counts, counts.overrides), { title: project.name }))

  await progress(0.25, 'characteristics of the included studies')
  let characteristics: ReportContent['characteristics'] = { source: 'metadata', header: [], rows: [] }
  for (const grid of grids) {
    const table = await extractionTable(db, caller, { gridId: grid.id, variant: 'consensus' })
    if (table.rows.length) {
      characteristics = { source: 'extraction', grid: table.name, header: table.header.slice(1), rows: table.rows.map((r) => r.slice(1).map(String)) }
      break
    }
  }
  if (characteristics.source === 'metadata') {
    const ids = await setRecordIds(db, projectId, 'included') ?? []
    const rows = ids.length ? await db.select().from(articles).where(and(eq(articles.projectId, projectId), inArray(articles.id, ids))).orderBy(asc(articles.year), asc(articles.title)) : []
    characteristics = {
      source: 'metadata',
      header: ['Study', 'Title', 'Journal', 'Year', 'Type', 'DOI'],
      rows: rows.map((row) => {
        const r = rowToRecord(row)
        const first = r.authors[0]
        const study = `${first ? first.family || first.literal || '' : ''}${r.authors.length > 1 ? ' et al.' : ''}`.trim()
        return [study, r.title ?? '', r.journal ?? '', r.year === null || r.year === undefined ? '' : String(r.year), r.type ?? '', r.doi ?? '']
      })
    }
  }

  await progress(0.35, 'risk-of-bias figures')
  const rob: Figures['rob'] = []
  for (const { tool: toolId } of tools) {
    const { tool, rows } = await robTable(db, caller, toolId)
    if (!rows.length) continue
    const plotRows = rows.map((r) => ({ study: r.study, domains: r.domains, overall: r.overall }))
    rob.push({ tool: tool.name, toolId: tool.id, trafficLight: await withPng(trafficLightPlot(tool, plotRows)), summary: await withPng(summaryPlot(tool, plotRows)) })
  }

  await progress(0.5, 'forest and funnel plots')
  const analyses: Figures['analyses'] = []
  for (const summary of (await listAnalyses(db, projectId)).reverse()) {
    const analysis = await getAnalysis(db, projectId, summary.id)
    const result = analysis.result as MetaAnalysisResult
    analyses.push({
      id: summary.id, name: summary.name, measure: summary.measure, result,
      forest: await withPng(String(await analysisPlot(db, projectId, summary.id, 'forest', 'svg'))),
      funnel: await withPng(String(await analysisPlot(db, projectId, summary.id, 'funnel', 'svg')))
    })
  }

  await progress(0.65, 'formatting the references')
  const references = sections.includes('references')
    ? await formattedBibliography(db, project, { style: options.style, format: 'html', set: 'included', locale: localeOf(options.language), ownDecisionsOf: blindScope(project, caller.role, caller.user.id) })
    : { entries: [] }

  const content: ReportContent = {
    title: project.name,
    question: project.question,
    description: project.description,
    generatedAt: new Date(),
    sections,
    methods: {
      sources: [...bySource.values()],
      searches: [...runs].reverse().map((r) => ({
        database: r.databaseLabel, query: r.queryAsSent ?? r.query, date: (r.finishedAt ?? r.createdAt).slice(0, 10), hits: r.totalHits, retrieved: r.retrieved
      })),
      screening: {
        reviewersPerRecord: settings.reviewersPerRecord,
        blind: settings.blind,
        stages: agreements.map((a) => {
          const k = a.cohen ?? a.fleiss
          return {
            stage: a.stage, reviewers: a.reviewers.length, pairedRecords: a.counts.recordsWithTwoOrMoreReviewers,
            percentAgreement: k?.percentAgreement ?? null, kappa: k?.kappa ?? null, kappaKind: a.cohen ? 'Cohen' : a.fleiss ? 'Fleiss' : null, interpretation: k?.interpretation ?? null
          }
        })
      },
      extractionGrids: grids.map((g) => g.name),
      robTools: rob.map((r) => r.tool)
    },
    prisma: { png: prisma.png, rows: prismaCountRows(counts) },
    characteristics,
    rob: rob.map((r) => ({ tool: r.tool, trafficLight: r.trafficLight.png, summary: r.summary.png })),
    forest: analyses.map((a) => ({
      name: a.name, png: a.forest.png, measure: a.measure, method: a.result.method, k: a.result.pooled.k, estimate: a.result.pooled.estimate,
      ciLb: a.result.pooled.ciLb, ciUb: a.result.pooled.ciUb, level: a.result.level, logScale: a.result.logScale,
      tau2: a.result.tau2, I2: a.result.I2, Q: a.result.Q, Qdf: a.result.Qdf, Qp: a.result.Qp
    })),
    synthesis: await synthesisDraft(db, projectId),
    references: { style: BIBLIOGRAPHY_STYLES[options.style].label, entries: references.entries }
  }
  return { content, figures: { prisma, rob, analyses } }
}

/** The report document of the project, as the caller may see it. */
export async function reportDocument(db: Database, caller: ProjectCaller, options: ReportOptions, progress: Progress = noProgress): Promise<ReportFile & { body: Buffer }> {
  const { content } = await reportContent(db, caller, options, progress)
  await progress(0.8, 'writing the document')
  return { body: await reportDocx(content, options.language), contentType: DOCX_TYPE, fileName: `${fileBase(caller.project)}-report.docx` }
}

const slug = (s: string) => s.toLowerCase().normalize('NFKD').replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'untitled'

async function readAll(body: ReportFile['body']): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body)
  if (Buffer.isBuffer(body)) return body
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks)
}

/** A sheet as CSV (consumes its rows). */
async function sheetCsv(sheet: SheetDefinition): Promise<string> {
  let out = csvLine(sheet.columns.map((c) => c.header ?? c.key))
  for await (const row of sheet.rows) {
    out += csvLine(sheet.columns.map((c) => {
      const v = workbookCell(row[c.key])
      return v === null ? '' : v instanceof Date ? v.toISOString() : typeof v === 'boolean' ? String(v) : v
    }))
  }
  return out
}

/** A ZIP archive written to a file as entries are added (PNG, DOCX and XLSX stored, text deflated). */
class ZipFile {
  private readonly out: fs.WriteStream
  private readonly zip: Zip
  private readonly hash = createHash('sha256')
  private error: Error | undefined
  size = 0
  readonly entries: Array<{ name: string; bytes: number }> = []

  constructor(file: string) {
    this.out = fs.createWriteStream(file)
    this.out.on('error', (err) => { this.error = err })
    this.zip = new Zip((err, chunk, final) => {
      if (err) { this.error = err; return }
      this.hash.update(chunk)
      this.size += chunk.length
      this.out.write(chunk)
      if (final) this.out.end()
    })
  }

  async add(name: string, data: string | Buffer): Promise<void> {
    if (this.error) throw this.error
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    const entry = /\.(png|docx|xlsx|zip)$/.test(name) ? new ZipPassThrough(name) : new ZipDeflate(name, { level: 6 })
    entry.mtime = new Date()
    this.zip.add(entry)
    entry.push(bytes, true)
    this.entries.push({ name, bytes: bytes.length })
    if (this.out.writableNeedDrain) await once(this.out, 'drain')
  }

  async close(): Promise<{ size: number; sha256: string }> {
    this.zip.end()
    await finished(this.out)
    if (this.error) throw this.error
    return { size: this.size, sha256: this.hash.digest('hex') }
  }

  abort(): void {
    this.zip.terminate()
    this.out.destroy()
  }
}

const README_HEAD = (project: string, date: string, style: string) => `Report bundle of the review "${project}", produced by AnalyLit on ${date}.
Every figure and number comes from the project's data as the API serves it (PRISMA counts, agreement,
extraction consensus, risk-of-bias assessments, stored meta-analyses). References: ${style}.

Contents (path, size in bytes):
`

/**
 * Writes the report bundle to `file`: the DOCX report, figures (SVG and PNG), tables (CSV and the
 * XLSX workbook), the bibliography (text, HTML, RTF, DOCX, BibTeX, RIS), the checklists (CSV, XLSX,
 * DOCX) and a README.txt listing them. Returns the entries, the size and the SHA-256 of the archive.
 */
export async function writeReportBundle(db: Database, caller: ProjectCaller, options: ReportOptions, file: string, progress: Progress = noProgress) {
  const { project } = caller
  const own = blindScope(project, caller.role, caller.user.id)
  const { content, figures } = await reportContent(db, caller, options, (f, m) => progress(f * 0.5, m))
  const zip = new ZipFile(file)
  try {
    const base = fileBase(project)
    await progress(0.5, 'writing the document')
    await zip.add(`${base}-report.docx`, await reportDocx(content, options.language))

    await progress(0.55, 'figures')
    await zip.add('figures/prisma-diagram.svg', figures.prisma.svg)
    await zip.add('figures/prisma-diagram.png', figures.prisma.png)
    for (const r of figures.rob) {
      for (const [kind, fig] of [['traffic-light', r.trafficLight], ['summary', r.summary]] as const) {
        await zip.add(`figures/risk-of-bias-${slug(r.toolId)}-${kind}.svg`, fig.svg)
        await zip.add(`figures/risk-of-bias-${slug(r.toolId)}-${kind}.png`, fig.png)
      }
    }
    for (const [i, a] of figures.analyses.entries()) {
      for (const [kind, fig] of [['forest', a.forest], ['funnel', a.funnel]] as const) {
        await zip.add(`figures/${kind}-${i + 1}-${slug(a.name)}.svg`, fig.svg)
        await zip.add(`figures/${kind}-${i + 1}-${slug(a.name)}.png`, fig.png)
      }
    }

    await progress(0.65, 'tables')
    const caps = { project, role: caller.role, user: caller.user }
    const tableSheets = [...await reportSheets(db, project.id, own), ...await reviewSheets(db, caps)]
    for (const sheet of tableSheets) await zip.add(`tables/${slug(sheet.name)}.csv`, await sheetCsv(sheet))
    const workbook = await workbookBuffer([...await reportSheets(db, project.id, own), ...await reviewSheets(db, caps)])
    await zip.add(`tables/${base}-report.xlsx`, workbook)

    await progress(0.75, 'bibliography')
    const locale = localeOf(options.language)
    for (const format of ['text', 'html', 'rtf', 'docx', 'bibtex', 'ris'] as const) {
      const f = await bibliographyFile(db, project, { style: options.style, format, set: 'included', locale, ownDecisionsOf: own })
      await zip.add(`bibliography/${f.fileName}`, await readAll(f.body))
    }

    await progress(0.85, 'checklists')
    for (const id of Object.keys(CHECKLISTS)) {
      const { instance } = await projectChecklist(db, project.id, id)
      const checklist = getChecklist(id)
      await zip.add(`checklists/${id}.csv`, checklistCsv(checklist, instance))
      await zip.add(`checklists/${id}.xlsx`, await checklistXlsx(checklist, instance))
      await zip.add(`checklists/${id}.docx`, await checklistDocx(checklist, instance, options.language))
    }

    const listing = zip.entries.map((e) => `  ${e.name}  (${e.bytes})\n`).join('')
    await zip.add('README.txt', README_HEAD(project.name, content.generatedAt.toISOString().slice(0, 10), content.references.style) + listing)
    await progress(0.95, 'closing the archive')
    const { size, sha256 } = await zip.close()
    return { entries: zip.entries, size, sha256, fileName: `${base}-report-bundle.zip` }
  } catch (err) {
    zip.abort()
    throw err
  }
}

// ---------------------------------------------------------------------------
// Stored results of the report tasks

export const REPORT_TASKS = ['report-docx', 'report-bundle'] as const
export type ReportTaskType = (typeof REPORT_TASKS)[number]

export function reportDir(storageDir: string, projectId: string): string {
  return path.join(projectStorageDir(storageDir, projectId), 'reports')
}

/**
 * Records a finished report file (already at its final place in the project's storage) in the
 * files table, replacing the row of an earlier attempt of the same task.
 */
export async function storeReportFile(db: Database, storageDir: string, projectId: string, absolute: string, meta: { fileName: string; contentType: string; size: number; sha256: string; createdBy: string | null }) {
  const storagePath = path.relative(storageDir, absolute)
  return db.transaction(async (tx) => {
    await tx.delete(files).where(and(eq(files.projectId, projectId), eq(files.storagePath, storagePath)))
    const [row] = await tx.insert(files).values({
      projectId, storagePath, originalName: meta.fileName, contentType: meta.contentType, size: meta.size, sha256: meta.sha256, origin: 'report', createdBy: meta.createdBy
    }).returning({ id: files.id })
    return row.id
  })
}

/**
 * The file a report task produced. A report shows what its author could see: in blind screening
 * it may hold only that reviewer's decisions, so only its author and those who see every decision
 * (owners, resolvers) download it.
 */
export async function reportDownload(db: Database, storageDir: string, caller: ProjectCaller, taskId: string): Promise<{ stream: fs.ReadStream; fileName: string; contentType: string; size: number }> {
  const [task] = await db.select().from(tasksTable).where(and(eq(tasksTable.id, taskId), eq(tasksTable.projectId, caller.project.id), inArray(tasksTable.type, [...REPORT_TASKS])))
  if (!task) throw new NotFound('no report task with this id in this project', 'taskId')
  if (task.createdBy !== caller.user.id && blindScope(caller.project, caller.role, caller.user.id) !== undefined) {
    throw new Forbidden('in blind screening a report is downloaded by its author, the owners and the resolvers only', 'taskId')
  }
  if (task.status !== 'succeeded') {
    throw new Conflict(task.status === 'failed' || task.status === 'cancelled'
      ? `the report task ${task.status}${task.error ? `: ${task.error}` : ''}; start a new one`
      : `the report is not ready yet (task ${task.status}, ${Math.round(task.progress * 100)}%)`, 'taskId')
  }
  const fileId = (task.result as { fileId?: string } | null)?.fileId
  const [row] = fileId ? await db.select().from(files).where(and(eq(files.id, fileId), eq(files.projectId, caller.project.id))) : []
  if (!row) throw new NotFound('the report file is gone; start a new report', 'taskId')
  const absolute = path.resolve(storageDir, row.storagePath)
  if (!absolute.startsWith(path.resolve(storageDir) + path.sep)) throw new NotFound('the report file is gone; start a new report', 'taskId')
  const stream = fs.createReadStream(absolute)
  await once(stream, 'open').catch(() => { throw new NotFound('the report file is gone; start a new report', 'taskId') })
  return { stream, fileName: row.originalName, contentType: row.contentType ?? 'application/octet-stream', size: row.size }
}

/** Starts the report task of the request's kind (the caller's view of the project goes into the file). */
export async function queueReport(deps: { tasks: TaskService }, caller: ProjectCaller, request: ReportOptions & { kind: 'docx' | 'bundle' }): Promise<TaskView> {
  const { kind, ...rest } = request
  const payload = { style: rest.style, language: rest.language, ...(rest.sections ? { sections: rest.sections } : {}) }
  return toTaskView(await deps.tasks.submit({ type: kind === 'docx' ? 'report-docx' : 'report-bundle', projectId: caller.project.id, createdBy: caller.user.id, payload }))
}
