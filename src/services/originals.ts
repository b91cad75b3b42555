/**
 * The original records of imported files (table `original_chunks`): the
 * importer writes them in order, ORIGINALS_PER_CHUNK to a Brotli-compressed
 * chunk of JSON lines; an article's original is line `source_index % n` of
 * chunk `source_index / n` of its batch.
 *
 * Why chunks: stored as a column of each article, the originals (a few
 * kilobytes of JSON per record) cost the import about a third of its time,
 * PostgreSQL compressing and storing each one apart. Compressed together by
 * the importer they shrink to a fraction and cost PostgreSQL almost nothing.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { promisify } from 'node:util'
import { brotliDecompress, constants, createBrotliCompress, type BrotliCompress } from 'node:zlib'
import { and, eq, inArray, notInArray } from 'drizzle-orm'
import type pg from 'pg'
import type { Database } from '../db/index.ts'
import { originalChunks, tasks } from '../db/schema.ts'

export const ORIGINALS_PER_CHUNK = 500
/** Characters of JSON lines held before they go to the chunk's compressor. */
const PENDING_BYTES_MAX = 4 * 1024 * 1024

/** Spool directories are named this prefix and the import's task id, in the OS temp directory. */
const SPOOL_PREFIX = 'analylit-originals-'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const decompress = promisify(brotliDecompress)
/** Brotli's fastest setting: as small as gzip's fastest here (about a third of the JSON) in half the time. */
const COMPRESSION = { params: { [constants.BROTLI_PARAM_QUALITY]: 0 } }

/**
 * Collects the originals of one import, in record order. The import's COPY
 * holds the database connection while records stream, so each chunk is
 * compressed as a stream (in zlib's thread pool) into a spool file, and
 * stored once the articles are: `store` runs in the import's transaction,
 * after its COPY.
 *
 * Lines go to the chunk's compressor in pieces of at most
 * PENDING_BYTES_MAX, so memory holds a piece and the compressor's state, not
 * a whole chunk: 500 records just under the import's record limit would
 * otherwise be hundreds of megabytes of JSON at once. Ordinary records fill
 * a chunk before a piece does, and take one compressor call per chunk.
 */
export class OriginalsWriter {
  private pending: string[] = []
  private pendingBytes = 0
  /** Records in the chunk being written. */
  private count = 0
  private compressor: BrotliCompress | undefined
  /** Compressed bytes of the chunk being written, and its end. */
  private chunkBytes = 0
  private chunkDone: Promise<void> | undefined
  private readonly chunkSizes: number[] = []
  private spool: WriteStream | undefined
  private spoolPath: string | undefined
  private spoolError: Error | undefined

  /**
   * `spoolName` names the spool directory in the OS temp directory: the
   * import's task id, so that a run resumed after its process was killed
   * removes what the killed run left.
   */
  constructor(private readonly spoolName: string) {}

  /** Adds the original of the next record (undefined or null when the record has none). */
  async add(original: unknown): Promise<void> {
    const line = original === undefined ? 'null' : JSON.stringify(original)
    this.pending.push(this.count === 0 ? line : `\n${line}`)
    this.pendingBytes += line.length + 1
    this.count++
    if (this.pendingBytes >= PENDING_BYTES_MAX) await this.writePending()
    if (this.count === ORIGINALS_PER_CHUNK) await this.endChunk()
  }

  /** Stores every chunk for the batch, with the connection of the import's transaction. */
  async store(client: pg.PoolClient, batchId: string): Promise<void> {
    await this.endChunk()
    if (!this.spool || !this.spoolPath) return
    if (this.spoolError) throw this.spoolError
    this.spool.end()
    if (!this.spool.writableFinished) await once(this.spool, 'finish')
    if (this.spoolError) throw this.spoolError
    const stream = createReadStream(this.spoolPath)
    let pending: Buffer = Buffer.alloc(0)
    let chunk = 0
    for await (const data of stream as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? data : Buffer.concat([pending, data])
      while (chunk < this.chunkSizes.length && pending.length >= this.chunkSizes[chunk]) {
        const size = this.chunkSizes[chunk]
        await client.query('INSERT INTO original_chunks (batch_id, chunk, records) VALUES ($1, $2, $3)', [batchId, chunk, pending.subarray(0, size)])
        pending = pending.subarray(size)
        chunk++
      }
    }
    if (chunk !== this.chunkSizes.length) throw new Error(`original records spool ended after ${chunk} of ${this.chunkSizes.length} chunks`)
  }

