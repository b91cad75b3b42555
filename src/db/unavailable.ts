/** Telling a database that cannot serve now from a fault of the request or of the code. */
/** SQLSTATEs meaning the database cannot serve now: shutting down, starting up, overloaded, connection lost, statement timeout. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014', '53300', '08000', '08001', '08003', '08004', '08006'])
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
/** Messages of the pg driver and pool when the server is unreachable or does not answer. */
const UNAVAILABLE_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|Query read timeout|not queryable|Connection closed/i

/**
 * Whether an error means the database is unreachable, unresponsive or
 * restarting (the client should retry), rather than a fault of the request
 * or of the code. Looks through drizzle's query wrapper at the driver error.
 */
export function databaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  // drizzle's DrizzleQueryError carries the failed query and the driver error as its cause.
  const wrapper = typeof (err as { query?: unknown }).query === 'string' && 'params' in err
  if (wrapper || err instanceof AggregateError) {
    const inner = err instanceof AggregateError ? err.errors : [err.cause]
    if (inner.some(databaseUnavailable)) return true
  }
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code))) return true
  return !wrapper && UNAVAILABLE_MESSAGES.test(err.message)
}
