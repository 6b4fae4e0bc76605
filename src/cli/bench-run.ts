// The measurement behind `conduit bench`: P producers and C consumers (one group) on a fresh
// topic, through the common contract only, so the same numbers mean the same thing on every
// broker.
//
// Each message carries its send time and a sequence number in its first 12 bytes:
//   [0, 8)   float64 LE  performance.now() when the message was handed to send()
//   [8, 12)  uint32 LE   sequence number 0 … N-1
// so a consumer measures end-to-end latency (send → delivered to the application) without a
// shared clock beyond this process, and counts distinct messages: at-least-once delivery may
// repeat one, and a repeat must not make the run look finished.

import type { Broker, Consumer, Producer } from '../core/contract.ts'
import { TimeoutError } from '../core/errors.ts'
import { Histogram } from '../core/histogram.ts'

export const HEADER_BYTES = 12

export interface BenchSettings {
  messages: number
  size: number
  producers: number
  consumers: number
  /** Messages per send() call. */
  batch: number
  partitions: number
  /** Fail when neither an acknowledgement nor a message arrived for this long. */
  idleTimeoutMs: number
  topic: string
  group: string
}

export interface BenchProgress {
  acknowledged: number
  consumed: number
}

export interface BenchResult {
  /** Distinct messages acknowledged by the broker, and consumed. */
  acknowledged: number
  consumed: number
  duplicates: number
  /** Seconds from the first send to the last acknowledgement / to the last distinct delivery. */
  produceSeconds: number
  endToEndSeconds: number
  /** Send → acknowledgement, µs, per message. */
  ackLatency: Histogram
  /** Send → delivery to the consumer, µs, per message. */
  endToEndLatency: Histogram
  interrupted: boolean
}

/** In-flight send() calls per producer: enough to keep a network broker busy. */
const SENDS_IN_FLIGHT = 16
const WATCHDOG_MS = 250
const YIELD_EVERY_MS = 50

function payload(size: number, seq: number): Uint8Array {
  const bytes = new Uint8Array(size)
  const view = new DataView(bytes.buffer)
  view.setUint32(8, seq, true)
  // Recognizable filler, so a broker that compresses sees realistic (not all-zero) data.
  for (let i = HEADER_BYTES; i < size; i++) bytes[i] = 97 + ((seq + i) % 26)
  return bytes
}

function stamp(bytes: Uint8Array): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setFloat64(0, performance.now(), true)
}

export async function runBench(
  broker: Broker,
  settings: BenchSettings,
  signal: AbortSignal,
  progress: BenchProgress,
): Promise<BenchResult> {
  const ackLatency = new Histogram()
  const endToEndLatency = new Histogram()
  const seen = new Uint8Array(Math.ceil(settings.messages / 8))
  let duplicates = 0
  let lastProgress = performance.now()
  let lastYield = performance.now()
  let failure: unknown
  const stop = new AbortController()
  const fail = (error: unknown): void => {
    failure ??= error
    stop.abort()
  }
  const onInterrupt = (): void => stop.abort()
  signal.addEventListener('abort', onInterrupt, { once: true })

  const consumers: Consumer[] = []
  const producers: Producer[] = []
  let started = 0
  let producedAt = 0
  let consumedAt = 0

  const consume = async (consumer: Consumer): Promise<void> => {
    for await (const batch of consumer) {
      const now = performance.now()
      for (const message of batch.messages) {
        const value = message.value
        if (value === null || value.length < HEADER_BYTES) continue
        const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
        const seq = view.getUint32(8, true)
        if (seq >= settings.messages) continue
        const bit = 1 << (seq & 7)
        if (seen[seq >> 3]! & bit) {
          duplicates++
          continue
        }
        seen[seq >> 3]! |= bit
        endToEndLatency.record(Math.max(0, (now - view.getFloat64(0, true)) * 1000))
        progress.consumed++
      }
      lastProgress = performance.now()
      await batch.ack()
      if (progress.consumed >= settings.messages) {
        consumedAt = performance.now()
        stop.abort()
      }
      if (stop.signal.aborted) break
    }
  }

  const produce = async (producer: Producer, first: number, last: number): Promise<void> => {
    const inFlight = new Set<Promise<void>>()
    for (let from = first; from < last && !stop.signal.aborted; from += settings.batch) {
      const values: Uint8Array[] = []
      for (let seq = from; seq < Math.min(last, from + settings.batch); seq++)
        values.push(payload(settings.size, seq))
      for (const v of values) stamp(v)
      const sentAt = performance.now()
      const sending = producer.send(values.map((value) => ({ value }))).then(() => {
        const micros = (performance.now() - sentAt) * 1000
        ackLatency.record(micros, values.length)
        progress.acknowledged += values.length
        lastProgress = performance.now()
      }, fail)
      inFlight.add(sending)
      void sending.finally(() => inFlight.delete(sending))
      if (inFlight.size >= SENDS_IN_FLIGHT) await Promise.race(inFlight)
      // An embedded broker acknowledges through microtasks only, which would starve timers for
      // the whole run: no progress bar, no watchdog. A macrotask turn now and then lets them run.
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve))
        lastYield = performance.now()
      }
    }
    await Promise.all(inFlight)
  }

  // Nothing in the contract wakes a consumer waiting for a batch except close(), so a watchdog
  // ends the run on completion, failure, interrupt or a stall by closing every consumer.
  const watchdog = setInterval(() => {
    if (!stop.signal.aborted && performance.now() - lastProgress > settings.idleTimeoutMs) {
      fail(
        new TimeoutError(
          `bench made no progress for ${settings.idleTimeoutMs} ms: ${progress.acknowledged} of ` +
            `${settings.messages} messages acknowledged, ${progress.consumed} consumed`,
        ),
      )
    }
  }, WATCHDOG_MS)
  const closeConsumers = (): void => {
    // Errors of this early close surface again from the awaited close() at the end of the run.
    for (const c of consumers) c.close().catch(() => {})
  }
  stop.signal.addEventListener('abort', closeConsumers, { once: true })

  try {
    for (let i = 0; i < settings.consumers; i++) {
      consumers.push(
        await broker.consumer({ topic: settings.topic, group: settings.group, from: 'earliest' }),
      )
    }
    for (let i = 0; i < settings.producers; i++)
      producers.push(await broker.producer({ topic: settings.topic }))
    // Once the run is stopping, a consumer closed under a pending ack may fail that ack: expected.
    const consuming = consumers.map((c) =>
      consume(c).catch((error: unknown) => {
        if (!stop.signal.aborted) fail(error)
      }),
    )
    lastProgress = started = performance.now()
    const share = Math.ceil(settings.messages / settings.producers)
    await Promise.all(
      producers.map((p, i) =>
        produce(p, i * share, Math.min(settings.messages, (i + 1) * share)).catch(fail),
      ),
    )
    if (progress.acknowledged === settings.messages) producedAt = performance.now()
    await Promise.all(consuming)
    await Promise.all(producers.map((p) => p.close()))
    await Promise.all(consumers.map((c) => c.close()))
  } finally {
    clearInterval(watchdog)
    signal.removeEventListener('abort', onInterrupt)
    stop.abort()
  }
  if (failure !== undefined) throw failure
  return {
    acknowledged: progress.acknowledged,
    consumed: progress.consumed,
    duplicates,
    produceSeconds: ((producedAt || performance.now()) - started) / 1000,
    endToEndSeconds: ((consumedAt || performance.now()) - started) / 1000,
    ackLatency,
    endToEndLatency,
    interrupted: signal.aborted,
  }
}
