import { Type } from '@sinclair/typebox'
import { Nullable, Uuid } from './common.ts'

export const User = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), isAdmin: Type.Boolean() })
export const ApiToken = Type.Object({
  id: Type.String(), name: Type.String(), createdAt: Type.String(), lastUsedAt: Nullable(Type.String()), current: Type.Optional(Type.Boolean())
})
export const IssuedToken = Type.Object({ id: Type.String(), token: Type.String() })
export const TokenBody = Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false })
export const UserBody = Type.Object({
  email: Type.String({ format: 'email', maxLength: 320 }), name: Type.Optional(Type.String({ maxLength: 200 })), isAdmin: Type.Optional(Type.Boolean())
}, { additionalProperties: false })
export const CreatedUser = Type.Object({ user: User, token: Type.String() })
export const UserParams = Type.Object({ userId: Uuid })
export const TokenParams = Type.Object({ tokenId: Uuid })
export const UserTokenParams = Type.Object({ userId: Uuid, tokenId: Uuid })
