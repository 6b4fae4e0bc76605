// A consumer of the embedded broker: an async iterator of batches with backpressure — a fetch
// happens only when the loop asks for the next batch — plus the handler form, seek, pause/resume.
//
// Delivery rules (see group.ts for the per-partition lock):
// - ack() commits every partition range of the batch; nack() hands the same records out again,
//   after a growing delay (redelivery.ts; consumer options `redeliveryDelayMs`, default 1000, and
//   `maxRedeliveryDelayMs`, default 60 000) during which the member's other partitions keep flowing.
// - An ack whose commit cannot be stored (file: with a full disk) rejects with the StorageError and
//   gives every partition of the batch back as a nack does; it never throws synchronously.
// - A batch not acked within `ackTimeoutMs` is redelivered; a late ack of it is then ignored.
// - A record delivered `maxRedeliveries + 1` times without an ack goes to the dead-letter topic
//   (default `<topic>-<group>-DLQ`, Pulsar's convention) and is skipped.
// - close() gives back whatever is still unacked; the next member of the group receives it.
// - A damaged range of a `file:` log stops its partition only: the iterator throws its
//   CorruptDataError once, after any batch fetched with it, and goes on with the other partitions;
//   `skipDamaged: true` moves past it instead, reported (damaged-read.ts).

import type { Batch, Consumer, Message, RunOptions, StartPosition } from '../core/contract.ts'
import { ClosedError, ConfigError, CorruptDataError } from '../core/errors.ts'
import { channels, publish } from '../core/diagnostics.ts'
import { runHandler } from '../core/run-handler.ts'
import { readPastDamage } from './damaged-read.ts'
import type { Engine } from './engine.ts'
import { resolveStart } from './group.ts'
import type { Group, GroupMember, InflightHolder, PartitionState } from './group.ts'
import { RedeliveredMessage, parseMessageId } from './message.ts'
import type { StoredMessage } from './message.ts'
import { RedeliveryTimer, redeliveryDelay } from './redelivery.ts'
import type { RedeliveryPolicy } from './redelivery.ts'
import type { Topic } from './topic.ts'

export const DEFAULT_MAX_BATCH = 1000

/**
 * Batches handed out within one event-loop turn before the next one waits for the loop: a consumer
 * that keeps up with a large backlog (or nacks with a zero redelivery delay) would otherwise run
 * from microtask to microtask and starve timers, signals and sockets until the backlog is gone.
 * The same as the engine's flushes per turn: with 32, a consumer fell behind a producer sending
 * 256 flushes a turn, and in file: mode then read its records back from disk instead of the cache.
 */
const BATCHES_PER_TURN = 256

/** How a batch is settled: ack, nack (delayed redelivery), or an ack timeout (redelivered at once). */
type Settlement = 'ack' | 'nack' | 'timeout'

interface BatchRange {
  readonly state: PartitionState
  readonly start: number
  readonly end: number
}

class MemoryBatch implements Batch, InflightHolder {
  readonly messages: readonly Message[]
  readonly member: MemoryConsumer
  readonly ranges: BatchRange[]
  timer: NodeJS.Timeout | null = null
  /** Acked, nacked, timed out or given back by close. */
  done = false
  releasedByClose = false

  constructor(member: MemoryConsumer, messages: Message[], ranges: BatchRange[]) {
    this.member = member
    this.messages = messages
    this.ranges = ranges
  }

  ack(): Promise<void> {
    return this.member.settle(this, 'ack')
  }

  nack(): Promise<void> {
    return this.member.settle(this, 'nack')
  }
}

export interface MemoryConsumerOptions {
  topics: Topic[]
  group: Group
  from: StartPosition | undefined
  maxBatch: number
  ackTimeoutMs: number | undefined
  maxRedeliveries: number | undefined
  deadLetterTopic: string | undefined
  redelivery: RedeliveryPolicy
  clientId: string
  /** Move past damaged ranges of a `file:` log (reported) instead of stopping there (damaged-read.ts). */
  skipDamaged: boolean
  onClose: (consumer: MemoryConsumer) => void
}

let memberCounter = 0

