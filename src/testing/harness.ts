// The conformance suite's tools: a scenario's resources (connections, uniquely named topics and
// groups, cleaned up afterwards), a batch reader whose waits are bounded, and message payloads
// that say who sent them, so completeness and order can be checked on any broker.
//
// Waits are driven by events (a batch arriving, a send resolving) and bounded by a generous
// deadline, so a slow broker passes and a broken driver fails with a message instead of hanging.

import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import type {
  Batch,
  Broker,
  ConnectOptions,
  Consumer,
  ConsumerOptions,
  Message,
  Producer,
} from '../core/contract.ts'
import { connect } from '../index.ts'
import { Random, hashString } from './random.ts'

export interface SuiteSettings {
  url: () => string
  connectOptions: ConnectOptions
  restart: (() => Promise<void>) | undefined
  seed: number
  scale: number
  /** Longest wait for one expected event (a batch, an ack), in ms. */
  waitMs: number
}

export class Deadline {
  readonly at: number
  constructor(ms: number) {
    this.at = Date.now() + ms
  }
  get remaining(): number {
    return Math.max(0, this.at - Date.now())
  }
  get expired(): boolean {
    return Date.now() >= this.at
  }
}

/** Lets timers and I/O run: an in-process broker can resolve sends without ever leaving microtasks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Rejects with a clear message when `promise` does not settle within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Reads batches with a time limit. A read that times out keeps its pending `next()` and the next
 * read continues it, so the consumer never sees two concurrent fetches from the suite.
 */
export class BatchReader {
  readonly consumer: Consumer
  private readonly iterator: AsyncIterator<Batch>
  private pending: Promise<IteratorResult<Batch>> | null = null
  ended = false

  constructor(consumer: Consumer) {
    this.consumer = consumer
    this.iterator = consumer[Symbol.asyncIterator]()
  }

  /** The next batch, null if none arrived within `ms`, or 'done' when the consumer ended. */
  async read(ms: number): Promise<Batch | null | 'done'> {
    if (this.ended) return 'done'
    this.pending ??= this.iterator.next()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ms)
    })
    try {
      const result = await Promise.race([this.pending, timeout])
      if (result === null) return null
      this.pending = null
      if (result.done) {
        this.ended = true
        return 'done'
      }
      return result.value
    } finally {
      clearTimeout(timer)
    }
  }
}

export type AckMode = 'ack' | 'nack' | 'none'

/** A message's payload as the suite writes it: `<tag>|<producer>|<seq>`. */
export function payload(tag: string, producer: number, seq: number): string {
  return `${tag}|${producer}|${seq}`
}

export interface Parsed {
  tag: string
  producer: number
  seq: number
}

export function parse(message: Message): Parsed {
  const text = message.valueString() ?? ''
  const [tag, producer, seq] = text.split('|')
  return { tag: tag ?? '', producer: Number(producer), seq: Number(seq) }
}

/** Per scenario: connections and names, all released when the test ends. */
export class Scenario {
  readonly settings: SuiteSettings
  readonly t: TestContext
  readonly random: Random
  private readonly brokers: Broker[] = []
  private readonly topics: { broker: Broker; name: string }[] = []
  readonly tag: string

  constructor(settings: SuiteSettings, t: TestContext, name: string) {
    this.settings = settings
    this.t = t
    this.random = new Random(settings.seed ^ hashString(name))
    this.tag = randomBytes(4).toString('hex')
  }

  /** Message counts shrink with `scale` for slow brokers but never below `min`. */
  count(n: number, min = 1): number {
    return Math.max(min, Math.round(n * this.settings.scale))
  }

  get waitMs(): number {
    return this.settings.waitMs
  }

  async connect(): Promise<Broker> {
    const broker = await within(
      connect(this.settings.url(), this.settings.connectOptions),
      this.waitMs,
      'connect()',
    )
    this.brokers.push(broker)
    return broker
  }

  /** A unique name: network brokers are shared between test files, runs and developers. */
  name(kind: string): string {
    return `conformance-${kind}-${this.tag}-${randomBytes(3).toString('hex')}`
  }

