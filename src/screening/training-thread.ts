/**
 * The process's one screening-model thread: started on the first training,
 * reused after, terminated by closeTrainingThread() (the server's and the
 * worker's onClose). A thread that dies (crash, out of memory) fails the
 * trainings it was running with an error that says so; the next training
 * starts a new one.
 */
import { Worker } from 'node:worker_threads'
import type { TrainReply, TrainRequest, TrainResult } from './training-worker.ts'

// Under tsx (development, tests) the thread registers tsx's loader itself before importing the
// worker (Node 20 workers ignore `--import` in execArgv); compiled, it imports the .js file.
const EXT = new URL(import.meta.url).pathname.endsWith('.ts') ? '.ts' : '.js'
const WORKER_URL = new URL(`./training-worker${EXT}`, import.meta.url)

interface Pending { resolve: (result: TrainResult | null) => void; reject: (error: Error) => void }

class TrainingThread {
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  /** Threads started so far (1 + restarts after a death). */
  started = 0

  /**
   * Trains in the thread. Without `records`, resolves null when the thread does not keep the
   * records of `fingerprint` (first training, changed articles, or a restarted thread): send them then.
   */
  train(request: Omit<TrainRequest, 'id' | 'records'> & Required<Pick<TrainRequest, 'records'>>): Promise<TrainResult>
  train(request: Omit<TrainRequest, 'id'>): Promise<TrainResult | null>
  train(request: Omit<TrainRequest, 'id'>): Promise<TrainResult | null> {
    const worker = this.worker ?? this.start()
    const id = this.nextId++
    return new Promise<TrainResult | null>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.ref()
      worker.postMessage({ ...request, id } satisfies TrainRequest)
    })
  }

  /** The running thread's id, for tests that need to end it. */
  get threadId(): number | undefined { return this.worker?.threadId }

  async close(): Promise<void> {
    const worker = this.worker
    this.worker = undefined
    this.failAll(new Error('the screening model thread was closed'))
    await worker?.terminate()
  }

  private start(): Worker {
    const worker = EXT === '.ts'
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`, { eval: true })
      : new Worker(WORKER_URL)
    this.started++
    // An idle thread does not keep the process alive (it is ref'ed while a training runs).
    worker.on('message', (reply: TrainReply) => {
      const waiting = this.pending.get(reply.id)
      if (!waiting) return
      this.pending.delete(reply.id)
      if (this.pending.size === 0) worker.unref()
      if (reply.ok) waiting.resolve(reply.result)
      else if ('needsTexts' in reply) waiting.resolve(null)
      else waiting.reject(new Error(`screening model training failed: ${reply.message}`))
    })
    const died = (reason: string) => {
      if (this.worker !== worker) return
      this.worker = undefined
      this.failAll(new Error(`the screening model thread stopped (${reason}); the next training starts a new one`))
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

let thread: TrainingThread | undefined

/** The process's training thread (created on first use). */
export function trainingThread(): TrainingThread {
  thread ??= new TrainingThread()
  return thread
}

/** Ends the training thread if one was started (idempotent). */
export async function closeTrainingThread(): Promise<void> {
  await thread?.close()
}
