/**
 * Entry point of reference imports: open an uploaded file, detect its
 * encoding and format, and stream its records. Nothing here holds the whole
 * file: the beginning (64 KiB) is read for detection, then every call to the
 * input's `text()`/`bytes()` opens a fresh read stream.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { ParsedItem } from './model.ts'
import { ENCODING_SAMPLE_BYTES, decodeByteChunks, detectEncoding, type TextEncodingName } from './encoding.ts'
import { formatById, formats } from './formats/index.ts'
import type { ImportLimits } from './limits.ts'
import type { FormatId, FormatInput, ReferenceFormat } from './formats/types.ts'

/** Thrown when a file is not a bibliography in any supported format. */
export class UnsupportedFormatError extends Error {
  /** Labels of the formats that were expected, for the message shown to the user. */
  readonly expected: string[]

  constructor(problem: string, expected: string[] = supportedFormatLabels()) {
    super(`${problem} Expected a bibliography file in one of these formats: ${expected.join(', ')}.`)
    this.name = 'UnsupportedFormatError'
    this.expected = expected
  }
}

/** "RIS (.ris, .txt)"-style labels of the registered formats. */
export function supportedFormatLabels(): string[] {
  return formats.map((format) => `${format.label} (${format.extensions.map((extension) => `.${extension}`).join(', ')})`)
}

/** Anything that can hand out the bytes of one file, as many times as asked. */
export interface ByteSource {
  bytes(): AsyncIterable<Uint8Array>
  fileName?: string
  /** The file on disk, if the bytes come from one. */
  path?: string
  /** Size in bytes, if known: progress is the share of it parsed. */
  size?: number
}

export interface OpenedReferences {
  format: ReferenceFormat
  /** Encoding the text was decoded from: utf-8, utf-16le, utf-16be or windows-1252. */
  encoding: TextEncodingName
  /** The decoded input, for callers that want to parse again (each call streams anew). */
  input: FormatInput
  /** The records and per-record errors, streamed. */
  items: AsyncIterable<ParsedItem>
  /** How far parsing got through the file (0–1), as the items are consumed. */
  progress: { fraction: number }
}

export interface OpenOptions {
  /** Name shown to the user and used as a tie-breaker in detection (defaults to the path's base name). */
  fileName?: string
  /** Skip detection and read the file as this format. */
  format?: FormatId
  /** What the parser may read at most (defaults: DEFAULT_IMPORT_LIMITS). */
  limits?: ImportLimits
}

/** Read chunks of this size from disk: large enough to keep parsing loops busy, small enough to keep memory flat. */
const READ_CHUNK_BYTES = 256 * 1024

/** A byte source reading a file from disk with a fresh stream on every call. */
export function fileSource(path: string, fileName: string = basename(path), size?: number): ByteSource {
  return {
    fileName,
    path,
    size,
    bytes: () => createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Uint8Array>
  }
}

/** A byte source over data already in memory (small uploads, tests). */
export function memorySource(data: Uint8Array | string, fileName?: string): ByteSource {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
  return {
    fileName,
    size: bytes.length,
    async* bytes() {
      for (let offset = 0; offset < bytes.length; offset += READ_CHUNK_BYTES) {
        yield bytes.subarray(offset, offset + READ_CHUNK_BYTES)
      }
    }
  }
}

/** Open a reference file on disk: detect encoding and format, stream the records. */
export async function openReferenceFile(path: string, options: OpenOptions = {}): Promise<OpenedReferences> {
  const { size } = await stat(path)
  return openReferenceInput(fileSource(path, options.fileName ?? basename(path), size), options)
}

/** Open any byte source: detect encoding and format (unless given), stream the records. */
export async function openReferenceInput(source: ByteSource, options: Omit<OpenOptions, 'fileName'> = {}): Promise<OpenedReferences> {
  const fileName = source.fileName
  const head = await readHead(source)
  const { encoding } = detectEncoding(head)
  const progress = { fraction: 0 }
  const bytes = () => measured(source, progress)
  const input: FormatInput = {
    fileName,
    path: source.path,
    limits: options.limits,
    progress,
    bytes,
    text: () => decodeByteChunks(bytes(), encoding)
  }

  let format: ReferenceFormat | undefined
  if (options.format) {
    format = formatById(options.format)
    if (!format) throw new UnsupportedFormatError(`The format "${options.format}" is not available.`)
  } else {
    format = detectFromBytes(head, encoding, fileName)
  }
  return { format, encoding, input, items: format.parse(input), progress }
}

