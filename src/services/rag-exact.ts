/**
 * Exact cosine top-k over a project's embedded chunks without pgvector
 * (src/rag/vectors.ts has the two-stage method and why it is exact).
 *
 * The int8 codes are read from PostgreSQL into a cache per process, one
 * segment per full-text file, each tagged with the version (`xmin`) of its
 * `full_text_index` row: the indexing task rewrites that row in the
 * transaction that replaces the file's chunks, and deleting a full text
 * deletes it. Each retrieval reads the project's versions (one row per file)
 * and reloads only the files that changed, so every process (web, workers)
 * sees what any other indexed, with no message between them.
 *
 * Memory: the cache holds at most `maxBytes` of segments over all projects
 * (dimensions + 16 bytes per chunk), least recently used project out. A
 * project larger than that alone is streamed from the database at each
 * retrieval instead (a batch of files at a time, nothing kept), which is
 * still exact.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { buildSegment, CandidateScan, decodeFloat4, dot, segmentBytes, topExact, type Segment } from '../rag/vectors.ts'

/** Files loaded per statement: about 20,000 chunks at the default chunk size, a few tens of MB in flight. */
const FILES_PER_LOAD = 200
/** Vectors scored between two turns of the event loop (a few milliseconds), so other requests are served during a scan. */
const VECTORS_PER_TURN = 16_384

interface FileSegment { stamp: string; segment: Segment; bytes: number }
interface ProjectVectors { files: Map<string, FileSegment>; bytes: number }

class VectorCache {
  /** Least recently used first. */
  private readonly projects = new Map<string, ProjectVectors>()
  private total = 0
  constructor(readonly maxBytes: number) {}

  take(key: string): ProjectVectors {
    const entry = this.projects.get(key) ?? { files: new Map(), bytes: 0 }
    this.projects.delete(key)
    this.projects.set(key, entry)
    return entry
  }

  drop(key: string): void {
    const entry = this.projects.get(key)
    if (entry) this.total -= entry.bytes
    this.projects.delete(key)
  }

  put(entry: ProjectVectors, fileId: string, file: FileSegment | null): void {
    const before = entry.files.get(fileId)?.bytes ?? 0
    if (file) entry.files.set(fileId, file)
    else entry.files.delete(fileId)
    const delta = (file?.bytes ?? 0) - before
    entry.bytes += delta
    this.total += delta
  }

  /** Evicts other projects, least recently used first, until the cache is within its bound. */
  trim(keep: string): void {
    for (const [key, entry] of this.projects) {
      if (this.total <= this.maxBytes) return
      if (key !== keep) {
        this.total -= entry.bytes
        this.projects.delete(key)
      }
    }
  }

  get bytes(): number { return this.total }
}

const caches = new WeakMap<Database, VectorCache>()
function cacheOf(db: Database, maxBytes: number): VectorCache {
  let cache = caches.get(db)
  if (!cache || cache.maxBytes !== maxBytes) {
    cache = new VectorCache(maxBytes)
    caches.set(db, cache)
  }
  return cache
}

/** Bytes of the vector cache of this process for this database (for the benchmark and tests). */
export function vectorCacheBytes(db: Database): number {
  return caches.get(db)?.bytes ?? 0
}

