/** The OpenAPI document of the service, read by the tests generated from it (fuzz, isolation). */
import type { FastifyInstance } from 'fastify'

export type JsonSchema = {
  type?: string | string[]; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema
  anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; enum?: unknown[]; const?: unknown; format?: string; pattern?: string
  minimum?: number; minLength?: number; minItems?: number; minProperties?: number; default?: unknown
}
export type Operation = {
  parameters?: Array<{ in: string; name: string; schema?: JsonSchema }>
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
}

/** Every operation of the document (but the WebSocket), with its route as the document writes it. */
export async function operations(app: FastifyInstance, auth: { authorization: string }): Promise<Array<{ route: string; method: string; op: Operation }>> {
  const doc = (await app.inject({ url: '/api/docs', headers: auth })).json() as { paths: Record<string, Record<string, Operation>> }
  return Object.entries(doc.paths).flatMap(([route, methods]) => Object.entries(methods).map(([method, op]) => ({ route, method: method.toUpperCase(), op })))
    .filter(({ route }) => route !== '/api/ws')
}

export interface SampleIds { articleIds: string[]; batchId: string; userId: string; email: string; url: string }

/** A valid value for a schema, with real ids, so that a request passes validation and reaches the handler. */
export function sample(schema: JsonSchema | undefined, name: string, ids: SampleIds): unknown {
  if (!schema) return 'x'
  if (schema.const !== undefined) return schema.const
  if (schema.enum) return schema.enum[0]
  if (schema.default !== undefined) return schema.default
  const variants = schema.anyOf ?? schema.oneOf
  if (variants) return sample(variants.find((v) => v.type !== 'null') ?? variants[0], name, ids)
  const type = [schema.type].flat()[0]
  if (type === 'object') {
    // The required fields, and as many others as minProperties asks for (a PATCH needs one).
    const keys = [...(schema.required ?? [])]
    for (const k of Object.keys(schema.properties ?? {})) if (keys.length < (schema.minProperties ?? 0) && !keys.includes(k)) keys.push(k)
    return Object.fromEntries(keys.map((k) => [k, sample(schema.properties?.[k], k, ids)]))
  }
  if (type === 'array') {
    return Array.from({ length: schema.minItems ?? 0 }, (_, i) => schema.items?.format === 'uuid' ? ids.articleIds[i % ids.articleIds.length] : sample(schema.items, name, ids))
  }
  if (type === 'integer' || type === 'number') return schema.minimum ?? 1
  if (type === 'boolean') return false
  if (schema.format === 'uuid') return name === 'batchId' ? ids.batchId : name === 'userId' ? ids.userId : ids.articleIds[0]
  if (schema.format === 'email' || name === 'email') return ids.email
  if (schema.pattern?.startsWith('^https?')) return ids.url
  return 'fuzz'.padEnd(schema.minLength ?? 0, 'z')
}
