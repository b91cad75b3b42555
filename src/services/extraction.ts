/**
 * Data extraction: a project's grids (versioned: a version an extraction or a
 * consensus uses is never changed, an edit makes a new one), each reviewer's
 * extraction of an article (draft or complete, every save kept in the
 * history), blind comparison, consensus, agreement per field and the
 * extraction table.
 *
 * Blind like dual screening: a reviewer sees another reviewer's values on an
 * article only once both extractions are complete; owners and the project's
 * designated resolvers see everything and record the consensus.
 */
import { tableSheet, workbookBuffer } from '../reporting/workbook.ts'
import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, extractionConsensus, extractionGrids, extractionGridVersions, extractionHistory, extractions, gridTemplates, users } from '../db/schema.ts'
import { Conflict, Forbidden, Invalid, NotFound } from '../errors.ts'
import { csvLine } from '../export/csv.ts'
import { CATEGORICAL_TYPES, comparable, gridFields, parseGrid, problemsError, tableColumns, valueProblems, type ExtractionValues, type Grid } from '../extraction/grid.ts'
import type { ConsensusRequest, ExtractionExportRequest, ExtractionRequest } from '../http/schemas/extraction.ts'
import { cohensKappa } from '../screening/agreement.ts'
import { requireArticles } from './project-articles.ts'
import type { ProjectCaller } from './screening-actions.ts'
import { isPrivileged, readScreeningSettings } from './screening-settings.ts'

const iso = (d: Date) => d.toISOString()

/** Owners and the project's designated resolvers: they see every extraction and record consensus. */
function privileged({ project, role, user }: ProjectCaller): boolean {
  return isPrivileged(readScreeningSettings(project.screeningSettings), role, user.id)
}

async function requireGrid(db: Database, projectId: string, gridId: string) {
  const [grid] = await db.select().from(extractionGrids).where(and(eq(extractionGrids.id, gridId), eq(extractionGrids.projectId, projectId)))
  if (!grid) throw new NotFound('grid not found', 'gridId')
  return grid
}

async function gridVersion(db: Database, gridId: string, version: number) {
  const [row] = await db.select().from(extractionGridVersions).where(and(eq(extractionGridVersions.gridId, gridId), eq(extractionGridVersions.version, version)))
  if (!row) throw new NotFound(`grid version ${version} not found`, 'version')
  return row
}

async function versionInUse(db: Database, versionId: string): Promise<boolean> {
  const { rows } = await db.execute(sql`SELECT EXISTS (SELECT 1 FROM extractions WHERE grid_version_id = ${versionId})
    OR EXISTS (SELECT 1 FROM extraction_consensus WHERE grid_version_id = ${versionId}) AS used`)
  return Boolean((rows[0] as { used: boolean }).used)
}

// ---- Grids ----------------------------------------------------------------

export async function listGrids(db: Database, projectId: string) {
  const rows = await db.select({
    grid: extractionGrids, definition: extractionGridVersions.definition,
    extractions: sql<number>`(SELECT count(*)::int FROM extractions e WHERE e.grid_id = "extraction_grids"."id")`
  }).from(extractionGrids)
    .innerJoin(extractionGridVersions, and(eq(extractionGridVersions.gridId, extractionGrids.id), eq(extractionGridVersions.version, extractionGrids.currentVersion)))
    .where(eq(extractionGrids.projectId, projectId)).orderBy(asc(extractionGrids.createdAt), asc(extractionGrids.id))
  return rows.map(({ grid, definition, extractions: n }) => ({
    id: grid.id, name: grid.name, currentVersion: grid.currentVersion, fields: gridFields(definition as Grid).length, extractions: n,
    createdAt: iso(grid.createdAt), updatedAt: iso(grid.updatedAt)
  }))
}

export async function getGrid(db: Database, projectId: string, gridId: string, version?: number) {
  const grid = await requireGrid(db, projectId, gridId)
  const row = await gridVersion(db, gridId, version ?? grid.currentVersion)
  return {
    id: grid.id, name: grid.name, currentVersion: grid.currentVersion, version: row.version, definition: row.definition as Grid,
    inUse: await versionInUse(db, row.id), createdAt: iso(grid.createdAt), updatedAt: iso(grid.updatedAt)
  }
}

