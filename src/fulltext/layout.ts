/**
 * Pure text-layout functions of the PDF text extraction: reading order of
 * positioned text items (columns), ligatures, de-hyphenation, running
 * headers/footers and page numbers, sections and identifiers. They run on
 * plain data, so the OCR text of scanned pages goes through the same clean-up.
 */

/** A positioned run of text as pdf.js reports it (PDF user space: y grows upwards). */
export interface TextItem { text: string; x: number; y: number; width: number; size: number }
/** One line of a page, in reading order; `size` is its font size (0 when unknown, e.g. OCR). */
export interface Line { text: string; size: number; gapBefore?: boolean }

export const SECTION_NAMES = ['abstract', 'introduction', 'methods', 'results', 'discussion', 'conclusion', 'references'] as const
export type SectionName = typeof SECTION_NAMES[number]

interface Segment { x0: number; x1: number; y: number; size: number; text: string }

/** Joins items on one baseline into segments, split where the horizontal gap is wider than a font size (a column gutter). */
function segmentsOf(items: TextItem[]): Segment[] {
  const sorted = items.filter((i) => i.text.length > 0).sort((a, b) => b.y - a.y || a.x - b.x)
  const lines: TextItem[][] = []
  for (const item of sorted) {
    const line = lines.at(-1)
    if (line && Math.abs(line[0].y - item.y) <= Math.max(1, 0.3 * Math.max(item.size, line[0].size))) line.push(item)
    else lines.push([item])
  }
  const segments: Segment[] = []
  for (const line of lines) {
    line.sort((a, b) => a.x - b.x)
    let current: Segment | undefined
    for (const item of line) {
      const size = item.size || 10
      const gap = current ? item.x - current.x1 : 0
      if (!current || gap > 1.0 * size) {
        if (current) segments.push(current)
        current = { x0: item.x, x1: item.x + item.width, y: item.y, size, text: item.text }
        continue
      }
      const needsSpace = gap > 0.15 * size && !/\s$/.test(current.text) && !/^\s/.test(item.text)
      current.text += (needsSpace ? ' ' : '') + item.text
      current.x1 = Math.max(current.x1, item.x + item.width)
      current.size = Math.max(current.size, size)
    }
    if (current) segments.push(current)
  }
  return segments.filter((s) => s.text.trim().length > 0)
}

/**
 * Finds the widest vertical gutter crossed by few segments with enough text on
 * both sides; returns its x range, or undefined for a single column.
 */
function findGutter(segments: Segment[]): [number, number] | undefined {
  if (segments.length < 6) return undefined
  const xmin = Math.min(...segments.map((s) => s.x0))
  const xmax = Math.max(...segments.map((s) => s.x1))
  const span = xmax - xmin
  if (span <= 0) return undefined
  const BIN = 2
  const bins = new Array<number>(Math.ceil(span / BIN) + 1).fill(0)
  for (const s of segments) {
    for (let b = Math.floor((s.x0 - xmin) / BIN); b <= Math.floor((s.x1 - xmin) / BIN); b++) bins[b]++
  }
  const allowed = Math.max(1, Math.floor(segments.length * 0.1))
  let best: [number, number] | undefined
  let runStart = -1
  for (let b = 0; b <= bins.length; b++) {
    const open = b < bins.length && bins[b] <= allowed && b * BIN > span * 0.2 && b * BIN < span * 0.8
    if (open && runStart < 0) runStart = b
    if (!open && runStart >= 0) {
      const left = xmin + runStart * BIN
      const right = xmin + b * BIN
      const leftCount = segments.filter((s) => s.x1 <= left + BIN).length
      const rightCount = segments.filter((s) => s.x0 >= right - BIN).length
      const wideEnough = right - left >= 6
      if (wideEnough && leftCount >= 3 && rightCount >= 3 && (!best || right - left > best[1] - best[0])) best = [left, right]
      runStart = -1
    }
  }
  return best
}

/** Orders segments: top to bottom, and within bands between full-width lines, column by column. */
function order(segments: Segment[], depth = 0): Segment[] {
  const byY = [...segments].sort((a, b) => b.y - a.y || a.x0 - b.x0)
  const gutter = depth < 3 ? findGutter(byY) : undefined
  if (!gutter) return byY
  const [gl, gr] = gutter
  const out: Segment[] = []
  let band: Segment[] = []
  const flush = () => {
    const left = band.filter((s) => (s.x0 + s.x1) / 2 < (gl + gr) / 2)
    const right = band.filter((s) => (s.x0 + s.x1) / 2 >= (gl + gr) / 2)
    out.push(...order(left, depth + 1), ...order(right, depth + 1))
    band = []
  }
  for (const s of byY) {
    const spanning = s.x0 < gl - 1 && s.x1 > gr + 1
    if (spanning) { flush(); out.push(s) } else band.push(s)
  }
  flush()
  return out
}

