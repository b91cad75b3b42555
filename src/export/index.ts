/**
 * Reference exports: the formats, and one entry point that streams any of
 * them to a writable stream (a file, an HTTP response) from a synchronous
 * or asynchronous sequence of items, waiting for the stream to drain.
 */

import { once } from 'node:events'
import type { ExportItem } from './item.ts'
import { risRecord } from './ris.ts'
import { BibtexWriter } from './bibtex.ts'
import { csvHeader, csvRow } from './csv.ts'
import type { CsvOptions } from './csv.ts'
import { CslJsonWriter } from './csl-json.ts'
import { writeXlsx } from './xlsx.ts'

export type { ExportDecision, ExportDecisionValue, ExportItem } from './item.ts'
export type { ReviewColumns, ReviewData } from './review.ts'
export { finalDecision } from './item.ts'
export { labelLines, parseExportedLabel, parseExportedLabels, decisionsFromLabels } from './labels.ts'
export type { ExportedLabel } from './labels.ts'
export { toRis } from './ris.ts'
export { toBibtex } from './bibtex.ts'
export { toCsv } from './csv.ts'
export { toCslJson } from './csl-json.ts'
export { writeXlsx } from './xlsx.ts'

export type ExportFormatId = 'ris' | 'bibtex' | 'csv' | 'xlsx' | 'csl-json'

export const EXPORT_FORMATS: Readonly<Record<ExportFormatId, { label: string; extension: string; contentType: string }>> = {
  ris: { label: 'RIS', extension: 'ris', contentType: 'application/x-research-info-systems; charset=utf-8' },
  bibtex: { label: 'BibTeX', extension: 'bib', contentType: 'application/x-bibtex; charset=utf-8' },
  csv: { label: 'CSV', extension: 'csv', contentType: 'text/csv; charset=utf-8' },
  xlsx: { label: 'Excel workbook (XLSX)', extension: 'xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  'csl-json': { label: 'CSL-JSON', extension: 'json', contentType: 'application/vnd.citationstyles.csl+json; charset=utf-8' }
}

interface TextWriter {
  begin(): string
  item(item: ExportItem): string
  end(): string
}

function textWriter(format: Exclude<ExportFormatId, 'xlsx'>, options: CsvOptions): TextWriter {
  switch (format) {
    case 'ris':
      return { begin: () => '', item: risRecord, end: () => '' }
    case 'bibtex': {
      const writer = new BibtexWriter()
      return { begin: () => '', item: (item) => writer.entry(item), end: () => '' }
    }
    case 'csv':
      return { begin: () => csvHeader(options), item: (item) => csvRow(item, options), end: () => '' }
    case 'csl-json':
      return new CslJsonWriter()
  }
}

/**
 * Writes the items to `out` in the given format, then ends `out`. Text is
 * UTF-8. Resolves when everything has been handed to the stream.
 */
export async function writeExport(
  format: ExportFormatId,
  items: AsyncIterable<ExportItem> | Iterable<ExportItem>,
  out: NodeJS.WritableStream,
  options: CsvOptions = {}
): Promise<void> {
  if (format === 'xlsx') return writeXlsx(items, out, options.review)
  const writer = textWriter(format, options)
  const write = async (chunk: string): Promise<void> => {
    if (chunk.length > 0 && !out.write(chunk)) await once(out as unknown as import('node:events').EventEmitter, 'drain')
  }
  await write(writer.begin())
  for await (const item of items) await write(writer.item(item))
  await write(writer.end())
  await new Promise<void>((resolve) => out.end(resolve))
}
