/**
 * A project's reporting checklists: what people wrote per item (stored), and
 * the evidence the project's own data gives (search log, imports, screening
 * settings, deduplication, PRISMA counts), added when read.
 */
import { and, count, eq } from 'drizzle-orm'
import { checklistDocx, type ReportLanguage } from '../reporting/docx.ts'
import type { Database } from '../db/index.ts'
import { checklistInstances, duplicateJudgements, searchRuns } from '../db/schema.ts'
import { Invalid } from '../errors.ts'
import type { ChecklistUpdate } from '../http/schemas/prisma.ts'
import {
  CHECKLISTS, checklistCsv, checklistXlsx, getChecklist, prefillChecklist, type ChecklistEntry, type ChecklistInstance, type ProjectFacts
} from '../reporting/checklists/index.ts'
import { batchSources, prismaCounts } from './prisma.ts'
import type { DatabaseId } from '../connectors/types.ts'
import { databaseLabel } from './search.ts'
import { getScreeningSettings } from './screening-settings.ts'

type Written = Pick<ChecklistEntry, 'status' | 'location' | 'notes' | 'evidence'>

export function listChecklists() {
  return Object.values(CHECKLISTS).map((c) => ({ id: c.id, name: c.name, source: c.source, items: c.items.length }))
}

/**
 * What the project's data tells. Data items would come from the project's extraction grid; projects
 * have none yet, so those items are left to the authors.
 */
export async function projectFacts(db: Database, projectId: string): Promise<ProjectFacts> {
  const [runs, batches, settings, counts, [{ confirmed }]] = await Promise.all([
    db.select().from(searchRuns).where(and(eq(searchRuns.projectId, projectId), eq(searchRuns.status, 'succeeded'))).orderBy(searchRuns.createdAt),
    batchSources(db, projectId),
    getScreeningSettings(db, projectId),
    prismaCounts(db, projectId),
    db.select({ confirmed: count() }).from(duplicateJudgements).where(and(eq(duplicateJudgements.projectId, projectId), eq(duplicateJudgements.judgement, 'duplicate')))
  ])
  return {
    searches: runs.map((r) => ({
      database: databaseLabel(r.database as DatabaseId), query: r.query, queryAsSent: r.queryAsSent, date: r.finishedAt ?? r.createdAt, totalHits: r.totalHits, retrieved: r.retrieved, maxRecords: r.maxRecords
    })),
    imports: batches,
    screening: { reviewersPerRecord: settings.reviewersPerRecord, blind: settings.blind, exclusionReasons: settings.exclusionReasons, classifier: settings.classifier },
    deduplication: { duplicatesRemoved: counts.identification.duplicatesRemoved, confirmedByReviewers: confirmed },
    counts
  }
}

async function stored(db: Database, projectId: string, checklistId: string) {
  const [row] = await db.select().from(checklistInstances)
    .where(and(eq(checklistInstances.projectId, projectId), eq(checklistInstances.checklistId, checklistId)))
  return row
}

function instanceOf(checklistId: string, items: Record<string, Written>): ChecklistInstance {
  return {
    checklist: checklistId,
    items: Object.entries(items).map(([id, w]) => ({ id, status: w.status ?? null, location: w.location ?? '', notes: w.notes ?? '', evidence: w.evidence ?? null, prefilled: false }))
  }
}

/** The checklist as the project has filled it in, with the evidence its data gives where nobody wrote any. */
export async function projectChecklist(db: Database, projectId: string, checklistId: string) {
  const checklist = getChecklist(checklistId)
  const [row, facts] = await Promise.all([stored(db, projectId, checklistId), projectFacts(db, projectId)])
  const instance = prefillChecklist(checklist, facts, instanceOf(checklistId, (row?.items ?? {}) as Record<string, Written>))
  const byId = new Map(instance.items.map((e) => [e.id, e]))
  return {
    checklist: checklist.id,
    name: checklist.name,
    updatedAt: row?.updatedAt.toISOString() ?? null,
    items: checklist.items.map((item) => ({
      ...byId.get(item.id)!,
      section: item.section, topic: item.topic, text: item.text, optional: item.optional ?? false
    })),
    instance
  }
}

/** Updates the items given (only the fields given); evidence set to null goes back to what the data says. */
export async function updateChecklist(db: Database, projectId: string, checklistId: string, update: ChecklistUpdate, userId: string) {
  const checklist = getChecklist(checklistId)
  const known = new Set(checklist.items.map((i) => i.id))
  const unknown = update.items.filter((i) => !known.has(i.id)).map((i) => i.id)
  if (unknown.length) throw new Invalid(`no item ${unknown.map((id) => `"${id}"`).join(', ')} in ${checklist.name}`, 'items')
  await db.transaction(async (tx) => {
    const [row] = await tx.select().from(checklistInstances)
      .where(and(eq(checklistInstances.projectId, projectId), eq(checklistInstances.checklistId, checklistId))).for('update')
    const items = { ...(row?.items ?? {}) as Record<string, Partial<Written>> }
    for (const { id, ...fields } of update.items) {
      const next: Partial<Written> = { ...items[id] }
      for (const [k, v] of Object.entries(fields) as Array<[keyof Written, string | null]>) {
        if (v === undefined) continue
        if (k === 'evidence' && (v === null || !v.trim())) delete next.evidence
        else (next as Record<string, unknown>)[k] = v
      }
      items[id] = next
    }
    await tx.insert(checklistInstances).values({ projectId, checklistId, items, updatedBy: userId })
      .onConflictDoUpdate({ target: [checklistInstances.projectId, checklistInstances.checklistId], set: { items, updatedBy: userId, updatedAt: new Date() } })
  })
  return projectChecklist(db, projectId, checklistId)
}

export async function exportChecklist(db: Database, projectId: string, checklistId: string, format: 'csv' | 'xlsx' | 'docx', language: ReportLanguage = 'en') {
  const { instance } = await projectChecklist(db, projectId, checklistId)
  const checklist = getChecklist(checklistId)
  return format === 'xlsx' ? checklistXlsx(checklist, instance) : format === 'docx' ? checklistDocx(checklist, instance, language) : checklistCsv(checklist, instance)
}
