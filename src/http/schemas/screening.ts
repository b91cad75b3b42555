/** Decisions, screening settings and the screening workflow. */
import { FormatRegistry, Type, type Static, type TSchema } from '@sinclair/typebox'
import { Article } from './articles.ts'
import { DecisionValue, Nullable, Paged, Stage, Uuid, legacyPageQuery, pageQuery } from './common.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (value) => UUID.test(value))

const Keyword = Type.String({ minLength: 1, maxLength: 100, examples: ['randomised'] })

export const Classifier = Type.Union([Type.Literal('nb'), Type.Literal('logistic'), Type.Literal('svm'), Type.Literal('ensemble')])

/**
 * A project's screening settings (the `projects.screening_settings`
 * document), with their defaults: read by `Value.Default` in
 * src/services/screening-settings.ts, patched through `ScreeningSettingsPatch`.
 */
export const ScreeningSettings = Type.Object({
  reviewersPerRecord: Type.Union([Type.Literal(1), Type.Literal(2)], { default: 1, description: 'human decisions a record needs before it has a status other than "awaiting"' }),
  blind: Type.Boolean({ default: false, description: 'reviewers do not see each other\'s decisions on a record until it is resolved' }),
  exclusionReasons: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100, default: [], description: 'when non-empty, a decision\'s reason must be one of these (and a full-text exclusion needs one)' }),
  resolverIds: Type.Array(Uuid, { maxItems: 100, default: [], description: 'members besides the owners who may resolve conflicts' }),
  classifier: Type.Union(Classifier.anyOf, { default: 'ensemble', description: 'model that ranks records (see the README, "Screening models"): ensemble (default; naive Bayes and SVM pipelines fused), svm, nb, logistic' }),
  highlightInclude: Type.Array(Keyword, { maxItems: 200, default: [], description: 'words highlighted in titles and abstracts as signs of relevance' }),
  highlightExclude: Type.Array(Keyword, { maxItems: 200, default: [], description: 'words highlighted as signs of irrelevance' })
})
export type ScreeningSettings = Static<typeof ScreeningSettings>

/** The settings' properties without their defaults: a patch changes only what it names. */
function withoutDefaults<P extends Record<string, TSchema>>(properties: P): P {
  return Object.fromEntries(Object.entries(properties).map(([key, { default: _default, ...schema }]) => [key, schema])) as P
}
export const ScreeningSettingsPatch = Type.Partial(Type.Object(withoutDefaults(ScreeningSettings.properties)), { additionalProperties: false, minProperties: 1 })

export const Decision = Type.Object({
  id: Type.String(), articleId: Type.String(), reviewerId: Nullable(Type.String()), reviewerEmail: Nullable(Type.String()),
  reviewerName: Nullable(Type.String()), reviewerKind: Nullable(Type.String({ description: '"human" or "llm" (null for imported labels)' })),
  stage: Type.String(), decision: Type.String(),
  reason: Nullable(Type.String()), note: Nullable(Type.String()), source: Type.String(), tags: Type.Array(Type.String()),
  probability: Nullable(Type.Number()), justification: Nullable(Type.String()), model: Nullable(Type.String()),
  origin: Type.Union([Type.Object({
    file: Type.Optional(Type.String()), source: Type.Optional(Type.String()), at: Type.Optional(Type.String()),
    reviewer: Type.Optional(Type.Object({ email: Type.Optional(Type.String()), name: Type.Optional(Type.String()), kind: Type.Optional(Type.String()) }))
  }, { description: 'imported labels: the file, and the original reviewer, source and date' }), Type.Null()]),
  createdAt: Type.String()
})
export type DecisionView = Static<typeof Decision>

export const DecisionBody = Type.Object({
  decision: DecisionValue,
  stage: Type.Optional(Stage),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  note: Type.Optional(Type.String({ maxLength: 10000 })),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 }))
}, { additionalProperties: false })

export const Resolution = Type.Object({ decision: Decision, previousStatus: Type.String() })

