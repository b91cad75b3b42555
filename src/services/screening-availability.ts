/**
 * What a reviewer may still screen at title/abstract, held in memory per project and reviewer and
 * keyed by the project's data version (`projects.data_version`, bumped at the commit of every write to
 * its articles, decisions or ranking; the project scope reads it with every request). While the
 * version a request carries is the one held, nothing that decides availability changed, and `next`
 * needs no statement to know it.
 *
 * A write made by this process moves what it holds forward instead of dropping it: the writer fires
 * the version bump inside its transaction (committedVersion), which locks the project row until
 * commit, so the version it reads is the one its own commit produces and the previous one is the
 * state without it. After the commit, an entry held at exactly the previous version takes the
 * write's effect and the new version; any other entry is dropped and read again when next asked for
 * (another process wrote meanwhile). A decision followed by a retraining therefore costs the
 * reviewer's next `next` no read at all.
 */
import { sql } from 'drizzle-orm'
import type { Database, Transaction } from '../db/index.ts'
import { articles, decisions, projectChanges, projects, screeningStates } from '../db/schema.ts'
import { keepRecent } from './recent.ts'
import { rankingVersion } from './screening-ranking.ts'

/** A live record's human decisions and resolution at title/abstract (screening_states, kept by triggers). */
export interface RecordState {
  /** Reviewers with a current human decision. */
  humans: number
  /** Their current decisions differ. */
  split: boolean
  resolved: boolean
}

interface Held {
  dataVersion: number
  /** The stored title/abstract ranking's version at that data version (null: none). */
  rankingVersion: number | null
  /** Live (non-duplicate) records. */
  live: number
  /** Live records with a human decision or a resolution. */
  states: Map<string, RecordState>
  /** Records the reviewer decided. */
  own: Set<string>
  /** Some record has an LLM's suggestion at title/abstract (they order the records before any training). */
  suggested: boolean
  /** Records closed to the reviewer, counted once per reviewers-per-record setting (dropped when a state changes). */
  closedCount: Map<number, number>
}

export interface Availability {
  rankingVersion: number | null
  /** Some record has an LLM's suggestion at title/abstract. */
  suggested: boolean
  /** Live records the reviewer may still screen. */
  remaining: number
  isAvailable(recordId: string): boolean
  /** The status of an available record: someone decided differently ('conflict'), else 'awaiting'. */
  status(recordId: string): 'awaiting' | 'conflict'
}

/** By project, then reviewer. */
const held = new Map<string, Map<string, Held>>()
const HELD_PROJECTS = 32
/** Reads from the database so far (what the memory saved is visible in tests and benchmarks). */
export const availabilityReads = { count: 0 }

type Executor = Pick<Database, 'execute'>

/** The reviewer's availability at the project's data version, from memory when held at that version. */
export async function availabilityFor(db: Database, project: { id: string; dataVersion: number }, reviewerId: string, reviewersPerRecord: number): Promise<Availability> {
  let entry = held.get(project.id)?.get(reviewerId)
  if (!entry || entry.dataVersion !== Number(project.dataVersion)) {
    entry = await load(db, project.id, reviewerId)
    const byReviewer = held.get(project.id) ?? keepRecent(held, project.id, new Map<string, Held>(), HELD_PROJECTS)
    byReviewer.set(reviewerId, entry)
  }
  return view(entry, reviewersPerRecord)
}

function view(entry: Held, reviewersPerRecord: number): Availability {
  const { states, own } = entry
  const closed = (id: string, state: RecordState) => state.resolved || state.humans >= reviewersPerRecord || own.has(id)
  let unavailable = entry.closedCount.get(reviewersPerRecord)
  if (unavailable === undefined) {
    unavailable = 0
    for (const [id, state] of states) if (closed(id, state)) unavailable++
    entry.closedCount.set(reviewersPerRecord, unavailable)
  }
  return {
    rankingVersion: entry.rankingVersion,
    suggested: entry.suggested,
    remaining: entry.live - unavailable,
    isAvailable(id) {
      const state = states.get(id)
      return !state || !closed(id, state)
    },
    status: (id) => (states.get(id)?.split ? 'conflict' : 'awaiting')
  }
}

