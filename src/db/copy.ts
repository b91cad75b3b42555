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
  const text = typeof value === 'object' ? jsonWithoutNul(JSON.stringify(value)) : String(value).replace(/\0/g, '')
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
}

/**
 * JSON text without its NUL escapes (`\u0000`), but not a text's literal
 * backslash followed by "u0000", written `\\u0000`: only an escape preceded
 * by an even number of backslashes is one.
 */
function jsonWithoutNul(json: string): string {
  return json.includes('\\u0000') ? json.replace(/(?<=(?:^|[^\\])(?:\\\\)*)\\u0000/g, '') : json
}

/** A value with the NUL characters of its strings (keys included) dropped, for statements other than COPY. */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\0') ? value.replace(/\0/g, '') : value) as T
  if (Array.isArray(value)) return value.map(withoutNul) as T
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)])) as T
  }
  return value
}

const copyLine = (row: unknown[]): string => row.map(copyValue).join('\t') + '\n'

export async function copyInto(client: pg.PoolClient, table: string, columns: string[], rows: AsyncIterable<unknown[]> | Iterable<unknown[]>): Promise<void> {
  const lines = (async function* () {
    let buffer = ''
    for await (const row of rows) {
      buffer += copyLine(row)
      if (buffer.length > 256 * 1024) {
        yield buffer
        buffer = ''
      }
    }
    if (buffer) yield buffer
  })()
  await copyText(client, table, columns, lines)
}

async function copyText(client: pg.PoolClient, table: string, columns: string[], text: AsyncIterable<string> | Iterable<string>): Promise<void> {
  const quoted = columns.map((c) => `"${c}"`).join(', ')
  await pipeline(Readable.from(text), client.query(copyStreams.from(`COPY ${table} (${quoted}) FROM STDIN`)))
}

/** Characters of COPY text in one statement at most, whatever its number of rows. */
const STATEMENT_CHARS_MAX = 16 * 1024 * 1024

/**
 * COPY in statements of `rowsPerStatement` rows, the rows of the next
 * statement prepared while the database works on the current one.
 *
 * Why: PostgreSQL runs a statement's AFTER ROW triggers (the search vectors
 * of `articles`) once the statement's rows are in; with one COPY for a whole
 * file, the parser would wait for the end, then the database run every
 * trigger alone. With statements of a few thousand rows, parsing the next
 * rows overlaps the triggers of the current ones. Memory holds the rows of
 * two statements at most: the one being sent and the next one.
 */
export async function copyInStatements(
  client: pg.PoolClient, table: string, columns: string[], rows: AsyncIterable<unknown[]>, rowsPerStatement: number
): Promise<void> {
  const ready: string[][] = []
  let finished = false
  let failure: unknown
  let wake: (() => void) | undefined
  const signal = () => {
    wake?.()
    wake = undefined
  }
  const wait = () => new Promise<void>((resolve) => { wake = resolve })
  let stop = false

  const produce = (async () => {
    try {
      let statement: string[] = []
      let text = ''
      let count = 0
      let chars = 0
      for await (const row of rows) {
        if (stop) return
        const line = copyLine(row)
        text += line
        chars += line.length
        count++
        if (text.length > 256 * 1024) {
          statement.push(text)
          text = ''
        }
        // A statement also ends at STATEMENT_CHARS_MAX, so that a few very large records (an abstract of
        // megabytes) do not hold a thousand rows' worth of text in memory while the previous one is copied.
        if (count === rowsPerStatement || chars >= STATEMENT_CHARS_MAX) {
          if (text) statement.push(text)
          ready.push(statement)
          signal()
          statement = []
          text = ''
          count = 0
          chars = 0
          while (ready.length >= 1 && !stop) await wait()
        }
      }
      if (text) statement.push(text)
      if (statement.length > 0) ready.push(statement)
    } catch (err) {
      failure = err
    } finally {
      finished = true
      signal()
    }
  })()

  try {
    for (;;) {
      if (failure) throw failure
      const statement = ready.shift()
      if (statement) {
        signal()
        await copyText(client, table, columns, statement)
        continue
      }
      if (finished) break
      await wait()
    }
    if (failure) throw failure
  } finally {
    stop = true
    signal()
    await produce
  }
}
