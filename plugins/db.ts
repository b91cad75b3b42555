import fp from 'fastify-plugin'
import fastifyPostgres from '@fastify/postgres'
import { createDatabase, type Database } from '../src/db/index.ts'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.ts'
import { applyMigrations } from '../src/db/migrate.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    /** Set when the service started its own embedded PostgreSQL (DATABASE_URL unset). */
    embeddedPostgres?: EmbeddedPostgres
  }
}

/**
 * The database: connection pool (owned and closed by @fastify/postgres),
 * drizzle instance, and idempotent init (migrations under an advisory lock).
 * With DATABASE_URL unset it first starts an embedded PostgreSQL, which it
 * stops after the pool has closed.
 */
export default fp(async (fastify) => {
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

  await fastify.register(fastifyPostgres, { connectionString, max: config.DATABASE_POOL_MAX })
  // An idle client losing its connection (database restarted) must not crash the process; queries report it.
  fastify.pg.pool.on('error', (err) => fastify.log.warn({ err }, 'idle database connection error'))

  await applyMigrations(fastify.pg.pool)
  fastify.decorate('db', createDatabase(fastify.pg.pool))
}, { name: 'db', dependencies: ['config'], fastify: '5.x' })
