/**
 * The columns of tabular exports (CSV and XLSX), named so that ASReview and
 * the project's tabular importer read them back: `label_included` is 1
 * (include), 0 (exclude) or empty (maybe, or no decision) from the
 * record's final decision; `decision`, `reason` and `note` are that final
 * decision's; `tags` and `keywords` are "; "-separated lists, `authors`
 * "Family, Given; Family, Given". `analylit` holds the label block as JSON
 * (src/references/label-block.ts: every current decision with its stage,
 * reason, note, tags and reviewer, and the source database), which the
 * importer reads back; it also marks the file as an AnalyLit export.
 */

import type { ExportItem } from './item.ts'
import { finalDecision, oneLine } from './item.ts'
import { labelBlock } from './labels.ts'

export const TABLE_COLUMNS = [
  'title', 'abstract', 'authors', 'year', 'journal', 'volume', 'issue', 'pages', 'doi', 'pmid', 'pmcid', 'keywords',
  'decision', 'reason', 'note', 'tags', 'label_included', 'analylit'
] as const

export type TableColumn = (typeof TABLE_COLUMNS)[number]

/** A list cell: items joined by "; ", a ";" inside an item becoming ",". */
function listCell(values: readonly string[]): string {
  return values.map((value) => oneLine(value).replace(/;/g, ',')).filter((value) => value.length > 0).join('; ')
}

/** The cells of one item, keyed by column; numbers stay numbers for spreadsheets. */
export function tableRow(item: ExportItem): Record<TableColumn, string | number> {
  const { record } = item
  const decision = finalDecision(item)
  const block = labelBlock(item)
  const keywords: string[] = []
  for (const keyword of [...(record.keywords ?? []), ...(record.mesh ?? [])]) {
    if (!keywords.some((k) => k.toLowerCase() === keyword.trim().toLowerCase())) keywords.push(keyword.trim())
  }
  return {
    title: oneLine(record.title ?? ''),
    abstract: (record.abstract ?? '').trim(),
    authors: (record.authors ?? [])
      .map((a) => (a.literal || !a.given ? oneLine(a.family) : `${oneLine(a.family)}, ${oneLine(a.given)}`).replace(/;/g, ','))
      .join('; '),
    year: record.year ?? '',
    journal: oneLine(record.journal ?? ''),
    volume: record.volume ?? '',
    issue: record.issue ?? '',
    pages: record.pages ?? '',
    doi: record.doi ?? '',
    pmid: record.pmid ?? '',
    pmcid: record.pmcid ?? '',
    keywords: listCell(keywords),
    decision: decision?.decision ?? '',
    reason: oneLine(decision?.reason ?? ''),
    note: oneLine(decision?.note ?? ''),
    tags: listCell(item.tags ?? []),
    label_included: decision?.decision === 'include' ? 1 : decision?.decision === 'exclude' ? 0 : '',
    analylit: block.decisions.length > 0 || block.sourceDatabase ? JSON.stringify(block) : ''
  }
}
