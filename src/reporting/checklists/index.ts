/**
 * Reporting checklists (PRISMA 2020 and its abstract checklist, PRISMA-ScR,
 * PRISMA-S) and a project's filled-in copy of one: per item a status, where
 * the manuscript reports it and notes, with what the project itself can
 * evidence pre-filled (and flagged so); exported as CSV or XLSX.
 */
import { csvLine } from '../../export/csv.ts'
import { NotFound } from '../../errors.ts'
import type { prismaCounts } from '../../services/prisma.ts'
import { REGISTER } from '../prisma-diagram.ts'
import { PRISMA_2020, PRISMA_2020_ABSTRACTS } from './prisma-2020.ts'
import { PRISMA_S } from './prisma-s.ts'
import { PRISMA_SCR } from './prisma-scr.ts'
import type { Checklist, ChecklistItem, Evidence } from './types.ts'

export type { Checklist, ChecklistItem, Evidence } from './types.ts'
export { PRISMA_2020, PRISMA_2020_ABSTRACTS, PRISMA_S, PRISMA_SCR }

export const CHECKLISTS: Readonly<Record<string, Checklist>> = Object.fromEntries(
  [PRISMA_2020, PRISMA_2020_ABSTRACTS, PRISMA_SCR, PRISMA_S].map((c) => [c.id, c]))

export function getChecklist(id: string): Checklist {
  const checklist = CHECKLISTS[id]
  if (!checklist) throw new NotFound(`no checklist "${id}" (known: ${Object.keys(CHECKLISTS).join(', ')})`)
  return checklist
}

export type ItemStatus = 'reported' | 'not_reported' | 'not_applicable'

export interface ChecklistEntry {
  id: string
  /** Null until someone has assessed the item. */
  status: ItemStatus | null
  /** Where the manuscript reports it ("Methods, p. 6", "Appendix 2"). */
  location: string
  notes: string
  /** What the project's own data says about the item, for the authors to report. */
  evidence: string | null
  /** True when `evidence` was filled in from the project, not typed by a person. */
  prefilled: boolean
}

export interface ChecklistInstance { checklist: string; items: ChecklistEntry[] }

export function emptyChecklist(checklist: Checklist): ChecklistInstance {
  return { checklist: checklist.id, items: checklist.items.map((i) => ({ id: i.id, status: null, location: '', notes: '', evidence: null, prefilled: false })) }
}

/** What the project's data tells about how the review was done (each part optional). */
export interface ProjectFacts {
  /** The search log: one row per database queried. */
  searches?: Array<{ database: string; query: string; queryAsSent?: string | null; date: string | Date; totalHits?: number | null; retrieved?: number; maxRecords?: number | null }>
  /** File and URL imports, citation searches and identifier look-ups (the source batches). */
  imports?: Array<{ kind: string; sourceDatabase: string | null; fileName?: string | null; records: number; date?: string | Date }>
  screening?: { reviewersPerRecord: 1 | 2; blind: boolean; exclusionReasons: string[]; classifier?: string; llmModel?: string | null }
  extraction?: { fields: Array<{ name: string; description?: string | null }>; reviewersPerRecord?: 1 | 2 }
  deduplication?: { duplicatesRemoved: number; confirmedByReviewers?: number }
  counts?: Awaited<ReturnType<typeof prismaCounts>>
}

const day = (d: string | Date) => (typeof d === 'string' ? new Date(d) : d).toISOString().slice(0, 10)
const latest = (dates: Array<string | Date>) => dates.map(day).sort().at(-1)
const join = (parts: Array<string | null | undefined | false>) => parts.filter(Boolean).join(' ') || null

function databases(facts: ProjectFacts): Map<string, string[]> {
  const dates = new Map<string, string[]>()
  const add = (name: string, date?: string | Date) => {
    const list = dates.get(name) ?? []
    if (date) list.push(day(date))
    dates.set(name, list)
  }
  for (const s of facts.searches ?? []) add(s.database, s.date)
  for (const b of facts.imports ?? []) if ((b.kind === 'file' || b.kind === 'url' || b.kind === 'search') && b.sourceDatabase) add(b.sourceDatabase, b.date)
  return dates
}

