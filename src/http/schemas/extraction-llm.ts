/** LLM extraction runs: starting one, the runs of a project, a run's outcome per article; copying a model's values into one's own extraction. */
import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Uuid } from './common.ts'
import { ModelName } from './llm.ts'

export const LlmExtractionBody = Type.Object({
  gridId: Uuid,
  profileId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'an analysis profile: its extractModel is used' })),
  model: Type.Optional(ModelName),
  templateId: Type.Optional(Type.String({ format: 'uuid', description: 'an extraction prompt template (default: the seeded one)' })),
  articleIds: Type.Optional(Type.Array(Uuid, {
    minItems: 1, maxItems: 10000, uniqueItems: true,
    description: 'default: the records included at full-text screening that have an extracted full text and no extraction by this model with this grid yet'
  })),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2, default: 0 })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, default: 42 })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, description: 'requests in flight at once (capped by LLM_CONCURRENCY)' })),
  fieldsPerGroup: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 8, description: 'fields asked in one request (each group gets its own passages)' }))
}, { additionalProperties: false, description: 'give either profileId or model' })
export type LlmExtractionRequest = Static<typeof LlmExtractionBody>

export const LlmRunParams = Type.Object({ projectId: Uuid, taskId: Uuid })

export const LlmArticleOutcome = Type.Object({
  articleId: Type.String(),
  status: Type.Union([Type.Literal('extracted'), Type.Literal('failed')]),
  text: Type.Union([Type.Literal('full_text'), Type.Literal('abstract')], { description: 'what the model read: full-text passages, or only title and abstract' }),
  fields: Type.Integer(), values: Type.Integer(), verified: Type.Integer({ description: 'values whose quote was found in the text' }),
  unverified: Type.Integer({ description: 'values whose quote was not found (flagged), or without a quote' }),
  notReported: Type.Integer(), invalid: Type.Integer({ description: 'values of the wrong type, stored flagged (invalidValue)' }),
  requests: Type.Integer(),
  error: Type.Optional(Type.Object({ kind: Type.String(), message: Type.String() }))
})

export const LlmExtractionRun = Type.Object({
  id: Type.String({ description: 'the task id' }), status: Type.String(), progress: Type.Number(), message: Nullable(Type.String()), error: Nullable(Type.String()),
  createdAt: Type.String(), finishedAt: Nullable(Type.String()),
  gridId: Type.String(), gridVersion: Type.Integer(), model: Type.String(), digest: Nullable(Type.String()), promptVersion: Nullable(Type.String()),
  templateId: Nullable(Type.String()), reviewerId: Nullable(Type.String()),
  options: Type.Object({}, { additionalProperties: true, description: 'temperature, seed, concurrency, fieldsPerGroup, passage budget, JSON attempts' }),
  requested: Nullable(Type.Integer()), extracted: Type.Integer(), failed: Type.Integer()
})
export const LlmExtractionRunDetail = Type.Composite([LlmExtractionRun, Type.Object({
  articles: Type.Array(LlmArticleOutcome, { description: 'per article; for a run that did not finish, the articles stored so far' })
})])

export const AcceptLlmBody = Type.Object({
  gridId: Uuid,
  reviewerId: Type.Optional(Type.String({ format: 'uuid', description: 'the model\'s reviewer (default: the only model that extracted this article with the grid)' })),
  fields: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), { minItems: 1, maxItems: 1000, uniqueItems: true, description: 'default: every field the model gave a valid value or "not reported" for' }))
}, { additionalProperties: false })
export type AcceptLlmRequest = Static<typeof AcceptLlmBody>
