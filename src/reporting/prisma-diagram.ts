/**
 * The PRISMA 2020 flow diagram as SVG, after the template for new (and
 * updated) systematic reviews that include searches of databases, registers
 * and other sources (Page MJ et al., BMJ 2021;372:n71, figure 1;
 * https://www.prisma-statement.org/prisma-2020-flow-diagram). Box wording
 * follows the template; the layout follows the PRISMA2020 R package by
 * Haddaway et al.: phase bars on the left (Identification, Screening,
 * Included), "Identification of studies via databases and registers" as the
 * main column, "via other methods" to its right when there are any, and the
 * previous-version boxes on the far left for updates.
 *
 * Every count is a number computed from the project, or a manual override
 * (`{ n, note }`) for a box the service cannot know: overrides are set in
 * italics with a dagger and listed with their notes under the diagram.
 */
import { escapeXml, px, wrapText } from '../charts/svg.ts'

/** A count entered by hand, for a box the data cannot tell. */
export interface Override { n: number; note: string }
/** A count; `null` when nothing tells it (shown as "n = –"). */
export type Count = number | Override | null

export interface NamedCount { name: string; n: Count }
export interface ReasonCount { reason: string; n: Count }

export interface OtherMethodsFlow {
  /** Records per other method (citation searching, identifier look-ups, websites…). */
  sources: NamedCount[]
  sought: Count
  notRetrieved: Count
  assessed: Count
  excluded: ReasonCount[]
  /** These records were screened with the databases' records: the column has only its identification box, joined to "Records screened". */
  screenedWithDatabases?: boolean
}

export interface PrismaDiagramInput {
  databases: NamedCount[]
  registers: NamedCount[]
  duplicates: Count
  automation: Count
  otherRemoved: Count
  screened: Count
  screenedExcluded: Count
  sought: Count
  notRetrieved: Count
  assessed: Count
  excluded: ReasonCount[]
  studiesIncluded: Count
  reportsIncluded: Count
  /** The right-hand column; drawn only when present. */
  otherMethods?: OtherMethodsFlow
  /** Review updates: what the previous version included, and the totals. */
  previous?: { studies: Count; reports: Count }
}

const FONT = "Helvetica, Arial, 'Nimbus Sans', 'Liberation Sans', sans-serif"
const SIZE = 12
const LINE = 15
const PAD = 8
const GAP = 28
const BAR = 26
const MAIN_W = 250
const SIDE_W = 240

const isOverride = (c: Count): c is Override => c !== null && typeof c === 'object'
const value = (c: Count): number | null => isOverride(c) ? c.n : c

interface Line { text: string; indent?: boolean; bold?: boolean; override?: boolean }
interface Box { lines: Line[]; h: number; w: number; cls: string }

/** Box text as lines wrapped to the box, a count's override marking its line. */
function box(cls: string, width: number, parts: Array<{ text: string; count?: Count; indent?: boolean; bold?: boolean }>): Box {
  const lines: Line[] = []
  for (const p of parts) {
    const n = p.count === undefined ? '' : ` (n = ${value(p.count) ?? '–'}${isOverride(p.count) ? '†' : ''})`
    const inner = width - 2 * PAD - (p.indent ? 12 : 0)
    const override = p.count !== undefined && isOverride(p.count)
    for (const text of wrapText(p.text + n, inner, SIZE)) lines.push({ text, indent: p.indent, bold: p.bold, override })
  }
  return { lines, h: lines.length * LINE + 2 * PAD, w: width, cls }
}

function drawBox(b: Box, x: number, y: number, h: number): string {
  const out = [`<g class="${b.cls}">`, `<rect x="${px(x)}" y="${px(y)}" width="${px(b.w)}" height="${px(h)}" rx="3" fill="#fff" stroke="#222"/>`]
  b.lines.forEach((l, i) => {
    const attrs = [l.bold ? ' font-weight="bold"' : '', l.override ? ' font-style="italic" class="override"' : ''].join('')
    out.push(`<text x="${px(x + PAD + (l.indent ? 12 : 0))}" y="${px(y + PAD + (i + 1) * LINE - 4)}"${attrs}>${escapeXml(l.text)}</text>`)
  })
  out.push('</g>')
  return out.join('')
}

