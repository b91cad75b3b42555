import type { Queue } from 'bullmq'
import type { Database } from '../db/index.ts'
import type { EventHub } from '../events/hub.ts'
import type { TaskJobData } from './bullmq.ts'
import { publishTask } from './execute.ts'
import type { InProcessRunner } from './in-process.ts'
import { TaskStore, type TaskRow } from './store.ts'

export type TaskEngine =
  | { mode: 'in-process'; runner: InProcessRunner }
  | { mode: 'bullmq'; queue: Queue<TaskJobData> }

/** Creates tasks (row first, then delivery) and cancels them, in either engine. */
export class TaskService {
  readonly store: TaskStore

  constructor (db: Database, private readonly events: EventHub, private readonly engine: TaskEngine) {
    this.store = new TaskStore(db)
  }

  get mode (): TaskEngine['mode'] { return this.engine.mode }

  async submit (input: { type: string; projectId: string | null; payload: unknown; createdBy: string | null }): Promise<TaskRow> {
    const row = await this.store.create(input)
    await this.deliver(row)
    await publishTask(this.events, 'task.queued', row)
    return row
  }

  async deliver (row: TaskRow): Promise<void> {
    if (this.engine.mode === 'in-process') this.engine.runner.enqueue(row.id)
    // BullMQ is loaded only in queue mode (already loaded by then: the queue was made with it).
    else await (await import('./bullmq.ts')).enqueueTask(this.engine.queue, row.id, row.type)
  }

  async cancel (id: string): Promise<TaskRow | undefined> {
    const row = await this.store.cancel(id)
    if (!row) return undefined
    if (this.engine.mode === 'in-process') this.engine.runner.cancel(id)
    else await (await import('./bullmq.ts')).removeQueuedTask(this.engine.queue, id)
    await publishTask(this.events, 'task.cancelled', row)
    return row
  }
}