/** A new grid from a definition (either format) or from a seeded template. */
export async function createGrid(db: Database, { project, user }: ProjectCaller, body: { definition?: unknown; templateKey?: string }) {
  if ((body.definition === undefined) === (body.templateKey === undefined)) throw new Invalid('give exactly one of definition and templateKey', 'definition')
  let definition: Grid
  if (body.templateKey !== undefined) {
    const [template] = await db.select().from(gridTemplates).where(eq(gridTemplates.key, body.templateKey))
    if (!template) throw new NotFound(`no grid template "${body.templateKey}"`, 'templateKey')
    definition = parseGrid({ name: template.name, fields: template.fields })
  } else definition = parseGrid(body.definition)
  const id = await db.transaction(async (tx) => {
    const [grid] = await tx.insert(extractionGrids).values({ projectId: project.id, name: definition.name, createdBy: user.id }).returning({ id: extractionGrids.id })
    await tx.insert(extractionGridVersions).values({ gridId: grid.id, version: 1, definition, createdBy: user.id })
    return grid.id
  })
  return getGrid(db, project.id, id)
}

/**
 * Replaces the grid's definition: in place while no extraction or consensus
 * uses the current version, as a new version otherwise (the old one stays as it was).
 */
export async function updateGrid(db: Database, { project, user }: ProjectCaller, gridId: string, input: unknown) {
  const definition = parseGrid(input)
  await db.transaction(async (tx) => {
    const [grid] = await tx.select().from(extractionGrids).where(and(eq(extractionGrids.id, gridId), eq(extractionGrids.projectId, project.id))).for('update')
    if (!grid) throw new NotFound('grid not found', 'gridId')
    const current = await gridVersion(tx as unknown as Database, gridId, grid.currentVersion)
    let version = grid.currentVersion
    if (await versionInUse(tx as unknown as Database, current.id)) {
      version = grid.currentVersion + 1
      await tx.insert(extractionGridVersions).values({ gridId, version, definition, createdBy: user.id })
    } else {
      await tx.update(extractionGridVersions).set({ definition }).where(eq(extractionGridVersions.id, current.id))
    }
    await tx.update(extractionGrids).set({ name: definition.name, currentVersion: version, updatedAt: new Date() }).where(eq(extractionGrids.id, gridId))
  })
  return getGrid(db, project.id, gridId)
}

/** Deletes a grid no extraction uses (one in use is kept: its extractions would go with it). */
export async function deleteGrid(db: Database, projectId: string, gridId: string): Promise<void> {
  await requireGrid(db, projectId, gridId)
  await db.transaction(async (tx) => {
    const [{ n }] = await tx.select({ n: count() }).from(extractions).where(eq(extractions.gridId, gridId))
    const [{ c }] = await tx.select({ c: count() }).from(extractionConsensus).where(eq(extractionConsensus.gridId, gridId))
    if (n + c > 0) throw new Conflict(`the grid has ${n} extraction(s) and ${c} consensus record(s): it cannot be deleted`)
    await tx.delete(extractionGrids).where(eq(extractionGrids.id, gridId))
  })
}

export async function listGridVersions(db: Database, projectId: string, gridId: string) {
  await requireGrid(db, projectId, gridId)
  const rows = await db.select({
    version: extractionGridVersions.version, definition: extractionGridVersions.definition, createdAt: extractionGridVersions.createdAt,
    extractions: sql<number>`(SELECT count(*)::int FROM extractions e WHERE e.grid_version_id = "extraction_grid_versions"."id")`
  }).from(extractionGridVersions).where(eq(extractionGridVersions.gridId, gridId)).orderBy(asc(extractionGridVersions.version))
  return rows.map((r) => ({ version: r.version, fields: gridFields(r.definition as Grid).length, extractions: r.extractions, createdAt: iso(r.createdAt) }))
}

// ---- Extractions ----------------------------------------------------------

type ExtractionRow = typeof extractions.$inferSelect & { reviewerEmail: string; reviewerKind: string; gridVersion: number }

