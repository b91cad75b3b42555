/** Tasks as their users see them through the API. */
import type { AuthUser } from '../auth/users.ts'
import type { Database } from '../db/index.ts'
import { Conflict, NotFound } from '../errors.ts'
import type { TaskView } from '../http/schemas/tasks.ts'
import type { TaskService } from '../tasks/service.ts'
import { toTaskView, type TaskRow } from '../tasks/store.ts'
import { isMember, requireProject, type ProjectRole } from './projects.ts'

/**
 * A task is visible to the members of its project, or to its creator when
 * it has none. Anyone else gets the very answer of a task that does not
 * exist, so task ids cannot be probed.
 */
async function visibleTask(deps: { db: Database; tasks: TaskService }, user: AuthUser, taskId: string, minimum: ProjectRole): Promise<TaskRow> {
  const notFound = new NotFound('task not found')
  const task = await deps.tasks.store.get(taskId)
  if (!task) throw notFound
  if (task.projectId) {
    if (!await isMember(deps.db, user.id, task.projectId)) throw notFound
    await requireProject(deps.db, user, task.projectId, minimum)
  } else if (task.createdBy !== user.id) throw notFound
  return task
}

export async function getTask(deps: { db: Database; tasks: TaskService }, user: AuthUser, taskId: string): Promise<TaskView> {
  return toTaskView(await visibleTask(deps, user, taskId, 'viewer'))
}

/** Cancels a queued or running task (reviewers of its project, or its creator). */
export async function cancelTask(deps: { db: Database; tasks: TaskService }, user: AuthUser, taskId: string): Promise<TaskView> {
  const task = await visibleTask(deps, user, taskId, 'reviewer')
  const cancelled = await deps.tasks.cancel(task.id)
  if (!cancelled) throw new Conflict(`task already ${task.status}`)
  return toTaskView(cancelled)
}
