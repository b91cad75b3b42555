/**
 * The project subscriptions of one WebSocket, kept in step with its user's
 * access. Access is checked when subscribing, re-checked at once when the
 * hub reports a revocation for the user (from any process), and again before
 * delivering an event once the last check is older than `recheckMs` (in case
 * a revocation notice was lost, e.g. across a Redis reconnection). A socket
 * whose token is gone is closed; a subscription to a project the user left
 * ends with an `unsubscribed` message.
 */
import type { AccessRevoked, EventHub, ProjectEvent } from './hub.ts'

export interface AccessChecks {
  tokenActive(tokenId: string): Promise<boolean>
  isMember(userId: string, projectId: string): Promise<boolean>
}

export interface SocketAccessOptions {
  userId: string
  tokenId: string
  hub: EventHub
  checks: AccessChecks
  send: (message: unknown) => void
  /** Closes the socket (policy violation). */
  close: (reason: string) => void
  recheckMs?: number
}

interface Subscription { unsubscribe: () => void; checkedAt: number }

export class SocketAccess {
  private readonly subscriptions = new Map<string, Subscription>()
  /** Deliveries and re-checks run in order, so no event overtakes the revocation that precedes it. */
  private queue: Promise<void> = Promise.resolve()
  private closed = false

  constructor(private readonly opts: SocketAccessOptions) {}

  get userId(): string { return this.opts.userId }

  has(projectId: string): boolean { return this.subscriptions.has(projectId) }

  /**
   * Subscribes when `allowed` resolves true. The check runs in turn with
   * revocations, so one that arrives while checking is applied after it.
   */
  subscribe(projectId: string, allowed: () => Promise<boolean>): Promise<boolean> {
    return new Promise((resolve) => {
      let subscribed = false
      this.enqueue(async () => {
        try {
          if (this.closed || !await allowed() || this.closed) return
          if (!this.subscriptions.has(projectId)) {
            const unsubscribe = this.opts.hub.subscribe(projectId, (event) => this.enqueue(() => this.deliver(projectId, event)))
            this.subscriptions.set(projectId, { unsubscribe, checkedAt: Date.now() })
          }
          subscribed = true
        } finally {
          resolve(subscribed)
        }
      })
    })
  }

  unsubscribe(projectId: string): void {
    this.subscriptions.get(projectId)?.unsubscribe()
    this.subscriptions.delete(projectId)
  }

  /** Ends every subscription (the socket closed). */
  dispose(): void {
    this.closed = true
    for (const projectId of [...this.subscriptions.keys()]) this.unsubscribe(projectId)
  }

  /** Called for every revocation the hub reports; ignores other users'. */
  revoked(change: AccessRevoked): void {
    if (change.userId !== this.opts.userId || this.closed) return
    if (change.tokenId !== undefined && change.tokenId !== this.opts.tokenId) return
    this.enqueue(async () => {
      if (change.tokenId !== undefined) return this.shut('token revoked')
      const projectIds = change.projectId !== undefined ? [change.projectId] : [...this.subscriptions.keys()]
      if (change.projectId === undefined && !await this.opts.checks.tokenActive(this.opts.tokenId)) return this.shut('token revoked')
      for (const projectId of projectIds) if (this.subscriptions.has(projectId)) await this.recheck(projectId)
    })
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch(() => {
      // A failed check (database unreachable) drops nothing: the next event re-checks.
    })
  }

  private async deliver(projectId: string, event: ProjectEvent): Promise<void> {
    const subscription = this.subscriptions.get(projectId)
    if (!subscription || this.closed) return
    if (Date.now() - subscription.checkedAt > (this.opts.recheckMs ?? 30_000)) {
      if (!await this.opts.checks.tokenActive(this.opts.tokenId)) return this.shut('token revoked')
      if (!await this.recheck(projectId)) return
    }
    this.opts.send(event)
  }

  /** Re-checks membership of a subscribed project; ends the subscription when it is gone. */
  private async recheck(projectId: string): Promise<boolean> {
    const member = await this.opts.checks.isMember(this.opts.userId, projectId)
    const subscription = this.subscriptions.get(projectId)
    if (!subscription) return false
    if (member) {
      subscription.checkedAt = Date.now()
      return true
    }
    this.unsubscribe(projectId)
    this.opts.send({ type: 'unsubscribed', projectId, reason: 'access revoked' })
    return false
  }

  private shut(reason: string): void {
    this.dispose()
    this.opts.close(reason)
  }
}
