import { and, desc, eq, inArray, ne, sql } from 'drizzle-orm'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Database, Transaction } from '../db/index.ts'
import type { ProjectInput, ProjectRole, ProjectView } from '../http/schemas/projects.ts'
import { apiTokens, passwordLinks, projectMembers, projects, sessions, users } from '../db/schema.ts'
import { Conflict, Forbidden, NotFound } from '../errors.ts'
import type { EventHub } from '../events/hub.ts'
import type { TaskService } from '../tasks/service.ts'
import { PENDING, userForInvitation, type AuthUser } from '../auth/users.ts'
import { isPrivileged, readScreeningSettings } from './screening-settings.ts'
import { preparedPer } from '../db/prepared.ts'
import type { AuthCache } from '../auth/cache.ts'
import { keepRecent } from './recent.ts'

export type { ProjectRole }
const RANK: Record<ProjectRole, number> = { viewer: 0, reviewer: 1, owner: 2 }

export type ProjectRow = typeof projects.$inferSelect

export type { ProjectView }

export function toProjectView(row: ProjectRow, role: ProjectRole): ProjectView {
  return {
    id: row.id, name: row.name, description: row.description, reviewType: row.reviewType, question: row.question,
    criteria: row.criteria, role, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString()
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const membershipLookup = preparedPer((db: Database | Transaction) => db
  .select({ project: projects, role: projectMembers.role })
  .from(projects)
  .innerJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, sql.placeholder('userId'))))
  .where(eq(projects.id, sql.placeholder('projectId')))
  .prepare('project_membership_lookup'))

const projectLookup = preparedPer((db: Database | Transaction) => db
  .select().from(projects).where(eq(projects.id, sql.placeholder('projectId')))
  .prepare('project_lookup'))

/** The project row this process read last, per project: where a route that checks the row in its own statement starts. */
const lastRead = new Map<string, ProjectRow>()
const LAST_READ = 1024
/** Statements that read a project's row so far (what the held rows saved is visible in tests). */
export const projectReads = { count: 0 }

/** A project's row, read now (undefined: no such project); held as the last read. */
export async function readProject(db: Database | Transaction, projectId: string): Promise<ProjectRow | undefined> {
  projectReads.count++
  const [project] = await projectLookup(db).execute({ projectId })
  if (project) keepRecent(lastRead, projectId, project, LAST_READ)
  else lastRead.delete(projectId)
  return project
}

/**
 * Loads a project the user belongs to with at least `minimum` role. A project
 * the user does not belong to answers 404, exactly like one that does not
 * exist, so ids of other teams' projects cannot be probed.
 * `held`: the caller checks what it uses of the row in its own statement, so when the role is
 * cached the row this process read last will do (`held: true` in the answer; no statement).
 */
export async function requireProject(
  db: Database | Transaction, user: AuthUser, projectId: string, minimum: ProjectRole = 'viewer', cache?: AuthCache, options: { held?: boolean } = {}
): Promise<{ project: ProjectRow; role: ProjectRole; held: boolean }> {
  if (!UUID.test(projectId)) throw new NotFound('project not found')
  let row: { project: ProjectRow; role: ProjectRole; held: boolean } | undefined
  const cached = cache?.role(projectId, user.id)
  if (cached === null) throw new NotFound('project not found')
  if (cached) {
    // The role from memory; the project's row (its data version, its settings) from the database,
    // or from memory for a caller that checks it itself.
    const held = options.held ? lastRead.get(projectId) : undefined
    const project = held ?? await readProject(db, projectId)
    if (project) row = { project, role: cached as ProjectRole, held: held !== undefined }
  } else {
    const startedAt = cache?.current ?? 0
    projectReads.count++
    const [found] = await membershipLookup(db).execute({ projectId, userId: user.id })
    cache?.storeRole(projectId, user.id, found?.role ?? null, startedAt)
    if (found) {
      keepRecent(lastRead, projectId, found.project, LAST_READ)
      row = { ...found, held: false }
    }
  }
  if (!row) throw new NotFound('project not found')
  if (RANK[row.role] < RANK[minimum]) throw new Forbidden(`this action needs the ${minimum} role on the project (you are ${row.role})`)
  return row
}

export async function listProjects(db: Database, user: AuthUser): Promise<ProjectView[]> {
  const rows = await db.select({ project: projects, role: projectMembers.role })
    .from(projects)
    .innerJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, user.id)))
    .orderBy(desc(projects.createdAt))
  return rows.map((r) => toProjectView(r.project, r.role))
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

export async function updateProject(db: Database, projectId: string, input: ProjectInput, role: ProjectRole): Promise<ProjectView> {
  const [row] = await db.update(projects).set({ ...input, updatedAt: sql`now()` }).where(eq(projects.id, projectId)).returning()
  return toProjectView(row, role)
}

