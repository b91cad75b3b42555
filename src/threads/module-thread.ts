/**
 * A module run in a worker thread of its own, for work that would hold the
 * requests' event loop for long (a model's fit, a formatted bibliography):
 * started on the first call, reused after, ended by close(). A thread that
 * dies (crash, out of memory) fails the calls it was running with an error that
 * says so; the next call starts a new one. An idle thread does not keep the
 * process alive, and with `idleMs` it ends after that long without a call (its
 * memory goes back to the system; the next call starts a new one).
 * closeModuleThreads() ends every thread of the process (the server's and the
 * worker's onClose).
 *
 * The module answers each message `{ id, ... }` with a message carrying the same `id`.
 */
import { Worker } from 'node:worker_threads'

/**
 * The URL of the worker module `name` beside the module at `base` (its import.meta.url). Under tsx
 * (development, tests) the .ts file, compiled the .js one.
 */
export function moduleBeside(base: string, name: string): URL {
  return new URL(`./${name}${new URL(base).pathname.endsWith('.ts') ? '.ts' : '.js'}`, base)
}

/** A request without its id, member by member when the requests are a union. */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never

const threads = new Set<ModuleThread<{ id: number }, { id: number }>>()

export class ModuleThread<Request extends { id: number }, Reply extends { id: number }> {
  private worker: Worker | undefined
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>()
  private nextId = 1
  private idleTimer: NodeJS.Timeout | undefined
  /** Threads started so far (1 + restarts after a death or an idle end). */
  started = 0

  /** `label` names the thread in errors ("the <label> thread stopped …"). */
  constructor(private readonly moduleUrl: URL, private readonly label: string, private readonly options: { idleMs?: number } = {}) {
    threads.add(this as unknown as ModuleThread<{ id: number }, { id: number }>)
  }

  /** Posts `request` (its id is set here) and resolves with the thread's reply to it. */
  call(request: WithoutId<Request>): Promise<Reply> {
    const worker = this.worker ?? this.start()
    clearTimeout(this.idleTimer)
    const id = this.nextId++
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.ref()
      worker.postMessage({ ...request, id })
    })
  }

  /** The running thread's id (undefined when none runs). */
  get threadId(): number | undefined { return this.worker?.threadId }

  async close(): Promise<void> {
    const worker = this.worker
    this.worker = undefined
    clearTimeout(this.idleTimer)
    this.failAll(new Error(`the ${this.label} thread was closed`))
    await worker?.terminate()
  }

  private start(): Worker {
    // Under tsx the thread registers tsx's loader itself before importing the module (Node 20
    // workers ignore `--import` in execArgv); compiled, it imports the .js file.
    const worker = this.moduleUrl.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(this.moduleUrl.href)}) })`, { eval: true })
      : new Worker(this.moduleUrl)
    this.started++
    // Ref'ed only while a call runs.
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id)
      if (!waiting) return
      this.pending.delete(reply.id)
      if (this.pending.size === 0) {
        worker.unref()
        // A call meanwhile clears it.
        if (this.options.idleMs !== undefined) this.idleTimer = setTimeout(() => void this.close(), this.options.idleMs).unref()
      }
      waiting.resolve(reply)
    })
    const died = (reason: string) => {
      if (this.worker !== worker) return
      this.worker = undefined
      this.failAll(new Error(`the ${this.label} thread stopped (${reason}); the next call starts a new one`))
    }
    worker.on('error', (error) => died(error.message))
    worker.on('exit', (code) => died(`exit code ${code}`))
    this.worker = worker
    return worker
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error)
    this.pending.clear()
  }
}

/** Ends every module thread of the process (idempotent; a later call starts a thread again). */
export async function closeModuleThreads(): Promise<void> {
  await Promise.all([...threads].map((thread) => thread.close()))
}
