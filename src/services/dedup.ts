/**
 * Deduplication of a project's records against the database: loads the
 * records and the manual judgements, clusters them (src/dedup), and writes
 * the result in one transaction. Each article's columns are derived from its
 * immutable imported record: a cluster's primary shows the union of its
 * members' fields, every other record shows itself, so re-running after a
 * split or a manual judgement restores everything exactly.
 */
import { and, eq, getTableColumns, inArray, isNotNull, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, duplicateJudgements } from '../db/schema.ts'
import { findDuplicateClusters, type DuplicateCluster } from '../dedup/cluster.ts'
import { mergeRecords } from '../dedup/merge.ts'
import type { Author, ReferenceRecord } from '../references/model.ts'
import { recordToRow, rowToRecord } from './articles.ts'

export interface DedupSummary {
  records: number
  clusters: number
  /** Records linked to a primary: the PRISMA "duplicates removed" count. */
  duplicates: number
  comparisons: number
  sharedIdentifierConflicts: number
  durationMs: number
  /** Where the time went: reading the records, clustering them, writing the result. */
  phasesMs: { load: number; cluster: number; write: number }
}

/** What a record's own data is made of (not the search vector, not the original record). */
const { search: _search, original: _original, ...OWN_COLUMNS } = getTableColumns(articles)

/** Abstracts are only a tie-breaker for the matcher: their beginning is enough and keeps memory low. */
const ABSTRACT_PREFIX = 400

export async function deduplicateProject(db: Database, projectId: string): Promise<DedupSummary> {
  const started = performance.now()
  return db.transaction(async (tx) => {
    // One run per project at a time; imports and manual judgements queue behind it.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('dedup:' || ${projectId}))`)
    // Only what the matcher reads, with abstracts cut short: notes (whole reference lists in some exports) and
    // original records stay in the database, so memory stays low for 100,000 records.
    // Only what the matcher reads: abstracts cut short and the first ten authors; notes (whole reference
    // lists in some exports) and original records stay in the database, so memory stays low.
    const rows = (await tx.execute<MatchRow>(sql`
      SELECT id, title, left(abstract, ${ABSTRACT_PREFIX}) AS abstract, jsonb_path_query_array(authors, '$[0 to 9]') AS authors,
        year, journal, volume, issue, pages, doi, pmid, pmcid, arxiv_id, type, data - 'notes' - 'attachments' AS extra,
        CASE WHEN record IS NULL THEN NULL ELSE record - 'notes' - 'attachments' END AS own
      FROM articles WHERE project_id = ${projectId} ORDER BY created_at, source_index, id`)).rows.map(matchRecord)

    const judgements = await tx.select().from(duplicateJudgements).where(eq(duplicateJudgements.projectId, projectId))
    const loaded = performance.now()
    const result = findDuplicateClusters(rows, {
      notDuplicatePairs: judgements.filter((j) => j.judgement === 'not_duplicate').map((j) => [j.articleA, j.articleB]),
      confirmedClusters: judgements.filter((j) => j.judgement === 'duplicate').map((j) => [j.articleA, j.articleB])
    })

    const clustered = performance.now()
    await applyClusters(tx as unknown as Database, projectId, result.clusters)
    const written = performance.now()
    const duplicates = result.clusters.reduce((n, c) => n + c.memberIds.length - 1, 0)
    return {
      records: rows.length, clusters: result.clusters.length, duplicates, comparisons: result.comparisons,
      sharedIdentifierConflicts: result.sharedIdentifierConflicts.length, durationMs: Math.round(written - started),
      phasesMs: { load: Math.round(loaded - started), cluster: Math.round(clustered - loaded), write: Math.round(written - clustered) }
    }
  })
}

type MatchRow = {
  id: string; title: string; abstract: string; authors: Author[]; year: number | null; journal: string | null; volume: string | null
  issue: string | null; pages: string | null; doi: string | null; pmid: string | null; pmcid: string | null; arxiv_id: string | null
  type: string; extra: Partial<ReferenceRecord>; own: ReferenceRecord | null
}

