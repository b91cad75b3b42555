import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Uuid } from './common.ts'

export const TaskStatus = Type.Union(['queued', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => Type.Literal(s)))

export const Task = Type.Object({
  id: Type.String(), projectId: Nullable(Type.String()), type: Type.String(), status: Type.String(),
  progress: Type.Number(), message: Nullable(Type.String()), result: Type.Unknown(),
  error: Nullable(Type.String()), attempts: Type.Integer(), createdBy: Nullable(Type.String()),
  createdAt: Type.String(), startedAt: Nullable(Type.String()), finishedAt: Nullable(Type.String()),
  updatedAt: Type.String()
})
export type TaskView = Static<typeof Task>

export const TaskParams = Type.Object({ taskId: Uuid })