async function loadExtractions(db: Database, projectId: string, filter: { articleId?: string; gridId?: string }): Promise<ExtractionRow[]> {
  const rows = await db.select({ e: extractions, reviewerEmail: users.email, reviewerKind: users.kind, gridVersion: extractionGridVersions.version })
    .from(extractions).innerJoin(users, eq(users.id, extractions.reviewerId))
    .innerJoin(extractionGridVersions, eq(extractionGridVersions.id, extractions.gridVersionId))
    .where(and(eq(extractions.projectId, projectId), filter.articleId ? eq(extractions.articleId, filter.articleId) : undefined, filter.gridId ? eq(extractions.gridId, filter.gridId) : undefined))
    .orderBy(asc(extractions.articleId), asc(users.email))
  return rows.map(({ e, ...rest }) => ({ ...e, ...rest }))
}

function extractionView(row: ExtractionRow) {
  return {
    id: row.id, articleId: row.articleId, gridId: row.gridId, gridVersion: row.gridVersion, reviewerId: row.reviewerId,
    reviewerEmail: row.reviewerEmail, reviewerKind: row.reviewerKind, status: row.status, values: row.values as ExtractionValues,
    origin: row.origin, run: (row.run ?? null) as Record<string, unknown> | null, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt)
  }
}

/**
 * Which of the extractions of one article the caller may see: all for owners
 * and resolvers; otherwise their own, and another's only when both that one
 * and the caller's own (same grid) are complete.
 */
function visibleExtractions(caller: ProjectCaller, rows: ExtractionRow[]): { visible: ExtractionRow[]; hidden: number } {
  if (privileged(caller)) return { visible: rows, hidden: 0 }
  const completedGrids = new Set(rows.filter((r) => r.reviewerId === caller.user.id && r.status === 'complete').map((r) => `${r.articleId}/${r.gridId}`))
  const visible = rows.filter((r) => r.reviewerId === caller.user.id || (r.status === 'complete' && completedGrids.has(`${r.articleId}/${r.gridId}`)))
  return { visible, hidden: rows.length - visible.length }
}

async function loadConsensus(db: Database, projectId: string, filter: { articleId?: string; gridId?: string }) {
  const rows = await db.select({ c: extractionConsensus, gridVersion: extractionGridVersions.version }).from(extractionConsensus)
    .innerJoin(extractionGridVersions, eq(extractionGridVersions.id, extractionConsensus.gridVersionId))
    .where(and(eq(extractionConsensus.projectId, projectId), filter.articleId ? eq(extractionConsensus.articleId, filter.articleId) : undefined, filter.gridId ? eq(extractionConsensus.gridId, filter.gridId) : undefined))
  return rows.map(({ c, gridVersion: v }) => ({
    id: c.id, articleId: c.articleId, gridId: c.gridId, gridVersion: v, values: c.values as ExtractionValues, note: c.note,
    decidedBy: c.decidedBy, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt)
  }))
}

function checkValues(grid: Grid, values: ExtractionValues, complete: boolean): void {
  const problems = valueProblems(grid, values, complete)
  if (problems.length) throw problemsError(problems, 'values')
}

/**
 * Saves the caller's extraction of the article with the grid (a draft, or
 * complete), and appends it to the history. A new extraction uses the grid's
 * current version; an existing one keeps the version it started with.
 */
export async function saveExtraction(db: Database, caller: ProjectCaller, articleId: string, body: ExtractionRequest, reviewer: { id: string; origin: 'human' | 'llm'; run?: Record<string, unknown> } = { id: caller.user.id, origin: 'human' }) {
  const { project } = caller
  await requireArticles(db, project.id, [articleId], 'articleId')
  const grid = await requireGrid(db, project.id, body.gridId)
  const status = body.status ?? 'draft'
  await db.transaction(async (tx) => {
    const [existing] = await tx.select().from(extractions)
      .where(and(eq(extractions.articleId, articleId), eq(extractions.gridId, grid.id), eq(extractions.reviewerId, reviewer.id))).for('update')
    const version = existing
      ? (await tx.select().from(extractionGridVersions).where(eq(extractionGridVersions.id, existing.gridVersionId)))[0]
      : await gridVersion(tx as unknown as Database, grid.id, grid.currentVersion)
    checkValues(version.definition as Grid, body.values, status === 'complete')
    const row = { values: body.values, status, origin: reviewer.origin, run: reviewer.run ?? null, updatedAt: new Date() }
    if (existing) await tx.update(extractions).set(row).where(eq(extractions.id, existing.id))
    else await tx.insert(extractions).values({ ...row, projectId: project.id, articleId, gridId: grid.id, gridVersionId: version.id, reviewerId: reviewer.id })
    await tx.insert(extractionHistory).values({
      projectId: project.id, articleId, gridId: grid.id, gridVersionId: version.id, reviewerId: reviewer.id,
      kind: 'extraction', status, values: body.values, origin: reviewer.origin, run: reviewer.run ?? null
    })
  })
  const [saved] = (await loadExtractions(db, project.id, { articleId, gridId: grid.id })).filter((r) => r.reviewerId === reviewer.id)
  return extractionView(saved)
}