function sourcesText(facts: ProjectFacts, registers: boolean): string | null {
  const entries = [...databases(facts)].filter(([name]) => REGISTER.test(name) === registers)
  if (!entries.length) return null
  return `${registers ? 'Registers' : 'Databases'} searched: ${entries.map(([name, d]) => d.length ? `${name} (last searched ${d.sort().at(-1)})` : name).join('; ')}.`
}

const EVIDENCE: Record<Evidence, (facts: ProjectFacts) => string | null> = {
  'information-sources': (f) => join([sourcesText(f, false), sourcesText(f, true), EVIDENCE['citation-searching'](f)]),
  databases: (f) => sourcesText(f, false),
  registers: (f) => sourcesText(f, true),
  'citation-searching': (f) => {
    const batches = (f.imports ?? []).filter((b) => b.kind === 'citations')
    if (!batches.length) return null
    const via = [...new Set(batches.map((b) => b.sourceDatabase).filter(Boolean))]
    return `Citation searching (cited and citing references of selected records${via.length ? ` through ${via.join(', ')}` : ''}): ${batches.reduce((s, b) => s + b.records, 0)} records.`
  },
  'other-methods': (f) => {
    const ids = (f.imports ?? []).filter((b) => b.kind === 'identifiers')
    return ids.length ? `Records looked up by identifier (DOI, PMID…): ${ids.reduce((s, b) => s + b.records, 0)} records.` : null
  },
  'search-strategy': (f) => f.searches?.length
    ? f.searches.map((s) => `${s.database} (${day(s.date)}): ${s.queryAsSent ?? s.query}`).join('\n')
    : null,
  'search-dates': (f) => f.searches?.length
    ? [...databases({ searches: f.searches })].map(([name, d]) => `${name}: ${latest(d)}`).join('; ')
    : null,
  limits: (f) => {
    const capped = (f.searches ?? []).filter((s) => s.maxRecords != null && s.totalHits != null && s.totalHits > (s.retrieved ?? 0))
    return capped.length ? `Retrieval capped: ${capped.map((s) => `${s.database} ${s.retrieved ?? 0} of ${s.totalHits} hits (limit ${s.maxRecords})`).join('; ')}.` : null
  },
  selection: (f) => {
    const s = f.screening
    if (!s) return null
    return join([
      s.reviewersPerRecord === 2
        ? `Each record and each report was screened by two reviewers${s.blind ? ' working independently (blind to each other\'s decisions)' : ''}; disagreements were resolved by a third person.`
        : 'Each record and each report was screened by one reviewer.',
      s.exclusionReasons.length ? `Exclusion reasons: ${s.exclusionReasons.join('; ')}.` : null,
      s.classifier ? `Records were ordered by an active-learning model (${s.classifier === 'nb' ? 'naive Bayes' : 'logistic regression'}) retrained on the reviewers' decisions.` : null,
      s.llmModel ? `A large language model (${s.llmModel}) gave suggestions; only human decisions were counted.` : null
    ])
  },
  'data-collection': (f) => f.extraction?.reviewersPerRecord
    ? `Data were extracted by ${f.extraction.reviewersPerRecord === 2 ? 'two reviewers for each report' : 'one reviewer for each report'} using an extraction form of ${f.extraction.fields.length} fields.`
    : null,
  'data-items': (f) => f.extraction?.fields.length
    ? f.extraction.fields.map((x) => x.description ? `${x.name}: ${x.description}` : x.name).join('\n')
    : null,
  flow: (f) => {
    const c = f.counts
    if (!c) return null
    const ft = c.screening.fullText
    return `${c.identification.total} records identified, ${c.identification.duplicatesRemoved} duplicates removed, ${c.screening.titleAbstract.screened} screened, ` +
      `${c.screening.titleAbstract.excluded} excluded at title/abstract, ${ft.soughtForRetrieval} reports sought, ${ft.assessed} assessed for eligibility, ` +
      `${ft.excluded} excluded${ft.exclusionReasons.length ? ` (${ft.exclusionReasons.map((r) => `${r.reason}: ${r.count}`).join('; ')})` : ''}, ${c.included} included (PRISMA flow diagram).`
  },
  'total-records': (f) => {
    const c = f.counts
    if (!c) return null
    const per = new Map<string, number>()
    for (const s of c.identification.sources) {
      const name = s.sourceDatabase ?? (s.kind === 'citations' ? 'citation searching' : s.kind === 'identifiers' ? 'identifier look-up' : s.kind === 'other' ? 'added by hand' : 'database not stated')
      per.set(name, (per.get(name) ?? 0) + s.records)
    }
    return `${c.identification.total} records: ${[...per].map(([name, n]) => `${name} ${n}`).join('; ')}.`
  },
  deduplication: (f) => f.deduplication
    ? `Duplicates were identified with AnalyLit (normalised title, authors, year and identifiers, scored pairwise and clustered); ${f.deduplication.duplicatesRemoved} duplicate records removed` +
    `${f.deduplication.confirmedByReviewers ? `, ${f.deduplication.confirmedByReviewers} of them confirmed by a reviewer` : ''}.`
    : null
}

