/** Inputs and collectors shared by the importer tests. */
import { createReadStream } from 'node:fs'
import type { FormatInput, ReferenceFormat } from '../../src/references/formats/types.ts'
import type { ParsedItem, ReferenceRecord } from '../../src/references/model.ts'

/** A file read in small chunks, so that parsers meet values split across chunk boundaries. */
export function fileInput(path: string, chunkSize = 1000): FormatInput {
  return {
    text: () => createReadStream(path, { encoding: 'utf8', highWaterMark: chunkSize }) as AsyncIterable<string>,
    bytes: () => createReadStream(path) as AsyncIterable<Uint8Array>
  }
}

/** A string handed over whole, or in chunks of `chunkSize` characters. */
export function textInput(text: string, chunkSize = text.length || 1): FormatInput {
  return {
    async* text() { for (let i = 0; i < text.length; i += chunkSize) yield text.slice(i, i + chunkSize) },
    async* bytes() { yield new TextEncoder().encode(text) }
  }
}

export async function parseAll(format: ReferenceFormat, input: FormatInput): Promise<ParsedItem[]> {
  const items: ParsedItem[] = []
  for await (const item of format.parse(input)) items.push(item)
  return items
}

export function records(items: ParsedItem[]): ReferenceRecord[] {
  return items.flatMap((item) => (item.kind === 'record' ? [item.record] : []))
}