export class MemoryConsumer implements Consumer, GroupMember {
  readonly memberId: string
  readonly clientId: string
  readonly topics: readonly string[]
  private readonly engine: Engine
  private readonly group: Group
  private readonly options: MemoryConsumerOptions
  private readonly inflight = new Set<MemoryBatch>()
  private signal: { promise: Promise<void>; resolve: () => void } | null = null
  private paused = false
  private closed = false
  private cursor = 0
  private readonly redeliveryTimer = new RedeliveryTimer(() => this.wake())
  private batchesThisTurn = 0
  /** Partitions held at a damaged range: the position they met it at (see damaged-read.ts). */
  private readonly heldAt = new Map<PartitionState, number>()
  /** Damaged ranges met and not yet thrown to the application: one per next() call. */
  private readonly damage: CorruptDataError[] = []

  constructor(engine: Engine, options: MemoryConsumerOptions) {
    this.engine = engine
    this.options = options
    this.group = options.group
    this.clientId = options.clientId
    this.memberId = `${options.clientId}-${++memberCounter}`
    this.topics = options.topics.map((t) => t.name)
    for (const topic of options.topics) {
      this.group.ensureTopic(topic, options.from)
      topic.subscribers.add(this)
    }
    this.group.join(this)
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return {
      next: () => this.next(),
      // Leaving a for-await loop early ends the consumer, as with a stream.
      return: async () => {
        await this.close()
        return { done: true, value: undefined }
      },
    }
  }

  private async next(): Promise<IteratorResult<Batch>> {
    for (;;) {
      if (this.closed || this.engine.closed) return { done: true, value: undefined }
      // Thrown after the batch fetched with it, so healthy partitions are never held back by it.
      const damaged = this.damage.shift()
      if (damaged) throw damaged
      if (!this.paused) {
        if (this.batchesThisTurn >= BATCHES_PER_TURN) {
          await new Promise(setImmediate) // resetTurn, queued earlier, runs first
          continue
        }
        const batch = this.fetch()
        if (batch) {
          if (this.batchesThisTurn++ === 0) setImmediate(this.resetTurn)
          return { done: false, value: batch }
        }
        if (this.damage.length > 0) continue
      }
      this.signal ??= Promise.withResolvers<void>()
      await this.signal.promise
    }
  }

  private readonly resetTurn = (): void => {
    this.batchesThisTurn = 0
  }

  wake(): void {
    const signal = this.signal
    if (signal) {
      this.signal = null
      signal.resolve()
    }
  }

  /** Takes the next records of every partition this member owns and that has no batch in flight. */
  private fetch(): MemoryBatch | null {
    const owned: PartitionState[] = []
    for (const name of this.topics) {
      const states = this.group.states.get(name)
      if (!states || this.engine.topics.get(name) !== states[0]?.topic) continue
      for (const state of states) if (state.owner === this) owned.push(state)
    }
    const count = owned.length
    if (count === 0) return null
    let messages: Message[] | null = null
    let ranges: BatchRange[] | null = null
    let remaining = this.options.maxBatch
    let now = 0
    // Start at a different partition each time so one busy partition cannot starve the others.
    const first = this.cursor++ % count
    for (let i = 0; i < count && remaining > 0; i++) {
      const state = owned[(first + i) % count]!
      if (state.inflight !== null) continue
      if (state.redeliverAt !== 0) {
        now ||= performance.now()
        if (state.redeliverAt > now) {
          this.redeliveryTimer.schedule(state.redeliverAt, now)
          continue
        }
        state.redeliverAt = 0
      }
      const log = state.topic.partitions[state.partition]!
      if (state.committed < log.earliest) this.resetOutOfRange(state)
      if (state.committed >= log.visibleEnd || this.heldAt.get(state) === state.committed) continue
      const records = readPastDamage(log, state, remaining, this.options.skipDamaged, this.group)
      if (records instanceof CorruptDataError) {
        this.heldAt.set(state, state.committed) // until a seek moves it
        this.damage.push(records)
        continue
      }
      if (records.length === 0) continue
      const start = records[0]!.offset
      const end = records[records.length - 1]!.offset + 1
      messages ??= []
      const before = messages.length
      if (state.deliveries.size === 0) {
        for (let r = 0; r < records.length; r++) messages.push(records[r]!)
      } else {
        this.collectRedeliveries(state, records, messages, end)
      }
      if (messages.length === before) continue // everything went to the dead-letter topic
      ;(ranges ??= []).push({ state, start, end })
      remaining -= messages.length - before
    }
    if (!ranges || !messages) return null
    const batch = new MemoryBatch(this, messages, ranges)
    for (const range of ranges) range.state.inflight = batch
    this.inflight.add(batch)
    const timeout = this.options.ackTimeoutMs
    if (timeout !== undefined) {
      batch.timer = setTimeout(() => this.release(batch), timeout)
      batch.timer.unref()
    }
    return batch
  }

