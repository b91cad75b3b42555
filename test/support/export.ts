/** Writes items in an export format and reads the result back through the project's importer. */
import { PassThrough } from 'node:stream'
import { EXPORT_FORMATS, writeExport, type ExportFormatId, type ExportItem } from '../../src/export/index.ts'
import { memorySource, openReferenceInput } from '../../src/references/import.ts'
import type { ReferenceRecord } from '../../src/references/model.ts'

export async function exportAndImport(format: ExportFormatId, items: ExportItem[]): Promise<{ records: ReferenceRecord[]; errors: string[]; detected: string }> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (chunk: Buffer) => chunks.push(chunk))
  await writeExport(format, items, out)
  const opened = await openReferenceInput(memorySource(new Uint8Array(Buffer.concat(chunks)), `export.${EXPORT_FORMATS[format].extension}`))
  const records: ReferenceRecord[] = []
  const errors: string[] = []
  for await (const item of opened.items) {
    if (item.kind === 'record') records.push(item.record)
    else errors.push(item.message)
  }
  return { records, errors, detected: opened.format.id }
}
