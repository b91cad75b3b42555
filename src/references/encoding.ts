/**
 * Character encoding of uploaded reference files. Exports from reference
 * managers come as UTF-8 (with or without BOM), UTF-16 (EndNote and Excel on
 * Windows, with or without BOM) or legacy Windows-1252/Latin-1 (old EndNote
 * and Reference Manager files). Detection looks at the first bytes only;
 * decoding is streaming so a 100 MB file never sits in memory.
 */
import { Buffer, isUtf8 } from 'node:buffer'

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252'

export interface DetectedEncoding {
  encoding: TextEncodingName
  /** Whether the bytes begin with a byte order mark (the decoders drop it). */
  bom: boolean
}

/** How many bytes of a file's beginning detection needs at most. */
export const ENCODING_SAMPLE_BYTES = 64 * 1024

/**
 * Guess the encoding of a byte stream from its first bytes: a BOM wins; else
 * a NUL byte in every other position means UTF-16 without BOM; else UTF-8
 * when the sample is valid UTF-8; else Windows-1252 (a superset of Latin-1
 * for printable characters, which is what WHATWG decoders call "latin1").
 */
export function detectEncoding(sample: Uint8Array): DetectedEncoding {
  if (sample.length >= 3 && sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) {
    return { encoding: 'utf-8', bom: true }
  }
  if (sample.length >= 2 && sample[0] === 0xff && sample[1] === 0xfe) return { encoding: 'utf-16le', bom: true }
  if (sample.length >= 2 && sample[0] === 0xfe && sample[1] === 0xff) return { encoding: 'utf-16be', bom: true }

  const utf16 = utf16WithoutBom(sample)
  if (utf16) return { encoding: utf16, bom: false }

  return { encoding: isValidUtf8(sample) ? 'utf-8' : 'windows-1252', bom: false }
}

/**
 * Text in UTF-16 whose characters are mostly ASCII has a zero byte in every
 * other position: the high byte comes second in little-endian, first in
 * big-endian. Binary files have zeros too, but not so regularly.
 */
function utf16WithoutBom(sample: Uint8Array): TextEncodingName | undefined {
  const pairs = Math.min(sample.length, 4096) >> 1
  if (pairs < 2) return undefined
  let zeroEven = 0
  let zeroOdd = 0
  for (let i = 0; i < pairs; i++) {
    if (sample[2 * i] === 0) zeroEven++
    if (sample[2 * i + 1] === 0) zeroOdd++
  }
  if (zeroOdd > pairs * 0.4 && zeroEven < pairs * 0.05) return 'utf-16le'
  if (zeroEven > pairs * 0.4 && zeroOdd < pairs * 0.05) return 'utf-16be'
  return undefined
}

/**
 * Whether the bytes are valid UTF-8, allowing the sample to end in the
 * middle of a multi-byte character (the stream decoder keeps that tail).
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true })
    return true
  } catch {
    return false
  }
}

/**
 * Number of bytes at the end of `bytes` that start a UTF-8 sequence which
 * the chunk does not complete (0 to 3).
 */
function incompleteUtf8Tail(bytes: Uint8Array): number {
  const end = bytes.length
  for (let back = 1; back <= 3 && back <= end; back++) {
    const byte = bytes[end - back]
    if ((byte & 0xc0) === 0x80) continue // continuation byte: look further back
    if (byte < 0x80) return 0
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return length > back ? back : 0
  }
  return 0
}

/**
 * Decode a stream of byte chunks into text chunks (BOM removed). For UTF-8,
 * if a later chunk turns out not to be valid UTF-8 (a Latin-1 "é" deep in a
 * file whose beginning was ASCII), the rest of the stream is decoded as
 * Windows-1252 rather than failing or filling the text with U+FFFD.
 */
export async function* decodeByteChunks(
  chunks: AsyncIterable<Uint8Array>,
  encoding: TextEncodingName
): AsyncGenerator<string> {
  if (encoding !== 'utf-8') {
    const decoder = new TextDecoder(encoding)
    for await (const chunk of chunks) {
      const text = decoder.decode(chunk, { stream: true })
      if (text.length > 0) yield text
    }
    const rest = decoder.decode()
    if (rest.length > 0) yield rest
    return
  }

  // Validation with isUtf8 and decoding with Buffer#toString are several times faster than a
  // fatal TextDecoder; the incomplete character at the end of a chunk is carried to the next one.
  let fallback: TextDecoder | undefined
  let carry: Buffer | undefined
  let first = true
  for await (const chunk of chunks) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let text: string
    if (fallback) {
      text = fallback.decode(bytes, { stream: true })
    } else {
      const joined = carry ? Buffer.concat([carry, bytes]) : bytes
      const tail = incompleteUtf8Tail(joined)
      const body = tail > 0 ? joined.subarray(0, joined.length - tail) : joined
      if (isUtf8(body)) {
        text = body.toString('utf8')
        carry = tail > 0 ? Buffer.from(joined.subarray(joined.length - tail)) : undefined
      } else {
        fallback = new TextDecoder('windows-1252')
        carry = undefined
        text = fallback.decode(joined, { stream: true })
      }
    }
    if (first && text.length > 0) {
      first = false
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    if (text.length > 0) yield text
  }
  // a file ending inside a multi-byte character: keep those bytes as Windows-1252
  const rest = fallback ? fallback.decode() : carry ? decodeAll(carry, 'windows-1252') : ''
  if (rest.length > 0) yield rest
}

/**
 * Decode a whole byte array. Node 20's TextDecoder decodes windows-1252 as
 * plain Latin-1 (0x93 becomes U+0093 instead of “) when called without
 * `stream: true`; the streaming path is correct, so it is always used.
 */
function decodeAll(bytes: Uint8Array, encoding: TextEncodingName): string {
  const decoder = new TextDecoder(encoding)
  return decoder.decode(bytes, { stream: true }) + decoder.decode()
}

/** Decode a complete byte array (small inputs, tests), detecting the encoding unless given. */
export function decodeBytes(bytes: Uint8Array, encoding: TextEncodingName = detectEncoding(bytes).encoding): string {
  if (encoding === 'utf-8' && !isValidUtf8(bytes)) encoding = 'windows-1252'
  return decodeAll(bytes, encoding)
}
