/**
 * Risk of bias and the ATN score: the API shapes (routes under
 * /api/appraisal and /api/projects/:projectId/{articles/:articleId/rob,rob,atn}).
 */
import { Type, type Static } from '@sinclair/typebox'
import { Nullable, pageQuery, Uuid } from './common.ts'

export const ToolId = Type.Union([Type.Literal('rob2'), Type.Literal('robins-i'), Type.Literal('rob1'), Type.Literal('quadas-2')])
/** Checked by the service (unknown tool: 400 naming the known ones), after the project's access check. */
const ToolParam = Type.String({ maxLength: 50, description: 'rob2, robins-i, rob1 or quadas-2', examples: ['rob2'] })
export const ToolParams = Type.Object({ projectId: Uuid, tool: ToolParam })
export const ArticleToolParams = Type.Object({ projectId: Uuid, articleId: Uuid, tool: ToolParam })

const Answer = Type.String({ enum: ['Y', 'PY', 'PN', 'N', 'NI', 'NA'], examples: ['PY'] })
const Question = Type.Object({
  id: Type.String(), text: Type.String(), options: Type.Array(Type.String()),
  appliesIf: Type.Optional(Type.Array(Type.Object({ anyOf: Type.Array(Type.Object({ question: Type.String(), answers: Type.Array(Type.String()) })) }))),
  appliesIfText: Type.Optional(Type.String())
})
export const Tool = Type.Object({
  id: ToolId, name: Type.String(), judgements: Type.Array(Type.String()), mode: Type.Union([Type.Literal('algorithm'), Type.Literal('judged')]),
  overallRule: Type.String(),
  answerLabels: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'QUADAS-2: NI reads "unclear"' })),
  domains: Type.Array(Type.Object({
    id: Type.String(), name: Type.String(), questions: Type.Array(Question),
    applicability: Type.Optional(Type.Boolean({ description: 'QUADAS-2 applicability concerns: judged by the reviewer, optional, outside the overall judgement' }))
  }))
})
export const ToolList = Type.Array(Tool)

export const OutcomeQuery = Type.Object({
  outcome: Type.Optional(Type.String({ maxLength: 500, description: 'the outcome whose result is assessed (RoB 2); empty: the study as a whole', examples: ['depression at 12 weeks'] }))
})

const Support = Type.Record(Type.String(), Type.Object({
  text: Type.Optional(Type.String({ maxLength: 10000 })),
  quote: Type.Optional(Type.String({ maxLength: 10000 })),
  page: Type.Optional(Type.Integer({ minimum: 1 }))
}, { additionalProperties: false }), { description: 'by question id ("2.3") or domain id ("D2"): the reviewer\'s reasons and a quote from the article' })
const Override = Type.Object({ judgement: Type.String({ examples: ['high'] }), reason: Type.String({ minLength: 1, maxLength: 5000, examples: ['some concerns in three domains'] }) })

export const AssessmentBody = Type.Object({
  outcome: Type.Optional(Type.String({ maxLength: 500, examples: ['depression at 12 weeks'] })),
  status: Type.Union([Type.Literal('draft'), Type.Literal('complete')], { default: 'draft', description: 'a complete assessment answers every applicable question (or judges every domain)' }),
  answers: Type.Optional(Type.Record(Type.String({ pattern: '^[0-9]+\\.[0-9]+$' }), Answer, { examples: [{ 1.1: 'Y', 1.2: 'PY', 1.3: 'N' }] })),
  judgements: Type.Optional(Type.Record(Type.String({ pattern: '^[DA][0-9]+$' }), Type.String(), { description: 'domain judgements, for tools whose domains the reviewer judges (ROBINS-I, RoB 1) and QUADAS-2\'s applicability concerns (A1–A3)', examples: [{}] })),
  support: Type.Optional(Support),
  overrides: Type.Optional(Type.Record(Type.String(), Override, { description: 'a judgement replacing the one derived, by domain id or "overall", with the reason', examples: [{}] }))
}, { additionalProperties: false })
export type AssessmentBody = Static<typeof AssessmentBody>

