/**
 * Screening labels in exported files, and how to read them back.
 *
 * Decisions, reasons, notes and tags travel as note lines, because every
 * reference manager keeps notes (RIS `N1`, BibTeX `note`, CSL-JSON `note`).
 * One label per line, in this exact form:
 *
 *   AnalyLit decision: include (stage: full_text)
 *   AnalyLit reason (stage: full_text): wrong population
 *   AnalyLit note (stage: full_text): check the dosage table
 *   AnalyLit decision: maybe (stage: title_abstract)
 *   AnalyLit tags: pilot; to discuss
 *
 * - The decision is one of `include`, `exclude`, `maybe`, right after
 *   "AnalyLit decision: ", so the importers' `labelFromNotes`
 *   (src/references/text.ts: /AnalyLit decision:\s*(include|exclude|maybe)/)
 *   reads it. The stage follows in parentheses; without a stage the
 *   parenthesis is left out ("AnalyLit decision: include").
 * - Stages are written latest first: the first decision line is the
 *   record's current (final) decision, which is what an importer that reads
 *   only the first label gets.
 * - A reason or note follows the decision of its stage; its stage sits
 *   before the colon so the free text runs to the end of the line. Line
 *   breaks inside reasons and notes become spaces.
 * - Tags come last, separated by "; " (a ";" inside a tag becomes ",").
 *   Tags are also written as keywords (RIS `KW`, BibTeX `keywords`, CSL
 *   `keyword`) so reference managers show them.
 * - Exporters drop notes of the record that are themselves AnalyLit labels
 *   (left over from an earlier import), so an export never carries stale
 *   decisions.
 *
 * - Last comes the label block (src/references/label-block.ts), one line
 *   "AnalyLit data v1: <base64 JSON>" holding every current decision with its
 *   reviewer, and the record's source database: what the importer reads back
 *   when present. The lines above are for people and other tools.
 *
 * Readers also accept "AnalyLit decision (full_text): include", the stage
 * written before the colon. BibTeX importers join a field's lines into one
 * string: `parseExportedLabels` splits such text back into labels.
 */

import type { ExportDecision, ExportDecisionValue, ExportItem } from './item.ts'
import { finalDecision, oneLine } from './item.ts'
import { LABEL_BLOCK_VERSION, labelBlockFromNotes, labelBlockNote, type LabelBlock, type LabelDecision } from '../references/label-block.ts'
import type { ReferenceRecord } from '../references/model.ts'
import { REVIEW_NOTE } from './review.ts'

export type ExportedLabel =
  | { kind: 'decision'; decision: ExportDecisionValue; stage?: string }
  | { kind: 'reason' | 'note'; text: string; stage?: string }
  | { kind: 'tags'; tags: string[] }
  | { kind: 'data' }

/** Stage ids are written between parentheses: keep them free of the characters that would end them. */
function cleanStage(stage: string): string {
  return oneLine(stage).replace(/[():]/g, '_')
}

/** The label lines of an item, in the documented order. */
export function labelLines(item: ExportItem): string[] {
  const lines: string[] = []
  const decisions = item.decision ?? []
  for (let k = decisions.length - 1; k >= 0; k--) {
    const { stage, decision, reason, note } = decisions[k]
    const cleaned = stage ? cleanStage(stage) : ''
    lines.push(cleaned ? `AnalyLit decision: ${decision} (stage: ${cleaned})` : `AnalyLit decision: ${decision}`)
    const qualifier = cleaned ? ` (stage: ${cleaned})` : ''
    if (reason && oneLine(reason)) lines.push(`AnalyLit reason${qualifier}: ${oneLine(reason)}`)
    if (note && oneLine(note)) lines.push(`AnalyLit note${qualifier}: ${oneLine(note)}`)
  }
  const tags = (item.tags ?? []).map((tag) => oneLine(tag).replace(/;/g, ',')).filter((tag) => tag.length > 0)
  if (tags.length > 0) lines.push(`AnalyLit tags: ${tags.join('; ')}`)
  return lines
}

/**
 * The item's label block: its current decisions (`screening`, else built from
 * `decision` with the tags on the final one) and the record's source database.
 */
export function labelBlock(item: ExportItem): LabelBlock {
  const final = finalDecision(item)
  const decisions: LabelDecision[] = item.screening ?? (item.decision ?? []).map((d) => ({
    stage: d.stage, decision: d.decision, ...(d.reason ? { reason: d.reason } : {}), ...(d.note ? { note: d.note } : {}),
    ...(d === final && item.tags?.length ? { tags: item.tags } : {})
  }))
  const sourceDatabase = item.record.sourceDatabase
  return { v: LABEL_BLOCK_VERSION, ...(sourceDatabase ? { sourceDatabase } : {}), decisions }
}