  async topic(broker: Broker, partitions: number, kind = 'topic'): Promise<string> {
    const name = this.name(kind)
    await within(broker.admin.createTopic(name, { partitions }), this.waitMs, `createTopic(${name})`)
    this.topics.push({ broker, name })
    return name
  }

  async producer(broker: Broker, topic: string, options: Record<string, unknown> = {}): Promise<Producer> {
    return within(broker.producer({ topic, ...options }), this.waitMs, `producer(${topic})`)
  }

  async consumer(broker: Broker, options: ConsumerOptions): Promise<BatchReader> {
    const consumer = await within(
      broker.consumer({ from: 'earliest', ...options }),
      this.waitMs,
      'consumer()',
    )
    return new BatchReader(consumer)
  }

  diagnostic(message: string): void {
    this.t.diagnostic(message)
  }

  /**
   * Reads until `done(received)` holds, acking/nacking each batch; fails with what it has when the
   * deadline passes. Returns every message received (duplicates included).
   */
  async consumeUntil(
    reader: BatchReader,
    done: (received: readonly Message[]) => boolean,
    options: { mode?: AckMode; what: string; onBatch?: (batch: Batch) => void | Promise<void> },
  ): Promise<Message[]> {
    const received: Message[] = []
    const deadline = new Deadline(this.waitMs)
    while (!done(received)) {
      if (deadline.expired) {
        throw new Error(
          `${options.what}: condition not reached within ${this.waitMs} ms; received ${received.length} messages`,
        )
      }
      const batch = await reader.read(Math.min(1000, deadline.remaining + 1))
      if (batch === null) continue
      if (batch === 'done')
        throw new Error(`${options.what}: the consumer ended after ${received.length} messages`)
      if (batch.messages.length === 0)
        throw new Error(`${options.what}: the consumer delivered an empty batch`)
      for (const m of batch.messages) received.push(m)
      await options.onBatch?.(batch)
      const mode = options.mode ?? 'ack'
      if (mode === 'ack') await within(batch.ack(), this.waitMs, 'batch.ack()')
      else if (mode === 'nack') await within(batch.nack(), this.waitMs, 'batch.nack()')
    }
    return received
  }

  /** Asserts that no batch arrives within `ms` (used where a batch would break a guarantee). */
  async expectNothing(reader: BatchReader, ms: number, what: string): Promise<void> {
    const batch = await reader.read(ms)
    if (batch !== null && batch !== 'done') {
      throw new Error(
        `${what}: got a batch of ${batch.messages.length} (${batch.messages.map((m) => m.valueString()).join(', ')})`,
      )
    }
  }

  async cleanup(): Promise<void> {
    for (const { broker, name } of this.topics) {
      try {
        await within(broker.admin.deleteTopic(name), this.waitMs, `deleteTopic(${name})`)
      } catch {
        // best effort: the broker may be closed by the scenario itself, or the topic busy
      }
    }
    const errors: unknown[] = []
    for (const broker of this.brokers.reverse()) {
      try {
        await within(broker.close(), this.waitMs, 'broker.close()')
      } catch (error) {
        errors.push(error)
      }
    }
    if (errors.length > 0) throw errors[0]
  }
}

/** Values of messages as `<producer>|<seq>` strings, for set comparisons. */
export function keysOf(messages: readonly Message[]): Set<string> {
  const out = new Set<string>()
  for (const m of messages) {
    const p = parse(m)
    out.add(`${p.producer}|${p.seq}`)
  }
  return out
}

/** Every `<producer>|<seq>` that was expected and is missing. */
export function missing(expected: Iterable<string>, received: Set<string>): string[] {
  const out: string[] = []
  for (const key of expected) if (!received.has(key)) out.push(key)
  return out
}

/**
 * Checks the order the driver promises (`capabilities.ordering`): to each consumer, per producer,
 * sequence numbers only grow within a partition, or within a key; nothing to check for 'none'.
 * The promise is per consumer ("ordering guaranteed to a single consumer"): across the members
 * of a group nothing is promised, since a Pulsar Shared subscription hands one partition's
 * messages to several members. First deliveries only: a message any reader got before is a
 * redelivery and may come after newer ones.
 */