/**
 * A copy of `instance` (or a blank one) with the evidence of every item the
 * facts can speak to filled in and flagged `prefilled`. Statuses, locations
 * and notes are left as they are: only people judge what the manuscript
 * reports. Evidence a person wrote (`prefilled` false) is kept.
 */
export function prefillChecklist(checklist: Checklist, facts: ProjectFacts, instance: ChecklistInstance = emptyChecklist(checklist)): ChecklistInstance {
  const byId = new Map(instance.items.map((e) => [e.id, e]))
  return {
    checklist: checklist.id,
    items: checklist.items.map((item) => {
      const entry = byId.get(item.id) ?? { id: item.id, status: null, location: '', notes: '', evidence: null, prefilled: false }
      if (!item.evidence || (entry.evidence && !entry.prefilled)) return { ...entry }
      const evidence = EVIDENCE[item.evidence](facts)
      return evidence ? { ...entry, evidence, prefilled: true } : { ...entry }
    })
  }
}

const COLUMNS = ['section', 'item', 'topic', 'checklist item', 'optional', 'status', 'location', 'notes', 'evidence', 'pre-filled'] as const

function rows(checklist: Checklist, instance: ChecklistInstance): Array<Array<string>> {
  const byId = new Map(instance.items.map((e) => [e.id, e]))
  return checklist.items.map((item: ChecklistItem) => {
    const e = byId.get(item.id)
    return [item.section, item.id, item.topic, item.text, item.optional ? 'yes' : '', e?.status ?? '', e?.location ?? '', e?.notes ?? '', e?.evidence ?? '', e?.prefilled ? 'yes' : '']
  })
}

/** The checklist as CSV (RFC 4180, CRLF, formula-like cells quoted off as in the reference export). */
export function checklistCsv(checklist: Checklist, instance: ChecklistInstance = emptyChecklist(checklist)): string {
  return csvLine(COLUMNS) + rows(checklist, instance).map(csvLine).join('')
}

/** The checklist as an XLSX workbook (one sheet, header frozen, filters on). */
export async function checklistXlsx(checklist: Checklist, instance: ChecklistInstance = emptyChecklist(checklist)): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs')
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet(checklist.name.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] })
  sheet.columns = COLUMNS.map((header) => ({ header, key: header, width: header === 'checklist item' || header === 'evidence' ? 60 : 16 }))
  sheet.getRow(1).font = { bold: true }
  for (const row of rows(checklist, instance)) sheet.addRow(row)
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: COLUMNS.length } }
  for (const key of ['checklist item', 'evidence', 'notes']) sheet.getColumn(key).alignment = { wrapText: true, vertical: 'top' }
  return Buffer.from(await workbook.xlsx.writeBuffer())
}
