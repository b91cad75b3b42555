/**
 * Idempotent database initialisation: applies the migrations in `drizzle/`
 * under a PostgreSQL advisory lock, so any number of processes starting at
 * once end with one schema and no error, and running it again is a no-op.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import type pg from 'pg'

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle')

/** Arbitrary constant identifying AnalyLit's migration lock among advisory locks. */
const MIGRATION_LOCK_KEY = 7_246_311_845

export async function applyMigrations(pool: pg.Pool, migrationsFolder = MIGRATIONS_DIR): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    try {
      await migrate(drizzle(client), { migrationsFolder })
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
    }
  } finally {
    client.release()
  }
}

/** Number of migrations shipped with this build (from drizzle's journal). */
export function expectedMigrationCount(migrationsFolder = MIGRATIONS_DIR): number {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
  return journal.entries.length
}

/** Number of migrations recorded as applied in the database (0 before the first init). */
export async function appliedMigrationCount(queryable: Pick<pg.Pool, 'query'>): Promise<number> {
  const { rows } = await queryable.query<{ count: string }>(
    `SELECT CASE WHEN to_regclass('drizzle.__drizzle_migrations') IS NULL THEN 0
       ELSE (SELECT count(*) FROM drizzle.__drizzle_migrations) END AS count`
  )
  return Number(rows[0].count)
}