export function checkOrder(
  result: Pick<PumpResult, 'all' | 'readerOf'>,
  ordering: 'partition' | 'key' | 'none',
): string | null {
  if (ordering === 'none') return null
  const last = new Map<string, number>()
  const seen = new Set<string>()
  for (const m of result.all) {
    const p = parse(m)
    const id = `${p.producer}|${p.seq}`
    if (seen.has(id)) continue // a redelivery may repeat earlier messages
    seen.add(id)
    const scope = ordering === 'partition' ? `partition ${m.partition}` : `key ${m.keyString()}`
    const reader = result.readerOf.get(m) ?? 0
    const lane = `${reader}|${m.topic}|${scope}|${p.producer}`
    const previous = last.get(lane)
    if (previous !== undefined && p.seq < previous) {
      return `consumer ${reader}, ${scope}: producer ${p.producer} message ${p.seq} arrived after ${previous}`
    }
    last.set(lane, p.seq)
  }
  return null
}

export interface PumpResult {
  /** Messages per reader, in arrival order. */
  perReader: Message[][]
  all: Message[]
  /** Which reader (index) received each message of `all`. */
  readerOf: Map<Message, number>
  /** Largest batch seen. */
  largestBatch: number
}

/**
 * Runs every reader at once (acking each batch) until the union of received `<producer>|<seq>`
 * covers `expected`, or fails on the deadline naming what is missing.
 */
export async function pumpUntilComplete(
  s: Scenario,
  readers: readonly BatchReader[],
  expected: ReadonlySet<string>,
  what: string,
  options: { ownTagOnly?: string; extraDone?: () => boolean } = {},
): Promise<PumpResult> {
  const perReader: Message[][] = readers.map(() => [])
  const all: Message[] = []
  const readerOf = new Map<Message, number>()
  const seen = new Set<string>()
  let largestBatch = 0
  let stop = false
  const deadline = new Deadline(s.waitMs)
  const complete = (): boolean => {
    for (const key of expected) if (!seen.has(key)) return false
    return options.extraDone ? options.extraDone() : true
  }
  await Promise.all(
    readers.map(async (reader, index) => {
      try {
        while (!stop) {
          if (deadline.expired) {
            stop = true
            const lost = missing(expected, seen)
            throw new Error(
              `${what}: ${lost.length} of ${expected.size} messages not received within ${s.waitMs} ms ` +
                `(first missing: ${lost.slice(0, 5).join(', ')})`,
            )
          }
          const batch = await reader.read(250)
          if (batch === null) continue
          if (batch === 'done') throw new Error(`${what}: consumer ${index} ended unexpectedly`)
          if (batch.messages.length === 0)
            throw new Error(`${what}: consumer ${index} delivered an empty batch`)
          largestBatch = Math.max(largestBatch, batch.messages.length)
          for (const m of batch.messages) {
            const p = parse(m)
            if (options.ownTagOnly !== undefined && p.tag !== options.ownTagOnly) {
              throw new Error(`${what}: received a message of another scenario or topic: ${m.valueString()}`)
            }
            perReader[index]!.push(m)
            all.push(m)
            readerOf.set(m, index)
            seen.add(`${p.producer}|${p.seq}`)
          }
          await within(batch.ack(), s.waitMs, 'batch.ack()')
          if (complete()) stop = true
        }
      } catch (error) {
        stop = true // the other readers end too instead of running on to the deadline
        throw error
      }
    }),
  )
  return { perReader, all, readerOf, largestBatch }
}

/** The `<producer>|<seq>` keys for producers 0..p-1 with n messages each. */
export function expectedKeys(producers: number, perProducer: number): Set<string> {
  const out = new Set<string>()
  for (let p = 0; p < producers; p++) for (let i = 0; i < perProducer; i++) out.add(`${p}|${i}`)
  return out
}
