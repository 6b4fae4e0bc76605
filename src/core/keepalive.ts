// Detects a dead peer on a connection that looks open: a broker that hangs, a NAT that dropped
// the flow, a cable pulled without RST. Every `intervalMs` it checks whether any frame arrived
// since the last check; if none did it sends a ping, and if still nothing arrives within
// `timeoutMs` the connection is declared dead. touch() is called for every inbound frame, so it
// only sets a flag (no clock read, no timer work) unless a ping is outstanding.

import { ConfigError, TimeoutError } from './errors.ts'

export interface KeepAliveOptions {
  /** How often to look for inbound traffic, and so the idle time before a ping. */
  intervalMs: number
  /** How long after a ping an inbound frame must arrive. */
  timeoutMs: number
  /** Sends the protocol's ping (Pulsar PING, Kafka/RocketMQ a cheap request). */
  ping: () => void
  /** Called once when the peer is considered dead; the keep-alive is stopped by then. */
  onDead: (err: TimeoutError) => void
}

export class KeepAlive {
  readonly #opts: KeepAliveOptions
  #interval: ReturnType<typeof setInterval> | undefined
  #deadline: ReturnType<typeof setTimeout> | undefined
  #seen = false

  constructor(opts: KeepAliveOptions) {
    for (const name of ['intervalMs', 'timeoutMs'] as const) {
      const v = opts[name]
      if (!(v > 0) || !Number.isFinite(v))
        throw new ConfigError(`keep-alive ${name} must be > 0, got ${String(v)}`)
    }
    this.#opts = opts
  }

  get running(): boolean {
    return this.#interval !== undefined
  }

  start(): void {
    if (this.#interval) return
    this.#seen = false
    this.#interval = setInterval(() => this.#check(), this.#opts.intervalMs)
    this.#interval.unref()
  }

  /** Any inbound frame proves the peer alive. */
  touch(): void {
    this.#seen = true
    if (this.#deadline) {
      clearTimeout(this.#deadline)
      this.#deadline = undefined
    }
  }

  stop(): void {
    if (this.#interval) clearInterval(this.#interval)
    if (this.#deadline) clearTimeout(this.#deadline)
    this.#interval = undefined
    this.#deadline = undefined
  }

  #check(): void {
    if (this.#seen) {
      this.#seen = false
      return
    }
    if (this.#deadline) return // a ping is already waiting for its answer
    const { timeoutMs } = this.#opts
    this.#deadline = setTimeout(() => {
      this.stop()
      this.#opts.onDead(
        new TimeoutError(`no frame from the peer within ${timeoutMs} ms of a keep-alive ping`),
      )
    }, timeoutMs)
    this.#deadline.unref()
    try {
      this.#opts.ping()
    } catch (err) {
      this.stop()
      this.#opts.onDead(new TimeoutError(`keep-alive ping could not be sent: ${String(err)}`, { cause: err }))
    }
  }
}
