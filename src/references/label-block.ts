/**
 * The AnalyLit label block: a record's screening decisions (stage,
 * decision, reason, note, tags, reviewer, source, date) and its source
 * database in one structured, versioned form that every export carries and
 * the importer reads back exactly.
 *
 * - In tables (CSV, XLSX) it is the JSON text of the `analylit` column.
 * - In notes (RIS `N1`, BibTeX `note`, CSL-JSON `note`) it is one line
 *   "AnalyLit data v1: " followed by the base64 of the UTF-8 JSON, so that no
 *   reference manager, LaTeX escaping or white-space folding can alter it.
 *   The human-readable label lines (src/export/labels.ts) stay beside it.
 *
 * JSON: {"v":1,"sourceDatabase":"Scopus","decisions":[{"stage":"full_text",
 * "decision":"exclude","reason":"…","note":"…","tags":["…"],"source":"human",
 * "reviewer":{"email":"…","name":"…","kind":"human"},"at":"2026-…Z"}]}.
 * A block of another version is ignored (the label lines are read instead);
 * invalid decisions are left out; texts longer than the API accepts are cut
 * to its limits.
 */

export const LABEL_BLOCK_VERSION = 1

export interface LabelReviewer {
  email?: string
  name?: string
  /** 'human' or 'llm'. */
  kind?: string
}

export interface LabelDecision {
  stage: string
  decision: 'include' | 'exclude' | 'maybe'
  reason?: string
  note?: string
  tags?: string[]
  /** Where the decision came from in the exporting project: 'human', 'llm', 'resolution' or 'import'. */
  source?: string
  reviewer?: LabelReviewer
  /** When it was made (ISO 8601). */
  at?: string
}

export interface LabelBlock {
  v: typeof LABEL_BLOCK_VERSION
  sourceDatabase?: string
  decisions: LabelDecision[]
}

/** The prefix of the block's note line. */
export const LABEL_BLOCK_NOTE = `AnalyLit data v${LABEL_BLOCK_VERSION}: `

const DECISIONS = new Set(['include', 'exclude', 'maybe'])
const MAX_DECISIONS = 200
const LIMITS = { reason: 500, note: 10_000, tag: 100, tags: 50, short: 320 }

function text(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined
}

function clean<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key]
  return value
}

function readDecision(value: unknown): LabelDecision | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const d = value as Record<string, unknown>
  const stage = text(d.stage, LIMITS.short)
  if (stage === undefined || typeof d.decision !== 'string' || !DECISIONS.has(d.decision)) return undefined
  const tags = Array.isArray(d.tags)
    ? d.tags.filter((tag): tag is string => typeof tag === 'string' && tag.length > 0).slice(0, LIMITS.tags).map((tag) => tag.slice(0, LIMITS.tag))
    : []
  const r = typeof d.reviewer === 'object' && d.reviewer !== null ? d.reviewer as Record<string, unknown> : undefined
  const reviewer = r && clean({ email: text(r.email, LIMITS.short), name: text(r.name, LIMITS.short), kind: text(r.kind, LIMITS.short) })
  return clean({
    stage,
    decision: d.decision as LabelDecision['decision'],
    reason: text(d.reason, LIMITS.reason),
    note: text(d.note, LIMITS.note),
    tags: tags.length > 0 ? tags : undefined,
    source: text(d.source, LIMITS.short),
    reviewer: reviewer && Object.keys(reviewer).length > 0 ? reviewer : undefined,
    at: text(d.at, LIMITS.short)
  })
}

/** Reads a block from its JSON text; undefined when it is not a block of this version. */
export function parseLabelBlock(json: string): LabelBlock | undefined {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const b = value as Record<string, unknown>
  if (b.v !== LABEL_BLOCK_VERSION || !Array.isArray(b.decisions)) return undefined
  const decisions = b.decisions.slice(0, MAX_DECISIONS).map(readDecision).filter((d): d is LabelDecision => d !== undefined)
  const sourceDatabase = text(b.sourceDatabase, LIMITS.short)
  return { v: LABEL_BLOCK_VERSION, ...(sourceDatabase ? { sourceDatabase } : {}), decisions }
}

/** The block's note line. */
export function labelBlockNote(block: LabelBlock): string {
  return LABEL_BLOCK_NOTE + Buffer.from(JSON.stringify(block), 'utf8').toString('base64')
}

const NOTE_LINE = /AnalyLit data v(\d+):\s*([A-Za-z0-9+/]+={0,2})/

/** The block of the first note holding a block line (BibTeX may have joined it to other lines); undefined if none. */
export function labelBlockFromNotes(notes: readonly string[]): LabelBlock | undefined {
  for (const note of notes) {
    const match = NOTE_LINE.exec(note)
    if (!match) continue
    if (Number(match[1]) !== LABEL_BLOCK_VERSION) return undefined
    return parseLabelBlock(Buffer.from(match[2], 'base64').toString('utf8'))
  }
  return undefined
}
