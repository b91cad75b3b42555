import fp from 'fastify-plugin'
import fastifyWebsocket from '@fastify/websocket'
import fs from 'node:fs/promises'
import type { Queue } from 'bullmq'
import { createLocalEventHub, createRedisEventHub, type EventHub } from '../src/events/hub.ts'
import type { TaskJobData } from '../src/tasks/bullmq.ts'
import type { Reconciler } from '../src/tasks/reconcile.ts'
import { executeTask, type ExecuteDeps } from '../src/tasks/execute.ts'
import { InProcessRunner } from '../src/tasks/in-process.ts'
import { TaskService } from '../src/tasks/service.ts'
import { TASKS } from '../src/tasks/registry.ts'
import { Connectors, connectorsConfig } from '../src/connectors/registry.ts'
import { removeAbandonedSpools } from '../src/services/originals.ts'
import { removeStaleTempDirs } from '../src/temp-dirs.ts'

declare module 'fastify' {
  interface FastifyInstance {
    events: EventHub
    tasks: TaskService
    /** Present in BullMQ mode. */
    taskQueue?: Queue<TaskJobData>
    /** Present in BullMQ mode: re-enqueues tasks whose job Redis lost. */
    taskReconciler?: Reconciler
    storageDir: string
    /** The bibliographic databases' connectors, built once from the configuration; jobs get them in their context. */
    connectors: Connectors
  }
}

export interface GlobalsOptions {
  /** 'web' enqueues; 'worker' (src/worker.ts) also consumes the BullMQ queue. */
  role?: 'web' | 'worker'
}

/**
 * Process-wide services: Redis, the task engine (BullMQ or in-process), the
 * event hub behind WebSocket notifications, and file storage. It never
 * creates a database connection: it only uses what the db plugin decorated.
 */