const arrow = (x1: number, y1: number, x2: number, y2: number) =>
  `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" stroke="#222" marker-end="url(#arrow)"/>`

function reasons(title: string, list: ReasonCount[]): Array<{ text: string; count?: Count; indent?: boolean }> {
  const total = list.reduce<number | null>((s, r) => s === null || value(r.n) === null ? null : s + value(r.n)!, 0)
  const anyOverride = list.some((r) => isOverride(r.n))
  const head = { text: title, count: anyOverride && total !== null ? { n: total, note: 'includes counts entered by hand' } : total }
  return [head, ...list.map((r) => ({ text: `${r.reason}`, count: r.n, indent: true }))]
}

const BOX_LABELS: Record<string, string> = {
  duplicates: 'Duplicate records removed',
  automation: 'Records marked as ineligible by automation tools',
  otherRemoved: 'Records removed for other reasons',
  screened: 'Records screened',
  screenedExcluded: 'Records excluded',
  sought: 'Reports sought for retrieval',
  notRetrieved: 'Reports not retrieved',
  assessed: 'Reports assessed for eligibility',
  studiesIncluded: 'Studies included in review',
  reportsIncluded: 'Reports of included studies',
  studies: 'Studies included in previous version of review',
  reports: 'Reports of studies included in previous version of review'
}

/** "<box>: <note>" for every override, named by its box (or its database, method or reason). */
function collectOverrides(input: PrismaDiagramInput): string[] {
  const notes: string[] = []
  const visit = (v: unknown, label: string) => {
    if (isOverride(v as Count) && typeof (v as Override).note === 'string' && typeof (v as Override).n === 'number') notes.push(`${label}: ${(v as Override).note}`)
    else if (Array.isArray(v)) for (const item of v) visit(item.n, item.name ?? item.reason)
    else if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) visit(c, BOX_LABELS[k] ?? k)
  }
  for (const [k, v] of Object.entries(input)) visit(v, BOX_LABELS[k] ?? k)
  return notes
}

