// Timed redelivery: negative acks wait `delayMs` before the broker is asked to redeliver, and the
// ack-timeout tracker asks for messages handed out but not acknowledged within `ackTimeoutMs`.
// Both group what is due into one request per owner per tick. Entries remember the partition
// consumer they came from: a multi-topic consumer has several with the same partition index, and
// when one starts a new generation (reconnect, seek, redeliver-all) the broker redelivers all its
// unacknowledged messages anyway, so its entries are dropped rather than redelivered twice.

import type { MessageId } from '../protocol/message-id.ts'

export class RedeliveryTimer<Owner> {
  readonly #due = new Map<string, { id: MessageId; owner: Owner; at: number }>()
  readonly #redeliver: (owner: Owner, ids: MessageId[]) => void
  readonly #timer: ReturnType<typeof setInterval>

  constructor(tickMs: number, redeliver: (owner: Owner, ids: MessageId[]) => void) {
    this.#redeliver = redeliver
    this.#timer = setInterval(() => this.#tick(), Math.max(10, tickMs))
    this.#timer.unref()
  }

  /** Schedules (or re-schedules) redelivery of `id` from `owner` at time `at`. */
  add(owner: Owner, id: MessageId, at: number): void {
    this.#due.set(id.toString(), { id, owner, at })
  }

  remove(id: MessageId): void {
    this.#due.delete(id.toString())
  }

  /**
   * Forgets the entries of `owner` at or before `id` (what a cumulative ack covers): entries of
   * other partitions and topics, and later ones of this partition, stay scheduled.
   */
  removeUpTo(owner: Owner, id: MessageId): void {
    for (const [key, e] of this.#due) if (e.owner === owner && e.id.compare(id) <= 0) this.#due.delete(key)
  }

  /** Forgets every entry of `owner`. */
  dropOwner(owner: Owner): void {
    for (const [key, e] of this.#due) if (e.owner === owner) this.#due.delete(key)
  }

  get size(): number {
    return this.#due.size
  }

  clear(): void {
    this.#due.clear()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#due.clear()
  }

  #tick(): void {
    const now = Date.now()
    const ready = new Map<Owner, MessageId[]>()
    for (const [key, e] of this.#due) {
      if (e.at > now) continue
      this.#due.delete(key)
      const ids = ready.get(e.owner)
      if (ids) ids.push(e.id)
      else ready.set(e.owner, [e.id])
    }
    for (const [owner, ids] of ready) this.#redeliver(owner, ids)
  }
}
