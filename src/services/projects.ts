import { and, desc, eq, sql } from 'drizzle-orm'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Database } from '../db/index.ts'
import { projectMembers, projects, users } from '../db/schema.ts'
import { HttpError } from '../http-errors.ts'
import type { AuthUser } from '../auth/users.ts'
import { isPrivileged, readScreeningSettings } from './screening-settings.ts'

export type ProjectRole = 'owner' | 'reviewer' | 'viewer'
const RANK: Record<ProjectRole, number> = { viewer: 0, reviewer: 1, owner: 2 }

export type ProjectRow = typeof projects.$inferSelect

export interface ProjectView {
  id: string
  name: string
  description: string
  reviewType: 'systematic' | 'scoping'
  question: string
  criteria: unknown
  role: ProjectRole
  createdAt: string
  updatedAt: string
}

export function toProjectView(row: ProjectRow, role: ProjectRole): ProjectView {
  return {
    id: row.id, name: row.name, description: row.description, reviewType: row.reviewType, question: row.question,
    criteria: row.criteria, role, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString()
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Loads a project the user belongs to with at least `minimum` role. A project
 * the user does not belong to answers 404, exactly like one that does not
 * exist, so ids of other teams' projects cannot be probed.
 */
export async function requireProject(db: Database, user: AuthUser, projectId: string, minimum: ProjectRole = 'viewer'): Promise<{ project: ProjectRow; role: ProjectRole }> {
  if (!UUID.test(projectId)) throw new HttpError(404, 'project not found')
  const [row] = await db.select({ project: projects, role: projectMembers.role })
    .from(projects)
    .innerJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, user.id)))
    .where(eq(projects.id, projectId))
  if (!row) throw new HttpError(404, 'project not found')
  if (RANK[row.role] < RANK[minimum]) throw new HttpError(403, `this action needs the ${minimum} role on the project (you are ${row.role})`)
  return row
}

export async function listProjects(db: Database, user: AuthUser): Promise<ProjectView[]> {
  const rows = await db.select({ project: projects, role: projectMembers.role })
    .from(projects)
    .innerJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, user.id)))
    .orderBy(desc(projects.createdAt))
  return rows.map((r) => toProjectView(r.project, r.role))
}

export interface ProjectInput {
  name?: string
  description?: string
  reviewType?: 'systematic' | 'scoping'
  question?: string
  criteria?: unknown
}

export async function createProject(db: Database, user: AuthUser, input: ProjectInput & { name: string }): Promise<ProjectView> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(projects).values({
      name: input.name, description: input.description ?? '', reviewType: input.reviewType ?? 'systematic',
      question: input.question ?? '', criteria: input.criteria ?? {}, createdBy: user.id
    }).returning()
    await tx.insert(projectMembers).values({ projectId: row.id, userId: user.id, role: 'owner' })
    return toProjectView(row, 'owner')
  })
}

export async function updateProject(db: Database, projectId: string, input: ProjectInput): Promise<ProjectRow> {
  const [row] = await db.update(projects).set({ ...input, updatedAt: sql`now()` }).where(eq(projects.id, projectId)).returning()
  return row
}

/** Deletes the project and, by cascade, its articles, decisions, tasks and file rows; then its stored files. */
export async function deleteProject(db: Database, storageDir: string, projectId: string): Promise<void> {
  await db.delete(projects).where(eq(projects.id, projectId))
  await fs.rm(projectStorageDir(storageDir, projectId), { recursive: true, force: true })
}

export function projectStorageDir(storageDir: string, projectId: string): string {
  return path.join(storageDir, 'projects', projectId)
}

export async function listMembers(db: Database, projectId: string) {
  return db.select({ userId: users.id, email: users.email, name: users.name, role: projectMembers.role })
    .from(projectMembers).innerJoin(users, eq(users.id, projectMembers.userId))
    .where(eq(projectMembers.projectId, projectId)).orderBy(users.email)
}

export async function setMember(db: Database, projectId: string, userId: string, role: ProjectRole): Promise<void> {
  await db.insert(projectMembers).values({ projectId, userId, role })
    .onConflictDoUpdate({ target: [projectMembers.projectId, projectMembers.userId], set: { role } })
}

export async function removeMember(db: Database, projectId: string, userId: string): Promise<boolean> {
  const owners = await db.select({ userId: projectMembers.userId }).from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, 'owner')))
  if (owners.length === 1 && owners[0].userId === userId) throw new HttpError(409, 'cannot remove the last owner of a project')
  const removed = await db.delete(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId))).returning()
  return removed.length > 0
}

/**
 * In blind screening, reviewers who are neither owners nor designated
 * resolvers see only their own decisions in article lists and exports
 * (the decisions API applies the finer rule: others' decisions on settled
 * records). Returns the reviewer whose decisions to show, or undefined for all.
 */
export function blindScope(project: ProjectRow, role: ProjectRole, userId: string): string | undefined {
  const settings = readScreeningSettings(project.screeningSettings)
  return settings.blind && !isPrivileged(settings, role, userId) ? userId : undefined
}
