/**
 * `npx tsx scripts/init-db.ts`: the same idempotent init the server runs
 * (migrations under an advisory lock), then the seed data and the first
 * administrator. Safe to run repeatedly or concurrently.
 */
import pg from 'pg'
import { loadConfig } from '../src/config.ts'
import { createDatabase } from '../src/db/index.ts'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.ts'
import { applyMigrations } from '../src/db/migrate.ts'
import { seedDatabase, writeTokenFile } from '../src/db/seed.ts'
import { findUserByEmail } from '../src/auth/users.ts'
import { adminPasswordLink, defaultPublicUrl } from '../src/auth/password-links.ts'

const config = loadConfig()
let embedded: EmbeddedPostgres | undefined
let pool: pg.Pool | undefined
let closing = false
// Interrupted: give up our use of the embedded server (stopped if no other process uses it) before exiting.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { void (embedded?.stop() ?? Promise.resolve()).finally(() => process.exit(130)) })
}
try {
  if (!config.DATABASE_URL) embedded = await startEmbeddedPostgres({ dataDir: config.EMBEDDED_PG_DIR, port: config.EMBEDDED_PG_PORT })
  pool = new pg.Pool({ connectionString: config.DATABASE_URL ?? embedded!.url, max: 2 })
  // An idle connection's error must not end the run: pool.end() does not wait for its connections to
  // close, so the last concurrent run stopping the shared server can reach one that is still closing.
  // A query's own error is reported by the query.
  pool.on('error', (err) => { if (!closing) console.error(`init-db: idle database connection lost: ${err.message}`) })
  await applyMigrations(pool)
  const result = await seedDatabase(createDatabase(pool), { adminEmail: config.ADMIN_EMAIL })
  console.log(`database ready: ${result.profiles} analysis profiles, ${result.promptTemplates} prompt templates, ${result.gridTemplates} grid template`)
  if (result.adminToken) {
    await writeTokenFile(config.ADMIN_TOKEN_FILE, result.adminToken)
    console.log(`administrator ${result.adminEmail} created; API token (shown once, also saved to ${config.ADMIN_TOKEN_FILE}): ${result.adminToken}`)
  } else {
    console.log(`administrator ${result.adminEmail} already exists; no new token issued`)
  }
  // Until the administrator has a password, each run prints a new link to set it (replacing the previous one).
  const db = createDatabase(pool)
  const admin = await findUserByEmail(db, result.adminEmail)
  const link = admin && await adminPasswordLink(db, admin.id, config.PUBLIC_URL ?? defaultPublicUrl(config), config.PASSWORD_LINK_HOURS)
  if (link) console.log(`sign in to the web application: set the administrator's password at ${link.url} (single use, expires ${link.expiresAt.toISOString()})`)
} catch (err) {
  console.error(`init-db failed: ${(err as Error).message}`)
  process.exitCode = 1
} finally {
  closing = true
  await pool?.end()
  await embedded?.stop()
}
