// The explicit life cycle every driver connection follows, with the legal moves written down in
// one table so an impossible sequence (a response handled after close, a reconnect of a closed
// client) fails loudly at the transition instead of corrupting state silently:
//
//   disconnected → connecting → handshaking → ready
//        ↑             │             │          │
//        └─────────────┴─────────────┴──────────┘   (failure: back to disconnected, reconnect later)
//   any state but closed → closing → closed;  closed is final.
//
// connecting → ready is allowed for protocols without a handshake (RocketMQ remoting).
// Listeners and the async iterator changes() see every transition (nats.js-style status).

import { ClosedError, ConduitError } from './errors.ts'
import { channels, publish } from './diagnostics.ts'

export type ConnectionState = 'disconnected' | 'connecting' | 'handshaking' | 'ready' | 'closing' | 'closed'

const LEGAL: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  disconnected: ['connecting', 'closing', 'closed'],
  connecting: ['handshaking', 'ready', 'disconnected', 'closing', 'closed'],
  handshaking: ['ready', 'disconnected', 'closing', 'closed'],
  ready: ['disconnected', 'closing', 'closed'],
  closing: ['closed'],
  closed: [],
}

export interface StateChange {
  from: ConnectionState
  to: ConnectionState
  /** The failure that caused the change, if any. */
  error?: Error
  /** Date.now() of the transition. */
  at: number
}

export interface StateMachineOptions {
  initial?: ConnectionState
  /** For diagnostics and error messages: the driver, e.g. 'kafka'. */
  driver?: string
  /** For diagnostics and error messages: the connection, e.g. '127.0.0.1:9092'. */
  connection?: string
}

/** How many unread changes one changes() iterator keeps; older ones are dropped first. */
const ITERATOR_BUFFER = 256

type Listener = (change: StateChange) => void

export class StateMachine {
  #state: ConnectionState
  readonly #driver: string
  readonly #connection: string
  readonly #listeners = new Set<Listener>()

  constructor(opts: StateMachineOptions = {}) {
    this.#state = opts.initial ?? 'disconnected'
    this.#driver = opts.driver ?? 'unknown'
    this.#connection = opts.connection ?? 'unknown'
  }

  get state(): ConnectionState {
    return this.#state
  }

  is(...states: ConnectionState[]): boolean {
    return states.includes(this.#state)
  }

  canTransition(to: ConnectionState): boolean {
    return LEGAL[this.#state].includes(to)
  }

  /** Moves to `to`, or throws ConduitError (code CONDUIT_ILLEGAL_STATE) if that move is not legal. */
  transition(to: ConnectionState, error?: Error): void {
    const from = this.#state
    if (!LEGAL[from].includes(to)) {
      throw new ConduitError(
        'CONDUIT_ILLEGAL_STATE',
        `${this.#driver} connection ${this.#connection}: illegal state change ${from} → ${to}`,
      )
    }
    this.#state = to
    const change: StateChange =
      error === undefined ? { from, to, at: Date.now() } : { from, to, error, at: Date.now() }
    publish(channels.connectionState, () => ({
      driver: this.#driver,
      connection: this.#connection,
      from,
      to,
      error,
    }))
    for (const listener of [...this.#listeners]) {
      try {
        listener(change)
      } catch (err) {
        // A faulty listener must not leave the machine half-notified; surface it like an
        // EventEmitter listener error would, but outside the transition.
        process.nextTick(() => {
          throw err
        })
      }
    }
  }

  /** Calls `listener` on every transition; returns a function that removes it. */
  onChange(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Resolves when the state is one of `states` (at once if it already is); rejects with
   * ClosedError (or the closing failure) if the machine reaches 'closed' first (unless 'closed' is awaited) or `signal` aborts.
   */
  waitFor(states: ConnectionState | readonly ConnectionState[], signal?: AbortSignal): Promise<void> {
    const wanted: readonly ConnectionState[] = typeof states === 'string' ? [states] : states
    if (wanted.includes(this.#state)) return Promise.resolve()
    const closedError = (): ClosedError =>
      new ClosedError(
        `${this.#driver} connection ${this.#connection} closed while waiting for ${wanted.join('/')}`,
      )
    if (this.#state === 'closed') return Promise.reject(closedError())
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        off()
        reject(signal!.reason)
      }
      const off = this.onChange(({ to, error }) => {
        if (wanted.includes(to)) {
          off()
          signal?.removeEventListener('abort', onAbort)
          resolve()
        } else if (to === 'closed') {
          off()
          signal?.removeEventListener('abort', onAbort)
          reject(error ?? closedError())
        }
      })
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Every transition from now on, as an async iterable that ends after 'closed'. Breaking out of
   * the loop unsubscribes. A reader that falls more than 256 changes behind loses the oldest.
   */
  changes(): AsyncIterableIterator<StateChange> {
    const queue: StateChange[] = []
    let wake: ((r: IteratorResult<StateChange>) => void) | undefined
    let done = this.#state === 'closed'
    const finish = (): IteratorResult<StateChange> => {
      done = true
      off()
      queue.length = 0
      return { value: undefined, done: true }
    }
    const off = this.onChange((change) => {
      if (wake) {
        const w = wake
        wake = undefined
        w({ value: change, done: false })
      } else {
        queue.push(change)
        if (queue.length > ITERATOR_BUFFER) queue.shift()
      }
      if (change.to === 'closed') {
        done = true
        off()
      }
    })
    if (done) off()
    const iterator: AsyncIterableIterator<StateChange> = {
      next: () => {
        const queued = queue.shift()
        if (queued) return Promise.resolve({ value: queued, done: false })
        if (done) return Promise.resolve(finish())
        return new Promise((resolve) => {
          wake = resolve
        })
      },
      return: () => {
        const w = wake
        wake = undefined
        const result = finish()
        w?.(result)
        return Promise.resolve(result)
      },
      [Symbol.asyncIterator]: () => iterator,
    }
    return iterator
  }
}
