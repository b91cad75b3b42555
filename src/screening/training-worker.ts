/**
 * Worker thread of the screening model (started lazily by training-thread.ts,
 * one per process): builds the TF-IDF features of the model's pipelines (kept for the last few
 * projects, with the records' ids, under a fingerprint of the records and
 * their texts that the caller gives), fits the classifier on the labels and scores every record, so that
 * the process's event loop never runs a training. A request without records
 * reuses the kept records and features of the same fingerprint, or is
 * answered `needsTexts` (the caller then sends them). It also returns the
 * ranking packed for storage, so the calling thread never sorts or encodes
 * the records.
 */
import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import path from 'node:path'
import { parentPort } from 'node:worker_threads'
import type { LabelledRecord } from './active-learning.ts'
import type { TfidfFeatures } from './features.ts'
import type { ClassifierName } from './models.ts'
import { buildModelFeatures, createModel } from './pipelines.ts'

export interface TrainRequest {
  id: number
  /** Names the feature cache slot (project, stage, classifier). */
  key: string
  /** Identifies the records and their texts (changes when either does). */
  fingerprint: string
  /** The records (ids in ascending order, and their texts); omitted when the thread is presumed to keep those of `fingerprint`. */
  records?: { ids: string[]; texts: string[] }
  classifier: ClassifierName
  /** Labels by record id (ids not among the records are ignored). */
  labels: Array<[string, LabelledRecord['label']]>
  /** LLM probabilities of inclusion by record id, when any. */
  priors?: Array<[string, number]>
}

export interface TrainResult {
  mode: 'model' | 'prior' | 'random'
  records: number
  includes: number
  excludes: number
  maybes: number
  /** One score per record, in the order of the records' ids (null in random mode). */
  scores: Float64Array | null
  /**
   * The records with a finite score, highest first (float32 scores; ties in id order), packed as
   * screening_rankings stores them: 16 bytes of id each, and the scores. Null in random mode.
   */
  ranking: { ids: Uint8Array; scores: Float32Array } | null
  featureMs: number
  featuresCached: boolean
  fitMs: number
}

export type TrainReply = { id: number; ok: true; result: TrainResult } | { id: number; ok: false; message: string } | { id: number; ok: false; needsTexts: true }

interface KeptRecords { fingerprint: string; features: TfidfFeatures[]; ids: string[]; indexOf: Map<string, number>; idBytes: Buffer }
const featureCache = new Map<string, KeptRecords>()
const FEATURE_CACHE_SIZE = 4

/** Thrown when a request without records finds none kept under its fingerprint. */
export class TextsNeeded extends Error {}

function keptRecords(request: Omit<TrainRequest, 'id'>): { kept: KeptRecords; cached: boolean } {
  const hit = featureCache.get(request.key)
  if (hit && hit.fingerprint === request.fingerprint) return { kept: hit, cached: true }
  if (!request.records) throw new TextsNeeded()
  const { ids, texts } = request.records
  const idBytes = Buffer.alloc(ids.length * 16)
  ids.forEach((id, i) => idBytes.write(id.replace(/-/g, ''), i * 16, 16, 'hex'))
  const kept = {
    fingerprint: request.fingerprint, features: buildModelFeatures(texts, request.classifier),
    ids, indexOf: new Map(ids.map((id, i) => [id, i])), idBytes
  }
  featureCache.delete(request.key)
  featureCache.set(request.key, kept)
  while (featureCache.size > FEATURE_CACHE_SIZE) featureCache.delete(featureCache.keys().next().value as string)
  return { kept, cached: false }
}

/** The records with a finite score by decreasing float32 score, ties by index (the ids are in ascending order). */
function packRanking(kept: KeptRecords, scores: Float64Array): { ids: Uint8Array; scores: Float32Array } {
  const rounded = Float32Array.from(scores)
  const order: number[] = []
  for (let i = 0; i < rounded.length; i++) if (Number.isFinite(rounded[i])) order.push(i)
  order.sort((a, b) => rounded[b] - rounded[a] || a - b)
  const ids = new Uint8Array(order.length * 16)
  const ranked = new Float32Array(order.length)
  order.forEach((i, rank) => {
    kept.idBytes.copy(ids, rank * 16, i * 16, i * 16 + 16)
    ranked[rank] = rounded[i]
  })
  return { ids, scores: ranked }
}

/** Features, fit and scores of one training (also callable on the calling thread, for comparison). */
export function train(request: Omit<TrainRequest, 'id'>): TrainResult {
  const featureStart = performance.now()
  const { kept, cached } = keptRecords(request)
  const featureMs = performance.now() - featureStart
  const fitStart = performance.now()
  const labelled: LabelledRecord[] = []
  for (const [id, label] of request.labels) {
    const index = kept.indexOf.get(id)
    if (index !== undefined) labelled.push({ index, label })
  }
  let priorScores: Array<number | null> | undefined
  if (request.priors && request.priors.length > 0) {
    priorScores = new Array<number | null>(kept.ids.length).fill(null)
    for (const [id, p] of request.priors) {
      const index = kept.indexOf.get(id)
      if (index !== undefined) priorScores[index] = p
    }
  }
  const model = createModel(request.classifier, kept.features, { seed: 1, priorScores })
  const fit = model.fit(labelled)
  const scores = fit.mode === 'random' ? null : model.scoreAll()
  return {
    mode: fit.mode, records: kept.ids.length, includes: fit.includes, excludes: fit.excludes, maybes: fit.maybes, scores,
    ranking: scores ? packRanking(kept, scores) : null, featureMs, featuresCached: cached, fitMs: performance.now() - fitStart
  }
}

/**
 * Linux: lowers this thread's scheduling priority (nice 10; the thread's id is the last part of
 * /proc/thread-self), so that when the cores are busy the process's requests and PostgreSQL run
 * before a retraining, which nobody waits for. Elsewhere, or if refused, nothing changes.
 */
function yieldToRequests(): void {
  try {
    const threadId = Number(path.basename(readlinkSync('/proc/thread-self')))
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, 10)
  } catch {
    // Not Linux, or not allowed: the thread keeps the process's priority.
  }
}

if (parentPort) yieldToRequests()

parentPort?.on('message', (request: TrainRequest) => {
  let reply: TrainReply
  try {
    reply = { id: request.id, ok: true, result: train(request) }
  } catch (error) {
    reply = error instanceof TextsNeeded
      ? { id: request.id, ok: false, needsTexts: true }
      : { id: request.id, ok: false, message: (error as Error)?.message ?? String(error) }
  }
  const transfer = reply.ok && reply.result.scores && reply.result.ranking
    ? [reply.result.scores.buffer, reply.result.ranking.ids.buffer, reply.result.ranking.scores.buffer] as ArrayBuffer[]
    : []
  parentPort!.postMessage(reply, transfer)
})
