import { Type, type Static } from '@sinclair/typebox'
import { EXPORT_FORMATS } from '../../export/index.ts'
import { DecisionFilter, Stage } from './common.ts'
import { ToolId } from './appraisal.ts'

export const ExportQuery = Type.Object({
  format: Type.Union(Object.keys(EXPORT_FORMATS).map((f) => Type.Literal(f))),
  decision: Type.Optional(DecisionFilter),
  stage: Type.Optional(Stage),
  includeDuplicates: Type.Boolean({ default: false }),
  include: Type.Optional(Type.String({
    pattern: '^\\s*(extraction|rob)\\s*(,\\s*(extraction|rob)\\s*)?$',
    description: 'also export each article\'s data extraction (with gridId) and/or risk-of-bias judgements (with robTool): consensus where there is one, else the reviewer\'s complete one',
    examples: ['extraction,rob']
  })),
  gridId: Type.Optional(Type.String({ format: 'uuid', description: 'the extraction grid (include=extraction)' })),
  robTool: Type.Optional(ToolId),
  reviewer: Type.Optional(Type.String({ format: 'uuid', description: 'whose complete extraction/assessment to use where there is no consensus (default: the caller)' }))
}, { additionalProperties: false })
export type ExportQuery = Static<typeof ExportQuery>
