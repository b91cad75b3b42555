import { Type, type Static } from '@sinclair/typebox'
import { ExtractionMapping } from '../../synthesis/extraction-inputs.ts'
import { Nullable, Uuid } from './common.ts'

export const AnalysisParams = Type.Object({ projectId: Uuid, analysisId: Uuid })

export const InputKind = Type.Union([Type.Literal('binary'), Type.Literal('continuous'), Type.Literal('generic')], {
  description: 'binary: events/total per arm; continuous: mean, SD, n per arm; generic: yi with se, or a confidence interval'
})
export const Measure = Type.Union(['OR', 'RR', 'RD', 'MD', 'SMD', 'GEN'].map((m) => Type.Literal(m)), {
  description: 'log odds ratio, log risk ratio, risk difference (binary); mean difference, Hedges\' g (continuous); GEN (generic)'
})
export const Method = Type.Union(['FE', 'DL', 'REML', 'PM', 'MH', 'PETO'].map((m) => Type.Literal(m)), {
  description: 'FE: fixed effect (inverse variance); DL, REML, PM: random effects with that tau² estimator; MH, PETO: binary input only'
})

const count = (description: string) => Type.Optional(Type.Number({ minimum: 0, description }))
const num = (description: string) => Type.Optional(Type.Number({ description }))

/**
 * One study of the input table: a label, optionally the article it reports
 * and its subgroup, and the numbers its input kind needs. The same shape
 * serves rows typed in, uploaded (one column per property) or mapped from
 * extraction fields.
 */
export const InputRow = Type.Object({
  label: Type.String({ minLength: 1, maxLength: 300, description: 'the study as the forest plot names it, unique in the table' }),
  articleId: Type.Optional(Nullable(Uuid)),
  group: Type.Optional(Nullable(Type.String({ maxLength: 200, description: 'subgroup' }))),
  events1: count('binary: events in the experimental arm'), total1: count('binary: participants in the experimental arm'),
  events2: count('binary: events in the control arm'), total2: count('binary: participants in the control arm'),
  mean1: num('continuous: mean, experimental arm'), sd1: count('continuous: SD, experimental arm'), n1: count('continuous: n, experimental arm'),
  mean2: num('continuous: mean, control arm'), sd2: count('continuous: SD, control arm'), n2: count('continuous: n, control arm'),
  yi: num('generic: effect estimate'), se: count('generic: its standard error'),
  lower: num('generic: lower confidence limit (instead of se)'), upper: num('generic: upper confidence limit (instead of se)'),
  ciLevel: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'generic: level of lower/upper, 0.95 unless said' }))
}, { additionalProperties: false })
export type InputRowValue = Static<typeof InputRow>

const optionProperties = {
  method: Method,
  test: Type.Optional(Type.Union([Type.Literal('z'), Type.Literal('knha')], { description: 'knha: Hartung–Knapp–Sidik–Jonkman' })),
  level: Type.Optional(Type.Number({ minimum: 0.5, exclusiveMaximum: 1, description: 'confidence level, 0.95 unless said' })),
  ratioScale: Type.Optional(Type.Boolean({ description: 'generic input of a ratio given on its natural scale (logs are taken)' })),
  leaveOneOut: Type.Optional(Type.Boolean({ description: 'compute leave-one-out refits (default: when k ≤ 200)' }))
}
export const AnalysisOptions = Type.Object(optionProperties)
export type AnalysisOptionsValue = Static<typeof AnalysisOptions>

export const AnalysisBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  kind: InputKind,
  measure: Measure,
  ...optionProperties,
  rows: Type.Optional(Type.Array(InputRow, { minItems: 1, maxItems: 10000, description: 'the input table; or give inputs instead' })),
  inputs: Type.Optional(ExtractionMapping)
}, { additionalProperties: false })
export type AnalysisBodyValue = Static<typeof AnalysisBody>

export const AnalysisPatch = Type.Partial(AnalysisBody, { additionalProperties: false, minProperties: 1 })
export type AnalysisPatchValue = Static<typeof AnalysisPatch>

/** The multipart body of `POST …/analyses/upload`: the table as a file, the rest as fields. */
export const AnalysisMultipart = {
  type: 'object',
  required: ['file', 'name', 'kind', 'measure', 'method'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'CSV or XLSX, one study per row, a header row naming the columns as the JSON rows do (label, articleId, group, events1…)' },
    name: { type: 'string' }, kind: { type: 'string', enum: ['binary', 'continuous', 'generic'] },
    measure: { type: 'string', enum: ['OR', 'RR', 'RD', 'MD', 'SMD', 'GEN'] }, method: { type: 'string', enum: ['FE', 'DL', 'REML', 'PM', 'MH', 'PETO'] },
    test: { type: 'string', enum: ['z', 'knha'] }, level: { type: 'string' }, ratioScale: { type: 'string', enum: ['true', 'false'] },
    leaveOneOut: { type: 'string', enum: ['true', 'false'] }
  }
}

export const ResultQuery = Type.Object({
  leaveOneOut: Type.Boolean({ default: false, description: 'include the leave-one-out refits' }),
  smallStudyEffects: Type.Boolean({ default: false, description: 'include Egger\'s tests and trim-and-fill' })
}, { additionalProperties: false })

export const AnalysisSummary = Type.Object({
  id: Type.String(), name: Type.String(), kind: Type.String(), measure: Type.String(), method: Type.String(), k: Type.Integer(),
  estimate: Type.Number(), ciLb: Type.Number(), ciUb: Type.Number(), libraryVersion: Type.String(),
  createdBy: Nullable(Type.String()), createdAt: Type.String(), updatedAt: Type.String()
})
export type AnalysisSummaryValue = Static<typeof AnalysisSummary>

export const Analysis = Type.Object({
  ...AnalysisSummary.properties,
  options: Type.Object({ ...optionProperties, method: Type.String(), test: Type.Optional(Type.String()) }),
  rows: Type.Array(InputRow),
  extractionInputs: Nullable(Type.Object({
    mapping: Type.Unknown({ description: 'the mapping as given (inputs)' }),
    gridVersion: Type.Integer({ description: 'the grid version when the rows were built' }),
    included: Type.Integer({ description: 'included studies considered' }),
    excluded: Type.Array(Type.Object({ articleId: Type.String(), label: Type.String(), reason: Type.String() }), { description: 'included studies left out, with the reason' }),
    resolvedAt: Type.String()
  }, { description: 'set when the rows were built from extraction fields' })),
  result: Type.Unknown({ description: 'the MetaAnalysisResult: studies, pooled, tau², I², H², Q with intervals, prediction interval, subgroups; leaveOneOut and smallStudyEffects when asked' })
})
export type AnalysisValue = Static<typeof Analysis>
