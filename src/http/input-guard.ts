/**
 * General rules on what a request may carry, applied to every route (so a
 * new route is covered without doing anything):
 *
 * - `boundRouteSchemas` (an onRoute hook) gives every input schema that has
 *   none a bound: integers within ±(2^31 − 1), numbers within ±2^53, strings
 *   at most DEFAULT_MAX_LENGTH characters. So `?page=1e21` is a 400, not a
 *   bigint error from PostgreSQL, and a 1 MB string in a free-text field is
 *   refused before it reaches the database.
 * - `rejectUnstorableText` (a preValidation hook) refuses a NUL character or
 *   an unpaired UTF-16 surrogate in any string or key of the path
 *   parameters, query string and JSON body (PostgreSQL cannot store either),
 *   and a body nested deeper than MAX_DEPTH.
 * - `rejectNonFiniteNumbers` (a preHandler hook) refuses an infinite number
 *   in the query string or path once coerced (`?limit=Infinity`).
 * - `checkText` is the same check for values read by hand (multipart fields
 *   and file names).
 *
 * Every refusal is an Invalid error (400) naming the field, e.g. `body.criteria.population`.
 */
import type { RouteOptions, FastifyRequest } from 'fastify'
import { Invalid } from '../errors.ts'

export const MAX_INTEGER = 2 ** 31 - 1
export const MAX_NUMBER = Number.MAX_SAFE_INTEGER
/** The longest string accepted where the schema sets no maxLength. */
export const DEFAULT_MAX_LENGTH = 10000
/** The deepest nesting of arrays and objects accepted in a body. */
export const MAX_DEPTH = 32
/** The longest uploaded file name, in UTF-8 bytes (a common file-system limit). */
export const MAX_FILE_NAME_BYTES = 255

type Schema = Record<string | symbol, unknown>

/** A copy of a JSON schema in which every integer, number and string without bounds gets the default ones. */
export function boundSchema<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((s) => boundSchema(s)) as T
  if (!schema || typeof schema !== 'object') return schema
  // Routes share schema objects (a project's params, an article, a page…): each is bounded once.
  const known = bounded.get(schema)
  if (known) return known as T
  const out = boundObject(schema as Schema)
  bounded.set(schema, out)
  bounded.set(out, out)
  return out as T
}

const bounded = new WeakMap<object, Schema>()

function boundObject(source: Schema): Schema {
  const out: Schema = {}
  for (const key of Reflect.ownKeys(source)) {
    const value = source[key]
    // Sub-schemas: properties/patternProperties hold a map of schemas, the others a schema or a list of them.
    if (key === 'properties' || key === 'patternProperties' || key === '$defs' || key === 'definitions') {
      out[key] = Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, boundSchema(v)]))
    } else if (['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', 'not', 'prefixItems', 'contains'].includes(key as string)) {
      out[key] = boundSchema(value)
    } else {
      out[key] = value
    }
  }
  const types = new Set([out.type].flat())
  const isEnum = 'const' in out || 'enum' in out
  if (types.has('integer')) {
    out.maximum ??= MAX_INTEGER
    out.minimum ??= -MAX_INTEGER
  } else if (types.has('number')) {
    out.maximum ??= MAX_NUMBER
    out.minimum ??= -MAX_NUMBER
  }
  if (types.has('string') && !isEnum) out.maxLength ??= DEFAULT_MAX_LENGTH
  return out
}

/** onRoute hook: bounds the params, querystring, headers and body schemas of every route. */
export function boundRouteSchemas(route: RouteOptions): void {
  const schema = route.schema as Record<string, unknown> | undefined
  if (!schema) return
  for (const part of ['params', 'querystring', 'headers', 'body']) {
    if (schema[part]) schema[part] = boundSchema(schema[part])
  }
}

/** What is wrong with a string PostgreSQL (and any UTF-8 consumer) cannot take, or undefined. */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL character (\\u0000)'
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) return 'contains an unpaired UTF-16 surrogate (not valid Unicode)'
  return undefined
}

/** Throws a 400 naming `field` when `value` has a NUL or an unpaired surrogate, or is longer than maxLength characters. */
export function checkText(field: string, value: string, maxLength = DEFAULT_MAX_LENGTH): void {
  const problem = textProblem(value)
  if (problem) throw new Invalid(`${field} ${problem}`, field)
  if (value.length > maxLength) throw new Invalid(`${field} is longer than ${maxLength} characters`, field)
}

/** The original name of an uploaded file, checked: no NUL or unpaired surrogate, at most MAX_FILE_NAME_BYTES. */
export function checkFileName(field: string, name: string): string {
  const problem = textProblem(name)
  if (problem) throw new Invalid(`${field}: the file name ${problem}`, field)
  if (Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) throw new Invalid(`${field}: the file name is longer than ${MAX_FILE_NAME_BYTES} bytes`, field)
  return name
}

/**
 * Walks a parsed input without recursion (a body can be nested thousands of
 * levels deep) and throws a 400 at the first bad string or key, or past
 * MAX_DEPTH. The message names `root.path.to.field`, `field` the path alone
 * (as for schema validation errors).
 */
export function checkInput(root: string, input: unknown): void {
  // Each entry knows its parent, so the path is only built for a refusal.
  type Entry = { value: unknown; key: string; parent: Entry | undefined; depth: number }
  const refuse = (entry: Entry, problem: string): never => {
    const path: string[] = []
    for (let e: Entry | undefined = entry; e?.parent; e = e.parent) path.unshift(e.key)
    throw new Invalid(`${[root, ...path].join('.')} ${problem}`, path.join('.') || root)
  }
  const stack: Entry[] = [{ value: input, key: root, parent: undefined, depth: 0 }]
  while (stack.length > 0) {
    const entry = stack.pop()!
    const value = entry.value
    if (typeof value === 'string') {
      const problem = textProblem(value)
      if (problem) refuse(entry, problem)
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) refuse(entry, 'must be a finite number')
    } else if (value && typeof value === 'object') {
      if (entry.depth >= MAX_DEPTH) refuse(entry, `is nested more than ${MAX_DEPTH} levels deep`)
      const depth = entry.depth + 1
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) stack.push({ value: value[i], key: String(i), parent: entry, depth })
      } else {
        for (const key of Object.keys(value)) {
          const problem = textProblem(key)
          if (problem) refuse(entry, `has a key that ${problem}`)
          stack.push({ value: (value as Record<string, unknown>)[key], key, parent: entry, depth })
        }
      }
    }
  }
}

/** preValidation hook: checks the path parameters, the query string and the body. */
export async function rejectUnstorableText(request: FastifyRequest): Promise<void> {
  checkInput('params', request.params)
  checkInput('querystring', request.query)
  if (request.body !== undefined && !Buffer.isBuffer(request.body)) checkInput('body', request.body)
}

/**
 * preHandler hook: the query string and path parameters once coerced by the
 * schema ("Infinity" becomes a number that passes AJV's `maximum`).
 */
export async function rejectNonFiniteNumbers(request: FastifyRequest): Promise<void> {
  checkInput('params', request.params)
  checkInput('querystring', request.query)
}
