/**
 * The report document (DOCX) and the report bundle (ZIP) as background tasks.
 * The file is built as the task's author sees the project (blind screening,
 * extraction consensus), written under a temporary name in the project's
 * storage, renamed into place, then recorded in `files`: a failed or
 * cancelled run leaves no file behind. The result names the file, its size
 * and (for the bundle) its entries; GET /reports/:taskId/download serves it.
 */
import fs from 'node:fs/promises'
import { createHash } from 'node:crypto'
import path from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { and, eq } from 'drizzle-orm'
import { users, projectMembers, projects } from '../db/schema.ts'
import { BIBLIOGRAPHY_STYLES, type BibliographyStyle } from '../reporting/bibliography.ts'
import { REPORT_SECTIONS } from '../reporting/docx.ts'
import { DOCX_TYPE, reportDir, reportDocument, storeReportFile, writeReportBundle, ZIP_TYPE, type ReportOptions } from '../services/report-document.ts'
import type { ProjectCaller } from '../services/screening-actions.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export const ReportPayload = Type.Object({
  style: Type.Union((Object.keys(BIBLIOGRAPHY_STYLES) as BibliographyStyle[]).map((s) => Type.Literal(s))),
  language: Type.Union([Type.Literal('en'), Type.Literal('fr')]),
  sections: Type.Optional(Type.Array(Type.Union(REPORT_SECTIONS.map((s) => Type.Literal(s)))))
})
export type ReportPayload = Static<typeof ReportPayload>

/** The task's author as a caller of the project (a member still, with the role they have now). */
async function authorOf(ctx: JobContext): Promise<ProjectCaller> {
  const { projectId, createdBy } = ctx.task
  if (!projectId) throw new TaskError('report task has no project')
  if (!createdBy) throw new TaskError('the report\'s author no longer exists')
  const [row] = await ctx.db.select({ project: projects, role: projectMembers.role, user: users }).from(projects)
    .innerJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, createdBy)))
    .innerJoin(users, eq(users.id, createdBy))
    .where(eq(projects.id, projectId))
  if (!row) throw new TaskError('the report\'s author is no longer a member of the project')
  return { project: row.project, role: row.role, user: { id: row.user.id, email: row.user.email, name: row.user.name, isAdmin: row.user.isAdmin } }
}

const options = (payload: ReportPayload): ReportOptions => ({ style: payload.style, language: payload.language, sections: payload.sections })

async function place(ctx: JobContext, extension: string): Promise<{ final: string; temporary: string }> {
  const dir = reportDir(ctx.storageDir, ctx.task.projectId!)
  await fs.mkdir(dir, { recursive: true })
  const final = path.join(dir, `${ctx.task.id}.${extension}`)
  return { final, temporary: `${final}.partial` }
}

export async function reportDocxTask(ctx: JobContext, payload: ReportPayload) {
  const caller = await authorOf(ctx)
  const file = await reportDocument(ctx.db, caller, options(payload), (f, m) => ctx.progress(f, m))
  const { final, temporary } = await place(ctx, 'docx')
  await fs.writeFile(temporary, file.body)
  await ctx.ensureNotCancelled().catch(async (err: unknown) => { await fs.rm(temporary, { force: true }); throw err })
  await fs.rename(temporary, final)
  const sha256 = createHash('sha256').update(file.body).digest('hex')
  const fileId = await storeReportFile(ctx.db, ctx.storageDir, caller.project.id, final, { fileName: file.fileName, contentType: DOCX_TYPE, size: file.body.length, sha256, createdBy: caller.user.id })
  return { fileId, fileName: file.fileName, contentType: DOCX_TYPE, size: file.body.length, downloadUrl: `/api/projects/${caller.project.id}/reports/${ctx.task.id}/download` }
}

export async function reportBundleTask(ctx: JobContext, payload: ReportPayload) {
  const caller = await authorOf(ctx)
  const { final, temporary } = await place(ctx, 'zip')
  try {
    const bundle = await writeReportBundle(ctx.db, caller, options(payload), temporary, (f, m) => ctx.progress(f, m))
    await ctx.ensureNotCancelled()
    await fs.rename(temporary, final)
    const fileId = await storeReportFile(ctx.db, ctx.storageDir, caller.project.id, final, { fileName: bundle.fileName, contentType: ZIP_TYPE, size: bundle.size, sha256: bundle.sha256, createdBy: caller.user.id })
    return {
      fileId, fileName: bundle.fileName, contentType: ZIP_TYPE, size: bundle.size, entries: bundle.entries,
      downloadUrl: `/api/projects/${caller.project.id}/reports/${ctx.task.id}/download`
    }
  } finally {
    await fs.rm(temporary, { force: true })
  }
}