  /**
   * Retention dropped records this group had not consumed yet: continue where the `from` policy
   * says (as Kafka's auto.offset.reset does), and report the skip — it must never be silent.
   */
  private resetOutOfRange(state: PartitionState): void {
    const log = state.topic.partitions[state.partition]!
    const from = state.committed
    const to = Math.max(resolveStart(state.topic, state.partition, this.options.from), log.earliest)
    state.committed = to
    state.deliveries.clear()
    publish(channels.offsetReset, () => ({
      driver: 'memory',
      group: this.group.name,
      topic: state.topic.name,
      partition: state.partition,
      from,
      to,
      earliest: log.earliest,
      policy: String(this.options.from ?? 'latest'),
    }))
  }

  /** Slow path for partitions with records delivered before: counts and dead letters. */
  private collectRedeliveries(
    state: PartitionState,
    records: StoredMessage[],
    out: Message[],
    end: number,
  ): void {
    const max = this.options.maxRedeliveries
    const before = out.length // `out` may already hold other partitions' messages
    let dead: StoredMessage[] | null = null
    for (const record of records) {
      const delivered = state.deliveries.get(record.offset) ?? 0
      if (delivered === -1) continue
      if (max !== undefined && delivered > max) {
        state.deliveries.set(record.offset, -1)
        ;(dead ??= []).push(record)
      } else {
        out.push(delivered === 0 ? record : new RedeliveredMessage(record, delivered))
      }
    }
    if (dead) this.deadLetter(state, dead, end, out.length === before)
  }

