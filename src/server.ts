/**
 * Starts the HTTP service: `npm start`. On SIGTERM/SIGINT readiness turns
 * 503, in-flight requests and running jobs finish (bounded by
 * SHUTDOWN_TIMEOUT_MS), then pools and the embedded database close.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import app from './app.ts'
import { lazySchemaCompilers } from './http/lazy-compilers.ts'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { limitHeapGrowth } from './runtime.ts'

export function buildServer(config: Config, role: 'web' | 'worker' = 'web'): FastifyInstance {
  const fastify = Fastify({
    logger: { level: config.LOG_LEVEL },
    bodyLimit: 10 * 1024 * 1024,
    trustProxy: config.TRUST_PROXY,
    forceCloseConnections: 'idle',
    // The db plugin may wait for an embedded PostgreSQL to be initialised, or for other processes starting it.
    pluginTimeout: 180000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    schemaController: { compilersFactory: lazySchemaCompilers() }
  }).withTypeProvider<TypeBoxTypeProvider>()
  fastify.register(app, { config, role })
  return fastify
}

export function installShutdown(fastify: FastifyInstance, timeoutMs: number): void {
  let closing = false
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    fastify.log.info({ signal }, 'shutting down')
    fastify.lifecycle.shuttingDown = true
    // Last resort if something hangs past the drain timeout.
    setTimeout(() => { fastify.log.error('shutdown timed out'); process.exit(1) }, timeoutMs + 15000).unref()
    fastify.close().then(() => process.exit(0), (err) => { fastify.log.error({ err }, 'error during shutdown'); process.exit(1) })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

async function main(): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(2)
    }
    throw err
  }
  limitHeapGrowth(config.HEAP_GROWTH_PERCENT)
  const fastify = buildServer(config)
  try {
    await fastify.listen({ port: config.PORT, host: config.HOST })
  } catch (err) {
    fastify.log.error({ err }, 'start-up failed')
    await fastify.close().catch(() => {})
    process.exit(1)
  }
  installShutdown(fastify, config.SHUTDOWN_TIMEOUT_MS)
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
