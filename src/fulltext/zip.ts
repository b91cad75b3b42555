/**
 * Reading ZIP archives of PDFs (bulk upload, Zotero exports with files) with
 * yauzl: the central directory is read first, entries are streamed one at a
 * time from the file on disk, never the whole archive in memory.
 *
 * Guards against zip bombs, checked on the central directory before a single
 * byte is inflated: the number of entries, the total uncompressed size and the
 * compression ratio of each entry. yauzl then checks that each entry inflates
 * to exactly its declared size (`validateEntrySizes`), so an archive that
 * lies about its sizes fails on that entry. Entry names are only ever used
 * as labels and to look an entry up: nothing is written under them (storage
 * is content-addressed), so `../../etc/passwd` is just a name.
 */
import type { Readable } from 'node:stream'
import yauzl from 'yauzl'

export interface ZipLimits {
  maxEntries: number
  maxUncompressedBytes: number
  maxRatio: number
}

export function zipLimitsFromConfig(config: { ZIP_MAX_ENTRIES: number; ZIP_MAX_UNCOMPRESSED_BYTES: number; ZIP_MAX_RATIO: number }): ZipLimits {
  return { maxEntries: config.ZIP_MAX_ENTRIES, maxUncompressedBytes: config.ZIP_MAX_UNCOMPRESSED_BYTES, maxRatio: config.ZIP_MAX_RATIO }
}

/** Entries smaller than this are not held to the ratio (a page of blank text compresses 1,000:1 and harms nobody). */
const RATIO_FLOOR_BYTES = 1024 * 1024

export type ZipRefusalReason = 'corrupt' | 'too-many-entries' | 'too-large' | 'ratio'

/** An archive refused as a whole, before anything was inflated. */
export class ZipRefusedError extends Error {
  constructor(message: string, readonly reason: ZipRefusalReason) {
    super(message)
  }
}

export interface ZipEntryInfo {
  /** The entry's path in the archive, `/`-separated (a label, never a file-system path). */
  name: string
  size: number
  compressedSize: number
  directory: boolean
  encrypted: boolean
}

/** The local file signature that starts a ZIP (or the end record of an empty one). */
export function looksLikeZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))
}

/** The name's last path segment. */
export function entryBaseName(name: string): string {
  return name.split('/').filter(Boolean).pop() ?? name
}

/**
 * An opened archive whose entries passed the guards. `open` streams one
 * entry's content; call `close` when done.
 */
export interface OpenedZip {
  entries: ZipEntryInfo[]
  open(entry: ZipEntryInfo): Promise<Readable>
  close(): void
}

/** Opens an archive and checks its central directory against the limits; ZipRefusedError when it is not a usable ZIP or is too big. */
export async function openZip(file: string, limits: ZipLimits): Promise<OpenedZip> {
  let zip: yauzl.ZipFile
  try {
    zip = await yauzl.openPromise(file, { autoClose: false, decodeStrings: false, validateEntrySizes: true })
  } catch (error) {
    throw new ZipRefusedError(`not a readable ZIP archive: ${(error as Error).message}`, 'corrupt')
  }
  const raw = new Map<ZipEntryInfo, yauzl.Entry>()
  const entries: ZipEntryInfo[] = []
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new ZipRefusedError(`the archive has ${zip.entryCount} entries, more than the limit of ${limits.maxEntries} (ZIP_MAX_ENTRIES)`, 'too-many-entries')
    }
    let total = 0
    for await (const entry of zip.eachEntry()) {
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false)
      const info: ZipEntryInfo = {
        name, size: entry.uncompressedSize, compressedSize: entry.compressedSize,
        directory: name.endsWith('/'), encrypted: entry.isEncrypted()
      }
      total += info.size
      if (total > limits.maxUncompressedBytes) {
        throw new ZipRefusedError(`the archive would inflate to more than ${limits.maxUncompressedBytes} bytes (ZIP_MAX_UNCOMPRESSED_BYTES)`, 'too-large')
      }
      if (info.size > RATIO_FLOOR_BYTES && info.size > limits.maxRatio * Math.max(1, info.compressedSize)) {
        throw new ZipRefusedError(`entry "${name}" would inflate ${Math.round(info.size / Math.max(1, info.compressedSize))} times its compressed size, more than ${limits.maxRatio} (ZIP_MAX_RATIO): a zip bomb?`, 'ratio')
      }
      raw.set(info, entry)
      entries.push(info)
    }
  } catch (error) {
    zip.close()
    if (error instanceof ZipRefusedError) throw error
    throw new ZipRefusedError(`not a readable ZIP archive: ${(error as Error).message}`, 'corrupt')
  }
  return {
    entries,
    open: (info) => zip.openReadStreamPromise(raw.get(info)!),
    close: () => { if (zip.isOpen) zip.close() }
  }
}
