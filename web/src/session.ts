import { useQuery } from '@tanstack/react-query'
import { ApiError, call } from './api/client'
import type { User } from './api/types'

/** The signed-in user (GET /api/me with the session cookie), or null when signed out. */
export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        return await call<User>('GET', '/api/me')
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null
        throw err
      }
    },
    staleTime: 60_000
  })
}
