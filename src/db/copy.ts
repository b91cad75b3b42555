/**
 * Bulk loading with COPY … FROM STDIN (text format), the fastest way into
 * PostgreSQL: imports stream their rows straight from the parser.
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'

/**
 * One value in COPY text format. Objects are written as JSON; NUL characters,
 * which PostgreSQL text and jsonb refuse, are dropped.
 */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N'
  const text = typeof value === 'object' ? JSON.stringify(value).replace(/\\u0000/g, '') : String(value).replace(/\0/g, '')
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
}

export async function copyInto(client: pg.PoolClient, table: string, columns: string[], rows: AsyncIterable<unknown[]> | Iterable<unknown[]>): Promise<void> {
  const lines = (async function * () {
    let buffer = ''
    for await (const row of rows) {
      buffer += row.map(copyValue).join('\t') + '\n'
      if (buffer.length > 256 * 1024) {
        yield buffer
        buffer = ''
      }
    }
    if (buffer) yield buffer
  })()
  const quoted = columns.map((c) => `"${c}"`).join(', ')
  await pipeline(Readable.from(lines), client.query(copyStreams.from(`COPY ${table} (${quoted}) FROM STDIN`)))
}
