/** PRISMA 2020 shapes: manual overrides, the records of a box, reporting checklists. */
import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Uuid } from './common.ts'

const Override = Type.Object({
  n: Type.Integer({ minimum: 0, maximum: 100_000_000, examples: [12] }),
  note: Type.String({ minLength: 1, maxLength: 2000, examples: ['reports requested from the authors, no answer'] })
}, { additionalProperties: false, description: 'a count entered by hand, with why' })

export const PrismaOverrides = Type.Object({
  automation: Type.Optional(Override),
  otherRemoved: Type.Optional(Override),
  notRetrieved: Type.Optional(Override),
  studiesIncluded: Type.Optional(Override),
  previous: Type.Optional(Type.Object({ studies: Override, reports: Override }, { additionalProperties: false })),
  otherSources: Type.Optional(Type.Array(Type.Object({
    name: Type.String({ minLength: 1, maxLength: 200, examples: ['Websites'] }), n: Override
  }, { additionalProperties: false }), { maxItems: 50 }))
}, { additionalProperties: false, description: 'counts of boxes the records cannot tell; the whole set is replaced on PUT' })
export type PrismaOverrides = Static<typeof PrismaOverrides>

export const PrismaBoxName = Type.Union(['identified', 'duplicates', 'screened', 'screenedExcluded', 'sought', 'notRetrieved', 'assessed', 'excluded', 'included']
  .map((b) => Type.Literal(b)))

export const PrismaRecordsQuery = Type.Object({
  box: PrismaBoxName,
  kind: Type.Optional(Type.String({ maxLength: 50, description: 'box=identified: the source kind (file, search, citations, identifiers, other)' })),
  database: Type.Optional(Type.String({ maxLength: 500, description: 'box=identified: the database ("" for none stated)' })),
  reason: Type.Optional(Type.String({ maxLength: 500, description: 'box=excluded: one exclusion reason' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 }))
}, { additionalProperties: false })

export const PrismaRecords = Type.Object({ box: Type.String(), total: Type.Integer(), offset: Type.Integer(), ids: Type.Array(Uuid) })

export const ChecklistParams = Type.Object({ projectId: Uuid, checklist: Type.String({ maxLength: 100, examples: ['prisma-2020'] }) })

export const ChecklistSummary = Type.Object({ id: Type.String(), name: Type.String(), source: Type.String(), items: Type.Integer() })

const ItemStatus = Type.Union([Type.Literal('reported'), Type.Literal('not_reported'), Type.Literal('not_applicable')])

export const ChecklistView = Type.Object({
  checklist: Type.String(),
  name: Type.String(),
  updatedAt: Nullable(Type.String()),
  items: Type.Array(Type.Object({
    id: Type.String(), section: Type.String(), topic: Type.String(), text: Type.String(), optional: Type.Boolean(),
    status: Nullable(ItemStatus), location: Type.String(), notes: Type.String(), evidence: Nullable(Type.String()), prefilled: Type.Boolean()
  }))
})

export const ChecklistUpdate = Type.Object({
  items: Type.Array(Type.Object({
    id: Type.String({ minLength: 1, maxLength: 20, examples: ['7'] }),
    status: Type.Optional(Nullable(ItemStatus)),
    location: Type.Optional(Type.String({ maxLength: 1000, examples: ['Methods, p. 6'] })),
    notes: Type.Optional(Type.String({ maxLength: 10000 })),
    evidence: Type.Optional(Nullable(Type.String({ maxLength: 20000, description: 'what you write replaces the pre-filled text; null gives it back' })))
  }, { additionalProperties: false }), { minItems: 1, maxItems: 200 })
}, { additionalProperties: false })
export type ChecklistUpdate = Static<typeof ChecklistUpdate>

export const ChecklistExportQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx'), Type.Literal('docx')], { default: 'csv' })),
  language: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('fr')], { default: 'en', description: 'language of the DOCX table\'s headings and statuses' }))
}, { additionalProperties: false })
