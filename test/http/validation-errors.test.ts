import t from 'tap'
import { Ajv } from 'ajv'
import { Type, type TSchema } from '@sinclair/typebox'
import { explainValidation, type ValidationIssue } from '../../src/http/validation-errors.ts'
import { Nullable, Stage } from '../../src/http/schemas/common.ts'
import { Criteria } from '../../src/http/schemas/projects.ts'
import { GridDefinition } from '../../src/http/schemas/extraction.ts'

// The validator's options of the service (src/server.ts): the first error of each branch only.
const ajv = new Ajv({ removeAdditional: false, coerceTypes: 'array', allErrors: false, useDefaults: true, strict: false })

/** The error reported for `data` under `schema` (data is validated as a request part would be). */
function explain(schema: TSchema, data: unknown): ValidationIssue & { all: number } {
  const validate = ajv.compile(schema)
  t.notOk(validate(data), `${JSON.stringify(data)} is refused`)
  const issues = validate.errors as ValidationIssue[]
  return { ...explainValidation(issues, schema, data), all: issues.length }
}

t.test('a union of literals is reported with all its values', async (t) => {
  const issue = explain(Type.Object({ stage: Stage }), { stage: 'foo' })
  t.match(issue, { instancePath: '/stage', keyword: 'enum', params: { allowedValues: ['title_abstract', 'full_text'] }, message: 'must be equal to one of the allowed values' })
  t.ok(issue.all > 1, 'out of one error per literal')
  t.match(explain(Type.Object({ kind: Type.Literal('pico') }), { kind: 'x' }), { keyword: 'enum', params: { allowedValues: ['pico'] } }, 'a single literal too')
  // The schema path has the name URI-encoded, the value's path as it is.
  t.match(explain(Type.Object({ 'share 50%/a~b': Stage }), { 'share 50%/a~b': 'foo' }), { instancePath: '/share 50%~1a~0b', keyword: 'enum', params: { allowedValues: ['title_abstract', 'full_text'] } },
    'a property name with a percent sign, a slash and a tilde')
})

t.test('objects told apart by a constant property: the branch the value names', async (t) => {
  const body = Type.Object({ criteria: Criteria })
  t.match(explain(body, { criteria: { kind: 'text' } }), { instancePath: '/criteria', keyword: 'required', params: { missingProperty: 'text' } })
  t.match(explain(body, { criteria: { kind: 'pico', popluation: 'adults' } }), { instancePath: '/criteria', keyword: 'additionalProperties', params: { additionalProperty: 'popluation' } })
  t.match(explain(body, { criteria: { kind: 'pico', inclusion: [{}] } }), { instancePath: '/criteria/inclusion/0', keyword: 'type' })
  t.match(explain(body, { criteria: { kind: 'other' } }), { instancePath: '/criteria/kind', keyword: 'enum', params: { allowedValues: ['pico', 'text'] } }, 'a kind no branch has')
  t.match(explain(body, { criteria: { text: 'adults' } }), { instancePath: '/criteria/kind', keyword: 'enum', params: { allowedValues: ['pico', 'text'] } }, 'no kind')
})

t.test('other unions: the branch of the value\'s type whose errors reached deepest', async (t) => {
  const body = Type.Object({ definition: GridDefinition })
  const field = (extra: object) => ({ definition: { name: 'Grid', sections: [{ title: 'Study', fields: [{ label: 'N', ...extra }] }] } })
  t.match(explain(body, field({ type: 'nummber' })), { instancePath: '/definition/sections/0/fields/0/type', keyword: 'enum', params: { allowedValues: ['text', 'long_text', 'integer', 'number', 'boolean', 'single_choice', 'multiple_choice', 'date', 'rows'] } },
    'the rich format, and the union of field types inside it')
  t.match(explain(body, field({ units: 'mg' })), { instancePath: '/definition/sections/0/fields/0', params: { additionalProperty: 'units' } })
  t.match(explain(body, { definition: { name: 'Grid', fields: [{ nme: 'Sample size' }] } }), { instancePath: '/definition/fields/0', params: { missingProperty: 'name' } }, 'the simple format')
  t.match(explain(body, { definition: { name: 'Grid', fields: [] } }), { instancePath: '/definition/fields', keyword: 'minItems' }, 'a fault inside a property the value has beats a property it lacks')
  t.match(explain(body, { definition: 'Grid' }), { instancePath: '/definition', keyword: 'type', message: 'must be object' })
  t.match(explain(Type.Object({ year: Nullable(Type.Integer()) }), { year: 'soon' }), { instancePath: '/year', keyword: 'type', message: 'must be integer or null' }, 'no branch of the value\'s type')
})

t.test('without a union, the first error as the validator reported it', async (t) => {
  const schema = Type.Object({ name: Type.String({ minLength: 1 }), size: Type.Integer() }, { additionalProperties: false })
  t.match(explain(schema, { name: '', size: 1 }), { instancePath: '/name', keyword: 'minLength' })
  t.match(explain(schema, { name: 'a', size: 1, other: 1 }), { keyword: 'additionalProperties', params: { additionalProperty: 'other' } })
})