/** A primary's own record (kept aside while its columns show the cluster's union), or the columns as they are. */
function matchRecord(row: MatchRow): { id: string; record: ReferenceRecord } {
  if (row.own) {
    const own = withArrays(row.own)
    return { id: row.id, record: { ...own, abstract: own.abstract?.slice(0, ABSTRACT_PREFIX), authors: own.authors.slice(0, 10) } }
  }
  const record = rowToRecord({ ...row, arxivId: row.arxiv_id, sourceDatabase: null, data: row.extra })
  return { id: row.id, record }
}

function withArrays(record: ReferenceRecord): ReferenceRecord {
  return { ...record, authors: record.authors ?? [], keywords: record.keywords ?? [], mesh: record.mesh ?? [], notes: record.notes ?? [], attachments: record.attachments ?? [] }
}

async function applyClusters(db: Database, projectId: string, clusters: DuplicateCluster[]): Promise<void> {
  // Only what changed since the last run is written: after an import into a large project, most
  // clusters are the same and their primaries keep the rows they have.
  const previous = await db.select({ id: articles.id, primaryId: articles.duplicateOf }).from(articles)
    .where(and(eq(articles.projectId, projectId), isNotNull(articles.duplicateOf)))
  const previousPrimaryOf = new Map(previous.map((r) => [r.id, r.primaryId!]))
  const previousMembers = new Map<string, Set<string>>()
  for (const r of previous) {
    if (!previousMembers.has(r.primaryId!)) previousMembers.set(r.primaryId!, new Set())
    previousMembers.get(r.primaryId!)!.add(r.id)
  }
  const primaryOf = new Map<string, string>()
  for (const cluster of clusters) {
    for (const id of cluster.memberIds) if (id !== cluster.primaryId) primaryOf.set(id, cluster.primaryId)
  }

  const unlinked = previous.filter((r) => !primaryOf.has(r.id)).map((r) => r.id)
  const linked = [...primaryOf].filter(([id, primaryId]) => previousPrimaryOf.get(id) !== primaryId)
  if (unlinked.length > 0) {
    await db.execute(sql`UPDATE articles SET duplicate_of = NULL WHERE id = ANY(${toPgArray(unlinked)}::uuid[])`)
  }
  if (linked.length > 0) {
    await db.execute(sql`UPDATE articles a SET duplicate_of = u.primary_id
      FROM unnest(${toPgArray(linked.map(([id]) => id))}::uuid[], ${toPgArray(linked.map(([, p]) => p))}::uuid[]) AS u(id, primary_id) WHERE a.id = u.id`)
  }

  const sameAsBefore = (cluster: DuplicateCluster) => {
    const before = previousMembers.get(cluster.primaryId)
    return before !== undefined && before.size === cluster.memberIds.length - 1 &&
      cluster.memberIds.every((id) => id === cluster.primaryId || before.has(id))
  }
  const changed = clusters.filter((c) => !sameAsBefore(c))
  const newPrimaries = new Set(clusters.map((c) => c.primaryId))
  // Former primaries that lead no cluster now get their own columns back.
  const restore = [...previousMembers.keys()].filter((id) => !newPrimaries.has(id))
  if (restore.length === 0 && changed.length === 0) return

  // Each record's own data: kept in `record` while it is a primary, otherwise its columns.
  const own = new Map<string, ReferenceRecord>()
  const needed = [...restore, ...changed.flatMap((c) => c.memberIds)]
  for (let i = 0; i < needed.length; i += 5000) {
    const chunk = needed.slice(i, i + 5000)
    for (const row of await db.select(OWN_COLUMNS).from(articles).where(inArray(articles.id, chunk))) {
      own.set(row.id, row.record ? withArrays(row.record as ReferenceRecord) : rowToRecord(row))
    }
  }
  const rewrites: Array<{ id: string; shown: ReferenceRecord; saved: ReferenceRecord | null }> = restore.map((id) => ({ id, shown: own.get(id)!, saved: null }))
  for (const cluster of changed) {
    const others = cluster.memberIds.filter((id) => id !== cluster.primaryId).map((id) => own.get(id)!)
    const mine = own.get(cluster.primaryId)!
    rewrites.push({ id: cluster.primaryId, shown: mergeRecords(mine, others), saved: mine })
  }
  for (let i = 0; i < rewrites.length; i += 2000) await writeColumns(db, rewrites.slice(i, i + 2000))
}