const Derived = Type.Object({ judgement: Type.String(), path: Type.Array(Type.String()), proposed: Type.Optional(Type.String()) })
export const DerivedJudgements = Type.Object({
  domains: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), judgement: Type.String(), path: Type.Array(Type.String()), proposed: Type.Optional(Type.String()) })),
  overall: Derived
})

export const Assessment = Type.Object({
  id: Uuid,
  articleId: Uuid,
  outcome: Type.String(),
  tool: ToolId,
  kind: Type.Union([Type.Literal('reviewer'), Type.Literal('consensus')]),
  reviewerId: Uuid,
  reviewerEmail: Type.String(),
  status: Type.Union([Type.Literal('draft'), Type.Literal('complete')]),
  answers: Type.Record(Type.String(), Type.String()),
  judgements: Type.Record(Type.String(), Type.String()),
  support: Type.Record(Type.String(), Type.Object({
    text: Type.Optional(Type.String()), quote: Type.Optional(Type.String()), page: Type.Optional(Type.Integer()),
    quoteVerified: Type.Optional(Type.Boolean({ description: 'LLM assessments: whether the quote was found in the full text (false: flagged, not found)' }))
  })),
  overrides: Type.Record(Type.String(), Override),
  derived: Nullable(DerivedJudgements),
  model: Nullable(Type.String()),
  run: Type.Optional(Nullable(Type.Object({
    taskId: Type.String(), model: Type.String(), digest: Nullable(Type.String()), promptVersion: Type.String(),
    options: Type.Record(Type.String(), Type.Unknown()), problems: Type.Array(Type.String())
  }, { description: 'LLM assessments: the run that answered (model, digest, prompt version, options) and what it could not use' }))),
  updatedAt: Type.String({ format: 'date-time' })
})
export type AssessmentView = Static<typeof Assessment>
export const AssessmentList = Type.Array(Assessment)

export const CompareQuery = Type.Object({
  ...OutcomeQuery.properties,
  a: Type.Optional(Uuid), b: Type.Optional(Uuid)
})
export const Comparison = Type.Object({
  a: Type.Object({ reviewerId: Uuid, reviewerEmail: Type.String() }),
  b: Type.Object({ reviewerId: Uuid, reviewerEmail: Type.String() }),
  questions: Type.Array(Type.Object({ id: Type.String(), a: Type.String(), b: Type.String(), agree: Type.Boolean(), sameDirection: Type.Boolean() })),
  domains: Type.Array(Type.Object({ id: Type.String(), a: Type.String(), b: Type.String(), agree: Type.Boolean() })),
  overall: Type.Object({ a: Type.String(), b: Type.String(), agree: Type.Boolean() }),
  conflicts: Type.Array(Type.String()),
  questionAgreement: Nullable(Type.Number()),
  domainAgreement: Type.Number()
})

export const TableQuery = Type.Object({
  reviewer: Type.Optional(Type.String({ format: 'uuid', description: 'whose assessments to use where there is no consensus (default: the caller)' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { default: 'json' }))
})
export const RobTableRow = Type.Object({
  articleId: Uuid, study: Type.String(), outcome: Type.String(),
  source: Type.Union([Type.Literal('consensus'), Type.Literal('reviewer')]),
  reviewerId: Uuid,
  domains: Type.Record(Type.String(), Type.String()),
  overall: Type.String()
})
export type RobTableRow = Static<typeof RobTableRow>
export const RobTable = Type.Object({ tool: ToolId, domains: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })), rows: Type.Array(RobTableRow) })

export const FigureQuery = Type.Object({
  reviewer: TableQuery.properties.reviewer,
  weighted: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9_]+$', description: 'summary plot: weigh each study by this numeric field of its record (e.g. "sampleSize"); equal weights when absent', examples: ['sampleSize'] }))
})

// LLM-assisted assessment

