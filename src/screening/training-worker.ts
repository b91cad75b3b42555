/**
 * Worker thread of the screening model (started lazily by training-thread.ts,
 * one per process): builds the TF-IDF features (kept for the last few
 * projects, keyed by a fingerprint of the texts), fits the classifier on the
 * labels and scores every record, so that the process's event loop never runs
 * a training. A request without texts means "the texts last sent for this
 * key": the cached features are used as they are, or, when they are gone, the
 * reply asks for the texts (missingTexts).
 */
import { createHash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import { createScreeningModel, type LabelledRecord } from './active-learning.ts'
import { buildTfidf, type TfidfFeatures } from './features.ts'
import type { ClassifierName } from './models.ts'
import { MODEL_DEFAULTS } from './simulate.ts'

export interface TrainRequest {
  id: number
  /** Names the feature cache slot (project, stage, classifier). */
  key: string
  ids: string[]
  texts: string[]
  classifier: ClassifierName
  labelled: LabelledRecord[]
  priors?: Array<number | null>
}

/** What the thread receives: ids and texts are null when they are those last sent for the key. */
export type TrainMessage = Omit<TrainRequest, 'ids' | 'texts'> & { ids: string[] | null; texts: string[] | null }

export interface TrainResult {
  mode: 'model' | 'prior' | 'random'
  includes: number
  excludes: number
  maybes: number
  /** One score per record (null in random mode). */
  scores: Float64Array | null
  featureMs: number
  featuresCached: boolean
  fitMs: number
}

export type TrainReply =
  | { id: number; ok: true; result: TrainResult }
  | { id: number; ok: false; message: string; missingTexts?: boolean }

const featureCache = new Map<string, { fingerprint: string; classifier: ClassifierName; features: TfidfFeatures }>()
const FEATURE_CACHE_SIZE = 4

function cachedFeatures(key: string, ids: readonly string[], texts: readonly string[], classifier: ClassifierName): { features: TfidfFeatures; cached: boolean } {
  const hash = createHash('sha1')
  for (let i = 0; i < ids.length; i++) hash.update(ids[i]).update('\u0000').update(texts[i]).update('\u0001')
  const fingerprint = hash.digest('hex')
  const hit = featureCache.get(key)
  if (hit && hit.fingerprint === fingerprint && hit.classifier === classifier) return { features: hit.features, cached: true }
  // Gone before the build: if it fails, a later request without texts must not find the old features.
  featureCache.delete(key)
  const features = buildTfidf(texts, MODEL_DEFAULTS[classifier].featureOptions)
  featureCache.set(key, { fingerprint, classifier, features })
  while (featureCache.size > FEATURE_CACHE_SIZE) featureCache.delete(featureCache.keys().next().value as string)
  return { features, cached: false }
}

/** Features, fit and scores of one training (also callable on the calling thread, for comparison). */
export function train(request: Omit<TrainRequest, 'id'>): TrainResult {
  const featureStart = performance.now()
  const { features, cached } = cachedFeatures(request.key, request.ids, request.texts, request.classifier)
  return fitAndScore(request, features, cached, performance.now() - featureStart)
}

class MissingTexts extends Error {}

/** A request of the thread: its own texts, or (texts null) the features kept for its key. */
function trainMessage(message: TrainMessage): TrainResult {
  if (message.ids && message.texts) return train({ ...message, ids: message.ids, texts: message.texts })
  const kept = featureCache.get(message.key)
  if (!kept || kept.classifier !== message.classifier) throw new MissingTexts(`no features kept for "${message.key}"`)
  return fitAndScore(message, kept.features, true, 0)
}

function fitAndScore(request: Omit<TrainMessage, 'id' | 'ids' | 'texts'>, features: TfidfFeatures, cached: boolean, featureMs: number): TrainResult {
  const fitStart = performance.now()
  const defaults = MODEL_DEFAULTS[request.classifier]
  const model = createScreeningModel({
    seed: 1, features, classifier: request.classifier, balance: defaults.balance, balanceRatio: defaults.balanceRatio, priorScores: request.priors
  })
  const fit = model.fit(request.labelled)
  const scores = fit.mode === 'random' ? null : model.scoreAll()
  return { mode: fit.mode, includes: fit.includes, excludes: fit.excludes, maybes: fit.maybes, scores, featureMs, featuresCached: cached, fitMs: performance.now() - fitStart }
}

parentPort?.on('message', (request: TrainMessage) => {
  let reply: TrainReply
  try {
    reply = { id: request.id, ok: true, result: trainMessage(request) }
  } catch (error) {
    reply = { id: request.id, ok: false, message: (error as Error)?.message ?? String(error), ...(error instanceof MissingTexts ? { missingTexts: true } : {}) }
  }
  const transfer = reply.ok && reply.result.scores ? [reply.result.scores.buffer as ArrayBuffer] : []
  parentPort!.postMessage(reply, transfer)
})