export function prismaDiagramSvg(input: PrismaDiagramInput, options: { title?: string } = {}): string {
  const prev = input.previous
  const other = input.otherMethods
  const otherFlow = other && !other.screenedWithDatabases ? other : undefined
  const xPrev = BAR + GAP
  const xMain = prev ? xPrev + MAIN_W + GAP : BAR + GAP
  const xSide = xMain + MAIN_W + GAP
  const xOther = xSide + SIDE_W + GAP * 2
  const xOtherSide = xOther + MAIN_W + GAP
  const width = (other ? xOtherSide + SIDE_W : xSide + SIDE_W) + 10

  const list = (items: NamedCount[]) => items.map((d) => ({ text: d.name, count: d.n, indent: true }))
  const sum = (items: NamedCount[]): Count => items.reduce<number | null>((s, d) => s === null || value(d.n) === null ? null : s + value(d.n)!, 0)
  // Rows: identification, screened, sought, assessed, included.
  const rows: Array<{ main: Box; side?: Box; prev?: Box; other?: Box; otherSide?: Box }> = [
    {
      main: box('identified', MAIN_W, [{ text: 'Records identified from:' }, { text: 'Databases', count: sum(input.databases) }, ...list(input.databases),
        { text: 'Registers', count: sum(input.registers) }, ...list(input.registers)]),
      side: box('removed', SIDE_W, [{ text: 'Records removed before screening:' }, { text: 'Duplicate records removed', count: input.duplicates, indent: true },
        { text: 'Records marked as ineligible by automation tools', count: input.automation, indent: true },
        { text: 'Records removed for other reasons', count: input.otherRemoved, indent: true }]),
      prev: prev && box('previous', MAIN_W, [{ text: 'Studies included in previous version of review', count: prev.studies },
        { text: 'Reports of studies included in previous version of review', count: prev.reports }]),
      other: other && box('other-identified', MAIN_W, [{ text: 'Records identified from:' }, ...list(other.sources)])
    },
    {
      main: box('screened', MAIN_W, [{ text: 'Records screened', count: input.screened }]),
      side: box('screened-excluded', SIDE_W, [{ text: 'Records excluded', count: input.screenedExcluded }])
    },
    {
      main: box('sought', MAIN_W, [{ text: 'Reports sought for retrieval', count: input.sought }]),
      side: box('not-retrieved', SIDE_W, [{ text: 'Reports not retrieved', count: input.notRetrieved }]),
      other: otherFlow && box('other-sought', MAIN_W, [{ text: 'Reports sought for retrieval', count: otherFlow.sought }]),
      otherSide: otherFlow && box('other-not-retrieved', SIDE_W, [{ text: 'Reports not retrieved', count: otherFlow.notRetrieved }])
    },
    {
      main: box('assessed', MAIN_W, [{ text: 'Reports assessed for eligibility', count: input.assessed }]),
      side: box('assessed-excluded', SIDE_W, reasons('Reports excluded', input.excluded)),
      other: otherFlow && box('other-assessed', MAIN_W, [{ text: 'Reports assessed for eligibility', count: otherFlow.assessed }]),
      otherSide: otherFlow && box('other-excluded', SIDE_W, reasons('Reports excluded', otherFlow.excluded))
    },
    {
      main: box('included', MAIN_W, prev
        ? [{ text: 'New studies included in review', count: input.studiesIncluded }, { text: 'Reports of new included studies', count: input.reportsIncluded }]
        : [{ text: 'Studies included in review', count: input.studiesIncluded }, { text: 'Reports of included studies', count: input.reportsIncluded }])
    }
  ]
  let totals: Box | undefined
  if (prev) {
    const add = (a: Count, b: Count): Count => {
      const v = value(a) === null || value(b) === null ? null : value(a)! + value(b)!
      return v !== null && (isOverride(a) || isOverride(b)) ? { n: v, note: 'includes counts entered by hand' } : v
    }
    totals = box('total-included', MAIN_W, [{ text: 'Total studies included in review', count: add(prev.studies, input.studiesIncluded) },
      { text: 'Reports of total included studies', count: add(prev.reports, input.reportsIncluded) }])
  }

  const out: string[] = []
  const headerH = 2 * LINE + 2 * PAD
  let y = (options.title ? LINE * 2 : 0) + 10
  if (options.title) out.push(`<text x="${px(width / 2)}" y="${px(LINE + 6)}" text-anchor="middle" font-size="15" font-weight="bold" class="title">${escapeXml(options.title)}</text>`)
  const header = (x: number, w: number, text: string, cls: string) => {
    out.push(`<g class="${cls}"><rect x="${px(x)}" y="${px(y)}" width="${px(w)}" height="${px(headerH)}" rx="6" fill="#f3c33c" stroke="#222"/>`)
    const lines = wrapText(text, w - 2 * PAD, SIZE)
    const top = y + (headerH - lines.length * LINE) / 2
    lines.forEach((l, i) => out.push(`<text x="${px(x + w / 2)}" y="${px(top + (i + 1) * LINE - 4)}" text-anchor="middle" font-weight="bold">${escapeXml(l)}</text>`))
    out.push('</g>')
  }
  if (prev) header(xPrev, MAIN_W, 'Previous studies', 'header-previous')
  header(xMain, xSide + SIDE_W - xMain, prev ? 'Identification of new studies via databases and registers' : 'Identification of studies via databases and registers', 'header-databases')
  if (other) header(xOther, xOtherSide + SIDE_W - xOther, 'Identification of studies via other methods', 'header-other')
  y += headerH + GAP

  let otherBottom: number | undefined
  const tops: number[] = []
  const heights: number[] = []
  rows.forEach((r, i) => {
    // The included row is at least as tall as its phase label.
    const h = Math.max(i === rows.length - 1 ? 70 : 0, ...[r.main, r.side, r.prev, r.other, r.otherSide].filter((b): b is Box => !!b).map((b) => b.h))
    tops.push(y); heights.push(h)
    const mid = y + h / 2
    if (r.prev) out.push(drawBox(r.prev, xPrev, y, h))
    out.push(drawBox(r.main, xMain, y, h))
    if (r.side) { out.push(drawBox(r.side, xSide, y, h)); out.push(arrow(xMain + MAIN_W, mid, xSide - 2, mid)) }
    if (r.other) out.push(drawBox(r.other, xOther, y, h))
    if (r.otherSide) { out.push(drawBox(r.otherSide, xOtherSide, y, h)); out.push(arrow(xOther + MAIN_W, mid, xOtherSide - 2, mid)) }
    if (i > 0) out.push(arrow(xMain + MAIN_W / 2, tops[i - 1] + heights[i - 1], xMain + MAIN_W / 2, y - 2))
    if (r.other) {
      if (otherBottom !== undefined) out.push(arrow(xOther + MAIN_W / 2, otherBottom, xOther + MAIN_W / 2, y - 2))
      otherBottom = y + h
    }
    y += h + GAP
  })
  const inc = rows.length - 1
  if (other && !otherFlow) {
    // Screened with the rest: into "Records screened".
    const joinY = tops[1] - GAP / 2
    const joinX = xMain + MAIN_W * 0.75
    out.push(`<polyline points="${px(xOther + MAIN_W / 2)},${px(tops[0] + heights[0])} ${px(xOther + MAIN_W / 2)},${px(joinY)} ${px(joinX)},${px(joinY)} ${px(joinX)},${px(tops[1] - 2)}" fill="none" stroke="#222" marker-end="url(#arrow)"/>`)
  } else if (other) {
    // Other methods' assessed reports join the included studies.
    const assessed = rows.length - 2
    const fromY = tops[assessed] + heights[assessed]
    const joinY = tops[inc] + heights[inc] / 2
    out.push(`<polyline points="${px(xOther + MAIN_W / 2)},${px(fromY)} ${px(xOther + MAIN_W / 2)},${px(joinY)} ${px(xMain + MAIN_W + 2)},${px(joinY)}" fill="none" stroke="#222" marker-end="url(#arrow)"/>`)
  }
  if (prev && totals) {
    const top = y
    out.push(drawBox(totals, xMain, top, totals.h))
    out.push(arrow(xMain + MAIN_W / 2, tops[inc] + heights[inc], xMain + MAIN_W / 2, top - 2))
    const prevBottom = tops[0] + heights[0]
    const joinY = top + totals.h / 2
    out.push(`<polyline points="${px(xPrev + MAIN_W / 2)},${px(prevBottom)} ${px(xPrev + MAIN_W / 2)},${px(joinY)} ${px(xMain - 2)},${px(joinY)}" fill="none" stroke="#222" marker-end="url(#arrow)"/>`)
    y += totals.h + GAP
  }
  // Phase bars: identification, screening (three rows), included.
  const bar = (label: string, from: number, to: number) => {
    const cy = (from + to) / 2
    out.push(`<g class="phase"><rect x="4" y="${px(from)}" width="${BAR - 4}" height="${px(to - from)}" rx="6" fill="#a9c8e8" stroke="#222"/>` +
      `<text transform="translate(${px(4 + (BAR - 4) / 2 + 4)},${px(cy)}) rotate(-90)" text-anchor="middle" font-weight="bold">${escapeXml(label)}</text></g>`)
  }
  bar('Identification', tops[0], tops[0] + heights[0])
  bar('Screening', tops[1], tops[3] + heights[3])
  bar('Included', tops[inc], y - GAP)

  const notes = collectOverrides(input)
  if (notes.length) {
    y += 4
    out.push('<g class="override-notes">')
    for (const n of ['† Entered by hand, not computed from the records:', ...notes]) {
      for (const l of wrapText(n, width - 20, 11)) { out.push(`<text x="10" y="${px(y)}" font-size="11" font-style="italic">${escapeXml(l)}</text>`); y += 14 }
    }
    out.push('</g>')
  }
  const height = y + 6
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" font-family="${FONT}" font-size="${SIZE}">` +
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#222"/></marker></defs>' +
    `<rect width="100%" height="100%" fill="#fff"/>${out.join('')}</svg>`
}

