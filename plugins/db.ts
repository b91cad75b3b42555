import fp from 'fastify-plugin'
import fastifyPostgres from '@fastify/postgres'
import pg from 'pg'
import { createDatabase, type Database } from '../src/db/index.ts'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.ts'
import { applyMigrations } from '../src/db/migrate.ts'
import { AuthCache } from '../src/auth/cache.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    /** For background jobs: the request pool's statement timeout does not apply (imports and deduplication run long statements). */
    jobDb: Database
    /** Set when the service started its own embedded PostgreSQL (DATABASE_URL unset). */
    embeddedPostgres?: EmbeddedPostgres
    /** Web processes: API token → user and (user, project) → role, invalidated by PostgreSQL notifications (src/auth/cache.ts). */
    authCache?: AuthCache
  }
}

/**
 * The database: connection pool (owned and closed by @fastify/postgres),
 * drizzle instance, and idempotent init (migrations under an advisory lock).
 * With DATABASE_URL unset it first starts an embedded PostgreSQL, which it
 * stops after the pool has closed.
 *
 * Every connection waits at most DATABASE_CONNECT_TIMEOUT_MS. In the web
 * process, the pool of API requests also bounds each statement by
 * DATABASE_STATEMENT_TIMEOUT_MS (on the server, and on the client a second
 * later for a server that does not answer at all), so that a request to a
 * frozen or stopped database ends in a 503; migrations and the in-process
 * jobs use a second pool without that limit.
 *
 * A web process also holds one dedicated connection LISTENing for changes of
 * tokens, accounts and memberships, which keeps its authentication cache
 * right (reconnected when lost; the cache is bypassed meanwhile).
 */
export default fp<{ role?: 'web' | 'worker' }>(async (fastify, opts) => {
  const { config } = fastify
  let connectionString = config.DATABASE_URL
  if (!connectionString) {
    const embedded = await startEmbeddedPostgres({
      dataDir: config.EMBEDDED_PG_DIR,
      port: config.EMBEDDED_PG_PORT,
      log: (m) => fastify.log.debug({ component: 'embedded-postgres' }, m)
    })
    fastify.log.info({ dataDir: config.EMBEDDED_PG_DIR, port: config.EMBEDDED_PG_PORT }, 'embedded PostgreSQL started')
    connectionString = embedded.url
    fastify.decorate('embeddedPostgres', embedded)
    // Registered before the pool so that it runs after the pool's own onClose (hooks run last-registered first).
    fastify.addHook('onClose', async () => { await embedded.stop() })
  }

  const base = { connectionString, max: config.DATABASE_POOL_MAX, connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS }
  const limit = config.DATABASE_STATEMENT_TIMEOUT_MS
  const bounded = (opts.role ?? 'web') === 'web' && limit > 0
  await fastify.register(fastifyPostgres, bounded
    ? { ...base, statement_timeout: limit, idle_in_transaction_session_timeout: limit, query_timeout: limit + 1000 }
    : base)
  // An idle client losing its connection (database restarted) must not crash the process; queries report it.
  const onIdleError = (err: Error) => fastify.log.warn({ err }, 'idle database connection error')
  fastify.pg.pool.on('error', onIdleError)
  let jobPool = fastify.pg.pool
  if (bounded) {
    jobPool = new pg.Pool(base)
    jobPool.on('error', onIdleError)
    // Registered after the embedded server's hook: runs before it.
    fastify.addHook('onClose', async () => { await jobPool.end() })
  }

  await applyMigrations(jobPool)
  if ((opts.role ?? 'web') === 'web') {
    const cache = new AuthCache(connectionString, { onError: (err) => fastify.log.warn({ err: err.message }, 'authentication cache: listening connection lost; reconnecting') })
    await cache.start()
    fastify.decorate('authCache', cache)
    // Runs before the pool and the embedded server close.
    fastify.addHook('onClose', async () => { await cache.close() })
  }
  fastify.decorate('db', createDatabase(fastify.pg.pool))
  fastify.decorate('jobDb', createDatabase(jobPool))
}, { name: 'db', dependencies: ['config'], fastify: '5.x' })
