/**
 * Citation keys for BibTeX entries and CSL-JSON ids, Better BibTeX style:
 * first author's family name, year and first significant title word,
 * ASCII lower case ("smith2019effectiveness"). Keys are unique within one
 * export: a repeated key gets a suffix a, b, … z, aa, ab….
 */

import type { ReferenceRecord } from '../references/model.ts'
import { foldToAscii } from '../dedup/normalize.ts'

const SKIPPED_TITLE_WORDS = new Set([
  'a', 'an', 'the', 'of', 'and', 'or', 'in', 'on', 'for', 'to', 'with', 'by', 'at', 'from', 'is', 'are', 'do', 'does'
])

function asciiWord(text: string): string {
  return foldToAscii(text).replace(/[^a-z0-9]+/g, '')
}

function suffix(n: number): string {
  let text = ''
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) text = String.fromCharCode(97 + ((k - 1) % 26)) + text
  return text
}

export class CitationKeys {
  private readonly used = new Set<string>()

  /** A key for the record, unique among the keys this instance has given. */
  next(record: ReferenceRecord): string {
    const first = record.authors?.[0]
    const family = first ? asciiWord(first.literal ? first.family.split(/\s+/)[0] : first.family) : ''
    const word = (record.title ?? '').split(/\s+/).map(asciiWord).find((w) => w.length > 0 && !SKIPPED_TITLE_WORDS.has(w)) ?? ''
    const base = `${family || 'anon'}${record.year ?? ''}${word}`.slice(0, 60) || 'ref'
    let key = base
    for (let n = 1; this.used.has(key); n++) key = `${base}${suffix(n)}`
    this.used.add(key)
    return key
  }
}
