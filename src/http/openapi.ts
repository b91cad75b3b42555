/**
 * The OpenAPI document (`GET /api/docs`) as clients need it: a route may
 * document a body it reads itself (the multipart import) with
 * `config.openapiBody`, and a query parameter with a default is optional to
 * the client (the server fills it in), so it is not listed as required.
 */
import type { FastifySchema, RouteOptions } from 'fastify'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The request body as documented, for a route that reads it itself (no validation). */
    openapiBody?: Record<string, unknown>
  }
}

interface ObjectSchema { properties?: Record<string, { default?: unknown }>; required?: string[] }

/** The query schema without `required` entries for parameters that have a default. */
function optionalDefaults(querystring: ObjectSchema): ObjectSchema {
  const properties = querystring.properties ?? {}
  const required = (querystring.required ?? []).filter((name) => properties[name]?.default === undefined)
  const { required: _required, ...rest } = querystring
  return required.length > 0 ? { ...rest, required } : rest
}

export function openapiTransform({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  if (!schema) return { schema, url }
  const config = route.config as { openapiBody?: Record<string, unknown> } | undefined
  const documented: FastifySchema = { ...schema }
  if (config?.openapiBody) documented.body = config.openapiBody
  // @fastify/websocket hides its routes; the WebSocket of events is part of the API.
  if ((route as { websocket?: boolean }).websocket) documented.hide = false
  if (schema.querystring) documented.querystring = optionalDefaults(schema.querystring as ObjectSchema)
  return { schema: documented, url }
}
