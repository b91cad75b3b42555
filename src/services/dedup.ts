/**
 * Deduplication of a project's records against the database: loads the
 * records and the manual judgements, clusters them (src/dedup), and writes
 * the result in one transaction. Each article's columns are derived from its
 * immutable imported record: a cluster's primary shows the union of its
 * members' fields, every other record shows itself, so re-running after a
 * split or a manual judgement restores everything exactly.
 */
import { and, eq, getTableColumns, inArray, isNotNull, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import type { ClusterView } from '../http/schemas/duplicates.ts'
import { articles, duplicateJudgements } from '../db/schema.ts'
import { ABSTRACT_PREFIX, DuplicateFinder, type DedupResult, type DuplicateCluster } from '../dedup/cluster.ts'
import { mergeRecords } from '../dedup/merge.ts'
import type { Author, ReferenceRecord } from '../references/model.ts'
import { recordToRow, rowToRecord, type ArticleRow } from './articles.ts'

export interface DedupSummary {
  records: number
  clusters: number
  /** Records linked to a primary: the PRISMA "duplicates removed" count. */
  duplicates: number
  comparisons: number
  sharedIdentifierConflicts: number
  /** Pairs kept apart as two publications of one work (a preprint and its article). */
  relatedPairs: number
  durationMs: number
  /** Where the time went: reading the records, clustering them, writing the result. */
  phasesMs: { load: number; cluster: number; write: number }
}

/** The shown columns of an article, as recordToRow gives them (the original record aside). */
type ShownColumns = Omit<ReturnType<typeof recordToRow>, 'original' | 'completeness'>

type PlainColumns = Omit<ShownColumns, 'data'>

/**
 * How to turn one article's columns into other values: the plain columns to
 * set, and the keys of `data` to set or remove (`data` holds whole reference
 * lists in some exports: it is changed key by key, not rewritten whole).
 *
 * A primary keeps in `record` the changes that turn the cluster's union
 * (its columns) back into its own record, so that a split restores it
 * exactly: a primary usually gains a few fields, and only those are kept twice.
 */
interface ColumnChanges {
  columns: Partial<PlainColumns>
  data: Record<string, unknown>
  dataRemoved: string[]
}

const PLAIN_COLUMNS: ReadonlyArray<keyof PlainColumns> = [
  'title', 'abstract', 'authors', 'year', 'journal', 'volume', 'issue', 'pages', 'doi', 'pmid', 'pmcid', 'arxivId', 'type', 'sourceDatabase'
]

/** Everything a record's own data is made of (not the original record). */
const { original: _original, ...OWN_COLUMNS } = getTableColumns(articles)
type OwnRow = { id: string; record: unknown } & { [K in keyof ShownColumns]: unknown }

/** Rows fetched from the database at a time while loading a project's records for matching. */
const LOAD_CHUNK = 5000

/**
 * A column's own value for matching: the saved one while the article is a
 * primary (the union is in the column), else the column itself.
 */
function ownColumn(column: string, key: string, cast = ''): string {
  return `CASE WHEN saved ? '${key}' THEN (saved->>'${key}')${cast} ELSE ${column} END`
}

/**
 * The match view of every record of a project: what the matcher reads and no
 * more, with the completeness stored at import. Abstracts are not read, only
 * whether there is one: the matcher loads the few it needs (loadAbstracts);
 * authors are cut to ten; `data` (whole reference lists in some exports) is read
 * only for a journal abbreviation when there is no journal, and for rows
 * written before completeness was stored (their list fields cut to their
 * first value: only their presence counts), so memory stays low and the
 * large values stay compressed in the database.
 */
const MATCH_VIEW_SELECT = `
  SELECT id, ${ownColumn('title', 'title')} AS title,
    coalesce(${ownColumn('abstract', 'abstract')} ~ '[^[:space:]]', false) AS has_abstract,
    jsonb_path_query_array(CASE WHEN saved ? 'authors' THEN saved->'authors' ELSE authors END, '$[0 to 9]') AS authors,
    ${ownColumn('year', 'year', '::int')} AS year, ${ownColumn('journal', 'journal')} AS journal,
    ${ownColumn('volume', 'volume')} AS volume, ${ownColumn('issue', 'issue')} AS issue, ${ownColumn('pages', 'pages')} AS pages,
    ${ownColumn('doi', 'doi')} AS doi, ${ownColumn('pmid', 'pmid')} AS pmid, ${ownColumn('pmcid', 'pmcid')} AS pmcid,
    ${ownColumn('arxiv_id', 'arxivId')} AS arxiv_id, ${ownColumn('type', 'type')} AS type,
    CASE WHEN ${ownColumn('journal', 'journal')} IS NULL THEN d->>'journalAbbrev' END AS journal_abbrev,
    completeness, CASE WHEN completeness IS NULL THEN
      jsonb_build_array(d->>'url', d->>'publisher', d->>'language', d->'keywords'->>0, d->'mesh'->>0, coalesce(d->'issn'->>0, d->'isbn'->>0))
    END AS legacy
  FROM (
    SELECT a.*, a.record->'columns' AS saved,
      CASE WHEN a.record ? 'columns'
        THEN (a.data - ARRAY(SELECT jsonb_array_elements_text(a.record->'dataRemoved'))) || coalesce(a.record->'data', '{}')
        ELSE a.data END AS d
    FROM articles a`

function matchView(projectId: string): SQL {
  return sql`${sql.raw(MATCH_VIEW_SELECT)} WHERE a.project_id = ${projectId}) own ORDER BY created_at, source_index, id`
}

export async function deduplicateProject(
  db: Database, projectId: string, progress?: (fraction: number, message: string) => Promise<void>
): Promise<DedupSummary> {
  const started = performance.now()
  return db.transaction(async (tx) => {
    // One run per project at a time; imports and manual judgements queue behind it.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('dedup:' || ${projectId}))`)
    await upgradeSavedRecords(tx as unknown as Database, projectId)
    const { records, result, loaded } = await findProjectClusters(tx as unknown as Database, projectId)
    const clustered = performance.now()
    // Comparing takes most of a run; writing the links the rest.
    await progress?.(0.7, `${result.clusters.length} duplicate clusters found among ${records} records; storing them`)
    await applyClusters(tx as unknown as Database, projectId, result.clusters)
    const written = performance.now()
    const duplicates = result.clusters.reduce((n, c) => n + c.memberIds.length - 1, 0)
    return {
      records, clusters: result.clusters.length, duplicates, comparisons: result.comparisons,
      sharedIdentifierConflicts: result.sharedIdentifierConflicts.length, relatedPairs: result.relatedPairs.length, durationMs: Math.round(written - started),
      phasesMs: { load: Math.round(loaded - started), cluster: Math.round(clustered - loaded), write: Math.round(written - clustered) }
    }
  })
}

/** Reads the match view and clusters it; the features it held are garbage once this returns. */
async function findProjectClusters(tx: Database, projectId: string): Promise<{ records: number; result: DedupResult; loaded: number }> {
  const finder = new DuplicateFinder({ abstracts: 'on-demand' })
  await loadMatchView(tx, projectId, finder)
  const judgements = await tx.select().from(duplicateJudgements).where(eq(duplicateJudgements.projectId, projectId))
  const loaded = performance.now()
  const result = await finder.finishAsync({
    notDuplicatePairs: judgements.filter((j) => j.judgement === 'not_duplicate').map((j) => [j.articleA, j.articleB]),
    confirmedClusters: judgements.filter((j) => j.judgement === 'duplicate').map((j) => [j.articleA, j.articleB])
  }, (ids) => loadAbstracts(tx, ids))
  return { records: finder.size, result, loaded }
}

type MatchRow = {
  id: string; title: string; has_abstract: boolean; authors: Author[]; year: number | null; journal: string | null; volume: string | null
  issue: string | null; pages: string | null; doi: string | null; pmid: string | null; pmcid: string | null; arxiv_id: string | null
  type: string; journal_abbrev: string | null; completeness: number | null
  /** url, publisher, language, first keyword, first MeSH term, first ISSN/ISBN: only for rows without a stored completeness. */
  legacy: Array<string | null> | null
}

/**
 * The match view, read through a cursor: only one chunk of rows is in memory
 * at a time, and the finder keeps only the comparison features of each.
 */
async function loadMatchView(tx: Database, projectId: string, finder: DuplicateFinder): Promise<void> {
  // The whole result is read: plan for all rows, not for the first ones as cursors do by default.
  await tx.execute(sql.raw('SET LOCAL cursor_tuple_fraction = 1'))
  await tx.execute(sql`DECLARE dedup_match_view NO SCROLL CURSOR FOR ${matchView(projectId)}`)
  for (;;) {
    const { rows } = await tx.execute<MatchRow>(sql.raw(`FETCH ${LOAD_CHUNK} FROM dedup_match_view`))
    for (const row of rows) {
      // Rows stored before completeness was have it computed by the finder, from the view and hasAbstract.
      finder.add({ id: row.id, record: matchRecord(row), hasAbstract: row.has_abstract, completeness: row.completeness ?? undefined })
    }
    if (rows.length < LOAD_CHUNK) break
  }
  await tx.execute(sql.raw('CLOSE dedup_match_view'))
}

/** The beginning of the records' own abstracts, for the pairs only abstracts can decide. */
async function loadAbstracts(tx: Database, ids: string[]): Promise<Map<string, string>> {
  const { rows } = await tx.execute<{ id: string; abstract: string | null }>(sql`
    SELECT id, left(${sql.raw(ownColumn('abstract', 'abstract'))}, ${ABSTRACT_PREFIX}) AS abstract
    FROM (SELECT a.id, a.abstract, a.record->'columns' AS saved FROM articles a WHERE a.id = ANY(${toPgArray(ids)}::uuid[])) own`)
  return new Map(rows.filter((row) => row.abstract).map((row) => [row.id, row.abstract!]))
}

const orUndefined = <T>(value: T | null): T | undefined => value ?? undefined

function matchRecord(row: MatchRow): ReferenceRecord {
  const [url, publisher, language, keyword, mesh, issn] = row.legacy ?? []
  return {
    title: row.title || undefined, authors: row.authors ?? [], year: orUndefined(row.year),
    journal: orUndefined(row.journal), journalAbbrev: orUndefined(row.journal_abbrev), volume: orUndefined(row.volume),
    issue: orUndefined(row.issue), pages: orUndefined(row.pages), doi: orUndefined(row.doi), pmid: orUndefined(row.pmid),
    pmcid: orUndefined(row.pmcid), arxivId: orUndefined(row.arxiv_id), type: row.type as ReferenceRecord['type'],
    url: url ?? undefined, publisher: publisher ?? undefined, language: language ?? undefined,
    keywords: keyword ? [keyword] : [], mesh: mesh ? [mesh] : [], issn: issn ? [issn] : undefined,
    notes: [], attachments: [], original: null
  }
}

function withArrays(record: ReferenceRecord): ReferenceRecord {
  return { ...record, authors: record.authors ?? [], keywords: record.keywords ?? [], mesh: record.mesh ?? [], notes: record.notes ?? [], attachments: record.attachments ?? [] }
}

function isSavedChanges(value: unknown): value is ColumnChanges {
  return typeof value === 'object' && value !== null && 'columns' in value
}

/** The columns as they are (the union for a primary). */
function shownColumnsOf(row: OwnRow): ShownColumns {
  const { original: _unused, completeness: _stored, ...columns } = recordToRow(rowToRecord(row as unknown as ArticleRow))
  return columns
}

/** The record's own columns: the shown ones with the saved changes applied. */
function ownColumnsOf(row: OwnRow, shown: ShownColumns = shownColumnsOf(row)): ShownColumns {
  if (isSavedChanges(row.record)) return applyChanges(shown, row.record)
  if (row.record) {
    // Saved by an earlier version as the whole own record.
    const { original: _unused, completeness: _stored, ...columns } = recordToRow(withArrays(row.record as ReferenceRecord))
    return columns
  }
  return shown
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

/** The changes that turn `from` into `to`, or null when they are the same. */
function changesBetween(from: ShownColumns, to: ShownColumns): ColumnChanges | null {
  const columns: Partial<Record<keyof PlainColumns, unknown>> = {}
  for (const name of PLAIN_COLUMNS) if (!same(from[name], to[name])) columns[name] = to[name] ?? null
  const fromData = (from.data ?? {}) as Record<string, unknown>
  const toData = (to.data ?? {}) as Record<string, unknown>
  const data: Record<string, unknown> = {}
  const dataRemoved: string[] = []
  for (const key of new Set([...Object.keys(fromData), ...Object.keys(toData)])) {
    if (same(fromData[key], toData[key])) continue
    if (toData[key] === undefined) dataRemoved.push(key)
    else data[key] = toData[key]
  }
  if (Object.keys(columns).length === 0 && Object.keys(data).length === 0 && dataRemoved.length === 0) return null
  return { columns: columns as Partial<PlainColumns>, data, dataRemoved }
}

function applyChanges(columns: ShownColumns, changes: ColumnChanges): ShownColumns {
  const data = { ...(columns.data as Record<string, unknown>), ...changes.data }
  for (const key of changes.dataRemoved) delete data[key]
  return { ...columns, ...changes.columns, data } as ShownColumns
}

/**
 * Rewrites primaries saved by an earlier version (their whole own record in
 * `record`) to the saved changes the matcher reads.
 */
async function upgradeSavedRecords(db: Database, projectId: string): Promise<void> {
  const legacy = await db.select(OWN_COLUMNS).from(articles)
    .where(sql`${articles.projectId} = ${projectId} AND ${articles.record} IS NOT NULL AND NOT (${articles.record} ? 'columns')`)
  if (legacy.length === 0) return
  await writeColumns(db, legacy.map((row) => {
    const shown = shownColumnsOf(row as OwnRow)
    return { id: row.id, changes: null, saved: changesBetween(shown, ownColumnsOf(row as OwnRow, shown)) }
  }))
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

  // Primaries to restore and clusters to merge, a few thousand records at a time: only their rows are in memory.
  const work: Rewrite[] = [...restore.map((id) => ({ restore: id })), ...changed.map((cluster) => ({ cluster }))]
  const idsOf = (item: Rewrite) => ('restore' in item ? [item.restore] : item.cluster.memberIds)
  for (let start = 0; start < work.length;) {
    let end = start
    let size = 0
    while (end < work.length && (size === 0 || size + idsOf(work[end]).length <= WRITE_CHUNK)) size += idsOf(work[end++]).length
    await rewriteColumns(db, work.slice(start, end), work.slice(start, end).flatMap(idsOf))
    start = end
  }
}

/** A former primary that gets its own columns back, or a cluster whose primary shows the union of its members. */
type Rewrite = { restore: string } | { cluster: DuplicateCluster }

/** Records whose rows are read and rewritten together while writing clusters. */
const WRITE_CHUNK = 2000

async function rewriteColumns(db: Database, work: Rewrite[], ids: string[]): Promise<void> {
  const rows = new Map<string, OwnRow>()
  for (const row of await db.select(OWN_COLUMNS).from(articles).where(inArray(articles.id, ids))) rows.set(row.id, row as OwnRow)
  const rewrites: ColumnRewrite[] = []
  for (const item of work) {
    const row = rows.get('restore' in item ? item.restore : item.cluster.primaryId)!
    const current = shownColumnsOf(row)
    const own = ownColumnsOf(row, current)
    // A restored record shows its own columns; a primary the union of its cluster, keeping its own aside.
    let shown = own
    let saved: ColumnChanges | null = null
    if ('cluster' in item) {
      const { cluster } = item
      const others = cluster.memberIds.filter((id) => id !== cluster.primaryId).map((id) => recordOf(ownColumnsOf(rows.get(id)!)))
      const { original: _unused, completeness: _own, ...union } = recordToRow(mergeRecords(recordOf(own), others))
      shown = union
      saved = changesBetween(shown, own)
    }
    // Writes only the columns whose value changes, so unchanged large values keep their stored form.
    const changes = changesBetween(current, shown)
    if (changes || !same(row.record, saved)) rewrites.push({ id: row.id, changes, saved })
  }
  if (rewrites.length > 0) await writeColumns(db, rewrites)
}

function recordOf(columns: ShownColumns): ReferenceRecord {
  return rowToRecord(columns as unknown as ArticleRow)
}

interface ColumnRewrite {
  id: string
  /** What to change in the columns; null: nothing. */
  changes: ColumnChanges | null
  /** The changes that give the record's own columns back, kept while it is a primary. */
  saved: ColumnChanges | null
}

/** A column's new value when the changes set it, else the stored value itself (kept as it is stored). */
function setColumn(column: string, key: keyof PlainColumns, cast = ''): string {
  const value = key === 'authors' ? `r.c->'${key}'` : `(r.c->>'${key}')${cast}`
  return `${column} = CASE WHEN r.c ? '${key}' THEN ${value} ELSE a.${column} END`
}

/** Applies the changes (and sets the saved changes) of many articles in one statement. */
async function writeColumns(db: Database, rewrites: ColumnRewrite[]): Promise<void> {
  const rows = rewrites.map(({ id, changes, saved }) => ({
    id, c: changes?.columns ?? {}, d: changes?.data ?? {}, dr: changes?.dataRemoved ?? [], saved
  }))
  await db.execute(sql`UPDATE articles a SET ${sql.raw(`
      ${setColumn('title', 'title')}, ${setColumn('abstract', 'abstract')}, ${setColumn('authors', 'authors')},
      ${setColumn('year', 'year', '::int')}, ${setColumn('journal', 'journal')}, ${setColumn('volume', 'volume')},
      ${setColumn('issue', 'issue')}, ${setColumn('pages', 'pages')}, ${setColumn('doi', 'doi')}, ${setColumn('pmid', 'pmid')},
      ${setColumn('pmcid', 'pmcid')}, ${setColumn('arxiv_id', 'arxivId')}, ${setColumn('type', 'type')},
      ${setColumn('source_database', 'sourceDatabase')},
      data = CASE WHEN r.d = '{}' AND r.dr = '[]' THEN a.data
        ELSE (a.data - ARRAY(SELECT jsonb_array_elements_text(r.dr))) || r.d END,
      record = r.saved`)}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(id uuid, c jsonb, d jsonb, dr jsonb, saved jsonb)
    WHERE a.id = r.id`)
}

function toPgArray(values: string[]): string {
  return `{${values.join(',')}}`
}

export type { ClusterView }

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
