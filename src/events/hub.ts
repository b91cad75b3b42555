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

export interface EventHub {
  publish(event: ProjectEvent): Promise<void>
  subscribe(projectId: string, listener: EventListener): () => void
  close(): Promise<void>
}

class LocalDispatch {
  private readonly emitter = new EventEmitter()
  constructor () { this.emitter.setMaxListeners(0) }
  dispatch (event: ProjectEvent): void { this.emitter.emit(event.projectId, event) }
  subscribe (projectId: string, listener: EventListener): () => void {
    this.emitter.on(projectId, listener)
    return () => { this.emitter.off(projectId, listener) }
  }
}

export function createLocalEventHub(): EventHub {
  const local = new LocalDispatch()
  return {
    async publish (event) { local.dispatch(event) },
    subscribe: (projectId, listener) => local.subscribe(projectId, listener),
    async close () {}
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
      local.dispatch(JSON.parse(message) as ProjectEvent)
    } catch {
      // a foreign or truncated message on our channel is ignored
    }
  })
  await subscriber.subscribe(channel)
  return {
    async publish (event) { await publisher.publish(channel, JSON.stringify(event)) },
    subscribe: (projectId, listener) => local.subscribe(projectId, listener),
    async close () { subscriber.disconnect() }
  }
}
