// The handler form of a consumer, `consumer.run({ concurrency, orderBy, handle, signal })`, once for
// every driver: each driver's Consumer.run delegates here and only provides the batches.
//
// Per batch, messages are put into lanes: all messages of one lane are handled one after another in
// the order the broker delivered them, while up to `concurrency` messages of different lanes run at
// the same time (Stargate's processors). The lane is the partition (default), the key, or nothing.
//
// When can a batch fail: if any handler throws, no further message of that batch is started, the
// ones already running are awaited, and the WHOLE batch is nacked. The broker then redelivers every
// message of it, including the ones whose handler already succeeded — at-least-once, so handlers
// must tolerate seeing a message again. A batch whose handlers all returned is acked as a whole.
//
// After a nack the loop waits for the event loop (setImmediate) before asking for the next batch.
// How soon the broker redelivers is the driver's policy, but a driver that hands the nacked batch
// straight back from memory made a handler that always throws spin from microtask to microtask:
// hundreds of thousands of failures before a timer, an AbortSignal's handler or a socket could run.

import type { Batch, Message, RunOptions } from './contract.ts'
import { ClosedError, ConfigError } from './errors.ts'
import { utf8 } from './message.ts'

const ORDER_BY = ['partition', 'key', 'none'] as const

function validate(options: RunOptions): { concurrency: number; orderBy: (typeof ORDER_BY)[number] } {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('run() needs an options object like { handle: async (message) => {} }')
  }
  if (typeof options.handle !== 'function') {
    throw new ConfigError('run() needs a handle(message) function')
  }
  const concurrency = options.concurrency ?? 1
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError(`run() concurrency must be a positive integer, got ${String(options.concurrency)}`)
  }
  const orderBy = options.orderBy ?? 'partition'
  if (!ORDER_BY.includes(orderBy)) {
    throw new ConfigError(
      `run() orderBy must be one of ${ORDER_BY.join(', ')}, got ${String(options.orderBy)}`,
    )
  }
  return { concurrency, orderBy }
}

/** Splits a batch into lanes whose messages must be handled in order. */
export function lanesOf(messages: readonly Message[], orderBy: 'partition' | 'key' | 'none'): Message[][] {
  if (orderBy === 'none') return messages.map((m) => [m])
  const lanes = new Map<string, Message[]>()
  for (const message of messages) {
    // A message without a key has no key order to keep; it stays in its partition's order.
    const laneKey =
      orderBy === 'key' && message.key !== null
        ? `k\u0000${message.topic}\u0000${utf8(message.key)}`
        : `p\u0000${message.topic}\u0000${message.partition}`
    const lane = lanes.get(laneKey)
    if (lane) lane.push(message)
    else lanes.set(laneKey, [message])
  }
  return [...lanes.values()]
}

/** Handles every message of one batch; resolves true when all handlers returned. */
async function handleBatch(
  batch: Batch,
  concurrency: number,
  orderBy: 'partition' | 'key' | 'none',
  handle: RunOptions['handle'],
): Promise<boolean> {
  const lanes = lanesOf(batch.messages, orderBy)
  let failed = false
  let nextLane = 0
  // Each worker takes a whole lane and walks it in order, so one lane never runs twice at once.
  const worker = async (): Promise<void> => {
    while (!failed && nextLane < lanes.length) {
      const lane = lanes[nextLane++]!
      for (const message of lane) {
        if (failed) return
        try {
          await handle(message)
        } catch {
          failed = true
          return
        }
      }
    }
  }
  const workers: Promise<void>[] = []
  for (let i = 0; i < Math.min(concurrency, lanes.length); i++) workers.push(worker())
  await Promise.all(workers)
  return !failed
}

/**
 * Runs `handle` for every message the consumer delivers until the iterator ends (the consumer
 * closed) or `signal` aborts. Resolves when stopped; rejects only when acknowledging fails for a
 * reason other than the consumer being closed.
 */
export async function runHandler(consumer: AsyncIterable<Batch>, options: RunOptions): Promise<void> {
  const { concurrency, orderBy } = validate(options)
  const { handle, signal } = options
  if (signal?.aborted) return
  const iterator = consumer[Symbol.asyncIterator]()

  let onAbort: (() => void) | undefined
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted')
    signal?.addEventListener('abort', onAbort, { once: true })
  })
  try {
    while (!signal?.aborted) {
      const pending = iterator.next()
      const result = signal ? await Promise.race([pending, aborted]) : await pending
      if (result === 'aborted') {
        // A batch that arrives after the abort was never handled: give it back for redelivery.
        pending.then(
          (late) => {
            if (!late.done) late.value.nack().catch(() => undefined)
          },
          () => undefined,
        )
        return
      }
      if (result.done) return
      const batch = result.value
      const ok = await handleBatch(batch, concurrency, orderBy, handle)
      try {
        if (ok) await batch.ack()
        else await batch.nack()
      } catch (error) {
        // The consumer was closed under us: what was not acked is redelivered; stop quietly.
        if (error instanceof ClosedError) return
        throw error
      }
      if (!ok) await new Promise(setImmediate)
    }
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
}