/** Lines of a page in reading order, marking a paragraph gap where the vertical space exceeds 1.8 font sizes. */
export function linesInReadingOrder(items: TextItem[]): Line[] {
  const ordered = order(segmentsOf(items))
  return ordered.map((s, i) => {
    const prev = ordered[i - 1]
    const gap = prev !== undefined && prev.y > s.y && prev.y - s.y > 1.8 * Math.max(prev.size, s.size)
    return { text: s.text.replace(/\s+/g, ' ').trim(), size: Math.round(s.size * 10) / 10, ...(gap ? { gapBefore: true } : {}) }
  })
}

const LIGATURES: Record<string, string> = {
  ﬀ: 'ff', ﬁ: 'fi', ﬂ: 'fl', ﬃ: 'ffi', ﬄ: 'ffl', ﬅ: 'st', ﬆ: 'st',
  Ĳ: 'IJ', ĳ: 'ij', Ǆ: 'DŽ', ǅ: 'Dž', ǆ: 'dž', Ǉ: 'LJ', ǈ: 'Lj', ǉ: 'lj',
  Ǌ: 'NJ', ǋ: 'Nj', ǌ: 'nj'
}

/** TeX fonts without a Unicode map leave their encoding's ligature codes: T1 (Cork) 0x1B–0x1F, OT1 0x0B–0x0F. */
const TEX_LIGATURES = ['ff', 'fi', 'fl', 'ffi', 'ffl']

/**
 * Ligatures expanded (Unicode ones, and the control codes TeX fonts without a
 * Unicode map leave: T1 always, OT1 only next to a letter since they share
 * codes with \v \f \r), full-width forms and compatibility spaces folded
 * (NFKC applied to those ranges only: NFKC everywhere would turn m² into m2
 * and ½ into 1⁄2), other control and zero-width characters dropped, then NFC.
 */
export function normaliseText(text: string): string {
  /* eslint-disable no-control-regex -- control characters are what these replacements are about */
  return text
    .replace(/[\x1B-\x1F]/g, (c) => TEX_LIGATURES[c.charCodeAt(0) - 0x1B])
    .replace(/(?<=\p{L})[\x0B-\x0F]|[\x0B-\x0F](?=\p{L})/gu, (c) => TEX_LIGATURES[c.charCodeAt(0) - 0x0B])
    .replace(/[\x10\x11]/g, '"')
    .replace(/[\x00-\x08\x0B-\x1F\x7F]/g, '')
    /* eslint-enable no-control-regex */
    .replace(/[\uFB00-\uFB06\u0132\u0133\u01C4-\u01CC]/g, (c) => LIGATURES[c] ?? c)
    .replace(/[\uFF01-\uFF5E]/g, (c) => c.normalize('NFKC'))
    .replace(/[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g, ' ')
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, '')
    .normalize('NFC')
}

const PAGE_NUMBER = /^(?:[-–—]\s*)?(?:(?:page|p\.|seite)\s*)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s*(?:of|\/|sur|von)\s*\d{1,4})?(?:\s*[-–—])?$/i
const ZONE = 2

/** Key under which a header/footer line repeats across pages: digits folded, so "Page 3" and "Page 4" match. */
const repeatKey = (text: string) => text.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim()

/**
 * Removes running headers and footers (a line among the first or last two
 * of a page whose digit-folded text recurs there on at least half the pages,
 * three at least) and bare page numbers in those zones.
 */
