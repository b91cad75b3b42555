/**
 * Domain errors: what went wrong, in the service's own terms. Services and
 * domain modules throw these; the one error handler (src/app.ts) maps each
 * kind to its HTTP status, so no code below the routes speaks HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'not_found' | 'forbidden' | 'unauthenticated' | 'conflict' | 'invalid' | 'too_large' | 'unsupported' | 'unprocessable' | 'rate_limited' | 'unavailable' | 'upstream_failed' | 'gone'
  /** The request field the error is about (a body property, a query parameter), when there is one. */
  readonly field?: string
  constructor(message: string, field?: string) {
    super(message)
    this.name = new.target.name
    if (field !== undefined) this.field = field
  }
}

/** The thing asked for does not exist, or the caller may not know it exists. */
export class NotFound extends DomainError { readonly kind = 'not_found' }
/** No valid credentials. */
export class Unauthenticated extends DomainError { readonly kind = 'unauthenticated' }
/** The caller is known but their role does not allow this. */
export class Forbidden extends DomainError { readonly kind = 'forbidden' }
/** The request contradicts the current state (already exists, wrong stage, not configured). */
export class Conflict extends DomainError { readonly kind = 'conflict' }
/** The input is malformed or out of range; `field` names it. */
export class Invalid extends DomainError { readonly kind = 'invalid' }
/** The input is larger than a configured limit. */
export class TooLarge extends DomainError { readonly kind = 'too_large' }
/** The thing asked for existed but is no longer usable (a used or expired link). */
export class Gone extends DomainError { readonly kind = 'gone' }
/** The input's type or format is not one the service reads. */
export class Unsupported extends DomainError { readonly kind = 'unsupported' }
/** The input is well formed but its content cannot be used (an empty file, a file that is not a bibliography). */
export class Unprocessable extends DomainError { readonly kind = 'unprocessable' }
/** Too many requests for now; retry after `retryAfterSeconds`. */
export class RateLimited extends DomainError {
  readonly kind = 'rate_limited'
  constructor(message: string, readonly retryAfterSeconds: number, field?: string) { super(message, field) }
}
/** A dependency (database, queue, upstream) cannot serve now; nothing was created; retry after `retryAfterSeconds`. */
export class Unavailable extends DomainError {
  readonly kind = 'unavailable'
  constructor(message: string, readonly retryAfterSeconds = 5, field?: string) { super(message, field) }
}

/** A service this one relies on (an LLM server, a bibliographic API) answered with an error or not at all. */
export class UpstreamFailed extends DomainError { readonly kind = 'upstream_failed' }

/** HTTP status of each kind of domain error. */
export const STATUS_OF_KIND: Record<DomainError['kind'], number> = {
  not_found: 404, unauthenticated: 401, forbidden: 403, conflict: 409, invalid: 400,
  too_large: 413, unsupported: 415, unprocessable: 422, rate_limited: 429, unavailable: 503, upstream_failed: 502, gone: 410
}
