import { SHUTDOWN } from './execute.ts'

/**
 * Runs tasks inside the web process with bounded concurrency, for the
 * single-researcher setup without Redis.
 */
export interface InProcessRunnerOptions {
  concurrency: number
  run: (taskId: string, signal: AbortSignal) => Promise<void>
  onError: (err: unknown, taskId: string) => void
}

export class InProcessRunner {
  private readonly waiting: string[] = []
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>()
  private closed = false
  private pumpScheduled = false

  constructor(private readonly options: InProcessRunnerOptions) {}

  enqueue(taskId: string): void {
    if (this.closed) throw new Error('task runner is shut down')
    if (this.running.has(taskId) || this.waiting.includes(taskId)) return
    this.waiting.push(taskId)
    // Started on the next turn of the event loop, not inside the caller's: a request that queues a
    // task (a decision queues a retraining) answers before the task's first steps compete with it.
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    setImmediate(() => {
      this.pumpScheduled = false
      this.pump()
    })
  }

  /** Drops a waiting task, or aborts a running one. */
  cancel(taskId: string): void {
    const index = this.waiting.indexOf(taskId)
    if (index >= 0) this.waiting.splice(index, 1)
    this.running.get(taskId)?.controller.abort('cancel')
  }

  get activeCount(): number { return this.running.size }

  /** Resolves once a task running here has ended (undefined: it is not running here). */
  settled(taskId: string): Promise<void> | undefined {
    return this.running.get(taskId)?.done
  }

  /** Enqueued here and not started yet. */
  isWaiting(taskId: string): boolean {
    return this.waiting.includes(taskId)
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.options.concurrency && this.waiting.length > 0) {
      const taskId = this.waiting.shift() as string
      const controller = new AbortController()
      const done = this.options.run(taskId, controller.signal)
        .catch((err) => this.options.onError(err, taskId))
        .finally(() => {
          this.running.delete(taskId)
          this.pump()
        })
      this.running.set(taskId, { controller, done })
    }
  }

  /**
   * Takes no new task, lets running ones finish for up to `timeoutMs`, then
   * aborts them. Waiting tasks stay queued in the database and are resumed
   * at the next start.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true
    this.waiting.length = 0
    const all = Promise.all([...this.running.values()].map((r) => r.done))
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), timeoutMs) })
    ])
    clearTimeout(timer)
    if (timedOut) {
      for (const r of this.running.values()) r.controller.abort(SHUTDOWN)
      await all
    }
  }
}
