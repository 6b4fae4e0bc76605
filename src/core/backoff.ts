// Reconnect and retry delays. Exponential growth keeps a flapping broker from being hammered;
// jitter spreads the retries of many clients (or many connections of one client) that lost the
// same broker at the same moment, so they do not all come back in lock-step.

import { ConfigError } from './errors.ts'

export interface BackoffOptions {
  /** Delay before the first retry. Default 100 ms. */
  initialMs?: number
  /** Upper bound of any delay. Default 30 000 ms. */
  maxMs?: number
  /** Growth factor per attempt. Default 2. */
  multiplier?: number
  /**
   * Fraction 0..1 of each delay that is randomised: a delay is drawn uniformly from
   * [base × (1 − jitter), base]. 1 is "full jitter", 0 is deterministic. Default 0.5.
   */
  jitter?: number
  /** Source of randomness in [0, 1); tests inject a fixed one. Default Math.random. */
  random?: () => number
}

export class Backoff {
  readonly #initialMs: number
  readonly #maxMs: number
  readonly #multiplier: number
  readonly #jitter: number
  readonly #random: () => number
  #attempts = 0

  constructor(opts: BackoffOptions = {}) {
    this.#initialMs = opts.initialMs ?? 100
    this.#maxMs = opts.maxMs ?? 30_000
    this.#multiplier = opts.multiplier ?? 2
    this.#jitter = opts.jitter ?? 0.5
    this.#random = opts.random ?? Math.random
    if (!(this.#initialMs >= 0) || !Number.isFinite(this.#initialMs)) {
      throw new ConfigError(`backoff initialMs must be a finite number >= 0, got ${String(opts.initialMs)}`)
    }
    if (!(this.#maxMs >= this.#initialMs)) {
      throw new ConfigError(`backoff maxMs (${String(opts.maxMs)}) must be >= initialMs (${this.#initialMs})`)
    }
    if (!(this.#multiplier >= 1) || !Number.isFinite(this.#multiplier)) {
      throw new ConfigError(`backoff multiplier must be a finite number >= 1, got ${String(opts.multiplier)}`)
    }
    if (!(this.#jitter >= 0 && this.#jitter <= 1)) {
      throw new ConfigError(`backoff jitter must be between 0 and 1, got ${String(opts.jitter)}`)
    }
  }

  /** How many delays next() has handed out since construction or the last reset(). */
  get attempts(): number {
    return this.#attempts
  }

  /** The delay in ms before the next attempt; each call grows the base delay up to maxMs. */
  next(): number {
    // Computed from the attempt count (not by multiplying a running value) so it cannot overflow
    // to Infinity after many attempts: the exponent is capped once the base reaches maxMs.
    const base = Math.min(this.#maxMs, this.#initialMs * this.#multiplier ** Math.min(this.#attempts, 1000))
    this.#attempts++
    const delay = base * (1 - this.#jitter * this.#random())
    return Math.round(delay)
  }

  /** Call after a success, so the next failure starts again from initialMs. */
  reset(): void {
    this.#attempts = 0
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError')
}

/**
 * Resolves after `ms`; rejects with the signal's reason as soon as `signal` aborts (at once if it
 * already has), so a closing client never waits out a long reconnect delay.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal))
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortReason(signal!))
    }
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.max(0, ms),
    )
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