/**
 * The record's own notes that are not AnalyLit labels, followed by the item's
 * label lines and its label block. The block is left out when the item has no
 * decision and its source database is missing or has a field of its own in the
 * format (`databaseField`: RIS `DB`, CSL `source`).
 */
export function notesWithLabels(item: ExportItem, options: { databaseField?: boolean } = {}): string[] {
  const own = (item.record.notes ?? []).filter((note) => note.trim().length > 0 && parseExportedLabels(note).length === 0 && !REVIEW_NOTE.test(note))
  const block = labelBlock(item)
  const withBlock = block.decisions.length > 0 || (block.sourceDatabase !== undefined && !options.databaseField)
  return [...own, ...labelLines(item), ...(withBlock ? [labelBlockNote(block)] : [])]
}

const DECISION = /^\s*AnalyLit decision(?:\s*\((?:stage:\s*)?([^)]*)\))?\s*:\s*(include|exclude|maybe)\b(?:\s*\(stage:\s*([^)]*)\))?/i
const TEXT = /^\s*AnalyLit (reason|note)(?:\s*\((?:stage:\s*)?([^)]*)\))?\s*:\s*([\s\S]*?)\s*$/i
const TAGS = /^\s*AnalyLit tags\s*:\s*([\s\S]*?)\s*$/i
const DATA = /^\s*AnalyLit data v\d+\s*:/i

/** Reads one label ("AnalyLit decision: include (stage: full_text)"…); undefined for any other note. */
export function parseExportedLabel(note: string): ExportedLabel | undefined {
  const decision = DECISION.exec(note)
  if (decision) {
    const stage = (decision[1] ?? decision[3])?.trim()
    const decisionValue = decision[2].toLowerCase() as ExportDecisionValue
    return stage ? { kind: 'decision', decision: decisionValue, stage } : { kind: 'decision', decision: decisionValue }
  }
  const text = TEXT.exec(note)
  if (text) {
    const stage = text[2]?.trim()
    const kind = text[1].toLowerCase() as 'reason' | 'note'
    return stage ? { kind, text: text[3], stage } : { kind, text: text[3] }
  }
  const tags = TAGS.exec(note)
  if (tags) return { kind: 'tags', tags: tags[1].split(/\s*;\s*/).filter((tag) => tag.length > 0) }
  if (DATA.test(note)) return { kind: 'data' }
  return undefined
}

const LABEL_START = /AnalyLit (?:decision|reason|note|tags|data v\d+)\b/g

/**
 * Reads every label in a text that may hold several (a multi-line note, or
 * the lines of a BibTeX note joined into one string). Text before the first
 * label is ignored.
 */
export function parseExportedLabels(text: string): ExportedLabel[] {
  const starts: number[] = []
  for (const match of text.matchAll(LABEL_START)) starts.push(match.index)
  const labels: ExportedLabel[] = []
  starts.forEach((start, k) => {
    const label = parseExportedLabel(text.slice(start, starts[k + 1] ?? text.length))
    if (label) labels.push(label)
  })
  return labels
}

/**
 * Rebuilds decisions and tags from labels read back (in any order of
 * notes): one decision per stage, in stage order earliest first (the
 * reverse of the written order), with their reasons and notes.
 */
export function decisionsFromLabels(labels: readonly ExportedLabel[]): { decision: ExportDecision[]; tags: string[] } {
  const written: ExportDecision[] = []
  const tags: string[] = []
  for (const label of labels) {
    if (label.kind === 'decision') {
      written.push({ stage: label.stage ?? '', decision: label.decision })
    } else if (label.kind === 'tags') {
      for (const tag of label.tags) if (!tags.includes(tag)) tags.push(tag)
    } else if (label.kind !== 'data') {
      let owner: ExportDecision | undefined = written[written.length - 1]
      for (let k = written.length - 1; k >= 0; k--) {
        if (written[k].stage === (label.stage ?? '')) {
          owner = written[k]
          break
        }
      }
      if (owner) owner[label.kind] = owner[label.kind] ? `${owner[label.kind]} ${label.text}` : label.text
    }
  }
  return { decision: written.reverse(), tags }
}

/**
 * The decisions an imported record carries, for the importer: those of its
 * label block (the `analylit` column or the "AnalyLit data" note line), else
 * those of its label lines when they name their stage (exports of earlier
 * versions, or edited in a reference manager), the tags going to the final
 * decision. Empty when the record carries neither.
 */
export function carriedDecisions(record: ReferenceRecord): LabelDecision[] {
  const block = record.screening ?? labelBlockFromNotes(record.notes)
  if (block && block.decisions.length > 0) return block.decisions
  const { decision, tags } = decisionsFromLabels(parseExportedLabels(record.notes.join('\n')))
  if (!decision.some((d) => d.stage)) return []
  return decision.map((d, k) => ({ ...d, ...(k === decision.length - 1 && tags.length > 0 ? { tags } : {}) }))
}
