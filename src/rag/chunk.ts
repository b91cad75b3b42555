/**
 * Cutting the pages of a full text into passages for retrieval. A chunk
 * never crosses a page boundary: each page is cut on its own, so every chunk
 * has one page. Chunks end between words; `size` and `overlap` count
 * characters or words (`unit`). In characters, a chunk is at most `size`
 * characters long (a single longer word is cut), and the next one starts at
 * the first word of the last `overlap` characters of the previous one; in
 * words, a chunk holds `size` words and the next one repeats the last
 * `overlap` words.
 */

export type ChunkUnit = 'chars' | 'words'

export interface ChunkOptions {
  unit: ChunkUnit
  size: number
  overlap: number
}

export interface PageText { number: number; text: string }

export interface Chunk {
  page: number
  /** Position of the chunk in the document (0-based, across pages). */
  ordinal: number
  /** Character offsets of the chunk in its page's text (end exclusive). */
  start: number
  end: number
  text: string
}

export class ChunkOptionsError extends Error {
  constructor(message: string, readonly field: keyof ChunkOptions) { super(message) }
}

/** Checks the options (sizes are positive integers, the overlap smaller than the size), or throws ChunkOptionsError naming the field. */
export function checkChunkOptions(options: ChunkOptions): ChunkOptions {
  if (options.unit !== 'chars' && options.unit !== 'words') throw new ChunkOptionsError('unit must be "chars" or "words"', 'unit')
  if (!Number.isInteger(options.size) || options.size < 1) throw new ChunkOptionsError('size must be a positive integer', 'size')
  if (!Number.isInteger(options.overlap) || options.overlap < 0) throw new ChunkOptionsError('overlap must be an integer ≥ 0', 'overlap')
  if (options.overlap >= options.size) throw new ChunkOptionsError(`overlap (${options.overlap}) must be smaller than size (${options.size})`, 'overlap')
  return options
}

/** "chars:1200:200": what index rows record, so that a change of chunking is noticed. */
export function chunkingKey(options: ChunkOptions): string {
  return `${options.unit}:${options.size}:${options.overlap}`
}

interface Token { start: number; end: number }

function tokens(text: string, maxChars: number | undefined): Token[] {
  const out: Token[] = []
  for (const match of text.matchAll(/\S+/g)) {
    const start = match.index
    const end = start + match[0].length
    if (maxChars === undefined || end - start <= maxChars) { out.push({ start, end }); continue }
    for (let s = start; s < end; s += maxChars) out.push({ start: s, end: Math.min(end, s + maxChars) })
  }
  return out
}

/** The chunks of one page's text (none for a blank page); ordinals start at `firstOrdinal`. */
export function chunkPage(page: PageText, options: ChunkOptions, firstOrdinal = 0): Chunk[] {
  checkChunkOptions(options)
  const words = tokens(page.text, options.unit === 'chars' ? options.size : undefined)
  const chunks: Chunk[] = []
  let i = 0
  while (i < words.length) {
    let k: number // exclusive end (word index)
    if (options.unit === 'words') {
      k = Math.min(words.length, i + options.size)
    } else {
      k = i + 1
      while (k < words.length && words[k].end - words[i].start <= options.size) k++
    }
    const start = words[i].start
    const end = words[k - 1].end
    chunks.push({ page: page.number, ordinal: firstOrdinal + chunks.length, start, end, text: page.text.slice(start, end) })
    if (k >= words.length) break
    let next: number
    if (options.unit === 'words') {
      next = k - options.overlap
    } else {
      next = k
      while (next - 1 > i && end - words[next - 1].start <= options.overlap) next--
    }
    i = Math.max(i + 1, next)
  }
  return chunks
}

/** The chunks of a document, page after page, ordinals running across pages. */
export function chunkPages(pages: PageText[], options: ChunkOptions): Chunk[] {
  const out: Chunk[] = []
  for (const page of pages) out.push(...chunkPage(page, options, out.length))
  return out
}
