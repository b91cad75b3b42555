/**
 * What the exporters write: a reference with the review's screening
 * decisions and tags.
 */

import type { LabelDecision } from '../references/label-block.ts'
import type { ReferenceRecord } from '../references/model.ts'
import type { ReviewData } from './review.ts'

export type ExportDecisionValue = 'include' | 'exclude' | 'maybe'

export interface ExportDecision {
  /** Screening stage id ("title_abstract", "full_text"…). */
  stage: string
  decision: ExportDecisionValue
  reason?: string
  note?: string
}

export interface ExportItem {
  record: ReferenceRecord
  /**
   * Decisions in stage order, earliest first: the last one is the record's
   * current (final) decision, the one tabular exports and `label_included`
   * carry.
   */
  decision?: ExportDecision[]
  tags?: string[]
  /**
   * Every current decision on the record (each reviewer's latest per stage,
   * the latest resolution…), with reviewer and tags, for the label block;
   * without it the block is built from `decision` and `tags`.
   */
  screening?: LabelDecision[]
  /** The article's extraction and risk-of-bias judgements, when the export includes them (review.ts). */
  review?: ReviewData
}

/** The record's current decision: the last of its decisions, if any. */
export function finalDecision(item: ExportItem): ExportDecision | undefined {
  const decisions = item.decision
  return decisions && decisions.length > 0 ? decisions[decisions.length - 1] : undefined
}

/** Text on one line: line breaks and runs of white space become single spaces. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/** Page range split into first and last page: "123-129" -> ["123", "129"], "e123" -> ["e123"]. */
export function splitPages(pages: string): [string, string?] {
  const match = /^\s*([^\s–—-]+)\s*[-–—]+\s*([^\s–—-]+)\s*$/.exec(pages)
  return match ? [match[1], match[2]] : [pages.trim()]
}
