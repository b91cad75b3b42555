/**
 * Project-scoped event hub. Locally an EventEmitter; with Redis, every
 * published event goes through a Redis channel so that clients connected to
 * any instance receive events produced by any web or worker process.
 */
import { EventEmitter } from 'node:events'
import type { Redis } from 'ioredis'

export interface ProjectEvent {
  type: string
  projectId: string
  [key: string]: unknown
}

export type EventListener = (event: ProjectEvent) => void

/**
 * A user lost access: one token (`tokenId`), one project (`projectId`), or
 * everything (neither: the account was removed). Every process holding
 * WebSockets of that user re-checks or closes them.
 */
export interface AccessRevoked {
  userId: string
  tokenId?: string
  projectId?: string
}

export type AccessListener = (change: AccessRevoked) => void

export interface EventHub {
  publish(event: ProjectEvent): Promise<void>
  subscribe(projectId: string, listener: EventListener): () => void
  /** Tells every process that a user lost access (see AccessRevoked). */
  revokeAccess(change: AccessRevoked): Promise<void>
  onAccessRevoked(listener: AccessListener): () => void
  close(): Promise<void>
}

const ACCESS_REVOKED = 'access.revoked'
/** Access changes travel on the project events' channel under this type, dispatched apart from project events. */
const ACCESS_KEY = Symbol(ACCESS_REVOKED)

class LocalDispatch {
  private readonly emitter = new EventEmitter()
  constructor() { this.emitter.setMaxListeners(0) }
  dispatch(event: ProjectEvent): void { this.emitter.emit(event.projectId, event) }
  subscribe(projectId: string, listener: EventListener): () => void {
    this.emitter.on(projectId, listener)
    return () => { this.emitter.off(projectId, listener) }
  }

  dispatchAccess(change: AccessRevoked): void { this.emitter.emit(ACCESS_KEY, change) }
  onAccess(listener: AccessListener): () => void {
    this.emitter.on(ACCESS_KEY, listener)
    return () => { this.emitter.off(ACCESS_KEY, listener) }
  }
}

function accessChange(change: AccessRevoked): AccessRevoked {
  return { userId: change.userId, tokenId: change.tokenId, projectId: change.projectId }
}

export function createLocalEventHub(): EventHub {
  const local = new LocalDispatch()
  return {
    async publish(event) { local.dispatch(event) },
    subscribe: (projectId, listener) => local.subscribe(projectId, listener),
    async revokeAccess(change) { local.dispatchAccess(accessChange(change)) },
    onAccessRevoked: (listener) => local.onAccess(listener),
    async close() {}
  }
}

/**
 * `publisher` is a regular connection; `subscriber` must be a dedicated
 * connection, since a Redis connection in subscriber mode can run no other
 * command. The hub owns and closes the subscriber only.
 */
export async function createRedisEventHub(publisher: Redis, subscriber: Redis, channel: string): Promise<EventHub> {
  const local = new LocalDispatch()
  subscriber.on('message', (ch: string, message: string) => {
    if (ch !== channel) return
    try {
      const parsed = JSON.parse(message) as ProjectEvent | (AccessRevoked & { type: typeof ACCESS_REVOKED })
      if (parsed.type === ACCESS_REVOKED) {
        if (typeof parsed.userId === 'string') local.dispatchAccess(accessChange(parsed as AccessRevoked))
      } else local.dispatch(parsed as ProjectEvent)
    } catch {
      // a foreign or truncated message on our channel is ignored
    }
  })
  await subscriber.subscribe(channel)
  return {
    async publish(event) { await publisher.publish(channel, JSON.stringify(event)) },
    subscribe: (projectId, listener) => local.subscribe(projectId, listener),
    async revokeAccess(change) { await publisher.publish(channel, JSON.stringify({ type: ACCESS_REVOKED, ...accessChange(change) })) },
    onAccessRevoked: (listener) => local.onAccess(listener),
    async close() { subscriber.disconnect() }
  }
}