/** The bytes of a source, recording the share of its size read so far. */
async function* measured(source: ByteSource, progress: { fraction: number }): AsyncGenerator<Uint8Array> {
  let read = 0
  for await (const chunk of source.bytes()) {
    read += chunk.length
    if (source.size) progress.fraction = Math.min(1, read / source.size)
    yield chunk
  }
}

/** The first bytes of a source (up to the encoding sample size), closing the stream early. */
async function readHead(source: ByteSource): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let length = 0
  for await (const chunk of source.bytes()) {
    parts.push(chunk)
    length += chunk.length
    if (length >= ENCODING_SAMPLE_BYTES) break
  }
  const head = new Uint8Array(Math.min(length, ENCODING_SAMPLE_BYTES))
  let offset = 0
  for (const part of parts) {
    if (offset >= head.length) break
    const take = part.subarray(0, head.length - offset)
    head.set(take, offset)
    offset += take.length
  }
  return head
}

/** Binary signatures of files people upload by mistake, to say what the file is instead. */
const BINARY_SIGNATURES: Array<[string, number[]]> = [
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a PDF document', [0x25, 0x50, 0x44, 0x46]],
  ['a gzip archive', [0x1f, 0x8b]],
  ['a 7-Zip archive', [0x37, 0x7a, 0xbc, 0xaf]],
  ['a RAR archive', [0x52, 0x61, 0x72, 0x21]],
  ['a legacy Office document (.doc/.xls)', [0xd0, 0xcf, 0x11, 0xe0]]
]

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  if (bytes.length < signature.length) return false
  return signature.every((byte, index) => bytes[index] === byte)
}

function detectFromBytes(head: Uint8Array, encoding: TextEncodingName, fileName?: string): ReferenceFormat {
  const named = fileName ? `"${fileName}"` : 'The file'
  if (head.length === 0) throw new UnsupportedFormatError(`${named} is empty.`)

  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    // XLSX is a ZIP archive whose parts live under "xl/"; other ZIPs (DOCX, plain archives) are not bibliographies
    const entryNames = new TextDecoder('latin1').decode(head)
    const xlsx = formatById('xlsx')
    if (xlsx && (entryNames.includes('xl/') || /\.xlsx$/i.test(fileName ?? ''))) return xlsx
    const what = entryNames.includes('word/') ? 'a Word document' : 'a ZIP archive'
    throw new UnsupportedFormatError(`${named} is ${what}, not a bibliography.`)
  }
  for (const [what, signature] of BINARY_SIGNATURES) {
    if (startsWith(head, signature)) throw new UnsupportedFormatError(`${named} is ${what}, not a bibliography.`)
  }

  const text = new TextDecoder(encoding).decode(head, { stream: true })
  if (text.trim().length === 0) throw new UnsupportedFormatError(`${named} is empty.`)
  if (looksBinary(text)) throw new UnsupportedFormatError(`${named} is a binary file, not a bibliography.`)

  const format = detectFormat(text, fileName)
  if (!format) throw new UnsupportedFormatError(`${named} is not in a recognised bibliography format.`)
  return format
}

/** Text with NUL or many control characters is binary data that slipped past the signature checks. */
function looksBinary(text: string): boolean {
  const sample = text.length > 8192 ? text.slice(0, 8192) : text
  let control = 0
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i)
    if (code === 0) return true
    if (code < 32 && code !== 9 && code !== 10 && code !== 13 && code !== 12) control++
  }
  return control > sample.length * 0.05
}

/**
 * The format of a file from its decoded beginning: every registered format
 * whose `sniff` accepts the content is a candidate; the file name's
 * extension picks among several candidates, else registry order decides.
 * The extension alone never makes a format: a ".ris" file that does not
 * look like RIS gives undefined.
 */
export function detectFormat(head: string, fileName?: string): ReferenceFormat | undefined {
  const text = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head
  const candidates = formats.filter((format) => {
    try {
      return format.sniff(text, fileName)
    } catch {
      return false
    }
  })
  if (candidates.length <= 1) return candidates[0]
  const extension = /\.([a-z0-9]+)$/i.exec(fileName ?? '')?.[1]?.toLowerCase()
  if (extension) {
    const byExtension = candidates.find((format) => format.extensions.includes(extension))
    if (byExtension) return byExtension
  }
  return candidates[0]
}
