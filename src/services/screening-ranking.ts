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
import { keepRecent } from './recent.ts'
import type { Stage } from './screening-settings.ts'

type Executor = Pick<Database, 'execute' | 'insert' | 'delete'>

export interface Ranking {
  version: number
  /** What ordered it: the trained model, or LLM probabilities before the model could train. */
  mode: 'model' | 'prior'
  /** Records ranked. */
  size: number
  /** The id of the record at a rank (0: highest score; ties by id), decoded when first asked for. */
  idAt(rank: number): string
  scoreAt(rank: number): number
  /** A record's score, or null when the fit did not rank it. */
  scoreOf(id: string): number | null
}

/** A fit's ranking as stored: 16 bytes of record id each, highest score first, and the float32 scores in the same order. */
export interface PackedRanking { ids: Uint8Array; scores: Float32Array }

/** Rankings decoded by this process, by `${projectId}:${stage}`; the least recently used go first. */
const held = new Map<string, Ranking>()
const loading = new Map<string, Promise<Ranking | undefined>>()
const HELD_RANKINGS = 64

function uuidAt(bytes: Buffer, offset: number): string {
  const hex = bytes.toString('hex', offset, offset + 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function unpackRanking(version: number, mode: Ranking['mode'], idBytes: Buffer, scoreBytes: Buffer): Ranking {
  const size = idBytes.length / 16
  // Copied out: the row's buffer may not be aligned for a Float32Array view.
  const scores = new Float32Array(size)
  for (let i = 0; i < size; i++) scores[i] = scoreBytes.readFloatLE(i * 4)
  const ids = new Array<string | undefined>(size)
  let positions: Map<string, number> | undefined
  const idAt = (rank: number) => (ids[rank] ??= uuidAt(idBytes, rank * 16))
  return {
    version, mode, size, idAt,
    scoreAt: (rank) => scores[rank],
    scoreOf(id) {
      if (!positions) {
        positions = new Map()
        for (let i = 0; i < size; i++) positions.set(idAt(i), i)
      }
      const at = positions.get(id)
      return at === undefined ? null : scores[at]
    }
  }
}

/**
 * Stores a fit's ranking as the stage's (within the caller's transaction) and bumps the project's
 * data version, so that cached article pages show the new relevance. No ranking (random order)
 * removes the stored one. Returns the stored ranking's version (null: none is stored).
 */
export async function storeRanking(tx: Executor, projectId: string, stage: Stage, mode: Ranking['mode'], ranking: PackedRanking | null): Promise<number | null> {
  const changed = () => tx.insert(projectChanges).values({ projectId }).onConflictDoNothing()
  if (!ranking || ranking.scores.length === 0) {
    const removed = await tx.delete(screeningRankings).where(and(eq(screeningRankings.projectId, projectId), eq(screeningRankings.stage, stage)))
      .returning({ version: screeningRankings.version })
    if (removed.length > 0) await changed()
    return null
  }
  await changed()
  const ids = Buffer.from(ranking.ids.buffer, ranking.ids.byteOffset, ranking.ids.byteLength)
  const scores = Buffer.alloc(ranking.scores.length * 4)
  // A plain loop: forEach boxed each score into a new heap number (~160 KB of garbage per fit of
  // 10,000 records, on the event loop's heap).
  for (let i = 0; i < ranking.scores.length; i++) scores.writeFloatLE(ranking.scores[i], i * 4)
  const { rows: [row] } = await tx.execute<{ version: string }>(sql`INSERT INTO ${screeningRankings} (project_id, stage, version, mode, ids, scores)
    VALUES (${projectId}, ${stage}, 1, ${mode}, ${ids}, ${scores})
    ON CONFLICT (project_id, stage) DO UPDATE SET version = ${screeningRankings}.version + 1, mode = excluded.mode,
      ids = excluded.ids, scores = excluded.scores, stored_at = now()
    RETURNING version`)
  return Number(row.version)
}

/**
 * Holds a ranking this process just stored (after its transaction committed), so that its readers
 * need not read back the row it wrote.
 */
export function holdRanking(projectId: string, stage: Stage, version: number, mode: Ranking['mode'], ranking: PackedRanking): void {
  const key = `${projectId}:${stage}`
  if ((held.get(key)?.version ?? -1) >= version) return
  const ids = Buffer.from(ranking.ids.buffer, ranking.ids.byteOffset, ranking.ids.byteLength)
  const scores = Buffer.from(ranking.scores.buffer, ranking.scores.byteOffset, ranking.scores.byteLength)
  keepRecent(held, key, unpackRanking(version, mode, ids, scores), HELD_RANKINGS)
}

/** The stored version of a stage's ranking (null: none), as a subquery for callers that read it with other data in one statement. */
export const rankingVersion = (projectId: string, stage: Stage) =>
  sql`(SELECT version FROM ${screeningRankings} WHERE project_id = ${projectId} AND stage = ${stage})`

/**
 * The stage's newest stored ranking (from memory when this process already decoded that version), or
 * undefined. `storedVersion`: the version the caller just read (rankingVersion), saving that read.
 */
export async function currentRanking(db: Database, projectId: string, stage: Stage, storedVersion?: number | null): Promise<Ranking | undefined> {
  const key = `${projectId}:${stage}`
  const version = storedVersion !== undefined
    ? storedVersion
    : (await db.execute<{ version: string | null }>(sql`SELECT ${rankingVersion(projectId, stage)} AS version`)).rows[0].version
  if (version === null) {
    held.delete(key)
    return undefined
  }
  const have = held.get(key)
  if (have && have.version >= Number(version)) return keepRecent(held, key, have, HELD_RANKINGS)
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
  const ranking = unpackRanking(row.version, row.mode as Ranking['mode'], row.ids, row.scores)
  // Two loads may race (a new fit stored meanwhile): keep the newer.
  if ((held.get(key)?.version ?? -1) < ranking.version) keepRecent(held, key, ranking, HELD_RANKINGS)
  return held.get(key)
}
