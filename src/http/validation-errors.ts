/**
 * Which of a failed validation's errors to report, and how, when the schema has unions.
 *
 * The validator stops at the first error of each branch of a union (`anyOf`) and reports every
 * branch's: for `?stage=foo` the first was "must be equal to constant" (the first literal, not the
 * others), and for `{ kind: 'text' }` criteria the PICO branch's complaint about `kind`. Here the
 * union's schema and the value decide: a union of literals is reported as one "must be equal to one
 * of the allowed values" with all of them; a union of objects told apart by a constant property
 * (`kind`) reports the errors of the branch that value names, or the allowed values of that property
 * when it names none; otherwise the branch of the value's JSON type whose errors reached deepest
 * into the value. Unions inside the chosen branch are reported the same way.
 */

/** An error as Ajv reports it (the fields used here). */
export interface ValidationIssue {
  instancePath: string
  schemaPath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}

type Schema = Record<string, unknown>

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The JSON Pointer's segments ('/a/b~1c' → ['a', 'b/c']). The validator writes schema paths
 * URI-encoded (a property `50%` is `50%25` there) and instance paths as they are.
 */
function segments(pointer: string, uriEncoded = false): string[] {
  return pointer.split('/').slice(1).map((s) => (uriEncoded ? decodeURIComponent(s) : s).replace(/~1/g, '/').replace(/~0/g, '~'))
}

function at(root: unknown, pointer: string, uriEncoded = false): unknown {
  let node = root
  for (const key of segments(pointer, uriEncoded)) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

function typeAllows(schema: Schema, value: unknown): boolean {
  if (schema.type === undefined) return true
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  const actual = jsonType(value)
  return types.includes(actual) || (actual === 'integer' && types.includes('number'))
}

const oneOfValues = (instancePath: string, allowedValues: unknown[]): ValidationIssue =>
  ({ instancePath, schemaPath: '', keyword: 'enum', params: { allowedValues }, message: 'must be equal to one of the allowed values' })

/**
 * How far into the value an error got. A missing or unexpected property counts half a step: a branch
 * that found a fault inside a property the value has got further than one that lacks a property.
 */
const depth = (issue: ValidationIssue) =>
  segments(issue.instancePath).length + (issue.params.missingProperty !== undefined || issue.params.additionalProperty !== undefined ? 0.5 : 0)

/** The error to report, from `issues` (not empty) of `data` validated against `schema`. */
export function explainValidation(issues: ValidationIssue[], schema: unknown, data: unknown): ValidationIssue {
  const unions = issues.filter((i) => i.keyword === 'anyOf' || i.keyword === 'oneOf')
  if (unions.length === 0) {
    const [first] = issues
    return first.keyword === 'const' ? oneOfValues(first.instancePath, [first.params.allowedValue]) : first
  }
  const union = unions.reduce((outer, u) => (u.schemaPath.length < outer.schemaPath.length ? u : outer))
  const branches = at(schema, union.schemaPath.replace(/^#/, ''), true)
  if (!Array.isArray(branches) || !branches.every(isRecord)) return issues[0]
  const value = at(data, union.instancePath)
  const within = (k: number) => issues.filter((i) => i.schemaPath.startsWith(`${union.schemaPath}/${k}/`))
  const chosen = (k: number) => {
    const inBranch = within(k)
    return inBranch.length > 0 ? explainValidation(inBranch, schema, data) : issues[0]
  }

  if (branches.every((b) => 'const' in b)) return oneOfValues(union.instancePath, branches.map((b) => b.const))

  // Objects told apart by a constant property: the branch the value names.
  const constOf = (b: Schema, property: string) => {
    const p = isRecord(b.properties) ? b.properties[property] : undefined
    return isRecord(p) && 'const' in p ? { value: p.const } : undefined
  }
  const properties = new Set(branches.flatMap((b) => (isRecord(b.properties) ? Object.keys(b.properties) : [])))
  const discriminator = [...properties].find((p) => branches.filter((b) => constOf(b, p)).length >= 2)
  if (discriminator !== undefined && isRecord(value)) {
    const named = branches.findIndex((b) => {
      const constant = constOf(b, discriminator)
      return constant !== undefined && constant.value === value[discriminator]
    })
    if (named >= 0) return chosen(named)
    const allowed = branches.map((b) => constOf(b, discriminator)).filter((c) => c !== undefined).map((c) => c.value)
    return oneOfValues(`${union.instancePath}/${discriminator}`, allowed)
  }

  // Otherwise the branches of the value's type, the one whose errors reached deepest (the first on a tie).
  const ofType = branches.map((b, k) => k).filter((k) => typeAllows(branches[k], value))
  if (ofType.length === 0) {
    const types = [...new Set(branches.flatMap((b) => (Array.isArray(b.type) ? b.type : b.type === undefined ? [] : [b.type])))]
    return { ...union, keyword: 'type', params: { type: types }, message: `must be ${types.join(' or ')}` }
  }
  const reach = (k: number) => Math.max(-1, ...within(k).map(depth))
  return chosen(ofType.reduce((best, k) => (reach(k) > reach(best) ? k : best)))
}