/** One statement, one snapshot: the data version, the ranking's version, the live count, every record's state, the reviewer's own decisions, and whether LLM suggestions exist. */
async function load(db: Executor, projectId: string, reviewerId: string): Promise<Held> {
  availabilityReads.count++
  const { rows: [row] } = await db.execute<{
    data_version: string; ranking_version: string | null; live: string; states: Array<[string, number, boolean, boolean]>; own: string[]; suggested: boolean
  }>(sql`
    SELECT p.data_version, ${rankingVersion(projectId, 'title_abstract')} AS ranking_version,
      EXISTS (SELECT 1 FROM ${decisions} l WHERE l.project_id = ${projectId} AND l.stage = 'title_abstract' AND l.source = 'llm') AS suggested,
      (SELECT count(*) FROM ${articles} l WHERE l.project_id = ${projectId} AND l.duplicate_of IS NULL) AS live,
      coalesce((SELECT json_agg(json_build_array(s.record_id, s.humans, s.lowest IS DISTINCT FROM s.highest, s.resolution IS NOT NULL))
        FROM ${screeningStates} s WHERE s.project_id = ${projectId} AND s.stage = 'title_abstract'), '[]') AS states,
      coalesce((SELECT array_agg(DISTINCT coalesce(a.duplicate_of, a.id)) FROM ${decisions} d JOIN ${articles} a ON a.id = d.article_id
        WHERE d.project_id = ${projectId} AND d.stage = 'title_abstract' AND d.source = 'human' AND d.reviewer_id = ${reviewerId}), '{}') AS own
    FROM ${projects} p WHERE p.id = ${projectId}`)
  const states = new Map<string, RecordState>()
  for (const [id, humans, split, resolved] of row?.states ?? []) states.set(id, { humans, split, resolved })
  return {
    dataVersion: Number(row?.data_version ?? -1),
    rankingVersion: row?.ranking_version == null ? null : Number(row.ranking_version),
    live: Number(row?.live ?? 0),
    states,
    own: new Set(row?.own ?? []),
    suggested: row?.suggested ?? false,
    closedCount: new Map()
  }
}

/**
 * Inside a writer's transaction, after its last write to the project: runs the deferred data-version
 * bump now and returns the version this transaction's commit produces. The bump leaves the project
 * row locked until the transaction ends, so no other writer's change can come between. Null when the
 * transaction noted no change of the project (it bumps nothing): the version it would read is the
 * last one another writer produced, and advancing to it would take that writer's change for none.
 */
export async function committedVersion(tx: Transaction, projectId: string): Promise<number | null> {
  const { rows: [noted] } = await tx.execute<{ noted: boolean }>(sql`SELECT EXISTS (
    SELECT 1 FROM ${projectChanges} WHERE project_id = ${projectId} AND txid = txid_current_if_assigned()) AS noted`)
  if (!noted.noted) return null
  await tx.execute(sql`SET CONSTRAINTS project_changes_bump IMMEDIATE`)
  const { rows: [row] } = await tx.execute<{ data_version: string }>(sql`SELECT data_version FROM ${projects} WHERE id = ${projectId}`)
  return Number(row.data_version)
}

export type DecisionInsert = typeof decisions.$inferInsert

/** A decisions row as PostgreSQL returns it. */
interface DecisionColumns {
  id: string; project_id: string; article_id: string; reviewer_id: string | null; stage: 'title_abstract' | 'full_text'
  decision: 'include' | 'exclude' | 'maybe'; reason: string | null; note: string | null; source: string; tags: string[]
  probability: number | null; justification: string | null; model: string | null; origin: unknown; created_at: Date
}

/**
 * Inserts one title/abstract decision on an article of the project and learns the data version its
 * commit produces (as committedVersion does) and the state of the article's record after it, in one round
 * trip: the statements go as one simple-protocol query (which takes no parameters, hence the quoted
 * literals), so the decision costs one exchange with PostgreSQL instead of six. Undefined (nothing
 * written) when the article is not the project's. `settingsAsRead`: the screening settings the
 * decision was checked against, when they come from memory; 'stale' (nothing written) when the
 * project's are no longer those, or the project is gone. A failure rolls the transaction back.
 */