export default fp<GlobalsOptions>(async (fastify, opts) => {
  const { config } = fastify
  const role = opts.role ?? 'web'

  await fs.mkdir(config.STORAGE_DIR, { recursive: true })
  fastify.decorate('storageDir', config.STORAGE_DIR)
  await fastify.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } })

  // Spools of imports killed mid-run on this machine whose task has ended since, and working
  // directories left by processes killed mid-work: not worth delaying readiness for.
  fastify.addHook('onReady', async () => {
    removeAbandonedSpools(fastify.db).then(
      (removed) => { if (removed.length > 0) fastify.log.info({ tasks: removed }, 'removed spools left by interrupted imports') },
      (err) => fastify.log.warn({ err }, 'could not look for spools left by interrupted imports'))
    removeStaleTempDirs().then(
      (removed) => { if (removed.length > 0) fastify.log.info({ directories: removed }, 'removed working directories left by interrupted processes') },
      (err) => fastify.log.warn({ err }, 'could not look for working directories left by interrupted processes'))
  })

  const deps = (events: EventHub): ExecuteDeps => ({
    db: fastify.jobDb, config, events, tasks: TASKS, connectors: fastify.connectors, storageDir: config.STORAGE_DIR, log: fastify.log
  })

  if (config.REDIS_URL) {
    // Redis and BullMQ are loaded only when Redis is configured: in-process jobs do not need them.
    const { default: fastifyRedis } = await import('@fastify/redis')
    const { createTaskQueue, startTaskWorker } = await import('../src/tasks/bullmq.ts')
    const { startReconciler } = await import('../src/tasks/reconcile.ts')
    const { createRedisRateLimiters } = await import('../src/net/redis-rate-limit.ts')
    // Two connections: one for commands and publishing, one dedicated to the subscription.
    await fastify.register(fastifyRedis, { namespace: 'shared', url: config.REDIS_URL, maxRetriesPerRequest: 3 })
    await fastify.register(fastifyRedis, { namespace: 'subscriber', url: config.REDIS_URL })
    for (const name of ['shared', 'subscriber'] as const) {
      // ioredis reconnects by itself; without a listener each failed attempt is printed as an unhandled error.
      let lost = false
      fastify.redis[name]
        .on('error', (err: Error) => { if (!lost) fastify.log.warn({ err: err.message, connection: name }, 'Redis connection lost; reconnecting'); lost = true })
        .on('ready', () => { if (lost) fastify.log.info({ connection: name }, 'Redis connection back'); lost = false })
    }
    const events = await createRedisEventHub(fastify.redis.shared, fastify.redis.subscriber, `${config.QUEUE_PREFIX}:events`)
    const queue = createTaskQueue(fastify.redis.shared, config.QUEUE_PREFIX)
    // The APIs' rate limits, shared by every process on this Redis.
    const rateLimiters = createRedisRateLimiters(fastify.redis.shared, { prefix: config.QUEUE_PREFIX })
    fastify.decorate('events', events)
    fastify.decorate('connectors', new Connectors(connectorsConfig(config, rateLimiters)))
    fastify.decorate('taskQueue', queue)
    const connection = fastify.redis.shared
    fastify.decorate('tasks', new TaskService(fastify.db, events, {
      mode: 'bullmq', queue, connected: () => connection.status === 'ready', enqueueTimeoutMs: config.ENQUEUE_TIMEOUT_MS
    }))
    // Tasks whose job Redis does not hold (lost, or never added) are enqueued again, by one process at a time.
    const reconciler = startReconciler({
      db: fastify.db, queue, connection, staleRunningMs: config.JOB_LOCK_MS, queuedGraceMs: config.ENQUEUE_TIMEOUT_MS + 1000,
      intervalMs: config.RECONCILE_INTERVAL_MS, log: fastify.log
    })
    fastify.decorate('taskReconciler', reconciler)
    fastify.addHook('onReady', async () => { void reconciler.run() })

    const worker = role === 'worker'
      ? startTaskWorker({
          redisUrl: config.REDIS_URL,
          prefix: config.QUEUE_PREFIX,
          concurrency: config.JOB_CONCURRENCY,
          lockDurationMs: config.JOB_LOCK_MS,
          maxAttempts: config.TASK_MAX_ATTEMPTS,
          stalledIntervalMs: config.JOB_STALLED_INTERVAL_MS,
          // The heartbeat tells the reconciler that the task's runner is alive, even if Redis lost the job.
          run: (taskId, signal) => executeTask(taskId, { ...deps(events), heartbeatMs: config.JOB_LOCK_MS / 2 }, signal)
        })
      : undefined
    // Runs before the Redis connections close (hooks run last-registered first).
    fastify.addHook('onClose', async () => {
      await fastify.tasks.backgroundSettled()
      await reconciler.stop()
      await worker?.close(config.SHUTDOWN_TIMEOUT_MS)
      await queue.close()
      await events.close()
      rateLimiters.close()
    })
  } else {
    const events = createLocalEventHub()
    fastify.decorate('connectors', new Connectors(connectorsConfig(config)))
    const runner = new InProcessRunner({
      concurrency: config.JOB_CONCURRENCY,
      run: (taskId, signal) => executeTask(taskId, deps(events), signal),
      onError: (err, taskId) => fastify.log.warn({ err, taskId }, 'task run ended with an error')
    })
    const service = new TaskService(fastify.db, events, { mode: 'in-process', runner })
    fastify.decorate('events', events)
    fastify.decorate('tasks', service)
    // Jobs of a previous run of this process (stopped or killed) are resumed.
    fastify.addHook('onReady', async () => {
      for (const row of await service.store.unfinished()) await service.deliver(row)
    })
    fastify.addHook('onClose', async () => {
      // The running tasks first (a follow-up waits for its task to end), then what the background
      // still writes: a task it queues then stays queued, for the next start.
      await runner.close(config.SHUTDOWN_TIMEOUT_MS)
      await service.backgroundSettled()
      await events.close()
    })
  }
}, { name: 'globals', dependencies: ['config', 'db'], fastify: '5.x' })