/** The caller's own extraction of the article with the grid. */
export async function myExtraction(db: Database, caller: ProjectCaller, articleId: string, gridId: string) {
  await requireArticles(db, caller.project.id, [articleId], 'articleId')
  await requireGrid(db, caller.project.id, gridId)
  const mine = (await loadExtractions(db, caller.project.id, { articleId, gridId })).find((r) => r.reviewerId === caller.user.id)
  if (!mine) throw new NotFound('you have not started this extraction')
  return extractionView(mine)
}

/** The article's extractions the caller may see, how many are hidden, and the consensus. */
export async function articleExtractions(db: Database, caller: ProjectCaller, articleId: string, gridId?: string) {
  await requireArticles(db, caller.project.id, [articleId], 'articleId')
  if (gridId) await requireGrid(db, caller.project.id, gridId)
  const { visible, hidden } = visibleExtractions(caller, await loadExtractions(db, caller.project.id, { articleId, gridId }))
  return { extractions: visible.map(extractionView), hidden, consensus: await loadConsensus(db, caller.project.id, { articleId, gridId }) }
}

/** The article's extraction history (newest first), with the same blindness as the extractions. */
export async function extractionHistoryOf(db: Database, caller: ProjectCaller, articleId: string, gridId?: string) {
  await requireArticles(db, caller.project.id, [articleId], 'articleId')
  const { visible } = visibleExtractions(caller, await loadExtractions(db, caller.project.id, { articleId, gridId }))
  const shown = new Set(visible.map((r) => `${r.gridId}/${r.reviewerId}`))
  const rows = await db.select({ h: extractionHistory, gridVersion: extractionGridVersions.version }).from(extractionHistory)
    .innerJoin(extractionGridVersions, eq(extractionGridVersions.id, extractionHistory.gridVersionId))
    .where(and(eq(extractionHistory.projectId, caller.project.id), eq(extractionHistory.articleId, articleId), gridId ? eq(extractionHistory.gridId, gridId) : undefined))
    .orderBy(desc(extractionHistory.createdAt), desc(extractionHistory.id))
  return rows.filter(({ h }) => h.kind === 'consensus' || shown.has(`${h.gridId}/${h.reviewerId}`)).map(({ h, gridVersion: v }) => ({
    id: h.id, kind: h.kind, gridId: h.gridId, gridVersion: v, reviewerId: h.reviewerId, status: h.status,
    values: h.values as ExtractionValues, origin: h.origin, note: h.note, createdAt: iso(h.createdAt)
  }))
}

/**
 * Field-by-field comparison of the complete extractions of the article
 * (fields of the grid's current version, matched by key): owners and
 * resolvers, or a reviewer whose own extraction is complete.
 */
export async function compareExtractions(db: Database, caller: ProjectCaller, articleId: string, gridId: string) {
  await requireArticles(db, caller.project.id, [articleId], 'articleId')
  const grid = await requireGrid(db, caller.project.id, gridId)
  const all = await loadExtractions(db, caller.project.id, { articleId, gridId })
  if (!privileged(caller) && !all.some((r) => r.reviewerId === caller.user.id && r.status === 'complete')) {
    throw new Forbidden('complete your own extraction of this article before comparing (extraction is blind)')
  }
  const complete = all.filter((r) => r.status === 'complete')
  const definition = (await gridVersion(db, gridId, grid.currentVersion)).definition as Grid
  const fields = gridFields(definition).map((field) => {
    const values = complete.map((r) => ({ reviewerId: r.reviewerId, entry: (r.values as ExtractionValues)[field.key] ?? null }))
    const agree = new Set(values.map((v) => comparable(field, v.entry ?? undefined))).size <= 1
    return { key: field.key, label: field.label, type: field.type, agree, values }
  })
  const [consensus] = await loadConsensus(db, caller.project.id, { articleId, gridId })
  return {
    articleId, gridId,
    reviewers: complete.map((r) => ({ id: r.reviewerId, email: r.reviewerEmail, kind: r.reviewerKind, gridVersion: r.gridVersion })),
    conflicts: complete.length < 2 ? 0 : fields.filter((f) => !f.agree).length,
    fields, consensus: consensus ?? null
  }
}

