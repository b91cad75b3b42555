/**
 * Worker thread of the screening model (started lazily by training-thread.ts,
 * one per process): builds the TF-IDF features (kept for the last few
 * projects, under a fingerprint of the records and their texts that the caller
 * gives), fits the classifier on the labels and scores every record, so that
 * the process's event loop never runs a training. A request without texts
 * reuses the kept features of the same fingerprint, or is answered
 * `needsTexts` (the caller then sends them).
 */
import { parentPort } from 'node:worker_threads'
import { createScreeningModel, type LabelledRecord } from './active-learning.ts'
import { buildTfidf, type TfidfFeatures } from './features.ts'
import type { ClassifierName } from './models.ts'
import { MODEL_DEFAULTS } from './simulate.ts'

export interface TrainRequest {
  id: number
  /** Names the feature cache slot (project, stage, classifier). */
  key: string
  /** Identifies the records and their texts (changes when either does). */
  fingerprint: string
  /** The records' texts; omitted when the features of `fingerprint` are presumed kept. */
  texts?: string[]
  classifier: ClassifierName
  labelled: LabelledRecord[]
  priors?: Array<number | null>
}

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

export type TrainReply = { id: number; ok: true; result: TrainResult } | { id: number; ok: false; message: string } | { id: number; ok: false; needsTexts: true }

const featureCache = new Map<string, { fingerprint: string; features: TfidfFeatures }>()
const FEATURE_CACHE_SIZE = 4

/** Thrown when a request without texts finds no kept features of its fingerprint. */
export class TextsNeeded extends Error {}

function cachedFeatures(key: string, fingerprint: string, texts: readonly string[] | undefined, classifier: ClassifierName): { features: TfidfFeatures; cached: boolean } {
  const hit = featureCache.get(key)
  if (hit && hit.fingerprint === fingerprint) return { features: hit.features, cached: true }
  if (!texts) throw new TextsNeeded()
  const features = buildTfidf(texts, MODEL_DEFAULTS[classifier].featureOptions)
  featureCache.delete(key)
  featureCache.set(key, { fingerprint, features })
  while (featureCache.size > FEATURE_CACHE_SIZE) featureCache.delete(featureCache.keys().next().value as string)
  return { features, cached: false }
}

/** Features, fit and scores of one training (also callable on the calling thread, for comparison). */
export function train(request: Omit<TrainRequest, 'id'>): TrainResult {
  const featureStart = performance.now()
  const { features, cached } = cachedFeatures(request.key, request.fingerprint, request.texts, request.classifier)
  const featureMs = performance.now() - featureStart
  const fitStart = performance.now()
  const defaults = MODEL_DEFAULTS[request.classifier]
  const model = createScreeningModel({
    seed: 1, features, classifier: request.classifier, balance: defaults.balance, balanceRatio: defaults.balanceRatio, priorScores: request.priors
  })
  const fit = model.fit(request.labelled)
  const scores = fit.mode === 'random' ? null : model.scoreAll()
  return { mode: fit.mode, includes: fit.includes, excludes: fit.excludes, maybes: fit.maybes, scores, featureMs, featuresCached: cached, fitMs: performance.now() - fitStart }
}

parentPort?.on('message', (request: TrainRequest) => {
  let reply: TrainReply
  try {
    reply = { id: request.id, ok: true, result: train(request) }
  } catch (error) {
    reply = error instanceof TextsNeeded
      ? { id: request.id, ok: false, needsTexts: true }
      : { id: request.id, ok: false, message: (error as Error)?.message ?? String(error) }
  }
  const transfer = reply.ok && reply.result.scores ? [reply.result.scores.buffer as ArrayBuffer] : []
  parentPort!.postMessage(reply, transfer)
})
