/** An error meant for the API client: its status and message are sent as they are. */
export class HttpError extends Error {
  constructor (readonly statusCode: number, message: string, readonly field?: string, readonly headers?: Record<string, string>) {
    super(message)
  }
}

/** 503 with Retry-After: a dependency (the task queue) is down for now; nothing was created. */
export class ServiceUnavailableError extends HttpError {
  constructor (message: string, retryAfterSeconds: number) {
    super(503, message, undefined, { 'retry-after': String(retryAfterSeconds) })
  }
}
