import { useQuery } from '@tanstack/react-query'
import { useParams } from 'react-router'
import { api, ok } from './api/client'

export function useProjectId(): string {
  return useParams().projectId!
}

/** The project (with the caller's role), shared by every screen of it. */
export function useProject(projectId: string) {
  return useQuery({
    queryKey: ['project', projectId],
    queryFn: async () => ok(await api.GET('/api/projects/{projectId}', { params: { path: { projectId } } }))
  })
}

export const canReview = (role: string | undefined) => role === 'owner' || role === 'reviewer'
