/**
 * Background worker: `npm run worker`. Builds the same plugin graph as the
 * server (config -> db -> globals) without HTTP routes or a listener, and
 * consumes the BullMQ task queue. Run as many as you like, on any machine
 * that reaches the same PostgreSQL and Redis. SIGTERM drains: running jobs
 * finish (bounded by SHUTDOWN_TIMEOUT_MS), nothing new is taken.
 */
import { ConfigError, loadConfig } from './config.ts'
import { limitHeapGrowth } from './runtime.ts'
import { buildServer, installShutdown } from './server.ts'

try {
  const config = loadConfig()
  if (!config.REDIS_URL || !config.DATABASE_URL) {
    console.error('The worker needs REDIS_URL and DATABASE_URL: without Redis, jobs run inside the web process (npm start).')
    process.exit(2)
  }
  limitHeapGrowth(config.HEAP_GROWTH_PERCENT)
  const fastify = buildServer(config, 'worker')
  await fastify.ready()
  fastify.log.info({ concurrency: config.JOB_CONCURRENCY }, 'worker ready')
  installShutdown(fastify, config.SHUTDOWN_TIMEOUT_MS)
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err)
  process.exit(err instanceof ConfigError ? 2 : 1)
}
