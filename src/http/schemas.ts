/** TypeBox schemas shared by route files (kept out of routes/, which autoload reads entirely). */
import { Type } from '@sinclair/typebox'

export const Uuid = Type.String({ format: 'uuid' })
export const ProjectParams = Type.Object({ projectId: Uuid })

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

export const ProjectBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 300 }),
  description: Type.Optional(Type.String({ maxLength: 20000 })),
  reviewType: Type.Optional(Type.Union([Type.Literal('systematic'), Type.Literal('scoping')])),
  question: Type.Optional(Type.String({ maxLength: 20000 })),
  criteria: Type.Optional(Criteria)
}, { additionalProperties: false })
export const ProjectPatch = Type.Partial(ProjectBody, { additionalProperties: false, minProperties: 1 })

export const Project = Type.Object({
  id: Type.String(), name: Type.String(), description: Type.String(), reviewType: Type.String(), question: Type.String(),
  criteria: Type.Unknown(), role: Type.String(), createdAt: Type.String(), updatedAt: Type.String()
})

export const Task = Type.Object({
  id: Type.String(), projectId: Type.Union([Type.String(), Type.Null()]), type: Type.String(), status: Type.String(),
  progress: Type.Number(), message: Type.Union([Type.String(), Type.Null()]), result: Type.Unknown(),
  error: Type.Union([Type.String(), Type.Null()]), attempts: Type.Integer(), createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(), startedAt: Type.Union([Type.String(), Type.Null()]), finishedAt: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String()
})

export const DecisionValue = Type.Union([Type.Literal('include'), Type.Literal('exclude'), Type.Literal('maybe')])
export const Stage = Type.Union([Type.Literal('title_abstract'), Type.Literal('full_text')])


export const UserSchema = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), isAdmin: Type.Boolean() })
export const ApiToken = Type.Object({
  id: Type.String(), name: Type.String(), createdAt: Type.String(), lastUsedAt: Type.Union([Type.String(), Type.Null()]), current: Type.Optional(Type.Boolean())
})