export function removeRunningLines(pages: Line[][]): Line[][] {
  const counts = new Map<string, number>()
  for (const lines of pages) {
    const keys = new Set<string>()
    for (const line of zoneLines(lines)) keys.add(repeatKey(line.text))
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  const threshold = Math.max(3, Math.ceil(pages.length * 0.5))
  return pages.map((lines) => {
    const zone = new Set(zoneLines(lines))
    return lines.filter((line) => {
      if (!zone.has(line)) return true
      const text = line.text.trim()
      if (PAGE_NUMBER.test(text)) return false
      return (counts.get(repeatKey(text)) ?? 0) < threshold || text.length === 0
    })
  })
}

/** The first and last ZONE lines of a page (fewer on short pages, so that a zone never reaches the middle line). */
function zoneLines(lines: Line[]): Line[] {
  const nonEmpty = lines.filter((l) => l.text.trim().length > 0)
  const n = Math.min(ZONE, Math.floor(nonEmpty.length / 2))
  return n === 0 ? nonEmpty : [...nonEmpty.slice(0, n), ...nonEmpty.slice(-n)]
}

const HYPHEN_END = /([\p{L}]+)[-\u2010\u00AD]$/u
const WORD_START = /^(\p{Ll}[\p{L}]*)(.*)$/u

/**
 * Joins words hyphenated across line ends (and pages): "treat-" + "ment" →
 * "treatment". A hyphen is kept when the document writes the hyphenated
 * compound elsewhere on one line ("self-report") and not the joined word;
 * soft hyphens always join.
 */
export function dehyphenate(pages: Line[][]): Line[][] {
  const words = new Set<string>()
  for (const lines of pages) for (const line of lines) for (const w of line.text.toLowerCase().match(/[\p{L}]+(?:-[\p{L}]+)*/gu) ?? []) words.add(w)
  const flat = pages.flatMap((lines, p) => lines.map((line, i) => ({ p, i, line: { ...line } })))
  for (let k = 0; k + 1 < flat.length; k++) {
    const current = flat[k].line
    const end = HYPHEN_END.exec(current.text)
    if (!end) continue
    let n = k + 1
    while (n < flat.length && flat[n].line.text.trim() === '') n++
    if (n >= flat.length) break
    const next = flat[n].line
    const start = WORD_START.exec(next.text.trimStart())
    if (!start) continue
    const soft = current.text.endsWith('\u00AD')
    const joined = (end[1] + start[1]).toLowerCase()
    const compound = `${end[1]}-${start[1]}`.toLowerCase()
    const keepHyphen = !soft && words.has(compound) && !words.has(joined)
    current.text = current.text.slice(0, -1) + (keepHyphen ? '-' : '') + start[1]
    next.text = start[2].trimStart()
  }
  const out: Line[][] = pages.map(() => [])
  for (const { p, line } of flat) if (line.text.trim() !== '' || line.gapBefore) out[p].push(line)
  return out
}

const HEADING_WORDS: [RegExp, SectionName][] = [
  [/^(?:abstract|summary)$/, 'abstract'],
  [/^(?:introduction|background|background and aims?)$/, 'introduction'],
  [/^(?:methods?|materials? and methods|methodology|patients and methods|study design and methods|methods and materials)$/, 'methods'],
  [/^(?:results?|findings|results and discussion)$/, 'results'],
  [/^(?:discussion|general discussion)$/, 'discussion'],
  [/^(?:conclusions?|concluding remarks|conclusions? and implications)$/, 'conclusion'],
  [/^(?:references|bibliography|literature cited|works cited)$/, 'references']
]

/**
 * The section a line heads, if it is a heading: optional numbering ("2.", "2.1",
 * "II."), a known name starting with a capital, optional colon (a full stop only
 * after a number: "results." alone is the end of a sentence).
 */
export function headingName(text: string): SectionName | undefined {
  const trimmed = text.trim()
  const numbered = /^(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+/.exec(trimmed)
  const rest = trimmed.slice(numbered?.[0].length ?? 0)
  if (rest.length > 40 || !/^\p{Lu}/u.test(rest) || (!numbered && rest.endsWith('.'))) return undefined
  const bare = rest.replace(/[:.]$/, '').trim().toLowerCase()
  for (const [pattern, name] of HEADING_WORDS) if (pattern.test(bare)) return name
  return undefined
}

export interface PageText { number: number; text: string }
export interface Section { name: SectionName; page: number; offset: number }

/**
 * Page texts with section offsets (characters into the page's text). A
 * heading is a line naming a section, numbered or not ("2. Methods", "II.
 * RESULTS", "Conclusions:"); a line opening with "Abstract" followed by text
 * also opens the abstract (once). Lines are joined by newlines, paragraphs by
 * blank lines.
 */
export function assemble(pages: { number: number; lines: Line[] }[]): { pages: PageText[]; sections: Section[] } {
  const sections: Section[] = []
  const out: PageText[] = []
  for (const page of pages) {
    let text = ''
    for (const line of page.lines) {
      if (text.length > 0) text += line.gapBefore ? '\n\n' : '\n'
      const name = headingName(line.text) ?? (/^abstract\b\s*[:.—–-]?\s*\S/i.test(line.text) ? 'abstract' : undefined)
      if (name && !(name === 'abstract' && sections.some((s) => s.name === 'abstract'))) sections.push({ name, page: page.number, offset: text.length })
      text += line.text
    }
    out.push({ number: page.number, text })
  }
  return { pages: out, sections }
}

const DOI = /\b(10\.\d{4,9}\/[^\s"'<>]+)/i
const PMID = /\bPMID\s*:?\s*(\d{1,9})\b/i

/** First DOI in a text, trailing punctuation removed, lower-cased (DOIs are case-insensitive). */
export function findDoi(text: string): string | undefined {
  const match = DOI.exec(text)
  return match ? match[1].replace(/[.,;:)\]}]+$/, '').toLowerCase() : undefined
}

export function findPmid(text: string): string | undefined {
  return PMID.exec(text)?.[1]
}

/** A likely title from page 1: the consecutive lines in the largest font among the first lines. */
export function titleFromLines(lines: Line[]): string | undefined {
  const head = lines.slice(0, 30).filter((l) => l.text.trim().length > 0 && l.size > 0)
  if (head.length === 0) return undefined
  const max = Math.max(...head.map((l) => l.size))
  const body = [...head.map((l) => l.size)].sort((a, b) => a - b)[Math.floor(head.length / 2)]
  if (max <= body * 1.1) return undefined
  const start = head.findIndex((l) => l.size === max)
  const parts: string[] = []
  for (let i = start; i < head.length && head[i].size === max; i++) parts.push(head[i].text.trim())
  const title = parts.join(' ')
  return title.length >= 10 && title.length <= 400 ? title : undefined
}