/** Counts for boxes the records cannot tell, each shown as entered by hand. */
export interface ManualOverrides {
  automation?: Override
  otherRemoved?: Override
  notRetrieved?: Override
  studiesIncluded?: Override
  previous?: { studies: Override; reports: Override }
  /** Other methods the service does not record (websites, organisations…). */
  otherSources?: Array<{ name: string; n: Override }>
}

/** What diagramInput reads of `prismaCounts` (older counts without `notRetrieved` leave that box to an override). */
export interface Counts {
  identification: { sources: Array<{ kind: string; sourceDatabase: string | null; records: number }>; duplicatesRemoved: number; removedByAutomation?: number }
  screening: {
    titleAbstract: { screened: number; excluded: number }
    fullText: { soughtForRetrieval: number; notRetrieved?: number; assessed: number; exclusionReasons: Array<{ reason: string; count: number }> }
  }
  included: number
}

/** A study register rather than a bibliographic database, by its name. */
export const REGISTER = /clinicaltrials|ictrp|regist|isrctn|euctr|ctis|anzctr|chictr|drks/i
const OTHER_KINDS: Record<string, string> = { citations: 'Citation searching', identifiers: 'Identifier look-up', other: 'Records added by hand' }

/**
 * The diagram's input from `prismaCounts` and the project's manual
 * overrides: one call turns the service's counts into what the SVG draws.
 * Searches and file imports are databases (registers by name); citation
 * searching, identifier look-ups and records added by hand are other
 * methods. The service screens other methods' records with the rest, so
 * the right-hand column shows where they came from, joined to "Records
 * screened".
 */