export const DecisionSource = Type.Union([Type.Literal('human'), Type.Literal('import'), Type.Literal('llm'), Type.Literal('resolution')])

export const DecisionListQuery = Type.Object({
  stage: Type.Optional(Stage), articleId: Type.Optional(Uuid), reviewerId: Type.Optional(Uuid),
  source: Type.Optional(DecisionSource),
  ...pageQuery(100, 1000), ...legacyPageQuery(1000)
}, { additionalProperties: false })

export const CurrentDecision = Type.Object({
  reviewerId: Nullable(Type.String()), reviewerEmail: Nullable(Type.String()), source: Type.String(), decision: Type.String(),
  reason: Nullable(Type.String()), note: Nullable(Type.String()), tags: Type.Array(Type.String()), probability: Nullable(Type.Number()), createdAt: Type.String()
})

export const VisibleStatus = Type.Union(['awaiting', 'conflict', 'included', 'excluded', 'maybe', 'pending'].map((s) => Type.Literal(s)))

export const ScreeningRecordQuery = Type.Object({
  stage: Stage,
  status: Type.Optional(VisibleStatus),
  sort: Type.Union([Type.Literal('relevance'), Type.Literal('createdAt')], { default: 'relevance' }),
  ...pageQuery(50, 500)
}, { additionalProperties: false })

export const ScreeningRecordPage = Type.Composite([Paged(Type.Composite([Article, Type.Object({ status: Type.String(), decisions: Type.Array(CurrentDecision) })])), Type.Object({
  counts: Type.Object({}, { additionalProperties: true, description: 'records per status ("pending" in blind mode only)' })
})])

export const Conflict = Type.Object({ articleId: Type.String(), title: Type.String(), year: Nullable(Type.Integer()), decisions: Type.Array(CurrentDecision) })
export const ConflictQuery = Type.Object({ stage: Type.Optional(Stage), ...pageQuery(100, 500), ...legacyPageQuery(500) }, { additionalProperties: false })
export const ConflictPage = Paged(Conflict)

export const StageQuery = Type.Object({ stage: Type.Optional(Stage) }, { additionalProperties: false })
export const NextQuery = Type.Object({
  stage: Type.Optional(Stage),
  seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, default: 1 }),
  count: Type.Integer({ minimum: 1, maximum: 50, default: 1, description: 'records to return: the next one and the ones after it (prefetch)' })
}, { additionalProperties: false })
export const NextRecord = Type.Object({
  article: Nullable(Type.Composite([Article, Type.Object({ status: Type.String() })])),
  rankedBy: Nullable(Type.String({ description: 'model, llm (an LLM\'s probability of inclusion) or random (seeded order)' })),
  score: Nullable(Type.Number()),
  remaining: Type.Integer({ description: 'records still available to you at this stage, including this one' }),
  following: Type.Array(Type.Composite([Article, Type.Object({ status: Type.String() })]), {
    description: 'the records after this one, in order (up to count - 1; only while the trained model orders the queue)'
  })
})

/** Shapes computed by the screening statistics (see README): documented loosely. */
export const ScreeningStats = Type.Object({}, { additionalProperties: true, description: 'progress, records since the last include, estimated relevant records remaining' })
export const Agreement = Type.Object({}, { additionalProperties: true, description: 'percent agreement, Cohen\'s kappa per pair of reviewers, Fleiss\' kappa' })

export const SimulationBody = Type.Object({
  batchId: Type.Optional(Uuid),
  labels: Type.Optional(Type.Union([Type.Literal('import'), Type.Literal('screening')])),
  seeds: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
  classifier: Type.Optional(Classifier),
  retrainEvery: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 }))
}, { additionalProperties: false })
export type SimulationRequest = Static<typeof SimulationBody>

export const LlmRunBody = Type.Object({
  profileId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$' })),
  templateId: Type.Optional(Uuid),
  stage: Type.Optional(Stage),
  articleIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 10000, uniqueItems: true })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 32 }))
}, { additionalProperties: false })
export type LlmRunRequest = Static<typeof LlmRunBody>
