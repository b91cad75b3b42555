/**
 * The ranking of a stage's records by its latest model fit: stored once per fit as one row
 * (`screening_rankings`: ids and scores packed in rank order, and a version that grows with each
 * fit), and held in memory by every process that reads it. A reader asks PostgreSQL for the row's
 * version (one small indexed read) and decodes the row again only when it changed, so a ranking
 * stored by a worker process is seen by every web process at their next read.
 */
import { and, eq, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { projectChanges, screeningRankings } from '../db/schema.ts'
import type { Stage } from './screening-settings.ts'

type Executor = Pick<Database, 'execute' | 'insert' | 'delete'>

export interface Ranking {
  version: number
  /** What ordered it: the trained model, or LLM probabilities before the model could train. */
  mode: 'model' | 'prior'
  /** Record ids, highest score first (ties by id). */
  ids: string[]
  /** Their scores (float32), same order. */
  scores: Float32Array
  /** A record's score, or null when the fit did not rank it. */
  scoreOf(id: string): number | null
}

/** Rankings decoded by this process, by `${projectId}:${stage}`; the least recently used go first. */
const held = new Map<string, Ranking>()
const loading = new Map<string, Promise<Ranking | undefined>>()
const HELD_RANKINGS = 64

function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex')
}

function uuidAt(bytes: Buffer, offset: number): string {
  const hex = bytes.toString('hex', offset, offset + 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function makeRanking(version: number, mode: Ranking['mode'], ids: string[], scores: Float32Array): Ranking {
  let positions: Map<string, number> | undefined
  return {
    version, mode, ids, scores,
    scoreOf(id) {
      positions ??= new Map(ids.map((rankedId, i) => [rankedId, i]))
      const at = positions.get(id)
      return at === undefined ? null : scores[at]
    }
  }
}

/**
 * Stores a fit's scores as the stage's ranking (within the caller's transaction) and bumps the
 * project's data version, so that cached article pages show the new relevance. Records without a
 * finite score are left out; no scores at all removes the ranking.
 */
export async function storeRanking(tx: Executor, projectId: string, stage: Stage, mode: Ranking['mode'], ids: readonly string[], scores: ArrayLike<number> | null): Promise<void> {
  const changed = () => tx.insert(projectChanges).values({ projectId }).onConflictDoNothing()
  const order = scores ? ids.map((_, i) => i).filter((i) => Number.isFinite(scores[i])) : []
  if (order.length === 0) {
    const removed = await tx.delete(screeningRankings).where(and(eq(screeningRankings.projectId, projectId), eq(screeningRankings.stage, stage)))
      .returning({ version: screeningRankings.version })
    if (removed.length > 0) await changed()
    return
  }
  await changed()
  const rounded = Float32Array.from(scores!)
  order.sort((a, b) => rounded[b] - rounded[a] || (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0))
  const packedIds = Buffer.alloc(order.length * 16)
  const packedScores = Buffer.alloc(order.length * 4)
  order.forEach((i, rank) => {
    uuidBytes(ids[i]).copy(packedIds, rank * 16)
    packedScores.writeFloatLE(rounded[i], rank * 4)
  })
  await tx.execute(sql`INSERT INTO ${screeningRankings} (project_id, stage, version, mode, ids, scores)
    VALUES (${projectId}, ${stage}, 1, ${mode}, ${packedIds}, ${packedScores})
    ON CONFLICT (project_id, stage) DO UPDATE SET version = ${screeningRankings}.version + 1, mode = excluded.mode,
      ids = excluded.ids, scores = excluded.scores, stored_at = now()`)
}

/** The stage's newest stored ranking (from memory when this process already decoded that version), or undefined. */
export async function currentRanking(db: Database, projectId: string, stage: Stage): Promise<Ranking | undefined> {
  const key = `${projectId}:${stage}`
  const { rows } = await db.execute<{ version: string }>(sql`SELECT version FROM ${screeningRankings} WHERE project_id = ${projectId} AND stage = ${stage}`)
  if (rows.length === 0) {
    held.delete(key)
    return undefined
  }
  const have = held.get(key)
  if (have && have.version >= Number(rows[0].version)) {
    held.delete(key)
    held.set(key, have)
    return have
  }
  let pending = loading.get(key)
  if (!pending) {
    pending = loadRanking(db, projectId, stage).finally(() => loading.delete(key))
    loading.set(key, pending)
  }
  return pending
}

async function loadRanking(db: Database, projectId: string, stage: Stage): Promise<Ranking | undefined> {
  const key = `${projectId}:${stage}`
  const [row] = await db.select({ version: screeningRankings.version, mode: screeningRankings.mode, ids: screeningRankings.ids, scores: screeningRankings.scores })
    .from(screeningRankings).where(and(eq(screeningRankings.projectId, projectId), eq(screeningRankings.stage, stage)))
  if (!row) return undefined
  const count = row.ids.length / 16
  const ids = new Array<string>(count)
  const scores = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    ids[i] = uuidAt(row.ids, i * 16)
    scores[i] = row.scores.readFloatLE(i * 4)
  }
  const ranking = makeRanking(row.version, row.mode as Ranking['mode'], ids, scores)
  // Two loads may race (a new fit stored meanwhile): keep the newer.
  if ((held.get(key)?.version ?? -1) < ranking.version) {
    held.delete(key)
    held.set(key, ranking)
    while (held.size > HELD_RANKINGS) held.delete(held.keys().next().value as string)
  }
  return held.get(key)
}