export async function insertCommitted(
  db: Database, values: DecisionInsert, settingsAsRead?: unknown
): Promise<{ row: DecisionColumns; recordId: string; version: number; state: RecordState | null } | 'stale' | undefined> {
  const client = await db.$client.connect()
  const literal = (value: string | null | undefined) => (value === null || value === undefined ? 'NULL' : client.escapeLiteral(value))
  const tags = `ARRAY[${(values.tags ?? []).map(literal).join(', ')}]::text[]`
  const article = `${literal(values.articleId)}::uuid`
  // The settings the decision was checked against must still be the project's (jsonb equality).
  const settingsHeld = settingsAsRead === undefined ? 'true' : `p.screening_settings = ${literal(JSON.stringify(settingsAsRead))}::jsonb`
  const text = `BEGIN;
    INSERT INTO decisions (project_id, article_id, reviewer_id, stage, decision, reason, note, tags, source)
    SELECT a.project_id, a.id, ${literal(values.reviewerId)}, 'title_abstract', ${literal(values.decision)},
      ${literal(values.reason)}, ${literal(values.note)}, ${tags}, ${literal(values.source ?? 'human')}
    FROM articles a JOIN projects p ON p.id = a.project_id AND ${settingsHeld}
    WHERE a.id = ${article} AND a.project_id = ${literal(values.projectId)}::uuid
    RETURNING *;
    SET CONSTRAINTS project_changes_bump IMMEDIATE;
    SELECT p.data_version, coalesce(a.duplicate_of, a.id) AS record_id, s.humans, s.lowest IS DISTINCT FROM s.highest AS split,
      s.resolution IS NOT NULL AS resolved, ${settingsHeld} AS settings_held
    FROM projects p LEFT JOIN articles a ON a.id = ${article}
      LEFT JOIN screening_states s ON s.record_id = coalesce(a.duplicate_of, a.id) AND s.stage = 'title_abstract'
    WHERE p.id = ${literal(values.projectId)}::uuid;
    COMMIT`
  let failed: unknown
  try {
    const results = await client.query(text) as unknown as Array<{ rows: Array<Record<string, unknown>> }>
    const row = results[1].rows[0] as unknown as DecisionColumns | undefined
    const after = results[3].rows[0] as { data_version: string; record_id: string; humans: number | null; split: boolean; resolved: boolean; settings_held: boolean } | undefined
    if (!row) return settingsAsRead !== undefined && !after?.settings_held ? 'stale' : undefined
    if (!after) throw new Error('the project of a decision just inserted was not found')
    return {
      row,
      recordId: after.record_id,
      version: Number(after.data_version),
      state: after.humans === null ? null : { humans: after.humans, split: after.split, resolved: after.resolved }
    }
  } catch (error) {
    failed = error
    await client.query('ROLLBACK').then(() => { failed = undefined }, () => {})
    throw error
  } finally {
    // A connection whose rollback failed is closed rather than handed back in a failed transaction.
    client.release(failed instanceof Error ? failed : undefined)
  }
}

/**
 * After the commit of a transaction that produced `version` (committedVersion): every entry held at
 * the version before takes `change` and the new version; the others are dropped.
 */
function advance(projectId: string, version: number, change: (entry: Held, reviewerId: string) => void): void {
  const byReviewer = held.get(projectId)
  if (!byReviewer) return
  for (const [reviewerId, entry] of byReviewer) {
    if (entry.dataVersion === version - 1) {
      change(entry, reviewerId)
      entry.dataVersion = version
    } else {
      byReviewer.delete(reviewerId)
    }
  }
}

/** A committed title/abstract decision (human or resolution) on `recordId`, whose state after it is `state`. */
export function decisionCommitted(projectId: string, version: number, recordId: string, state: RecordState | null, humanReviewerId: string | null): void {
  advance(projectId, version, (entry, reviewerId) => {
    if (state) entry.states.set(recordId, state)
    else entry.states.delete(recordId)
    if (reviewerId === humanReviewerId) entry.own.add(recordId)
    entry.closedCount.clear()
  })
}

/** A committed change of the stored title/abstract ranking (its new version; null: removed). */
export function rankingCommitted(projectId: string, version: number, storedRankingVersion: number | null): void {
  advance(projectId, version, (entry) => {
    entry.rankingVersion = storedRankingVersion
  })
}

/** A committed write that changes nothing of title/abstract availability (e.g. a full-text ranking). */
export function unrelatedChangeCommitted(projectId: string, version: number): void {
  advance(projectId, version, () => {})
}

/** Forgets what this process holds (tests). */
export function forgetAvailability(): void {
  held.clear()
}