export const LlmRobBody = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$', description: 'an Ollama model installed on the server', examples: ['llama3.1:8b'] }),
  outcome: Type.Optional(Type.String({ maxLength: 500, description: 'RoB 2 only: the outcome whose result is assessed', examples: ['depression at 12 weeks'] })),
  articleIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 10000, uniqueItems: true, description: 'default: the articles included at full text with an extracted full text' })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, description: 'articles in flight at once (capped by LLM_CONCURRENCY)' })),
  options: Type.Optional(Type.Object({
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })), seed: Type.Optional(Type.Integer()), num_ctx: Type.Optional(Type.Integer({ minimum: 512, maximum: 1048576 }))
  }, { additionalProperties: false, description: 'model options, recorded with the run (temperature 0 by default)', examples: [{ temperature: 0, seed: 42 }] }))
}, { additionalProperties: false })
export type LlmRobRequest = Static<typeof LlmRobBody>
export const LlmRobRunsQuery = Type.Object({ tool: Type.Optional(Type.String({ maxLength: 50, description: 'only this tool\'s runs' })) })

// ATN score

const AtnTerm = Type.Object({ term: Type.String({ minLength: 1, maxLength: 200 }), weight: Type.Number() }, { additionalProperties: false })
export const AtnCriteriaSet = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, examples: ['ATN'] }),
  version: Type.String({ minLength: 1, maxLength: 50, examples: ['2.2-local'] }),
  criteria: Type.Array(Type.Object({
    id: Type.String({ minLength: 1, maxLength: 100 }), label: Type.String({ maxLength: 200 }), cap: Type.Number({ minimum: 0 }),
    terms: Type.Array(AtnTerm, { maxItems: 500 })
  }, { additionalProperties: false }), { maxItems: 200, examples: [[{ id: 'alliance', label: 'therapeutic alliance', cap: 20, terms: [{ term: 'working alliance', weight: 6 }] }]] }),
  recencyBonuses: Type.Array(Type.Object({ minYear: Type.Integer(), points: Type.Number() }, { additionalProperties: false }), { maxItems: 50, examples: [[{ minYear: 2022, points: 10 }]] }),
  longitudinalBonus: Type.Object({ points: Type.Number(), terms: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 200 }) }, { additionalProperties: false, examples: [{ points: 5, terms: ['longitudinal'] }] }),
  divisor: Type.Number({ minimum: 1, examples: [110] }),
  categories: Type.Array(Type.Object({ label: Type.String({ minLength: 1, maxLength: 100 }), min: Type.Number() }, { additionalProperties: false }), { minItems: 1, maxItems: 20, examples: [[{ label: 'relevant', min: 60 }, { label: 'other', min: 0 }]] })
}, { additionalProperties: false })
export const AtnCriteria = Type.Object({ source: Type.Union([Type.Literal('project'), Type.Literal('seeded')]), set: AtnCriteriaSet })

export const AtnScoresQuery = Type.Object({
  ...pageQuery(50, 500),
  sort: Type.Optional(Type.Union([Type.Literal('score'), Type.Literal('-score')], { default: '-score', description: '"-score": highest first' })),
  category: Type.Optional(Type.String({ maxLength: 100, examples: ['relevant'] })),
  minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  maxScore: Type.Optional(Type.Number({ minimum: 0, maximum: 100 }))
})
export type AtnScoresQuery = Static<typeof AtnScoresQuery>
const AtnJustification = Type.Object({
  criteria: Type.Array(Type.Object({ id: Type.String(), label: Type.String(), termsFound: Type.Array(AtnTerm), points: Type.Number(), cap: Type.Number(), cappedPoints: Type.Number() })),
  recencyBonus: Type.Number(), longitudinalTermsFound: Type.Array(Type.String()), longitudinalBonus: Type.Number(),
  total: Type.Number(), divisor: Type.Number(), percentage: Type.Number()
})
export const AtnScore = Type.Object({
  articleId: Uuid, title: Type.String(), year: Nullable(Type.Integer()),
  score: Type.Number(), category: Type.String(), setVersion: Type.String(), scoredAt: Type.String({ format: 'date-time' })
})
export const AtnScoreDetail = Type.Object({ ...AtnScore.properties, justification: AtnJustification })
export const AtnStats = Type.Object({
  count: Type.Integer(), byCategory: Type.Record(Type.String(), Type.Integer()),
  mean: Nullable(Type.Number()), min: Nullable(Type.Number()), q1: Nullable(Type.Number()), median: Nullable(Type.Number()), q3: Nullable(Type.Number()), max: Nullable(Type.Number())
})
export const AtnScorePage = Type.Object({
  items: Type.Array(AtnScore), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer(),
  stats: AtnStats
})
