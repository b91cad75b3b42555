import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import type pg from 'pg'
import * as schema from './schema.ts'

/** Drizzle over a pool; `$client` is the pool itself (for COPY and other driver-level work). */
export type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool }

/** The handle a `db.transaction` callback receives. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0]

/** A drizzle instance over an existing pool; the caller owns (and closes) the pool. */
export function createDatabase(pool: pg.Pool): Database {
  return drizzle(pool, { schema })
}

export { schema }
