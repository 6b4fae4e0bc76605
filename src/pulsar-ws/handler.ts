// The handler form of a consumer or reader, as Stargate's receivers offer it: a handler with an
// optional init() giving each processor its own state, a handle() that returns 'ack' or
// 'continue' (optionally with the next state), run by N parallel processors.
//
// Dispatch: with orderBy 'key', messages with the same key always go to the same processor (chosen
// by murmur3 of the key), so per-key order holds while different keys run in parallel; messages
// without a key and every message with orderBy 'none' go to the least busy processor.
//
// Results on a consumer: 'ack' acknowledges the message; 'continue' leaves it unacknowledged (the
// subscription's ack timeout, if any, redelivers it); a throw negatively acknowledges it (redelivery
// after negativeAckRedeliveryDelay) and is reported to onError. On a reader every message is
// already acknowledged for flow control, so 'ack' and 'continue' only move the state along, and a
// throw goes to onError (default: stop the run and reject with it).
//
// Backpressure: at most `2 × processors` messages wait in processors at once; beyond that the run
// stops reading, so a pull-mode consumer stops giving permits and the broker holds the rest.

import { ConfigError } from '../core/errors.ts'
import { toBytes } from '../core/message.ts'
import { murmur3_32 } from '../core/murmur3.ts'
import { PulsarWsConsumer } from './consumer.ts'
import type { PulsarWsMessage } from './message.ts'
import type { PulsarWsReader } from './reader.ts'

export type HandlerResult = 'ack' | 'continue'
export type HandlerReturn<S> = HandlerResult | { result: HandlerResult; state: S }

export interface MessageHandler<S = undefined> {
  /** Called once per processor; its result is that processor's first state. */
  init?(processor: number): S | Promise<S>
  handle(message: PulsarWsMessage, state: S): HandlerReturn<S> | Promise<HandlerReturn<S>>
}

export interface HandlerRunOptions<S> {
  handler:
    MessageHandler<S> | ((message: PulsarWsMessage, state: S) => HandlerReturn<S> | Promise<HandlerReturn<S>>)
  /** Parallel processors. Default 1. */
  processors?: number
  /** 'key': one key, one processor, in order. 'none': any free processor. Default 'none'. */
  orderBy?: 'key' | 'none'
  signal?: AbortSignal
  /** Told about handler failures; on a reader the default stops the run with the error. */
  onError?: (error: unknown, message: PulsarWsMessage) => void
}

interface Processor<S> {
  index: number
  state: S
  queue: PulsarWsMessage[]
  running: Promise<void> | undefined
}

/** Runs `handler` over everything `receiver` delivers until it closes or `signal` aborts. */
export async function runMessageHandler<S>(
  receiver: PulsarWsConsumer | PulsarWsReader,
  options: HandlerRunOptions<S>,
): Promise<void> {
  const count = options.processors ?? 1
  if (!Number.isSafeInteger(count) || count < 1)
    throw new ConfigError('processors must be a positive integer')
  const orderBy = options.orderBy ?? 'none'
  if (orderBy !== 'key' && orderBy !== 'none')
    throw new ConfigError(`orderBy must be 'key' or 'none', got ${String(orderBy)}`)
  const handler: MessageHandler<S> =
    typeof options.handler === 'function' ? { handle: options.handler } : options.handler
  if (!handler || typeof handler.handle !== 'function')
    throw new ConfigError('the handler needs a handle(message, state) function')
  const consumer = receiver instanceof PulsarWsConsumer ? receiver : undefined

  const processors: Processor<S>[] = []
  for (let i = 0; i < count; i++) {
    processors.push({ index: i, state: (await handler.init?.(i)) as S, queue: [], running: undefined })
  }
  let fatal: unknown
  let hasFatal = false
  const reading = new AbortController()
  let wakeReader: (() => void) | undefined
  const limit = 2 * count
  let waiting = 0

  const report = (error: unknown, message: PulsarWsMessage): void => {
    if (options.onError) options.onError(error, message)
    else if (!consumer && !hasFatal) {
      hasFatal = true
      fatal = error
      reading.abort() // stop waiting for the next message
    }
  }

  const drain = async (p: Processor<S>): Promise<void> => {
    while (p.queue.length > 0 && !hasFatal) {
      const message = p.queue.shift()!
      try {
        const out = await handler.handle(message, p.state)
        const result = typeof out === 'string' ? out : out?.result
        if (result !== 'ack' && result !== 'continue') {
          throw new ConfigError(
            `a handler must return 'ack' or 'continue' (or { result, state }), got ${String(result)}`,
          )
        }
        if (typeof out === 'object') p.state = out.state
        if (result === 'ack') consumer?.ack(message)
      } catch (error) {
        consumer?.nack(message)
        report(error, message)
      } finally {
        waiting--
        wakeReader?.()
      }
    }
  }

  /** Starts a processor's loop unless it runs; a message queued as a loop ends starts it again. */
  const start = (p: Processor<S>): void => {
    if (p.running) return
    p.running = (async () => {
      try {
        await drain(p)
      } finally {
        p.running = undefined
        if (p.queue.length > 0 && !hasFatal) start(p)
      }
    })()
  }

  let roundRobin = 0
  const pick = (message: PulsarWsMessage): Processor<S> => {
    if (orderBy === 'key' && message.keyBytes !== null) {
      return processors[murmur3_32(toBytes(message.keyBytes)) % count]!
    }
    let best = processors[roundRobin++ % count]!
    for (const p of processors)
      if (p.queue.length + (p.running ? 1 : 0) < best.queue.length + (best.running ? 1 : 0)) best = p
    return best
  }

  const signal = options.signal
  const aborted = new Promise<undefined>((resolve) => {
    if (signal?.aborted) resolve(undefined)
    signal?.addEventListener('abort', () => resolve(undefined), { once: true })
  })
  signal?.addEventListener('abort', () => reading.abort(), { once: true })
  try {
    while (!signal?.aborted && !hasFatal) {
      while (waiting >= limit && !hasFatal && !signal?.aborted) {
        await Promise.race([new Promise<void>((resolve) => (wakeReader = resolve)), aborted])
        wakeReader = undefined
      }
      if (signal?.aborted || hasFatal) break
      let message: PulsarWsMessage | undefined
      try {
        message = await receiver.receive(reading.signal)
      } catch (error) {
        if (signal?.aborted || hasFatal) break
        throw error
      }
      if (message === undefined) break
      const p = pick(message)
      p.queue.push(message)
      waiting++
      start(p)
    }
  } finally {
    // A loop may restart itself as it ends: wait until none runs.
    while (processors.some((p) => p.running !== undefined)) {
      await Promise.all(processors.flatMap((p) => (p.running ? [p.running] : [])))
    }
  }
  if (hasFatal) throw fatal
}