/** Records the consensus values of the article (owners and resolvers); complete values against the grid's current version. */
export async function recordConsensus(db: Database, caller: ProjectCaller, articleId: string, body: ConsensusRequest) {
  if (!privileged(caller)) throw new Forbidden('only the project\'s owners and resolvers record a consensus')
  const { project, user } = caller
  await requireArticles(db, project.id, [articleId], 'articleId')
  const grid = await requireGrid(db, project.id, body.gridId)
  const version = await gridVersion(db, grid.id, grid.currentVersion)
  checkValues(version.definition as Grid, body.values, true)
  await db.transaction(async (tx) => {
    const row = { values: body.values, note: body.note ?? null, decidedBy: user.id, gridVersionId: version.id, updatedAt: new Date() }
    await tx.insert(extractionConsensus).values({ ...row, projectId: project.id, articleId, gridId: grid.id })
      .onConflictDoUpdate({ target: [extractionConsensus.articleId, extractionConsensus.gridId], set: row })
    await tx.insert(extractionHistory).values({
      projectId: project.id, articleId, gridId: grid.id, gridVersionId: version.id, reviewerId: user.id,
      kind: 'consensus', status: 'complete', values: body.values, note: body.note ?? null
    })
  })
  const [consensus] = await loadConsensus(db, project.id, { articleId, gridId: grid.id })
  return consensus
}

// ---- Agreement ------------------------------------------------------------

const round = (n: number) => Math.round(n * 10) / 10

/**
 * Agreement per field of the grid over the complete extractions: percent of
 * articles (with two or more) where every reviewer gave the same value, and
 * per pair of reviewers percent agreement and, for boolean and single-choice
 * fields, Cohen's kappa. Models are reviewers like the others.
 */
export async function extractionAgreement(db: Database, projectId: string, gridId: string) {
  const grid = await requireGrid(db, projectId, gridId)
  const definition = (await gridVersion(db, gridId, grid.currentVersion)).definition as Grid
  const complete = (await loadExtractions(db, projectId, { gridId })).filter((r) => r.status === 'complete')
  const reviewerIds = [...new Set(complete.map((r) => r.reviewerId))].sort()
  const byArticle = new Map<string, Map<string, ExtractionValues>>()
  for (const r of complete) {
    if (!byArticle.has(r.articleId)) byArticle.set(r.articleId, new Map())
    byArticle.get(r.articleId)!.set(r.reviewerId, r.values as ExtractionValues)
  }
  const shared = [...byArticle.values()].filter((m) => m.size >= 2)
  const fields = gridFields(definition).map((field) => {
    const agreeing = shared.filter((m) => new Set([...m.values()].map((v) => comparable(field, v[field.key]))).size === 1).length
    const pairs = []
    for (let i = 0; i < reviewerIds.length; i++) {
      for (let j = i + 1; j < reviewerIds.length; j++) {
        const both = [...byArticle.values()].filter((m) => m.has(reviewerIds[i]) && m.has(reviewerIds[j]))
        if (both.length === 0) continue
        const a = both.map((m) => comparable(field, m.get(reviewerIds[i])![field.key]))
        const b = both.map((m) => comparable(field, m.get(reviewerIds[j])![field.key]))
        const kappa = CATEGORICAL_TYPES.has(field.type) ? cohensKappa(a, b) : null
        pairs.push({
          reviewerA: reviewerIds[i], reviewerB: reviewerIds[j], items: both.length,
          percentAgreement: round(100 * a.filter((v, k) => v === b[k]).length / both.length),
          kappa: kappa?.kappa ?? null, interpretation: kappa ? kappa.interpretation : null
        })
      }
    }
    return { key: field.key, label: field.label, type: field.type, items: shared.length, percentAgreement: shared.length ? round(100 * agreeing / shared.length) : null, pairs }
  })
  const people = reviewerIds.length ? await db.select({ id: users.id, email: users.email, kind: users.kind }).from(users).where(inArray(users.id, reviewerIds)) : []
  return {
    gridId,
    reviewers: people.map((p) => ({ ...p, completed: complete.filter((r) => r.reviewerId === p.id).length })).sort((x, y) => x.email.localeCompare(y.email)),
    fields
  }
}

