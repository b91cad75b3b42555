import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import type pg from 'pg'
import * as schema from './schema.ts'

export type Database = NodePgDatabase<typeof schema>

/** A drizzle instance over an existing pool; the caller owns (and closes) the pool. */
export function createDatabase(pool: pg.Pool): Database {
  return drizzle(pool, { schema })
}

export { schema }
