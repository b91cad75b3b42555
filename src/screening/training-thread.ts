/**
 * The process's one screening-model thread: started on the first training,
 * reused after, terminated by closeTrainingThread() (the server's and the
 * worker's onClose). A thread that dies (crash, out of memory) fails the
 * trainings it was running with an error that says so; the next training
 * starts a new one.
 *
 * The texts of a training (10,000 abstracts weigh megabytes) are copied to the
 * thread only when they differ from those last sent for the same key: the
 * thread then reuses its features without copying or hashing anything.
 */
import { Worker } from 'node:worker_threads'
import type { TrainMessage, TrainReply, TrainRequest, TrainResult } from './training-worker.ts'

// Under tsx (development, tests) the thread registers tsx's loader itself before importing the
// worker (Node 20 workers ignore `--import` in execArgv); compiled, it imports the .js file.
const EXT = new URL(import.meta.url).pathname.endsWith('.ts') ? '.ts' : '.js'
const WORKER_URL = new URL(`./training-worker${EXT}`, import.meta.url)

interface Pending { resolve: (result: TrainResult) => void; reject: (error: Error) => void }

/** Keys whose texts are remembered on this side; the thread keeps as many feature sets. */
const SENT_TEXTS_KEPT = 4

class MissingTextsError extends Error {}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

class TrainingThread {
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  /** Per key, the ids and texts last posted to the running thread (it handles messages in order). */
  private readonly sent = new Map<string, { ids: readonly string[]; texts: readonly string[] }>()
  private nextId = 1
  /** Threads started so far (1 + restarts after a death). */
  started = 0

  async train(request: Omit<TrainRequest, 'id'>): Promise<TrainResult> {
    const last = this.worker && this.sent.get(request.key)
    const unchanged = last !== undefined && sameStrings(last.ids, request.ids) && sameStrings(last.texts, request.texts)
    try {
      return await this.post(request, !unchanged)
    } catch (error) {
      // The thread no longer has the features (dropped from its cache, or their build failed).
      if (error instanceof MissingTextsError) return await this.post(request, true)
      throw error
    }
  }

  private post(request: Omit<TrainRequest, 'id'>, withTexts: boolean): Promise<TrainResult> {
    const worker = this.worker ?? this.start()
    const id = this.nextId++
    if (withTexts) {
      this.sent.delete(request.key)
      this.sent.set(request.key, { ids: request.ids, texts: request.texts })
      while (this.sent.size > SENT_TEXTS_KEPT) this.sent.delete(this.sent.keys().next().value as string)
    }
    return new Promise<TrainResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.ref()
      const message: TrainMessage = { ...request, id, ids: withTexts ? request.ids : null, texts: withTexts ? request.texts : null }
      worker.postMessage(message)
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
    this.sent.clear()
    // An idle thread does not keep the process alive (it is ref'ed while a training runs).
    worker.on('message', (reply: TrainReply) => {
      const waiting = this.pending.get(reply.id)
      if (!waiting) return
      this.pending.delete(reply.id)
      if (this.pending.size === 0) worker.unref()
      if (reply.ok) waiting.resolve(reply.result)
      else if (reply.missingTexts) waiting.reject(new MissingTextsError(reply.message))
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
