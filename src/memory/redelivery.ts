// When a nacked batch of the embedded broker is handed out again.
//
// Redelivering at once made a handler that always throws (or a loop that always nacks) spin
// through hundreds of thousands of deliveries within one event-loop turn: no timer, no signal
// handler, no socket of the application ran meanwhile. So a nacked partition waits, like Pulsar's
// negativeAckRedeliveryDelay with its multiplier backoff: `redeliveryDelayMs` (default 1 s) after
// the first nack, doubling with each further delivery of the same records, up to
// `maxRedeliveryDelayMs` (default 60 s). Only the nacked partitions wait; the member's other
// partitions keep flowing. An ack timeout or a closing consumer redelivers without this wait: the
// timeout already was one, and a closing member's records belong to the next member now.

export const DEFAULT_REDELIVERY_DELAY_MS = 1000
export const DEFAULT_MAX_REDELIVERY_DELAY_MS = 60_000

export interface RedeliveryPolicy {
  readonly delayMs: number
  readonly maxDelayMs: number
}

/** The wait before records delivered `deliveries` times (≥ 1) so far are handed out again. */
export function redeliveryDelay(policy: RedeliveryPolicy, deliveries: number): number {
  // The exponent is capped so that a record nacked a thousand times cannot overflow to Infinity.
  return Math.min(policy.maxDelayMs, policy.delayMs * 2 ** Math.min(Math.max(deliveries, 1) - 1, 40))
}

/**
 * One timer per consumer that wakes it when the earliest waiting partition is due. Ref'd on
 * purpose: a script whose only pending work is a redelivery must not exit before it happens.
 */
export class RedeliveryTimer {
  private timer: NodeJS.Timeout | null = null
  private at = Infinity
  private readonly wake: () => void

  constructor(wake: () => void) {
    this.wake = wake
  }

  /** Wakes the consumer at `at` (performance.now() ms) unless it is already due to wake earlier. */
  schedule(at: number, now: number): void {
    if (this.timer !== null && this.at <= at) return
    if (this.timer !== null) clearTimeout(this.timer)
    this.at = at
    this.timer = setTimeout(this.fire, Math.max(0, Math.ceil(at - now)))
  }

  private readonly fire = (): void => {
    this.timer = null
    this.at = Infinity
    this.wake()
  }

  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.at = Infinity
  }
}