/**
 * Deletes the project and, by cascade, its articles, decisions, tasks and
 * file rows; then its stored files. Its queued and running tasks are
 * cancelled first, so that none writes into a project being deleted.
 */
export async function deleteProject(deps: { db: Database; tasks: TaskService; storageDir: string }, projectId: string): Promise<void> {
  const { db, tasks, storageDir } = deps
  for (const task of await tasks.store.listForProject(projectId, 10000)) {
    if (task.status === 'queued' || task.status === 'running') await tasks.cancel(task.id)
  }
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

/** Adds a member by e-mail or changes their role; the same answer whether or not the address has an account (no way to probe who has one). */
export async function addMember(db: Database, actor: AuthUser, projectId: string, email: string, role: ProjectRole) {
  const memberId = await userForInvitation(db, email)
  await changeMember(db, actor, projectId, memberId, role)
  return listMembers(db, projectId)
}

/** Removes a member; their open WebSockets lose the project at once, in every process. */
export async function removeMember(deps: { db: Database; events: EventHub }, actor: AuthUser, projectId: string, userId: string): Promise<void> {
  if (!await changeMember(deps.db, actor, projectId, userId, null)) throw new NotFound('member not found')
  await deps.events.revokeAccess({ userId, projectId })
}

/**
 * Sets a member's role, or removes them (`role` null), on behalf of `actor`.
 * One transaction holding the project's row lock: concurrent member changes
 * of a project run one after the other, so the check that the project keeps
 * an owner, and the actor's own ownership, are read after any change that
 * committed before. Returns false when there was no such member to remove.
 */
export async function changeMember(db: Database, actor: AuthUser, projectId: string, userId: string, role: ProjectRole | null): Promise<boolean> {
  return db.transaction(async (tx) => {
    await lockProjects(tx, [projectId])
    await requireProject(tx, actor, projectId, 'owner')
    if (role !== 'owner') {
      const owners = await tx.select({ userId: projectMembers.userId }).from(projectMembers)
        .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, 'owner')))
      if (owners.length === 1 && owners[0].userId === userId) {
        throw new Conflict(role === null ? 'cannot remove the last owner of a project' : 'cannot demote the last owner of a project: make another member owner first')
      }
    }
    if (role === null) {
      const removed = await tx.delete(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId))).returning()
      return removed.length > 0
    }
    await tx.insert(projectMembers).values({ projectId, userId, role })
      .onConflictDoUpdate({ target: [projectMembers.projectId, projectMembers.userId], set: { role } })
    return true
  })
}

/** Row locks on projects, taken in id order so that two transactions never wait on each other. */
async function lockProjects(tx: Transaction, projectIds: string[]): Promise<void> {
  if (projectIds.length === 0) return
  await tx.select({ id: projects.id }).from(projects).where(inArray(projects.id, projectIds)).orderBy(projects.id).for('update')
}

/**
 * Removes an account (administrators): its tokens and memberships go, the
 * row stays as a pending account so that its decisions keep their reviewer.
 * Refused (409) when it is the last owner of a project, checked under the
 * locks of the projects it owns.
 */
export async function removeUser(db: Database, userId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const owned = await tx.select({ projectId: projectMembers.projectId }).from(projectMembers)
      .where(and(eq(projectMembers.userId, userId), eq(projectMembers.role, 'owner')))
    await lockProjects(tx, owned.map((o) => o.projectId))
    const orphaned = await tx.select({ id: projects.id, name: projects.name }).from(projects)
      .innerJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, userId), eq(projectMembers.role, 'owner')))
      .where(sql`NOT EXISTS (SELECT 1 FROM ${projectMembers} o WHERE o.project_id = ${projects.id} AND o.role = 'owner' AND o.user_id <> ${userId})`)
    if (orphaned.length > 0) {
      throw new Conflict(`this user is the last owner of ${orphaned.map((p) => `"${p.name}" (${p.id})`).join(', ')}: make another member owner first`)
    }
    const [row] = await tx.update(users).set({ kind: PENDING, isAdmin: false, passwordHash: null }).where(and(eq(users.id, userId), ne(users.kind, PENDING))).returning({ id: users.id })
    if (!row) return false
    await tx.delete(projectMembers).where(eq(projectMembers.userId, userId))
    await tx.delete(apiTokens).where(eq(apiTokens.userId, userId))
    await tx.delete(sessions).where(eq(sessions.userId, userId))
    await tx.delete(passwordLinks).where(eq(passwordLinks.userId, userId))
    return true
  })
}

export async function isMember(db: Database, userId: string, projectId: string): Promise<boolean> {
  return await db.$count(projectMembers, and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId))) > 0
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
