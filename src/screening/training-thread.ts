/**
 * The process's one screening-model thread (src/threads/module-thread.ts):
 * started on the first training, reused after, terminated with the process's
 * other module threads (the server's and the worker's onClose). A thread that
 * dies fails the trainings it was running; the next training starts a new one.
 */
import { ModuleThread, moduleBeside } from '../threads/module-thread.ts'
import type { TrainReply, TrainRequest, TrainResult } from './training-worker.ts'

class TrainingThread extends ModuleThread<TrainRequest, TrainReply> {
  constructor() { super(moduleBeside(import.meta.url, 'training-worker'), 'screening model') }

  /**
   * Trains in the thread. Without `records`, resolves null when the thread does not keep the
   * records of `fingerprint` (first training, changed articles, or a restarted thread): send them then.
   */
  train(request: Omit<TrainRequest, 'id' | 'records'> & Required<Pick<TrainRequest, 'records'>>): Promise<TrainResult>
  train(request: Omit<TrainRequest, 'id'>): Promise<TrainResult | null>
  async train(request: Omit<TrainRequest, 'id'>): Promise<TrainResult | null> {
    const reply = await this.call(request)
    if (reply.ok) return reply.result
    if ('needsTexts' in reply) return null
    throw new Error(`screening model training failed: ${reply.message}`)
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
