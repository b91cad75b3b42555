import { Type } from '@sinclair/typebox'
import { CONCEPT_KINDS, DIMENSIONS } from '../../synthesis/descriptive/index.ts'

export const RecordSetParam = Type.Union([Type.Literal('included'), Type.Literal('screened'), Type.Literal('all')], {
  default: 'included', description: 'included (at full text; at title/abstract while no full-text decision exists), screened (settled at title/abstract) or all live records'
})
export const DimensionParam = Type.Union(DIMENSIONS.map((d) => Type.Literal(d)))

export const StatisticsQuery = Type.Object({
  set: RecordSetParam,
  by: Type.Optional(DimensionParam),
  by2: Type.Optional(DimensionParam),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'values (or pairs) per dimension, most frequent first' })
}, { additionalProperties: false })

export const ChartQuery = Type.Object({
  set: RecordSetParam,
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 30 })
}, { additionalProperties: false })

const Count = Type.Object({ value: Type.String(), count: Type.Integer() })
const IncludedAt = Type.Optional(Type.Union([Type.Literal('full_text'), Type.Literal('title_abstract')]))

export const Statistics = Type.Object({
  set: Type.String(),
  includedAt: IncludedAt,
  total: Type.Integer({ description: 'records in the set' }),
  dimensions: Type.Record(Type.String(), Type.Object({
    counts: Type.Array(Count), missing: Type.Integer({ description: 'records without a value' }), distinct: Type.Integer()
  })),
  crosstab: Type.Optional(Type.Object({
    by: Type.String(), by2: Type.String(),
    cells: Type.Array(Type.Object({ value: Type.String(), value2: Type.String(), count: Type.Integer() }))
  }))
})

export const ConceptsQuery = Type.Object({
  set: RecordSetParam,
  minCount: Type.Integer({ minimum: 1, default: 1, description: 'leave out keywords and co-occurrences of fewer records' }),
  maxNodes: Type.Integer({ minimum: 1, maximum: 2000, default: 300, description: 'the most frequent keywords kept' }),
  extraction: Type.Boolean({ default: true, description: 'add the categorical values (choices, yes/no) of each record\'s extraction as "Field: value" (kind "extraction-value"; id "x:" and the key)' }),
  llm: Type.Boolean({ default: false, description: 'add the concepts of the latest LLM concept run (POST /concepts/llm) that are quoted from their study (kind "llm-concept")' }),
  format: Type.Union([Type.Literal('json'), Type.Literal('graphml')], { default: 'json' })
}, { additionalProperties: false })

export const Concepts = Type.Object({
  set: Type.String(),
  includedAt: IncludedAt,
  records: Type.Integer(),
  nodes: Type.Array(Type.Object({
    id: Type.String({ description: 'a keyword\'s comparison key; "llm:" and the key for an LLM concept' }), label: Type.String(), count: Type.Integer(),
    kind: Type.Union([Type.Literal(CONCEPT_KINDS[0]), Type.Literal(CONCEPT_KINDS[1]), Type.Literal(CONCEPT_KINDS[2])])
  })),
  edges: Type.Array(Type.Object({ source: Type.String(), target: Type.String(), count: Type.Integer() }))
})
