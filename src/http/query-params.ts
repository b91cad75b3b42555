/**
 * Unknown query parameters are refused: a 400 naming the parameter (and the
 * ones the route takes), so that a misspelt filter (`?desicion=include`) is
 * not silently ignored and answered with the unfiltered list. Without this,
 * the validator's `removeAdditional` would drop such parameters without a word.
 */
import type { FastifyRequest } from 'fastify'
import { Invalid } from '../errors.ts'

export async function rejectUnknownQueryParameters(request: FastifyRequest): Promise<void> {
  const query = request.query as Record<string, unknown> | undefined
  if (!query) return
  const keys = Object.keys(query)
  if (keys.length === 0) return
  const schema = request.routeOptions.schema?.querystring as { properties?: Record<string, unknown> } | undefined
  const known = Object.keys(schema?.properties ?? {})
  const unknown = keys.find((key) => !known.includes(key))
  if (unknown === undefined) return
  throw new Invalid(`unknown query parameter "${unknown}"; ${known.length > 0 ? `this route takes ${known.join(', ')}` : 'this route takes none'}`, unknown)
}
