/**
 * Blocking: which pairs of records are compared at all. Records sharing a
 * key (title start, title end, the title's rarest words, first author +
 * year, first page + journal initials or volume) form a block.
 */

import type { Features, Profiles } from './features.ts'

/** How many of a title's rarest words become blocking keys. */
const RARE_WORD_KEYS = 2

/** Kinds of blocking keys, mixed into their hashes. */
const enum BlockKey { TitleStart = 1, TitleEnd = 2, RareWord = 3, AuthorYear = 4, PageJournal = 5 }

/** Keys a record can have: title start and end, RARE_WORD_KEYS rare words, author + year, page + journal. */
const KEYS_PER_RECORD = 4 + RARE_WORD_KEYS

/**
 * Two independent 32-bit hashes of a blocking key, built a piece at a time
 * without making the key's string: 64 bits make a collision between two of
 * a few hundred thousand keys unlikely (about 1 in 10^8 per run), and one
 * would only add comparisons to a block.
 */
class KeyHash {
  hi = 0
  lo = 0

  start(kind: BlockKey): this {
    this.hi = Math.imul(0x811c9dc5 ^ kind, 0x01000193)
    this.lo = Math.imul(0x9e3779b9 ^ kind, 0x5bd1e995)
    return this
  }

  add(code: number): this {
    this.hi = Math.imul(this.hi ^ code, 0x01000193)
    const lo = Math.imul(this.lo ^ code, 0x5bd1e995)
    this.lo = lo ^ (lo >>> 15)
    return this
  }

  addText(text: string, from = 0, to = text.length): this {
    for (let i = from; i < to; i++) this.add(text.charCodeAt(i))
    // A separator, so that ("ab", "c") and ("a", "bc") differ.
    return this.add(0x10000)
  }
}

/**
 * The blocks: records sharing a key, as lists of two or more record
 * indexes in input order. Keys are hashed (KeyHash) and sorted rather than
 * kept as strings in a map: most keys belong to one record only, and a map
 * of a string and a list per key cost more memory than the features
 * themselves.
 */
export function buildBlocks(features: readonly Features[], profiles: Profiles, maxBlockSize: number): number[][] {
  const { words, wordStart } = profiles
  // Document frequency of title words, to pick each title's rarest words.
  // Counted by word hash: a rare collision only merges two counts.
  const frequency = new Map<number, number>()
  for (const f of features) {
    for (let k = wordStart[f.index]; k < wordStart[f.index] + f.keyWordCount; k++) frequency.set(words[k], (frequency.get(words[k]) ?? 0) + 1)
  }
  const capacity = features.length * KEYS_PER_RECORD
  const keyHi = new Int32Array(capacity)
  const keyLo = new Int32Array(capacity)
  const keyOf = new Int32Array(capacity)
  let keys = 0
  const hash = new KeyHash()
  /** Records the key just hashed for a record. */
  const add = (index: number): void => {
    keyHi[keys] = hash.hi
    keyLo[keys] = hash.lo
    keyOf[keys++] = index
  }
  const rare: Array<[number, number]> = []
  for (const f of features) {
    const { compact, index } = f
    if (compact.length >= 10) {
      hash.start(BlockKey.TitleStart).addText(compact, 0, Math.min(16, compact.length))
      add(index)
      hash.start(BlockKey.TitleEnd).addText(compact, Math.max(0, compact.length - 16))
      add(index)
    }
    rare.length = 0
    for (let k = wordStart[index]; k < wordStart[index] + f.keyWordCount; k++) {
      const word = words[k]
      const df = frequency.get(word)!
      // A word found once cannot pair the record with anything; a common
      // word makes a block whose title-ordered window only repeats what
      // the title-start key already compares.
      if (df >= 2 && df <= maxBlockSize) rare.push([word, df])
    }
    rare.sort((x, y) => x[1] - y[1] || x[0] - y[0])
    for (let k = 0; k < RARE_WORD_KEYS && k < rare.length; k++) {
      hash.start(BlockKey.RareWord).add(rare[k][0])
      add(index)
    }
    if (f.firstAuthor && f.year !== undefined) {
      hash.start(BlockKey.AuthorYear).addText(f.firstAuthor).add(f.year)
      add(index)
    }
    if (f.page !== undefined && (f.journalInitials || f.volume)) {
      hash.start(BlockKey.PageJournal).addText(f.page)
      if (f.journalInitials) hash.addText(f.journalInitials)
      else hash.add(0x10001).addText(f.volume!)
      add(index)
    }
  }
  // Keys in hash order, each key's records in input order.
  const order = new Uint32Array(keys)
  for (let k = 0; k < keys; k++) order[k] = k
  order.sort((x, y) => keyHi[x] - keyHi[y] || keyLo[x] - keyLo[y] || keyOf[x] - keyOf[y])
  const blocks: number[][] = []
  for (let first = 0; first < keys;) {
    let last = first + 1
    while (last < keys && keyHi[order[last]] === keyHi[order[first]] && keyLo[order[last]] === keyLo[order[first]]) last++
    if (last - first >= 2) {
      const members: number[] = []
      for (let k = first; k < last; k++) {
        const member = keyOf[order[k]]
        if (members[members.length - 1] !== member) members.push(member)
      }
      if (members.length >= 2) blocks.push(members)
    }
    first = last
  }
  return blocks
}
