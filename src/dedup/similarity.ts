/**
 * String similarities used by the duplicate matcher. Trigram Dice is the
 * cheap first test (linear in the title length, computed on pre-sorted
 * profiles); the Levenshtein ratio refines the uncertain middle band, where
 * a few edited characters (typos, British/American spelling, a dropped
 * word) cost Dice more than they should.
 */

/** Number of entries in the trigram profile of `text` (see trigramProfile). */
export function trigramCount(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, text.length - 2)
}

/** Position of a character in the alphabet of normalised text (a-z, 0-9); 36 for anything else. */
function symbol(code: number): number {
  if (code >= 97 && code <= 122) return code - 97
  if (code >= 48 && code <= 57) return code - 22
  return 36
}

/** Codes of strings shorter than three characters come after all trigram codes (37^3). */
const SHORT_STRING_CODES = 37 * 37 * 37

/**
 * Writes the sorted trigram profile of `text` into `target` at `offset` and
 * returns its length, so that many profiles can share one buffer. Text is
 * normalised (a-z, 0-9), so a trigram fits exactly in 16 bits (base 37);
 * other characters share one code.
 */
export function writeTrigrams(text: string, target: Uint16Array, offset: number): number {
  const count = trigramCount(text)
  if (count === 0) return 0
  if (text.length < 3) {
    target[offset] = SHORT_STRING_CODES + symbol(text.charCodeAt(0)) * 37 + (text.length > 1 ? symbol(text.charCodeAt(1)) : 36)
    return 1
  }
  for (let i = 0; i < count; i++) {
    target[offset + i] = (symbol(text.charCodeAt(i)) * 37 + symbol(text.charCodeAt(i + 1))) * 37 + symbol(text.charCodeAt(i + 2))
  }
  target.subarray(offset, offset + count).sort()
  return count
}

/**
 * Sorted character-trigram profile of a normalised string (see
 * writeTrigrams). Strings shorter than three characters give one "trigram"
 * per string so that they still compare equal to themselves.
 */
export function trigramProfile(text: string): Uint16Array {
  const profile = new Uint16Array(trigramCount(text))
  writeTrigrams(text, profile, 0)
  return profile
}

/** Dice coefficient of two sorted trigram multisets, in [0, 1]. */
export function diceSimilarity(a: Int32Array | Uint16Array, b: Int32Array | Uint16Array): number {
  return diceSimilarityIn(a, 0, a.length, b, 0, b.length)
}

/**
 * Dice coefficient of two sorted multisets stored as ranges of larger
 * buffers, a[aStart .. aEnd) and b[bStart .. bEnd) (profiles packed together).
 */
export function diceSimilarityIn(
  a: Int32Array | Uint16Array, aStart: number, aEnd: number, b: Int32Array | Uint16Array, bStart: number, bEnd: number
): number {
  const total = aEnd - aStart + bEnd - bStart
  if (total === 0) return 0
  let i = aStart
  let j = bStart
  let common = 0
  while (i < aEnd && j < bEnd) {
    const x = a[i]
    const y = b[j]
    if (x === y) {
      common++
      i++
      j++
    } else if (x < y) i++
    else j++
  }
  return (2 * common) / total
}

/** Highest Dice two profiles of these sizes could reach. */
export function diceUpperBound(sizeA: number, sizeB: number): number {
  const total = sizeA + sizeB
  return total === 0 ? 0 : (2 * Math.min(sizeA, sizeB)) / total
}

let rowBuffer = new Int32Array(256)

/**
 * Levenshtein edit distance (insertions, deletions, substitutions). With
 * `maxDistance`, gives up as soon as the distance must exceed it and
 * returns maxDistance + 1: the matcher only needs to know whether two
 * titles are within a few edits.
 */
export function levenshteinDistance(a: string, b: string, maxDistance = Infinity): number {
  if (a === b) return 0
  if (a.length < b.length) [a, b] = [b, a]
  const m = b.length
  if (a.length - m > maxDistance) return maxDistance + 1
  if (m === 0) return a.length
  if (rowBuffer.length < m + 1) rowBuffer = new Int32Array(m + 1)
  const row = rowBuffer
  for (let j = 0; j <= m; j++) row[j] = j
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]
    row[0] = i
    let rowMinimum = i
    const ca = a.charCodeAt(i - 1)
    for (let j = 1; j <= m; j++) {
      const above = row[j]
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1
      const best = Math.min(above + 1, row[j - 1] + 1, diagonal + cost)
      diagonal = above
      row[j] = best
      if (best < rowMinimum) rowMinimum = best
    }
    if (rowMinimum > maxDistance) return maxDistance + 1
  }
  return row[m]
}

/** 1 - distance / longer length, in [0, 1]; below `minimum` (when given) the result is only known to be below it. */
export function levenshteinRatio(a: string, b: string, minimum = 0): number {
  const longer = Math.max(a.length, b.length)
  if (longer === 0) return 0
  const maxDistance = Math.floor((1 - minimum) * longer)
  return 1 - levenshteinDistance(a, b, maxDistance) / longer
}
