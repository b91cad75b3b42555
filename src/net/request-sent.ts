/**
 * When a rate-limited request actually leaves the process.
 *
 * A limiter records a request's start when it grants the slot; the request
 * reaches the socket later: after the caller's continuation runs, fetch's own
 * steps, a connection is opened, and whatever else the event loop (or a
 * starved CPU) makes it wait for. If that lag exceeds the limiter's safety
 * margin, the request lands in the API's next window together with the ones
 * granted for it, and the API refuses one (seen with three worker processes
 * sharing PubMed's 3/s through Redis on a loaded machine).
 *
 * Node's fetch (undici) publishes, on diagnostics channels, when it creates a
 * request (synchronously, in the caller's async context) and when it writes
 * the request's headers to the socket. `whenSent` runs a task so that every
 * request fetch makes within it calls `sent` at that write, and the limiter
 * moves the recorded start there. A fetch that is not undici's (a test's
 * `fetchImpl`) publishes nothing: its start stays the grant's time.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import diagnosticsChannel from 'node:diagnostics_channel'

const sentCallbacks = new AsyncLocalStorage<() => void>()
/** Requests created inside `whenSent`, until their headers are written. */
const pending = new WeakMap<object, () => void>()
let subscribed = false

interface UndiciRequestMessage { request: object }

function subscribe(): void {
  if (subscribed) return
  subscribed = true
  diagnosticsChannel.subscribe('undici:request:create', (message) => {
    const sent = sentCallbacks.getStore()
    if (sent) pending.set((message as UndiciRequestMessage).request, sent)
  })
  diagnosticsChannel.subscribe('undici:client:sendHeaders', (message) => {
    const { request } = message as UndiciRequestMessage
    const sent = pending.get(request)
    if (!sent) return
    pending.delete(request)
    sent()
  })
}

/** Runs `task`; each request Node's fetch sends within it calls `sent` as its headers are written to the socket. */
export function whenSent<T>(sent: () => void, task: () => Promise<T>): Promise<T> {
  subscribe()
  return sentCallbacks.run(sent, task)
}
