/**
 * The application plugin. Boot order is enforced by Fastify itself: each
 * plugin is awaited in turn and declares what it depends on, so a plugin
 * registered out of order fails at boot with Fastify's dependency error.
 *
 *   config -> db -> globals -> auth -> health (plain route) -> /api routes (autoloaded)
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyError } from 'fastify'
import fp from 'fastify-plugin'
import autoload from '@fastify/autoload'
import cors from '@fastify/cors'
import multipart from '@fastify/multipart'
import swagger from '@fastify/swagger'
import configPlugin from '../plugins/config.ts'
import dbPlugin from '../plugins/db.ts'
import globalsPlugin from '../plugins/globals.ts'
import authPlugin from '../plugins/auth.ts'
import webPlugin from '../plugins/web.ts'
import type { Config } from './config.ts'
import { databaseUnavailable } from './db/unavailable.ts'
import { DomainError, RateLimited, STATUS_OF_KIND, Unauthenticated, Unavailable } from './errors.ts'
import { boundRouteSchemas, rejectNonFiniteNumbers, rejectUnstorableText } from './http/input-guard.ts'
import { registerHealth } from './health.ts'
import { openapiTransform } from './http/openapi.ts'
import { rejectUnknownQueryParameters } from './http/query-params.ts'
import { closeModuleThreads } from './threads/module-thread.ts'
import { explainValidation, type ValidationIssue } from './http/validation-errors.ts'

export interface AppOptions {
  config: Config
  /** 'worker' builds the same graph without HTTP routes and consumes the job queue. */
  role?: 'web' | 'worker'
}

const ROUTES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../routes')

// Running from TypeScript sources (tsx, however it was loaded): tell autoload to load .ts route files.
if (import.meta.url.endsWith('.ts')) process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: { shuttingDown: boolean }
  }
}

async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  const role = opts.role ?? 'web'
  fastify.decorate('lifecycle', { shuttingDown: false })
  fastify.addHook('preClose', async () => { fastify.lifecycle.shuttingDown = true })
  // The server's own time on each request (received to payload ready), for clients and bench/http.ts.
  fastify.addHook('onSend', async (_request, reply) => { reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`) })
  // Registered first so that it runs last, after the task runners have drained.
  fastify.addHook('onClose', closeModuleThreads)

  await fastify.register(configPlugin, { config: opts.config })
  await fastify.register(dbPlugin, { role })
  await fastify.register(globalsPlugin, { role })
  if (role === 'worker') return

  await fastify.register(authPlugin)
  setErrorHandlers(fastify)

  const origins = opts.config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean)
  await fastify.register(cors, { origin: origins.length > 0 ? origins : false })
  await fastify.register(swagger, {
    openapi: {
      info: { title: 'AnalyLit API', version: '0.1.0', description: 'AI-assisted systematic and scoping literature reviews' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token (init-db prints the first; POST /api/me/tokens makes more)' },
          session: { type: 'apiKey', in: 'cookie', name: 'analylit_session', description: 'A browser session (POST /api/auth/login); writes also send the header X-AnalyLit-CSRF: 1' }
        }
      },
      // Either one: a program sends its token, the web application its session cookie.
      security: [{ bearer: [] }, { session: [] }]
    },
    transform: openapiTransform
  })

  // Security headers on every response but the health probes' (after helmet, which must see them to skip them), and the web application at / (plugins/web.ts).
  await fastify.register(webPlugin)
  registerHealth(fastify)

  await fastify.register(async (api) => {
    api.addHook('onRequest', api.authenticate)
    // Every route: bounded numbers and strings, no NUL or unpaired surrogate, no absurd nesting (src/http/input-guard.ts).
    api.addHook('onRoute', boundRouteSchemas)
    api.addHook('preValidation', rejectUnstorableText)
    api.addHook('preValidation', rejectUnknownQueryParameters)
    api.addHook('preHandler', rejectNonFiniteNumbers)
    await api.register(multipart, { limits: { fileSize: opts.config.UPLOAD_MAX_BYTES, files: 1, fields: 20 } })
    // routes/projects/_projectId/ is /projects/:projectId, its autohooks.ts resolving the project once for every route below it.
    await api.register(autoload, { dir: ROUTES_DIR, dirNameRoutePrefix: true, forceESM: true, routeParams: true, autoHooks: true, cascadeHooks: true })
  }, { prefix: '/api' })
}

// Not encapsulated, so that the server and tests see the decorators (db, tasks, events…).
export default fp(app, { name: 'analylit', fastify: '5.x' })

/** The one error handler: domain errors (src/errors.ts) to their HTTP status, validation errors to 400, the rest without internals. */
export function setErrorHandlers(fastify: FastifyInstance): void {
  fastify.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    // A route may have set another content type (a file export) before failing.
    reply.type('application/json; charset=utf-8')
    if (error instanceof DomainError) {
      const status = STATUS_OF_KIND[error.kind]
      if (error instanceof Unavailable || error instanceof RateLimited) reply.header('retry-after', String(error.retryAfterSeconds))
      if (error instanceof Unauthenticated) reply.header('www-authenticate', 'Bearer')
      return reply.status(status).send({ statusCode: status, error: httpErrorName(status), message: error.message, ...(error.field ? { field: error.field } : {}) })
    }
    const fe = error as FastifyError
    if (fe.validation) {
      const context = fe.validationContext ?? 'request'
      const data = { body: request.body, querystring: request.query, params: request.params, headers: request.headers }[context as string]
      const schema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[context]
      const first = fe.validation.length > 0 ? explainValidation(fe.validation as ValidationIssue[], schema, data) : undefined
      const params = (first?.params ?? {}) as Record<string, unknown>
      const pathField = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
      const field = [pathField, params.missingProperty ?? params.additionalProperty].filter(Boolean).join('.') || undefined
      return reply.status(400).send({ statusCode: 400, error: 'Bad Request', message: `${context}${field ? `.${field}` : ''} ${first?.message ?? 'is invalid'}${Array.isArray(params.allowedValues) ? `: ${params.allowedValues.join(', ')}` : ''}`, field })
    }
    if (databaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable')
      return reply.status(503).header('retry-after', '5').send({ statusCode: 503, error: 'Service Unavailable', message: 'the database is unavailable or not answering; retry in a few seconds', requestId: request.id })
    }
    const status = fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
      // Never leak stack traces, SQL or driver messages to clients.
      return reply.status(status).send({ statusCode: status, error: httpErrorName(status), message: 'internal error; see the server log', requestId: request.id })
    }
    return reply.status(status).send({ statusCode: status, error: httpErrorName(status), message: fe.message })
  })
  fastify.setNotFoundHandler((request, reply) => {
    // Workers have no web application (plugins/web.ts is registered for the web role only).
    if (fastify.hasDecorator('spaFallback') && fastify.spaFallback(request, reply)) return
    reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` })
  })
}

function httpErrorName(status: number): string {
  const names: Record<number, string> = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 410: 'Gone',
    413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
    500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable'
  }
  return names[status] ?? 'Error'
}