export function diagramInput(counts: Counts, overrides: ManualOverrides = {}): PrismaDiagramInput {
  const dbs = new Map<string, number>()
  const regs = new Map<string, number>()
  const others = new Map<string, number>()
  for (const s of counts.identification.sources) {
    if (s.kind in OTHER_KINDS) {
      const name = s.kind === 'other' || !s.sourceDatabase ? OTHER_KINDS[s.kind] : `${OTHER_KINDS[s.kind]} (${s.sourceDatabase})`
      others.set(name, (others.get(name) ?? 0) + s.records)
    } else {
      const name = s.sourceDatabase ?? 'Database not stated'
      const map = REGISTER.test(name) ? regs : dbs
      map.set(name, (map.get(name) ?? 0) + s.records)
    }
  }
  const named = (m: Map<string, number>) => [...m].map(([name, n]) => ({ name, n }))
  const ft = counts.screening.fullText
  const ta = counts.screening.titleAbstract
  const otherSources: NamedCount[] = [...named(others), ...(overrides.otherSources ?? [])]
  return {
    databases: named(dbs),
    registers: named(regs),
    duplicates: counts.identification.duplicatesRemoved,
    automation: overrides.automation ?? counts.identification.removedByAutomation ?? 0,
    otherRemoved: overrides.otherRemoved ?? 0,
    screened: ta.screened,
    screenedExcluded: ta.excluded,
    sought: ft.soughtForRetrieval,
    notRetrieved: overrides.notRetrieved ?? ft.notRetrieved ?? null,
    assessed: ft.assessed,
    excluded: ft.exclusionReasons.map((r) => ({ reason: r.reason, n: r.count })),
    // One report per study unless the reviewers say otherwise.
    studiesIncluded: overrides.studiesIncluded ?? counts.included,
    reportsIncluded: counts.included,
    otherMethods: otherSources.length
      ? { sources: otherSources, sought: null, notRetrieved: null, assessed: null, excluded: [], screenedWithDatabases: true }
      : undefined,
    previous: overrides.previous
  }
}
