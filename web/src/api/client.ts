/**
 * The typed API client: openapi-fetch over the types generated from the
 * service's OpenAPI document (schema.d.ts, `npm run api:generate`). The
 * session is an httpOnly cookie (never a token in storage); writes carry the
 * CSRF header the service requires of cookie-authenticated requests.
 */
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'

export const CSRF_HEADER = 'x-analylit-csrf'

/** An API error with the service's message (and field, for a 400 naming one). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string) {
    super(message)
  }
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method)) request.headers.set(CSRF_HEADER, '1')
    return request
  }
}

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' })
api.use(csrf)

/** The data of an openapi-fetch result, or an ApiError built from the error body. */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T
  throw toApiError(result.response.status, result.error)
}

export function toApiError(status: number, body: unknown): ApiError {
  const b = (body && typeof body === 'object' ? body : {}) as { message?: unknown; field?: unknown }
  return new ApiError(status, typeof b.message === 'string' ? b.message : `HTTP ${status}`, typeof b.field === 'string' ? b.field : undefined)
}

/**
 * A request by path for the routes whose responses the OpenAPI document does
 * not describe yet (and the sign-in routes): same cookie, same CSRF header,
 * same errors. `T` is the shape the UI reads.
 */
export async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {}
  if (body !== undefined && !(body instanceof FormData)) headers['content-type'] = 'application/json'
  if (!['GET', 'HEAD'].includes(method)) headers[CSRF_HEADER] = '1'
  const response = await fetch(url, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body)
  })
  const text = await response.text()
  const parsed = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text
  if (!response.ok) throw toApiError(response.status, parsed)
  return parsed as T
}
