/** A seeded pseudo-random generator (mulberry32) and random texts that are hard on exporters and importers. */

export class Random {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]
  }

  /** Some of the items, in their order. */
  some<T>(items: readonly T[], p = 0.5): T[] {
    return items.filter(() => this.chance(p))
  }
}

/** Words and characters that break writers: spreadsheet formula starts, LaTeX and CSV specials, quotes, Unicode. */
const PIECES = [
  'alliance', 'therapy', 'digital', 'Müller', 'naïve', 'β-blockers', '中文', 'Ελληνικά', '😀', 'p<0.05', 'x>y', 'a|b', '50%', 'C#',
  '{braces}', '$5', 'x_1', '~', '^2', '\\', '"quoted"', "'single'", 'a,b', 'a;b', 'key: value', '(stage: full_text)', 'AnalyLit',
  '=SUM(A1:A9)', '+1', '-5', '@cmd', '=HYPERLINK("http://x")', 'a&b', '#', 'café', 'Ω', '—', '…'
]
const STARTS = ['=', '+', '-', '@', "'=", "''+", '']

/** Text of single-spaced pieces, sometimes starting with a formula character. */
export function trickyText(random: Random, words = random.int(1, 6)): string {
  const parts: string[] = []
  for (let k = 0; k < words; k++) parts.push(random.pick(PIECES))
  return `${random.chance(0.4) ? random.pick(STARTS) : ''}${parts.join(' ')}`
}

/** Free text as people type it in notes: line breaks, tabs, runs of spaces, leading formula characters. */
export function trickyNote(random: Random): string {
  const lines: string[] = []
  for (let k = random.int(1, 3); k > 0; k--) lines.push(trickyText(random))
  return lines.join(random.pick(['\n', '\r\n', '  ', '\t', ' ']))
}