  private deadLetter(
    state: PartitionState,
    records: StoredMessage[],
    end: number,
    holdPartition: boolean,
  ): void {
    const topic =
      this.options.deadLetterTopic ??
      (this.group.anonymous ? `${state.topic.name}-DLQ` : `${state.topic.name}-${this.group.name}-DLQ`)
    // When nothing else of the range is delivered, the partition is held until the dead letters are
    // stored, and only then committed past — so a crash cannot lose them.
    const holder: InflightHolder = { member: this }
    if (holdPartition) state.inflight = holder
    const appended = this.engine.appendInternal(
      topic,
      records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: { ...r.headers, 'conduit-dlq-original-id': r.id, 'conduit-dlq-group': this.group.name },
        timestamp: r.timestamp,
      })),
    )
    appended.then(
      () => {
        if (holdPartition && state.inflight === holder) this.commitDeadLettered(state, holder, end, 1)
      },
      (error: unknown) => {
        // Not stored: make them eligible again so a later fetch retries the dead-lettering.
        for (const r of records) state.deliveries.set(r.offset, (this.options.maxRedeliveries ?? 0) + 1)
        if (holdPartition && state.inflight === holder) {
          state.inflight = null
          this.deferRedelivery(state, 1)
          this.group.wakeAll()
        }
        this.reportBackground(`dead-lettering ${state.topic.name}/${state.partition}`, 'retried', error)
      },
    )
  }

  /**
   * The dead letters are stored; commits past them. If the commit cannot be stored (disk full), the
   * partition stays held and the commit is retried with backoff: releasing it would skip records
   * already marked dead without ever committing past them.
   */
  private commitDeadLettered(
    state: PartitionState,
    holder: InflightHolder,
    end: number,
    attempt: number,
  ): void {
    try {
      this.group.commit(state, end)
    } catch (error) {
      const delay = redeliveryDelay(this.options.redelivery, attempt)
      const name = `${state.topic.name}/${state.partition}`
      this.reportBackground(`commit after dead-lettering ${name}`, `retried in ${delay} ms`, error)
      setTimeout(() => {
        if (state.inflight === holder && !this.engine.closed)
          this.commitDeadLettered(state, holder, end, attempt + 1)
      }, delay)
      return
    }
    state.inflight = null
    this.group.wakeAll()
  }

  private reportBackground(operation: string, action: string, error: unknown): void {
    publish(channels.backgroundError, () => ({
      driver: 'memory',
      operation,
      action,
      error: error instanceof Error ? error : new Error(String(error)),
    }))
  }

  /**
   * Nacked records wait before the group hands them out again (redelivery.ts). `now` is shared by
   * all partitions of one batch, so they come back together rather than one by one.
   */
  private deferRedelivery(state: PartitionState, deliveries: number, now = performance.now()): void {
    state.redeliverAt = now + redeliveryDelay(this.options.redelivery, deliveries)
  }

  /**
   * ack (commit) or nack (redeliver) a batch. Every partition range is settled even when a commit
   * fails: a range whose commit could not be stored goes back like a nack, and the returned promise
   * rejects with the first such error.
   */
  settle(batch: MemoryBatch, how: Settlement): Promise<void> {
    if (batch.done) {
      if (batch.releasedByClose) {
        return Promise.reject(
          new ClosedError(
            'the consumer was closed before this batch was acknowledged; it will be redelivered',
          ),
        )
      }
      return Promise.resolve() // already settled, or redelivered after its ack timeout
    }
    batch.done = true
    if (batch.timer) clearTimeout(batch.timer)
    this.inflight.delete(batch)
    let failure: unknown = null
    const now = performance.now()
    for (const range of batch.ranges) {
      const state = range.state
      if (state.inflight !== batch) continue // a seek moved the position meanwhile
      state.inflight = null
      if (how === 'ack') {
        try {
          this.group.commit(state, range.end)
          continue
        } catch (error) {
          failure ??= error
        }
      }
      const counted = countDelivery(state, range)
      // Records that will go to the dead-letter topic rather than to the handler need no wait.
      const max = this.options.maxRedeliveries
      const allDead = max !== undefined && counted.least > max
      if (how !== 'timeout' && !allDead) this.deferRedelivery(state, counted.most, now)
    }
    this.group.wakeAll()
    return failure === null ? Promise.resolve() : Promise.reject(failure as Error)
  }

  /** Ack timeout: redeliver. */
  private release(batch: MemoryBatch): void {
    if (batch.done) return
    void this.settle(batch, 'timeout')
  }

  async run(options: RunOptions): Promise<void> {
    if (this.closed) throw new ClosedError('consumer is closed')
    await runHandler(this, options)
  }

  seek(id: string): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('consumer is closed'))
    try {
      const parsed = parseMessageId(id)
      let topicName = parsed.topic
      if (topicName === undefined) {
        if (this.topics.length !== 1) {
          throw new ConfigError(
            `message id "${id}" names no topic; this consumer reads several, use <topic>:<partition>:<offset>`,
          )
        }
        topicName = this.topics[0]!
      }
      if (!this.topics.includes(topicName)) {
        throw new ConfigError(`cannot seek to "${id}": this consumer does not read topic "${topicName}"`)
      }
      const state = this.group.states.get(topicName)?.[parsed.partition]
      if (!state)
        throw new ConfigError(
          `cannot seek to "${id}": topic "${topicName}" has no partition ${parsed.partition}`,
        )
      const log = state.topic.partitions[parsed.partition]!
      const offset = Math.min(Math.max(parsed.offset, log.earliest), log.next)
      this.group.setPosition(state, offset)
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(error as Error)
    }
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    this.wake()
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.closed = true
    this.redeliveryTimer.clear()
    for (const batch of this.inflight) {
      batch.done = true
      batch.releasedByClose = true
      if (batch.timer) clearTimeout(batch.timer)
      for (const range of batch.ranges) {
        if (range.state.inflight !== batch) continue
        range.state.inflight = null
        countDelivery(range.state, range)
      }
    }
    this.inflight.clear()
    for (const name of this.topics) this.engine.topics.get(name)?.subscribers.delete(this)
    for (const topic of this.options.topics) topic.subscribers.delete(this)
    this.group.leave(this)
    this.wake()
    this.options.onClose(this)
    return Promise.resolve()
  }
}

/** Records of a range handed out again count one more delivery each; returns the least and most. */
function countDelivery(state: PartitionState, range: BatchRange): { least: number; most: number } {
  let least = Infinity
  let most = 1
  for (let offset = range.start; offset < range.end; offset++) {
    const delivered = state.deliveries.get(offset) ?? 0
    if (delivered === -1) continue
    state.deliveries.set(offset, delivered + 1)
    if (delivered + 1 > most) most = delivered + 1
    if (delivered + 1 < least) least = delivered + 1
  }
  return { least, most }
}