async function loadSegments(db: Database, model: string, dims: number, fileIds: string[]): Promise<Map<string, FileSegment>> {
  // Scale and residual in binary (float4send): exactly the float4 stored, whatever the server's float output settings.
  const { rows } = await db.execute<{ file_id: string; stamp: string; id: number; codes: Buffer; scale: Buffer; residual: Buffer }>(sql`
    SELECT i.file_id, i.xmin::text AS stamp, c.id::float8 AS id, c.embedding_codes AS codes,
      float4send(c.embedding_scale) AS scale, float4send(c.embedding_residual) AS residual
    FROM full_text_index i JOIN full_text_chunks c ON c.file_id = i.file_id AND c.embedding_model = i.embedding_model
    WHERE i.file_id = ANY(${`{${fileIds.join(',')}}`}::uuid[]) AND i.embedding_model = ${model} AND octet_length(c.embedding_codes) = ${dims}
    ORDER BY i.file_id, c.id`)
  const byFile = new Map<string, typeof rows>()
  for (const row of rows) {
    const list = byFile.get(row.file_id) ?? []
    list.push(row)
    byFile.set(row.file_id, list)
  }
  const out = new Map<string, FileSegment>()
  for (const [fileId, list] of byFile) {
    const segment = buildSegment(list.map((r) => ({ id: Number(r.id), codes: r.codes, scale: r.scale.readFloatBE(0), residual: r.residual.readFloatBE(0) })), dims)
    out.set(fileId, { stamp: list[0].stamp, segment, bytes: segmentBytes(segment) })
  }
  return out
}

/**
 * The `limit` chunks of the project embedded with `model` whose embedding is
 * most similar to the unit vector `query` (cosine = dot product), exactly:
 * highest similarity first, ties by the smaller chunk id.
 */
export async function nearestChunksExact(
  db: Database, maxBytes: number, projectId: string, model: string, query: number[], limit: number
): Promise<Array<{ id: number; similarity: number }>> {
  const dims = query.length
  const { rows: versions } = await db.execute<{ file_id: string; stamp: string; chunks: number }>(sql`
    SELECT file_id, xmin::text AS stamp, chunk_count AS chunks FROM full_text_index
    WHERE project_id = ${projectId} AND embedding_model = ${model} AND dimensions = ${dims}`)
  const key = `${projectId}\n${model}\n${dims}`
  const cache = cacheOf(db, maxBytes)
  const expected = versions.reduce((sum, v) => sum + Number(v.chunks), 0) * (dims + 16)
  const scan = new CandidateScan(query, limit)
  let sinceTurn = 0
  const score = async (segment: Segment) => {
    scan.add(segment)
    sinceTurn += segment.ids.length
    if (sinceTurn >= VECTORS_PER_TURN) {
      sinceTurn = 0
      await yieldToEventLoop()
    }
  }

  if (expected > maxBytes) {
    cache.drop(key)
    for (let i = 0; i < versions.length; i += FILES_PER_LOAD) {
      const loaded = await loadSegments(db, model, dims, versions.slice(i, i + FILES_PER_LOAD).map((v) => v.file_id))
      for (const file of loaded.values()) await score(file.segment)
    }
  } else {
    const entry = cache.take(key)
    const current = new Set(versions.map((v) => v.file_id))
    for (const fileId of [...entry.files.keys()]) if (!current.has(fileId)) cache.put(entry, fileId, null)
    const stale = versions.filter((v) => entry.files.get(v.file_id)?.stamp !== v.stamp).map((v) => v.file_id)
    for (let i = 0; i < stale.length; i += FILES_PER_LOAD) {
      const batch = stale.slice(i, i + FILES_PER_LOAD)
      const loaded = await loadSegments(db, model, dims, batch)
      // A file indexed without embeddings for this model has no segment: it is absent, as it is from the versions.
      for (const fileId of batch) cache.put(entry, fileId, loaded.get(fileId) ?? null)
    }
    cache.trim(key)
    // A snapshot: a concurrent retrieval may replace segments while this one yields.
    for (const file of [...entry.files.values()]) await score(file.segment)
  }

  const candidates = scan.candidates()
  if (candidates.length === 0) return []
  const { rows } = await db.execute<{ id: number; embedding: Buffer }>(sql`
    SELECT id::float8 AS id, embedding FROM full_text_chunks
    WHERE id = ANY(${`{${candidates.join(',')}}`}::bigint[]) AND project_id = ${projectId} AND embedding_model = ${model} AND octet_length(embedding) = ${dims * 4}`)
  return topExact(rows.map((r) => ({ id: Number(r.id), similarity: dot(decodeFloat4(r.embedding), query) })), limit)
}
