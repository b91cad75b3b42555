/**
 * Reading ZIP archives (XLSX and any other zip-based upload) without trusting
 * them: the central directory is read from the end of the file, entries are
 * inflated as streams, and every inflated byte counts against a budget shared
 * by the whole upload, so a decompression bomb stops at the limit instead of
 * filling memory or disk. Declared sizes are only used to refuse early.
 */
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { createInflateRaw } from 'node:zlib'
import { ImportLimitError, type ImportLimits } from './limits.ts'

export interface ZipEntry {
  name: string
  /** 0 stored, 8 deflated */
  method: number
  compressedSize: number
  /** As declared by the archive: never trusted, only used to refuse early. */
  declaredSize: number
  localHeaderOffset: number
}

/** A ZIP archive that cannot be read (truncated, not a ZIP, an unsupported feature). */
export class ZipFormatError extends Error {}

const EOCD_SIGNATURE = 0x06054b50
const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50
/** The end-of-central-directory record and the longest comment after it. */
const EOCD_SEARCH_BYTES = 22 + 0xffff
const MAX_ENTRIES = 100_000

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(length)
    const { bytesRead } = await handle.read(buffer, 0, length, position)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/** The entries of the archive at `path`, by name. */
export async function readZipDirectory(path: string, size: number): Promise<Map<string, ZipEntry>> {
  const tailStart = Math.max(0, size - EOCD_SEARCH_BYTES)
  const tail = await readAt(path, tailStart, size - tailStart)
  let eocd = -1
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE) { eocd = i; break }
  }
  if (eocd < 0) throw new ZipFormatError('the ZIP archive is truncated or damaged (no central directory)')
  const count = tail.readUInt16LE(eocd + 10)
  const directorySize = tail.readUInt32LE(eocd + 12)
  const directoryOffset = tail.readUInt32LE(eocd + 16)
  if (count === 0xffff || directoryOffset === 0xffffffff) throw new ZipFormatError('ZIP64 archives with this many entries are not supported')
  if (count > MAX_ENTRIES) throw new ZipFormatError(`the ZIP archive has ${count} entries (at most ${MAX_ENTRIES} are read)`)
  if (directoryOffset + directorySize > size) throw new ZipFormatError('the ZIP archive is truncated or damaged (central directory out of bounds)')
  const directory = await readAt(path, directoryOffset, directorySize)
  const entries = new Map<string, ZipEntry>()
  let p = 0
  for (let n = 0; n < count; n++) {
    if (p + 46 > directory.length || directory.readUInt32LE(p) !== CENTRAL_SIGNATURE) {
      throw new ZipFormatError('the ZIP archive is truncated or damaged (bad central directory entry)')
    }
    const nameLength = directory.readUInt16LE(p + 28)
    const extraLength = directory.readUInt16LE(p + 30)
    const commentLength = directory.readUInt16LE(p + 32)
    const entry: ZipEntry = {
      name: directory.toString('utf8', p + 46, p + 46 + nameLength),
      method: directory.readUInt16LE(p + 10),
      compressedSize: directory.readUInt32LE(p + 20),
      declaredSize: directory.readUInt32LE(p + 24),
      localHeaderOffset: directory.readUInt32LE(p + 42)
    }
    readZip64Extra(directory.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength), entry)
    entries.set(entry.name.replace(/^\/+/, ''), entry)
    p += 46 + nameLength + extraLength + commentLength
  }
  return entries
}

/** ZIP64 sizes and offset, present for the fields whose 32-bit value is 0xffffffff. */
function readZip64Extra(extra: Buffer, entry: ZipEntry): void {
  for (let q = 0; q + 4 <= extra.length;) {
    const id = extra.readUInt16LE(q)
    const length = extra.readUInt16LE(q + 2)
    if (id === 0x0001) {
      let r = q + 4
      const next = (): number => { const value = Number(extra.readBigUInt64LE(r)); r += 8; return value }
      if (entry.declaredSize === 0xffffffff && r + 8 <= q + 4 + length) entry.declaredSize = next()
      if (entry.compressedSize === 0xffffffff && r + 8 <= q + 4 + length) entry.compressedSize = next()
      if (entry.localHeaderOffset === 0xffffffff && r + 8 <= q + 4 + length) entry.localHeaderOffset = next()
      return
    }
    q += 4 + length
  }
}

/** Inflated bytes of one upload, counted against IMPORT_MAX_INFLATED_BYTES. */
export class InflateBudget {
  used = 0
  constructor(readonly limits: ImportLimits) {}

  add(bytes: number): void {
    this.used += bytes
    if (this.used > this.limits.maxInflatedBytes) throw ImportLimitError.inflated(this.limits)
  }

  /** Refuses an entry whose declared size alone exceeds what is left. */
  check(entry: ZipEntry): void {
    if (this.used + entry.declaredSize > this.limits.maxInflatedBytes) throw ImportLimitError.inflated(this.limits, entry.name, entry.declaredSize)
  }
}

/**
 * The inflated content of an entry, chunk by chunk. `onRead` receives the
 * compressed bytes read so far (for progress). Stops with an ImportLimitError
 * as soon as the budget is exceeded.
 */
export async function* readZipEntry(path: string, entry: ZipEntry, budget: InflateBudget, onRead?: (compressedBytes: number) => void): AsyncGenerator<Buffer> {
  budget.check(entry)
  const header = await readAt(path, entry.localHeaderOffset, 30)
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_SIGNATURE) throw new ZipFormatError(`the ZIP entry ${entry.name} is damaged`)
  if (entry.method !== 0 && entry.method !== 8) throw new ZipFormatError(`the ZIP entry ${entry.name} uses an unsupported compression method (${entry.method})`)
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28)
  if (entry.compressedSize === 0) return
  const raw = createReadStream(path, { start, end: start + entry.compressedSize - 1, highWaterMark: 64 * 1024 })
  const inflater = entry.method === 8 ? createInflateRaw({ chunkSize: 64 * 1024 }) : undefined
  const source = inflater ? raw.pipe(inflater) : raw
  if (inflater) raw.once('error', (error) => inflater.destroy(error))
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      budget.add(chunk.length)
      onRead?.(raw.bytesRead)
      yield chunk
    }
  } finally {
    raw.destroy()
    inflater?.destroy()
  }
}
