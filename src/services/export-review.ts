/**
 * The extraction and risk-of-bias data a reference export includes on
 * request (`include=extraction,rob`): per article, the consensus where there
 * is one, else the chosen reviewer's complete extraction or assessment (the
 * caller by default), as the risk-of-bias table does. Drafts are never
 * exported. Another reviewer's values follow the blind rules of each stage:
 * extraction is blind for everyone but owners and resolvers; assessments are
 * blind only when the screening settings are.
 */
import { and, eq, inArray, or, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { extractionConsensus, extractionGrids, extractionGridVersions, extractions, robAssessments, users } from '../db/schema.ts'
import { Forbidden, Invalid, NotFound } from '../errors.ts'
import { getTool } from '../appraisal/index.ts'
import { tableColumns, type ExtractionValues, type Grid } from '../extraction/grid.ts'
import type { ReviewColumns, ReviewData } from '../export/index.ts'
import type { ProjectCaller } from './screening-actions.ts'
import { getScreeningSettings, isPrivileged } from './screening-settings.ts'

export interface ReviewRequest {
  /** "extraction", "rob" or both, comma-separated. */
  include?: string
  gridId?: string
  robTool?: string
  /** Whose complete extraction/assessment to use where there is no consensus (default: the caller). */
  reviewer?: string
}

export interface ReviewExport {
  columns: ReviewColumns
  /** The review data of a page of articles, by article id. */
  load(articleIds: string[]): Promise<Map<string, ReviewData>>
}

/** Checks the request and prepares the loader; undefined when nothing is included. */
export async function reviewExport(db: Database, caller: ProjectCaller, request: ReviewRequest): Promise<ReviewExport | undefined> {
  const include = new Set((request.include ?? '').split(',').map((s) => s.trim()).filter(Boolean))
  for (const what of include) if (what !== 'extraction' && what !== 'rob') throw new Invalid(`include: "${what}" is neither extraction nor rob`, 'include')
  if (include.size === 0) {
    if (request.gridId || request.robTool) throw new Invalid('include: say what to include (include=extraction,rob) with gridId or robTool', 'include')
    return undefined
  }
  const reviewerId = request.reviewer ?? caller.user.id
  const settings = await getScreeningSettings(db, caller.project.id)
  const privileged = isPrivileged(settings, caller.role, caller.user.id)
  const columns: ReviewColumns = {}
  let grid: { id: string; name: string; current: Grid } | undefined
  let tool: ReturnType<typeof getTool> | undefined

  if (include.has('extraction')) {
    if (!request.gridId) throw new Invalid('gridId: give the grid whose extractions the export includes', 'gridId')
    const [row] = await db.select({ id: extractionGrids.id, name: extractionGrids.name, definition: extractionGridVersions.definition }).from(extractionGrids)
      .innerJoin(extractionGridVersions, and(eq(extractionGridVersions.gridId, extractionGrids.id), eq(extractionGridVersions.version, extractionGrids.currentVersion)))
      .where(and(eq(extractionGrids.id, request.gridId), eq(extractionGrids.projectId, caller.project.id)))
    if (!row) throw new NotFound('grid not found', 'gridId')
    if (reviewerId !== caller.user.id && !privileged) throw new Forbidden('extraction is blind: only the project\'s owners and resolvers export another reviewer\'s extractions', 'reviewer')
    grid = { id: row.id, name: row.name, current: row.definition as Grid }
    columns.extraction = tableColumns(grid.current).map((c) => c.header)
  }
  if (include.has('rob')) {
    if (!request.robTool) throw new Invalid('robTool: give the risk-of-bias tool whose judgements the export includes (rob2, robins-i, rob1)', 'robTool')
    tool = getTool(request.robTool)
    if (reviewerId !== caller.user.id && settings.blind && !privileged) throw new Forbidden('in blind mode only the project\'s owners and resolvers see other reviewers\' assessments', 'reviewer')
    columns.rob = tool.domains.map((d) => d.id)
  }

  const cells = grid ? tableColumns(grid.current) : []
  return {
    columns,
    async load(articleIds) {
      const out = new Map<string, ReviewData>()
      const entry = (id: string) => out.get(id) ?? out.set(id, {}).get(id)!
      if (articleIds.length === 0) return out
      if (grid) {
        const consensus = await db.select({ articleId: extractionConsensus.articleId, values: extractionConsensus.values, version: extractionGridVersions.version })
          .from(extractionConsensus).innerJoin(extractionGridVersions, eq(extractionGridVersions.id, extractionConsensus.gridVersionId))
          .where(and(eq(extractionConsensus.gridId, grid.id), inArray(extractionConsensus.articleId, articleIds)))
        const own = await db.select({ articleId: extractions.articleId, values: extractions.values, version: extractionGridVersions.version, email: users.email })
          .from(extractions).innerJoin(extractionGridVersions, eq(extractionGridVersions.id, extractions.gridVersionId)).innerJoin(users, eq(users.id, extractions.reviewerId))
          .where(and(eq(extractions.gridId, grid.id), eq(extractions.reviewerId, reviewerId), eq(extractions.status, 'complete'), inArray(extractions.articleId, articleIds)))
        const put = (articleId: string, source: string, version: number, values: ExtractionValues) => {
          const texts = Object.fromEntries(cells.map((c) => [c.header, c.cell(values)]).filter(([, v]) => v !== ''))
          entry(articleId).extraction = { grid: grid!.name, gridVersion: version, source, values: texts }
        }
        for (const r of own) put(r.articleId, r.email, r.version, r.values as ExtractionValues)
        for (const c of consensus) put(c.articleId, 'consensus', c.version, c.values as ExtractionValues)
      }
      if (tool) {
        const rows = await db.select({ a: robAssessments, email: users.email }).from(robAssessments).innerJoin(users, eq(users.id, robAssessments.reviewerId))
          .where(and(eq(robAssessments.projectId, caller.project.id), eq(robAssessments.tool, tool.id), eq(robAssessments.status, 'complete'),
            inArray(robAssessments.articleId, articleIds), or(eq(robAssessments.kind, 'consensus'), and(eq(robAssessments.kind, 'reviewer'), eq(robAssessments.reviewerId, reviewerId)))))
          .orderBy(robAssessments.articleId, robAssessments.outcome, sql`${robAssessments.kind} = 'consensus' DESC`)
        const chosen = new Map<string, (typeof rows)[number]>()
        for (const r of rows) {
          const key = `${r.a.articleId}\u0000${r.a.outcome}`
          if (!chosen.has(key)) chosen.set(key, r)
        }
        for (const { a, email } of chosen.values()) {
          const derived = a.derived as { domains: Array<{ id: string; judgement: string }>; overall: { judgement: string } }
          const rob = entry(a.articleId).rob ??= { tool: tool.id, assessments: [] }
          rob.assessments.push({
            outcome: a.outcome, source: a.kind === 'consensus' ? 'consensus' : email,
            domains: Object.fromEntries(derived.domains.map((d) => [d.id, d.judgement])), overall: derived.overall.judgement
          })
        }
      }
      return out
    }
  }
}
