import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { appliedMigrationCount, expectedMigrationCount } from './db/migrate.ts'

const UNAUTHENTICATED = { tags: ['health'], security: [] }
const Liveness = Type.Object({ status: Type.Literal('ok') })
const Readiness = Type.Object({
  status: Type.String({ description: 'ready or unavailable' }), failing: Type.Array(Type.String()),
  checks: Type.Record(Type.String(), Type.Object({ status: Type.String(), error: Type.Optional(Type.String()) }, { additionalProperties: true }))
})

/** Bounds a readiness probe so that a hung dependency answers "down" instead of hanging the check. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms) })
  ])
}

/**
 * Health is a plain route, registered explicitly (not autoloaded) and outside
 * authentication, so the container healthcheck works whatever else happens.
 */
export function registerHealth(fastify: FastifyInstance): void {
  const expected = expectedMigrationCount()
  // A probe polled every few seconds should cost next to nothing: one warn-level logger shared by
  // every probe request (a per-request child with its own level rebuilds all of pino's methods each
  // time), and none of the browser security headers (helmet's dozen headers halve the throughput of
  // a route this small), only the two that matter for a JSON answer.
  const probeLog = fastify.log.child({}, { level: 'warn' })
  const probe = { helmet: false as const, childLoggerFactory: () => probeLog }
  const probeHeaders = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' }

  fastify.get('/api/health', { schema: { ...UNAUTHENTICATED, summary: 'Liveness: the process answers', response: { 200: Liveness } }, ...probe }, async (_request, reply) => {
    reply.headers(probeHeaders)
    return { status: 'ok' }
  })

  fastify.get('/api/health/ready', {
    schema: {
      ...UNAUTHENTICATED, summary: 'Readiness: database, migrations, Redis (503 naming what is down)',
      response: { 200: Readiness, 503: Readiness }
    },
    ...probe
  }, async (_request, reply) => {
    reply.headers(probeHeaders)
    const checks: Record<string, { status: 'up' | 'down'; error?: string; [k: string]: unknown }> = {}
    if (fastify.lifecycle.shuttingDown) {
      return reply.status(503).send({ status: 'unavailable', failing: ['shutdown'], checks: { shutdown: { status: 'down', error: 'server is shutting down' } } })
    }
    try {
      const applied = await withTimeout(appliedMigrationCount(fastify.pg.pool), 2000)
      checks.database = { status: 'up' }
      checks.migrations = applied >= expected
        ? { status: 'up', applied, expected }
        : { status: 'down', applied, expected, error: `${expected - applied} migration(s) not applied` }
    } catch (err) {
      checks.database = { status: 'down', error: (err as Error).message || 'unreachable' }
    }
    if (fastify.config.REDIS_URL) {
      const connection = fastify.redis.shared
      try {
        // A connection that is not up queues commands: answer at once instead of waiting for the timeout.
        if (connection.status !== 'ready') throw new Error(`connection ${connection.status}`)
        await withTimeout(connection.ping(), 2000)
        checks.redis = { status: 'up' }
      } catch (err) {
        checks.redis = { status: 'down', error: (err as Error).message || 'unreachable' }
      }
      const reconciler = fastify.taskReconciler?.status
      if (reconciler) {
        // Informational: when tasks missing from the queue were last looked for, and how many were enqueued again.
        checks.queue = { status: 'up', lastReconciledAt: reconciler.lastRunAt, requeued: reconciler.requeued, ...(reconciler.lastError ? { lastError: reconciler.lastError } : {}) }
      }
    }
    const failing = Object.entries(checks).filter(([, c]) => c.status === 'down').map(([name]) => name)
    return reply.status(failing.length > 0 ? 503 : 200).send({ status: failing.length > 0 ? 'unavailable' : 'ready', failing, checks })
  })
}