/** Rewrites the shown columns (and the saved own record) of many articles in one statement. */
async function writeColumns(db: Database, rewrites: Array<{ id: string; shown: ReferenceRecord; saved: ReferenceRecord | null }>): Promise<void> {
  const rows = rewrites.map(({ id, shown, saved }) => {
    const { original: _original, ...columns } = recordToRow(shown)
    return { id, ...columns, record: saved ? { ...saved, original: undefined } : null }
  })
  await db.execute(sql`UPDATE articles a SET
      title = r.title, abstract = r.abstract, authors = r.authors, year = r.year, journal = r.journal, volume = r.volume,
      issue = r.issue, pages = r.pages, doi = r.doi, pmid = r.pmid, pmcid = r.pmcid, arxiv_id = r."arxivId", type = r.type,
      source_database = r."sourceDatabase", data = r.data, record = r.record
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(id uuid, title text, abstract text, authors jsonb, year int,
      journal text, volume text, issue text, pages text, doi text, pmid text, pmcid text, "arxivId" text, type text,
      "sourceDatabase" text, data jsonb, record jsonb)
    WHERE a.id = r.id`)
}

function toPgArray(values: string[]): string {
  return `{${values.join(',')}}`
}

export interface ClusterView {
  primaryId: string
  members: Array<{ id: string; title: string; year: number | null; doi: string | null; pmid: string | null; journal: string | null; firstAuthor: string | null; sourceDatabase: string | null; confirmed: boolean }>
}

/** Current clusters of the project, largest first. */
export async function listClusters(db: Database, projectId: string, limit: number, offset: number): Promise<{ total: number; items: ClusterView[] }> {
  const [{ total }] = await db.select({ total: sql<number>`count(DISTINCT ${articles.duplicateOf})::int` }).from(articles)
    .where(and(eq(articles.projectId, projectId), isNotNull(articles.duplicateOf)))
  const primaries = await db.select({ id: articles.duplicateOf, n: sql<number>`count(*)::int` }).from(articles)
    .where(and(eq(articles.projectId, projectId), isNotNull(articles.duplicateOf)))
    .groupBy(articles.duplicateOf).orderBy(sql`count(*) DESC`, articles.duplicateOf).limit(limit).offset(offset)
  const ids = primaries.map((p) => p.id!)
  if (ids.length === 0) return { total, items: [] }
  const members = await db.select({
    id: articles.id, duplicateOf: articles.duplicateOf, title: articles.title, year: articles.year, doi: articles.doi, pmid: articles.pmid,
    journal: articles.journal, authors: articles.authors, sourceDatabase: articles.sourceDatabase
  }).from(articles).where(sql`${articles.id} IN ${ids} OR ${articles.duplicateOf} IN ${ids}`).orderBy(articles.createdAt, articles.id)
  const confirmed = await db.select({ a: duplicateJudgements.articleA, b: duplicateJudgements.articleB }).from(duplicateJudgements)
    .where(and(eq(duplicateJudgements.projectId, projectId), eq(duplicateJudgements.judgement, 'duplicate')))
  const confirmedIds = new Set(confirmed.flatMap((c) => [c.a, c.b]))
  return {
    total,
    items: ids.map((primaryId) => ({
      primaryId,
      members: members.filter((m) => m.id === primaryId || m.duplicateOf === primaryId)
        .sort((a, b) => (a.id === primaryId ? -1 : b.id === primaryId ? 1 : 0))
        .map((m) => ({
          id: m.id, title: m.title, year: m.year, doi: m.doi, pmid: m.pmid, journal: m.journal, sourceDatabase: m.sourceDatabase,
          firstAuthor: (m.authors as Array<{ family?: string }>)[0]?.family ?? null, confirmed: confirmedIds.has(m.id)
        }))
    }))
  }
}

/** Records a manual judgement on every pair among `ids` (stored as a < b). */
export async function judgePairs(db: Database, projectId: string, pairs: Array<[string, string]>, judgement: 'duplicate' | 'not_duplicate', userId: string): Promise<void> {
  if (pairs.length === 0) return
  const values = pairs.map(([x, y]) => {
    const [articleA, articleB] = x < y ? [x, y] : [y, x]
    return { projectId, articleA, articleB, judgement, userId }
  })
  await db.insert(duplicateJudgements).values(values).onConflictDoUpdate({
    target: [duplicateJudgements.articleA, duplicateJudgements.articleB],
    set: { judgement, userId, createdAt: sql`now()` }
  })
}