// ---- Export ---------------------------------------------------------------

/**
 * The extraction table: one row per article (per reviewer for the reviewers'
 * and models' variants), one column per field of the grid's current version
 * (`rows` fields flattened, see tableColumns). Per-reviewer variants are for
 * owners and resolvers only (extraction is blind).
 */
export async function extractionTable(db: Database, caller: ProjectCaller, query: Pick<ExtractionExportRequest, 'gridId' | 'variant'>): Promise<{ name: string; header: string[]; rows: Array<Array<string | number>> }> {
  const { project } = caller
  const grid = await requireGrid(db, project.id, query.gridId)
  const variant = query.variant ?? 'consensus'
  if (variant !== 'consensus' && !privileged(caller)) throw new Forbidden('extraction is blind: only the project\'s owners and resolvers export individual extractions', 'variant')
  const definition = (await gridVersion(db, grid.id, grid.currentVersion)).definition as Grid
  const columns = tableColumns(definition)
  const records: Array<{ articleId: string; reviewer?: string; status?: string; values: ExtractionValues }> = variant === 'consensus'
    ? (await loadConsensus(db, project.id, { gridId: grid.id })).map((c) => ({ articleId: c.articleId, values: c.values }))
    : (await loadExtractions(db, project.id, { gridId: grid.id }))
        .filter((r) => (variant === 'llm') === (r.reviewerKind === 'llm'))
        .map((r) => ({ articleId: r.articleId, reviewer: r.reviewerEmail, status: r.status, values: r.values as ExtractionValues }))
  const ids = [...new Set(records.map((r) => r.articleId))]
  const meta = new Map<string, { title: string; year: number | null; doi: string | null }>()
  for (let i = 0; i < ids.length; i += 5000) {
    for (const a of await db.select({ id: articles.id, title: articles.title, year: articles.year, doi: articles.doi }).from(articles).where(inArray(articles.id, ids.slice(i, i + 5000)))) meta.set(a.id, a)
  }
  records.sort((x, y) => (meta.get(x.articleId)?.title ?? '').localeCompare(meta.get(y.articleId)?.title ?? '') || x.articleId.localeCompare(y.articleId) || (x.reviewer ?? '').localeCompare(y.reviewer ?? ''))
  const perReviewer = variant !== 'consensus'
  const header = ['article_id', 'title', 'year', 'doi', ...(perReviewer ? ['reviewer', 'status'] : []), ...columns.map((c) => c.header)]
  const rows = records.map((r) => {
    const a = meta.get(r.articleId)
    return [r.articleId, a?.title ?? '', a?.year ?? '', a?.doi ?? '', ...(perReviewer ? [r.reviewer ?? '', r.status ?? ''] : []), ...columns.map((c) => c.cell(r.values))]
  })
  return { name: grid.name, header, rows }
}

export async function exportExtractionTable(db: Database, caller: ProjectCaller, query: ExtractionExportRequest) {
  const variant = query.variant ?? 'consensus'
  const { header, rows } = await extractionTable(db, caller, query)
  const fileName = `extraction-${variant}.${query.format}`
  if (query.format === 'xlsx') {
    const body = await workbookBuffer([tableSheet('Extraction', header, rows)])
    return { fileName, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', body }
  }
  return { fileName, contentType: 'text/csv; charset=utf-8', body: [header, ...rows].map(csvLine).join('') }
}

/**
 * The text of an article an LLM extracts from, page by page: for now its
 * title and abstract as page 0 (full-text pages join when they are stored).
 */
export async function articleTextForExtraction(db: Database, articleId: string): Promise<Array<{ page: number; text: string }>> {
  const [article] = await db.select({ title: articles.title, abstract: articles.abstract }).from(articles).where(eq(articles.id, articleId))
  if (!article) throw new NotFound('article not found', 'articleId')
  return [{ page: 0, text: [article.title, article.abstract].filter((s) => s.trim()).join('\n\n') }]
}
