/** Extraction grids, extractions, consensus, agreement and the extraction table. */
import { Type, type Static } from '@sinclair/typebox'
import { GridInput, SimpleGrid } from '../../extraction/grid.ts'
import { Nullable, Uuid } from './common.ts'

export const GridParams = Type.Object({ projectId: Uuid, gridId: Uuid })
export const GridVersionQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, description: 'a version of the grid (default: the current one)' })) }, { additionalProperties: false })

/** Either format: the rich one (sections of typed fields) or the original AnalyLit's `{ name, fields: ["Field", …] }`. */
export const GridDefinition = Type.Union([GridInput, SimpleGrid], { description: 'rich grid (sections of typed fields) or simple grid { name, fields: ["Field", …] }' })

export const GridCreateBody = Type.Object({
  definition: Type.Optional(GridDefinition),
  templateKey: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'a seeded grid template, e.g. "atn-standard"', examples: ['atn-standard'] }))
}, { additionalProperties: false, description: 'exactly one of definition and templateKey' })
export const GridUpdateBody = Type.Object({ definition: GridDefinition }, { additionalProperties: false })

const GridView = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true, description: 'the grid in the rich format, every field with its key' })
export const Grid = Type.Object({
  id: Type.String(), name: Type.String(), currentVersion: Type.Integer(), version: Type.Integer({ description: 'the version shown' }),
  definition: GridView, inUse: Type.Boolean({ description: 'extractions use this version: an edit creates a new version' }),
  createdAt: Type.String(), updatedAt: Type.String()
})
export const GridSummary = Type.Object({ id: Type.String(), name: Type.String(), currentVersion: Type.Integer(), fields: Type.Integer(), extractions: Type.Integer(), createdAt: Type.String(), updatedAt: Type.String() })
export const GridVersion = Type.Object({ version: Type.Integer(), fields: Type.Integer(), extractions: Type.Integer(), createdAt: Type.String() })

export const FieldValue = Type.Object({
  value: Type.Optional(Type.Unknown({ description: 'the value, of the field\'s type (null or absent when not reported)' })),
  notReported: Type.Optional(Type.Boolean({ description: 'the article does not report it' })),
  quote: Type.Optional(Type.String({ maxLength: 5000, description: 'a verbatim supporting passage' })),
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, description: 'the page of the quote (0: title and abstract)' })),
  quoteUnverified: Type.Optional(Type.Boolean({ description: 'LLM extraction: the quote was not found in the text' })),
  invalidValue: Type.Optional(Type.Unknown({ description: 'LLM extraction: the model\'s value, which does not fit the field\'s type (value is then empty)' })),
  problem: Type.Optional(Type.String({ maxLength: 2000, description: 'LLM extraction: why invalidValue was refused' }))
}, { additionalProperties: false })
export const ExtractionValues = Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), FieldValue, { maxProperties: 1000 })

export const ExtractionStatus = Type.Union([Type.Literal('draft'), Type.Literal('complete')])
export const ExtractionBody = Type.Object({
  gridId: Uuid,
  status: Type.Optional(Type.Union(ExtractionStatus.anyOf, { default: 'draft', description: 'complete: required fields must have a value or be marked not reported' })),
  values: ExtractionValues
}, { additionalProperties: false })
export type ExtractionRequest = Static<typeof ExtractionBody>
export const ConsensusBody = Type.Object({
  gridId: Uuid,
  values: ExtractionValues,
  note: Type.Optional(Type.String({ maxLength: 10000 }))
}, { additionalProperties: false })
export type ConsensusRequest = Static<typeof ConsensusBody>

export const Extraction = Type.Object({
  id: Type.String(), articleId: Type.String(), gridId: Type.String(), gridVersion: Type.Integer(),
  reviewerId: Type.String(), reviewerEmail: Type.String(), reviewerKind: Type.String(),
  status: Type.String(), values: ExtractionValues, origin: Type.String(),
  run: Nullable(Type.Object({}, { additionalProperties: true, description: 'LLM: model, digest, prompt version, options' })),
  createdAt: Type.String(), updatedAt: Type.String()
})
export const Consensus = Type.Object({
  id: Type.String(), articleId: Type.String(), gridId: Type.String(), gridVersion: Type.Integer(), values: ExtractionValues,
  note: Nullable(Type.String()), decidedBy: Nullable(Type.String()), createdAt: Type.String(), updatedAt: Type.String()
})
export const ArticleExtractions = Type.Object({
  extractions: Type.Array(Extraction),
  hidden: Type.Integer({ description: 'other reviewers\' extractions not shown yet (blind until both are complete)' }),
  consensus: Type.Array(Consensus)
})
export const ExtractionQuery = Type.Object({ gridId: Type.Optional(Uuid) }, { additionalProperties: false })
export const GridQuery = Type.Object({ gridId: Uuid }, { additionalProperties: false })

export const HistoryEntry = Type.Object({
  id: Type.String(), kind: Type.String(), gridId: Type.String(), gridVersion: Type.Integer(), reviewerId: Nullable(Type.String()),
  status: Type.String(), values: ExtractionValues, origin: Type.String(), note: Nullable(Type.String()), createdAt: Type.String()
})

export const Comparison = Type.Object({
  articleId: Type.String(), gridId: Type.String(),
  reviewers: Type.Array(Type.Object({ id: Type.String(), email: Type.String(), kind: Type.String(), gridVersion: Type.Integer() })),
  conflicts: Type.Integer(),
  fields: Type.Array(Type.Object({
    key: Type.String(), label: Type.String(), type: Type.String(), agree: Type.Boolean(),
    values: Type.Array(Type.Object({ reviewerId: Type.String(), entry: Nullable(FieldValue) }))
  })),
  consensus: Nullable(Consensus)
})

export const FieldAgreement = Type.Object({
  key: Type.String(), label: Type.String(), type: Type.String(),
  items: Type.Integer({ description: 'articles with two or more complete extractions' }),
  percentAgreement: Nullable(Type.Number({ description: 'articles where every reviewer gave the same value, in percent' })),
  pairs: Type.Array(Type.Object({
    reviewerA: Type.String(), reviewerB: Type.String(), items: Type.Integer(), percentAgreement: Nullable(Type.Number()),
    kappa: Nullable(Type.Number({ description: 'Cohen\'s kappa (boolean and single-choice fields)' })), interpretation: Nullable(Type.String())
  }))
})
export const ExtractionAgreement = Type.Object({
  gridId: Type.String(), reviewers: Type.Array(Type.Object({ id: Type.String(), email: Type.String(), kind: Type.String(), completed: Type.Integer() })),
  fields: Type.Array(FieldAgreement)
})

export const ExtractionExportQuery = Type.Object({
  gridId: Uuid,
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { default: 'csv' }),
  variant: Type.Union([Type.Literal('consensus'), Type.Literal('reviewers'), Type.Literal('llm')], { default: 'consensus', description: 'consensus values, each human reviewer\'s extraction, or the models\'' })
}, { additionalProperties: false })
export type ExtractionExportRequest = Static<typeof ExtractionExportQuery>
