import { Type, type Static } from '@sinclair/typebox'

export const ProjectRole = Type.Union([Type.Literal('owner'), Type.Literal('reviewer'), Type.Literal('viewer')])
export type ProjectRole = Static<typeof ProjectRole>

export const PicoCriteria = Type.Object({
  kind: Type.Literal('pico'),
  population: Type.Optional(Type.String()),
  intervention: Type.Optional(Type.String()),
  comparison: Type.Optional(Type.String()),
  outcome: Type.Optional(Type.String()),
  studyDesign: Type.Optional(Type.String()),
  inclusion: Type.Optional(Type.Array(Type.String())),
  exclusion: Type.Optional(Type.Array(Type.String()))
}, { additionalProperties: false })
export const TextCriteria = Type.Object({ kind: Type.Literal('text'), text: Type.String() }, { additionalProperties: false })
export const Criteria = Type.Union([PicoCriteria, TextCriteria, Type.Object({}, { additionalProperties: false })])

export const ReviewType = Type.Union([Type.Literal('systematic'), Type.Literal('scoping')])

export const ProjectBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 300 }),
  description: Type.Optional(Type.String({ maxLength: 20000 })),
  reviewType: Type.Optional(ReviewType),
  question: Type.Optional(Type.String({ maxLength: 20000 })),
  criteria: Type.Optional(Criteria)
}, { additionalProperties: false })
export const ProjectPatch = Type.Partial(ProjectBody, { additionalProperties: false, minProperties: 1 })
export type ProjectInput = Static<typeof ProjectPatch>

export const Project = Type.Object({
  id: Type.String(), name: Type.String(), description: Type.String(), reviewType: ReviewType, question: Type.String(),
  criteria: Type.Unknown(), role: ProjectRole, createdAt: Type.String(), updatedAt: Type.String()
})
export type ProjectView = Static<typeof Project>

export const Member = Type.Object({ userId: Type.String(), email: Type.String(), name: Type.String(), role: ProjectRole })
export const MemberBody = Type.Object({ email: Type.String({ format: 'email', maxLength: 320 }), role: ProjectRole }, { additionalProperties: false })

/** PRISMA 2020 flow counts (the shape is built by src/services/prisma.ts). */
export const PrismaCounts = Type.Object({}, { additionalProperties: true, description: 'identification, duplicates, screening and inclusion counts' })
