// A consumer of the embedded broker: an async iterator of batches with backpressure — a fetch
// happens only when the loop asks for the next batch — plus the handler form, seek, pause/resume.
//
// Delivery rules (see group.ts for the per-partition lock):
// - ack() commits every partition range of the batch; nack() hands the same records out again.
// - A batch not acked within `ackTimeoutMs` is redelivered; a late ack of it is then ignored.
// - A record delivered `maxRedeliveries + 1` times without an ack goes to the dead-letter topic
//   (default `<topic>-<group>-DLQ`, Pulsar's convention) and is skipped.
// - close() gives back whatever is still unacked; the next member of the group receives it.
// - A damaged range of a `file:` log stops its partition only: the iterator throws its
//   CorruptDataError once, after any batch fetched with it, and goes on with the other partitions;
//   `skipDamaged: true` moves past it instead, reported (damaged-read.ts).

import type { Batch, Consumer, Message, RunOptions, StartPosition } from '../core/contract.ts'
import { ClosedError, ConfigError, CorruptDataError } from '../core/errors.ts'
import { runHandler } from '../core/run-handler.ts'
import { readPastDamage } from './damaged-read.ts'
import type { Engine } from './engine.ts'
import type { Group, GroupMember, InflightHolder, PartitionState } from './group.ts'
import { RedeliveredMessage, parseMessageId } from './message.ts'
import type { StoredMessage } from './message.ts'
import type { Topic } from './topic.ts'

export const DEFAULT_MAX_BATCH = 1000

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
    return this.member.settle(this, true)
  }

  nack(): Promise<void> {
    return this.member.settle(this, false)
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
        const batch = this.fetch()
        if (batch) return { done: false, value: batch }
        if (this.damage.length > 0) continue
      }
      this.signal ??= Promise.withResolvers<void>()
      await this.signal.promise
    }
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
    // Start at a different partition each time so one busy partition cannot starve the others.
    const first = this.cursor++ % count
    for (let i = 0; i < count && remaining > 0; i++) {
      const state = owned[(first + i) % count]!
      if (state.inflight !== null) continue
      const log = state.topic.partitions[state.partition]!
      if (state.committed < log.earliest) state.committed = log.earliest // retention removed them
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
        if (holdPartition && state.inflight === holder) {
          state.inflight = null
          this.group.commit(state, end)
          this.group.wakeAll()
        }
      },
      () => {
        // Not stored: make them eligible again so a later fetch retries the dead-lettering.
        for (const r of records) state.deliveries.set(r.offset, (this.options.maxRedeliveries ?? 0) + 1)
        if (holdPartition && state.inflight === holder) {
          state.inflight = null
          this.group.wakeAll()
        }
      },
    )
  }

  /** ack (commit) or nack (redeliver) a batch. */
  settle(batch: MemoryBatch, ack: boolean): Promise<void> {
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
    for (const range of batch.ranges) {
      const state = range.state
      if (state.inflight !== batch) continue // a seek moved the position meanwhile
      state.inflight = null
      if (ack) this.group.commit(state, range.end)
      else countDelivery(state, range)
    }
    this.group.wakeAll()
    return Promise.resolve()
  }

  /** Ack timeout: redeliver. */
  private release(batch: MemoryBatch): void {
    if (batch.done) return
    void this.settle(batch, false)
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

/** Records of a range handed out again count one more delivery each. */
function countDelivery(state: PartitionState, range: BatchRange): void {
  for (let offset = range.start; offset < range.end; offset++) {
    const delivered = state.deliveries.get(offset) ?? 0
    if (delivered !== -1) state.deliveries.set(offset, delivered + 1)
  }
}
