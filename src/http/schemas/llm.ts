import { Type } from '@sinclair/typebox'
import { Nullable, Uuid } from './common.ts'

export const Profile = Type.Object({
  id: Type.String(), name: Type.String(), description: Type.String(), preprocessModel: Type.String(), extractModel: Type.String(),
  synthesisModel: Type.String(), screeningModel: Type.String(), isCustom: Type.Boolean(), createdAt: Type.String()
})
export const ModelName = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$' })
const ProfileFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  preprocessModel: ModelName,
  extractModel: ModelName,
  synthesisModel: ModelName
}
export const ProfileBody = Type.Object({ id: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,59}$' })), ...ProfileFields }, { additionalProperties: false })
export const ProfilePatch = Type.Partial(Type.Object(ProfileFields), { additionalProperties: false, minProperties: 1 })
export const ProfileParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })

export const InstalledModel = Type.Object({
  name: Type.String(), size: Nullable(Type.Number()), modifiedAt: Nullable(Type.String()), family: Nullable(Type.String()), parameterSize: Nullable(Type.String())
})
export const PullBody = Type.Object({ model: ModelName }, { additionalProperties: false })

export const PromptKind = Type.Union([Type.Literal('screening'), Type.Literal('extraction')])
export const Prompt = Type.Object({
  id: Type.String(), key: Nullable(Type.String()), kind: Type.String(), name: Type.String(), template: Type.String(),
  isDefault: Type.Boolean(), placeholders: Type.Array(Type.String()), createdAt: Type.String()
})
export const PromptParams = Type.Object({ id: Uuid })
export const PromptQuery = Type.Object({ kind: Type.Optional(PromptKind) }, { additionalProperties: false })
export const PromptBody = Type.Object({ kind: PromptKind, name: Type.String({ minLength: 1, maxLength: 200 }), template: Type.String({ minLength: 1, maxLength: 50000 }) }, { additionalProperties: false })
export const PromptPatch = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), template: Type.Optional(Type.String({ minLength: 1, maxLength: 50000 }))
}, { additionalProperties: false, minProperties: 1 })