  /** Removes the spool file (always call, whatever happened). */
  async dispose(): Promise<void> {
    this.compressor?.destroy()
    await this.chunkDone?.catch(() => {})
    this.spool?.destroy()
    if (this.spoolPath) await fs.rm(path.dirname(this.spoolPath), { recursive: true, force: true })
  }

  /** Hands the pending lines to the chunk's compressor, which writes into the spool as it goes. */
  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return
    const text = this.pending.join('')
    this.pending = []
    this.pendingBytes = 0
    const compressor = this.compressor ?? await this.startChunk()
    if (this.spoolError) throw this.spoolError
    if (!compressor.write(text)) await Promise.race([once(compressor, 'drain'), this.chunkDone])
  }

  private async startChunk(): Promise<BrotliCompress> {
    if (!this.spool) {
      const dir = path.join(os.tmpdir(), `${SPOOL_PREFIX}${this.spoolName}`)
      await fs.rm(dir, { recursive: true, force: true })
      await fs.mkdir(dir, { recursive: true })
      this.spoolPath = path.join(dir, 'chunks')
      this.spool = createWriteStream(this.spoolPath)
      // A failed spool ends the chunk being written, which would otherwise wait for 'drain' for ever.
      this.spool.on('error', (err) => { this.spoolError ??= err; this.compressor?.destroy(err) })
    }
    const compressor = createBrotliCompress(COMPRESSION)
    const spool = this.spool
    this.compressor = compressor
    this.chunkBytes = 0
    // The spool stays open across chunks: each chunk's bytes follow the previous one's, written as they
    // come out of the compressor, which waits while the file catches up.
    compressor.on('data', (data: Buffer) => {
      this.chunkBytes += data.length
      if (!spool.write(data)) {
        compressor.pause()
        spool.once('drain', () => compressor.resume())
      }
    })
    this.chunkDone = new Promise<void>((resolve, reject) => {
      compressor.once('end', resolve)
      compressor.once('error', reject)
      // Destroyed by dispose() without an error: nothing more will come.
      compressor.once('close', resolve)
    })
    this.chunkDone.catch(() => {})
    return compressor
  }

  /** Finishes the chunk being written and records its compressed size. */
  private async endChunk(): Promise<void> {
    await this.writePending()
    if (!this.compressor) return
    this.compressor.end()
    await this.chunkDone
    if (this.spoolError) throw this.spoolError
    this.chunkSizes.push(this.chunkBytes)
    this.compressor = undefined
    this.chunkDone = undefined
    this.count = 0
  }
}

/**
 * Removes the spools that imports killed mid-run (kill -9, a machine that
 * went down) left in `dir`, once their task has ended elsewhere or for
 * good; a task still queued or running removes its own when it runs again.
 * Spools of tasks this database does not know are left alone: they may
 * belong to another instance on the same machine. Returns the task ids whose
 * spools were removed.
 */
export async function removeAbandonedSpools(db: Database, dir = os.tmpdir()): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[])
  const ids = names.filter((name) => name.startsWith(SPOOL_PREFIX)).map((name) => name.slice(SPOOL_PREFIX.length)).filter((id) => UUID.test(id))
  if (ids.length === 0) return []
  const ended = await db.select({ id: tasks.id }).from(tasks).where(and(inArray(tasks.id, ids), notInArray(tasks.status, ['queued', 'running'])))
  for (const { id } of ended) await fs.rm(path.join(dir, `${SPOOL_PREFIX}${id}`), { recursive: true, force: true })
  return ended.map((row) => row.id)
}

/** The original of the record at `sourceIndex` of an imported batch; undefined when none was stored. */
export async function readOriginal(db: Database, batchId: string, sourceIndex: number): Promise<unknown> {
  const [row] = await db.select({ records: originalChunks.records }).from(originalChunks)
    .where(and(eq(originalChunks.batchId, batchId), eq(originalChunks.chunk, Math.floor(sourceIndex / ORIGINALS_PER_CHUNK))))
  if (!row) return undefined
  const text = (await decompress(row.records)).toString('utf8')
  let start = 0
  for (let line = sourceIndex % ORIGINALS_PER_CHUNK; line > 0; line--) {
    start = text.indexOf('\n', start) + 1
    if (start === 0) return undefined
  }
  const end = text.indexOf('\n', start)
  return JSON.parse(end === -1 ? text.slice(start) : text.slice(start, end)) ?? undefined
}

/** An article's original record: its own column (records found through APIs) or its import's chunk. */
export async function originalOf(db: Database, row: { original: unknown; batchId: string | null; sourceIndex: number }): Promise<unknown> {
  if (row.original !== null && row.original !== undefined) return row.original
  return row.batchId ? readOriginal(db, row.batchId, row.sourceIndex) : undefined
}
