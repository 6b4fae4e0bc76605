// The native Kafka producer.
//
// send() picks a partition, reserves buffer space (waiting or failing when full), and appends
// the record to its partition's batch in the accumulator; the returned promise settles when the
// broker acknowledged the record (or it failed for good). A sender loop drains ready batches,
// groups them by leader into Produce requests of at most maxRequestSize, and handles each
// partition's answer:
//
//   ok                             → records resolve with their offsets
//   retriable (NOT_LEADER, timeout, connection lost, …)
//                                  → batch stays in its place in its partition's queue with its
//                                    sequence, metadata refreshed; once every batch of the
//                                    partition in flight came back, they are all sent again in
//                                    queue order after a backoff, until deliveryTimeoutMs
//   OUT_OF_ORDER_SEQUENCE while an older batch of the partition is still unacknowledged
//                                  → expected (the broker refuses a gap): retried in order
//   OUT_OF_ORDER_SEQUENCE / UNKNOWN_PRODUCER_ID on the oldest unacknowledged batch (idempotent)
//                                  → the broker lost our state: sending stops, and once no
//                                    Produce request is in flight (every outcome known) the
//                                    epoch is bumped (InitProducerId, KIP-360), sequences
//                                    restart, and the batches are sent again in order
//   anything else                  → the batch's records reject with the broker's error
//
// Pipelining: with idempotence a partition has up to maxInFlightPerPartition batches in flight,
// all to the same broker and issued to its connection in sequence order (IssueOrder), once the
// broker accepted one batch of the partition under the current producer id and epoch (before
// that it would accept any first sequence, so a gap could be written); without idempotence it has
// one, since nothing else would keep a retry in order.
//
// When can a send fail: a ConfigError/MessageTooLargeError at the call; BufferFullError when the
// buffer stays full for maxBlockMs; a BrokerError the broker will not change its mind about; a
// TimeoutError after deliveryTimeoutMs of retrying; ClosedError if closed with drop. With acks
// 'all' and idempotence, a resolved send is on every in-sync replica exactly once.

import { Backoff } from '../../core/backoff.ts'
import { channels } from '../../core/diagnostics.ts'
import {
  ClosedError,
  ConfigError,
  ConduitError,
  ConnectionError,
  MessageTooLargeError,
  TimeoutError,
} from '../../core/errors.ts'
import type { KafkaCluster, TopicInfo, TopicLookupOptions } from '../cluster.ts'
import {
  ApiKey,
  encodeRecordBatch,
  encodeRecordBatchSync,
  kafkaError,
  kafkaErrorInfo,
} from '../protocol/index.ts'
import {
  Accumulator,
  BATCH_OVERHEAD,
  estimateRecordSize,
  type PendingRecord,
  type ProducerBatch,
  type RecordMetadata,
} from './accumulator.ts'
import { BatchRecord, BatchResult } from './batch-result.ts'
import { BufferBudget } from './buffer-budget.ts'
import { IdempotenceErrors, IdempotenceState } from './idempotence.ts'
import { IssueOrder, type IssueTurn } from './issue-order.ts'
import { topicMessageSizeLimit } from './message-size-limit.ts'
import { resolveProducerConfig, type KafkaProducerConfig, type ResolvedProducerConfig } from './options.ts'
import { createPartitioner, explicitPartition, type Partitioner } from './partitioner.ts'
import { optionalRecordBytes, recordBytes } from './record-bytes.ts'

export type { RecordMetadata } from './accumulator.ts'

export interface ProducerRecord {
  key?: string | Uint8Array | null
  value: string | Uint8Array | null
  /** Header values as strings or bytes; an array keeps duplicates and order. */
  headers?: Record<string, string | Uint8Array> | [string, string | Uint8Array][]
  timestamp?: number | Date
  partition?: number
}

const MESSAGE_TOO_LARGE = 10
const RECORD_LIST_TOO_LARGE = 18

function headerList(headers: ProducerRecord['headers']): [string, Uint8Array][] {
  if (headers === undefined) return []
  const entries = Array.isArray(headers) ? headers : Object.entries(headers)
  return entries.map(([name, value]) => {
    if (typeof name !== 'string') throw new ConfigError('header names must be strings')
    if (typeof value === 'string') return [name, recordBytes(value)]
    if (value instanceof Uint8Array) return [name, value]
    throw new ConfigError(`header "${name}" must be a string or bytes`)
  })
}

/** A record checked, converted to bytes and given its partition, ready to be buffered. */
interface Prepared {
  key: Uint8Array | null
  value: Uint8Array | null
  headers: [string, Uint8Array][]
  timestamp: number
  size: number
  partition: number
  partitionCount: number
}

export class KafkaProducer {
  readonly config: ResolvedProducerConfig
  readonly #cluster: KafkaCluster
  /** The producer's own lookups may create a missing topic when the client allows it. */
  readonly #autoCreate: TopicLookupOptions
  readonly #accumulator: Accumulator
  readonly #budget: BufferBudget
  readonly #partitioner: Partitioner
  readonly #idempotence = new IdempotenceState()
  #producerIdInit: Promise<void> | undefined
  #drainScheduled = false
  #lingerTimer: ReturnType<typeof setTimeout> | undefined
  #lingerAt = Infinity
  #flushing = 0
  #closed = false
  #inFlightRequests = 0
  /** The broker lost our producer state: bump the epoch once no request is in flight. */
  #bumpWanted = false
  readonly #issueOrder = new IssueOrder()
  /** Batches the broker refused for good, failed once their partition has nothing in flight. */
  readonly #refused: { batch: ProducerBatch; error: Error }[] = []
  readonly #idleWaiters: Array<() => void> = []
  readonly #retryBackoff: Backoff

  constructor(cluster: KafkaCluster, config: KafkaProducerConfig = {}) {
    this.config = resolveProducerConfig(config)
    this.#cluster = cluster
    this.#autoCreate = { autoCreate: cluster.options.allowAutoTopicCreation }
    this.#accumulator = new Accumulator({
      batchSize: this.config.batchSize,
      lingerMs: this.config.lingerMs,
      deliveryTimeoutMs: this.config.deliveryTimeoutMs,
      maxInFlight: this.config.idempotent ? this.config.maxInFlightPerPartition : 1,
    })
    this.#budget = new BufferBudget(this.config.bufferMemory, this.config.maxBufferedRecords)
    this.#partitioner = createPartitioner(this.config.partitioner)
    this.#retryBackoff = new Backoff({
      initialMs: this.config.retryBackoffMs,
      maxMs: this.config.retryBackoffMaxMs,
    })
  }

  /** Batches sent again after a failed attempt since the producer was created (a health metric). */
  get retries(): number {
    return this.#retries
  }

  #retries = 0

  /** Records buffered or in flight. */
  get pending(): number {
    return this.#accumulator.pendingRecords
  }

  /**
   * Sends one record; resolves with its partition and offset once acknowledged.
   *
   * Records sent to a topic reach the accumulator in call order, even when some calls must wait
   * (for the topic's metadata or for buffer space) and others could go at once: a call goes
   * straight through only when nothing of its topic is waiting, otherwise it lines up behind.
   * The straight path takes no extra tick, which is what a single awaited send pays for.
   */
  send(topic: string, record: ProducerRecord): Promise<RecordMetadata> {
    if (this.#closed) return Promise.reject(new ClosedError('producer is closed'))
    let prepared
    try {
      prepared = this.#admitNow(topic, record)
    } catch (err) {
      return Promise.reject(err as Error)
    }
    return prepared ? this.#enqueue(topic, prepared, true) : this.#sendInLine(topic, record)
  }

  /**
   * The straight path of send and sendBatch: the record prepared with its buffer space reserved,
   * or undefined when it must line up instead (metadata not known yet, an earlier send of the
   * topic waiting, buffer full). Throws on bad input.
   */
  #admitNow(topic: string, record: ProducerRecord): Prepared | undefined {
    if (this.#waitingSends.has(topic)) return undefined
    const info = this.#cluster.topics.get(topic)
    if (!info || info.partitions.length === 0) return undefined
    const prepared = this.#prepareWith(info, record)
    return this.#budget.tryReserve(prepared.size) ? prepared : undefined
  }

  /** Topics with a send waiting for metadata or buffer space: later sends line up behind it. */
  readonly #waitingSends = new Map<string, Promise<void>>()

  async #sendInLine(topic: string, record: ProducerRecord): Promise<RecordMetadata> {
    const ahead = this.#waitingSends.get(topic)
    let release!: () => void
    const mine = new Promise<void>((resolve) => (release = resolve))
    this.#waitingSends.set(topic, mine)
    // A send issued before close() is delivered by the draining close, even while it still
    // waits for metadata or buffer space: close waits for it to reach the accumulator.
    this.#entering++
    let enqueued: Promise<RecordMetadata>
    try {
      if (ahead) await ahead
      const prepared = await this.#prepare(topic, record, true)
      await this.#budget.reserve(prepared.size, this.config.maxBlockMs)
      enqueued = this.#enqueue(topic, prepared, true)
    } finally {
      release()
      if (this.#waitingSends.get(topic) === mine) this.#waitingSends.delete(topic)
      this.#entered()
    }
    return enqueued
  }

  /**
   * Sends several records, in order; resolves when all of them were acknowledged. A record
   * refused at the call (bad input, buffer full) rejects the whole result, while the others still
   * go out and complete (their outcome is not lost silently).
   */
  sendBatch(topic: string, records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    if (this.#closed) return Promise.reject(new ClosedError('producer is closed'))
    if (!Array.isArray(records)) return Promise.reject(new ConfigError('sendBatch takes an array of records'))
    // Record by record the same path as send(), settling one shared result instead of a promise
    // per record (see batch-result.ts).
    const result = new BatchResult(records.length)
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      let prepared
      try {
        prepared = this.#closed ? undefined : this.#admitNow(topic, record)
      } catch (err) {
        result.fail(err as Error)
        continue
      }
      if (prepared) {
        this.#append(topic, prepared, true, new BatchRecord(prepared, this.#budget, result, i))
        continue
      }
      const index = i
      this.send(topic, record).then(
        (meta) => result.ok(index, meta),
        (err: Error) => result.fail(err),
      )
    }
    return result.promise
  }

  #entering = 0
  #enteredWaiters: Array<() => void> = []

  #entered(): void {
    this.#entering--
    if (this.#entering === 0) for (const w of this.#enteredWaiters.splice(0)) w()
  }

  /**
   * Buffers a record if there is room right now; returns undefined when the buffer is full.
   * The topic's metadata must already be known (a send or `prepareTopic` loaded it).
   */
  trySend(topic: string, record: ProducerRecord): Promise<RecordMetadata> | undefined {
    // A send of this topic waiting for room or metadata goes first: this one would overtake it.
    if (this.#waitingSends.has(topic)) return undefined
    const info = this.#cluster.topics.get(topic)
    if (!info) return undefined
    const prepared = this.#prepareWith(info, record)
    if (!this.#budget.tryReserve(prepared.size)) return undefined
    return this.#enqueue(topic, prepared)
  }

  /** Loads a topic's metadata so trySend can route to it. */
  async prepareTopic(topic: string): Promise<void> {
    await this.#cluster.topic(topic, undefined, this.#autoCreate)
  }

  async #prepare(topic: string, record: ProducerRecord, admitted = false) {
    if (this.#closed && !admitted) throw new ClosedError('producer is closed')
    if (typeof topic !== 'string' || topic === '') throw new ConfigError('topic must be a non-empty string')
    const info = await this.#cluster.topic(topic, undefined, this.#autoCreate)
    return this.#prepareWith(info, record, admitted)
  }

  #prepareWith(info: TopicInfo, record: ProducerRecord, admitted = false): Prepared {
    if (this.#closed && !admitted) throw new ClosedError('producer is closed')
    if (record === null || typeof record !== 'object')
      throw new ConfigError('a record must be an object { key, value }')
    const { value } = record
    if (value !== null && typeof value !== 'string' && !(value instanceof Uint8Array)) {
      throw new ConfigError('record value must be a string, bytes or null')
    }
    const key = optionalRecordBytes(record.key)
    const valueBytes = optionalRecordBytes(value)
    const headers = headerList(record.headers)
    let timestamp = Date.now()
    if (record.timestamp !== undefined) {
      timestamp = record.timestamp instanceof Date ? record.timestamp.getTime() : record.timestamp
      if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
        throw new ConfigError(
          `record timestamp must be a non-negative integer ms, got ${String(record.timestamp)}`,
        )
      }
    }
    const size = estimateRecordSize(key, valueBytes, headers)
    if (size + BATCH_OVERHEAD > this.config.maxRequestSize) {
      throw new MessageTooLargeError(size + BATCH_OVERHEAD, this.config.maxRequestSize)
    }
    const count = info.partitions.length
    let partition: number
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0) {
        throw new ConfigError(
          `record partition must be a non-negative integer, got ${String(record.partition)}`,
        )
      }
      partition = explicitPartition(info.name, record.partition, count)
    } else {
      partition = this.#partitioner.partition({
        topic: info.name,
        key,
        value: valueBytes,
        partitionCount: count,
        availablePartitions: this.#available(info),
      })
    }
    return { key, value: valueBytes, headers, timestamp, size, partition, partitionCount: count }
  }

  #available(info: TopicInfo): number[] {
    const out: number[] = []
    for (const p of info.partitions) if (p && p.leader >= 0) out.push(p.partition)
    return out
  }

  #enqueue(topic: string, p: Prepared, admitted = false): Promise<RecordMetadata> {
    return new Promise<RecordMetadata>((resolve, reject) => {
      const budget = this.#budget
      const size = p.size
      this.#append(topic, p, admitted, {
        key: p.key,
        value: p.value,
        headers: p.headers,
        timestamp: p.timestamp,
        size,
        resolve(meta) {
          budget.release(size)
          resolve(meta)
        },
        reject(err) {
          budget.release(size)
          reject(err)
        },
      })
    })
  }

  /** Adds a record whose buffer space is reserved to its partition's batch and schedules the send. */
  #append(topic: string, p: Prepared, admitted: boolean, record: PendingRecord): void {
    if (this.#closed && (!admitted || this.#closedDropping)) {
      record.reject(new ClosedError('producer is closed'))
      return
    }
    const { batchFull, newBatch, alone } = this.#accumulator.append(topic, p.partition, record, Date.now())
    if (newBatch || batchFull) {
      const info = this.#cluster.topics.get(topic)
      this.#partitioner.onNewBatch(topic, p.partition, p.partitionCount, info ? this.#available(info) : [])
    }
    if (this.config.lingerMs === 0 && alone) this.#drainSoon()
    else if (batchFull || this.config.lingerMs === 0) this.#scheduleDrain()
    else this.#scheduleLinger(this.config.lingerMs)
  }

  /**
   * Drains once the current synchronous run of sends is over (a microtask), rather than on the
   * next turn of the event loop: for a record whose partition is idle (nothing in flight, nothing
   * queued), so an awaited single send is written within the call that made it, while the
   * records of a synchronous burst (sendBatch, a loop of send) still share one batch. A partition
   * with batches in flight keeps accumulating until the next turn (#scheduleDrain).
   */
  #drainSoon(): void {
    if (this.#drainSoonQueued) return
    this.#drainSoonQueued = true
    queueMicrotask(() => {
      this.#drainSoonQueued = false
      this.#drain()
    })
  }

  #drainSoonQueued = false

  #scheduleDrain(): void {
    if (this.#drainScheduled) return
    this.#drainScheduled = true
    setImmediate(() => {
      this.#drainScheduled = false
      this.#drain()
    })
  }

  #scheduleLinger(ms: number): void {
    const at = Date.now() + ms
    if (this.#lingerTimer && this.#lingerAt <= at) return
    clearTimeout(this.#lingerTimer)
    this.#lingerAt = at
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = undefined
      this.#lingerAt = Infinity
      this.#drain()
    }, ms)
  }

  #drain(): void {
    // While an epoch bump is wanted, the only batches sent are those whose last attempt got no
    // answer, again under the old epoch and sequence: the broker's answer (written, duplicate, or
    // refused) settles whether they are in the log, so after the bump a batch the broker already
    // has is not sent again under new sequence numbers.
    this.#failRefused()
    const settling = this.#bumpWanted
    if (settling && !this.#hasUnsettledBatch()) {
      this.#maybeBump()
      return
    }
    const now = Date.now()
    const leaderOf = (topic: string, partition: number) => this.#cluster.leaderOf(topic, partition)
    let { ready, nextCheckMs } = this.#accumulator.ready(
      now,
      this.#flushing > 0 || this.#closed,
      leaderOf,
      this.#pipelines,
    )
    if (settling) ready = ready.filter(({ batch, round }) => round === 0 && this.#unsettled(batch))
    if (Number.isFinite(nextCheckMs)) this.#scheduleLinger(Math.max(1, nextCheckMs))
    // Per broker, a list of rounds: round k holds the k-th sendable batch of each partition, so a
    // request carries at most one batch per partition and rounds go out in order.
    const byNode = new Map<number, ProducerBatch[][]>()
    let needMetadata = false
    for (const { batch, round } of ready) {
      if (now > batch.deadline) {
        this.#accumulator.markInFlight(batch)
        this.#fail(
          batch,
          new TimeoutError(
            `records for ${batch.topic}-${batch.partition} not acknowledged within deliveryTimeoutMs (${this.config.deliveryTimeoutMs} ms)`,
          ),
        )
        continue
      }
      const leader = leaderOf(batch.topic, batch.partition)
      if (leader < 0) {
        needMetadata = true
        this.#accumulator.markInFlight(batch)
        batch.attempts-- // waiting for a leader is not an attempt
        this.#accumulator.requeue(batch, now + this.config.retryBackoffMs)
        continue
      }
      let rounds = byNode.get(leader)
      if (!rounds) byNode.set(leader, (rounds = []))
      ;(rounds[round] ??= []).push(batch)
    }
    if (needMetadata) {
      this.#cluster.refreshMetadata('known').catch(() => undefined)
      this.#scheduleLinger(this.config.retryBackoffMs)
    }
    for (const [nodeId, rounds] of byNode) {
      for (const batches of rounds) {
        if (!batches) continue
        // Split into requests of at most maxRequestSize bytes (estimated).
        let current: ProducerBatch[] = []
        let bytes = 0
        for (const b of batches) {
          if (current.length > 0 && bytes + b.bytes > this.config.maxRequestSize) {
            this.#dispatch(nodeId, current)
            current = []
            bytes = 0
          }
          current.push(b)
          bytes += b.bytes
        }
        if (current.length > 0) this.#dispatch(nodeId, current)
      }
    }
    this.#checkIdle()
  }

  /** Idempotent: batches pipeline on a partition once the broker accepted one (see knownTo). */
  readonly #pipelines = (topic: string, partition: number): boolean =>
    this.#idempotence.knownTo(topic, partition)

  #dispatch(nodeId: number, batches: ProducerBatch[]): void {
    for (const b of batches) this.#accumulator.markInFlight(b, nodeId)
    this.#inFlightRequests++
    const turn = this.#issueOrder.enter(nodeId)
    this.#produce(nodeId, batches, turn).then(
      () => this.#requestDone(turn),
      (err: Error) => {
        // The whole request failed (connection lost, timed out, no connection): every batch's
        // outcome is unknown, so each is retried — with its sequence, so no duplicate appears.
        // A request held back before the write (NotIssuedError) leaves what was known unchanged.
        for (const b of batches) {
          if (!(err instanceof NotIssuedError) && !b.refusedAhead) b.outcomeUnknown = b.mayBeInLog = true
          this.#retryOrFail(b, err)
        }
        this.#cluster.refreshMetadata('known').catch(() => undefined)
        this.#requestDone(turn)
      },
    )
  }

  #requestDone(turn: IssueTurn): void {
    turn.issued()
    this.#inFlightRequests--
    // Batches that waited for this request (a full partition, a retry, an epoch bump) go now.
    if (this.#accumulator.hasUnsent || this.#bumpWanted || this.#refused.length > 0) this.#scheduleDrain()
    this.#checkIdle()
  }

  /**
   * Bumps the epoch once no Produce request is in flight, so the outcome of every batch sent
   * under the old epoch is known (answered, or lost with the connection) before sequences restart.
   */
  #maybeBump(): void {
    if (!this.#bumpWanted || this.#inFlightRequests > 0 || this.#producerIdInit) return
    if (this.#hasUnsettledBatch()) {
      this.#scheduleDrain()
      return
    }
    this.#ensureProducerId(true).then(
      () => {
        this.#bumpWanted = false
        this.#scheduleDrain()
      },
      () => {
        // InitProducerId failed (broker unreachable…): try again after a backoff; batches past
        // their deadline fail meanwhile.
        setTimeout(() => {
          this.#expireWhileBlocked()
          this.#maybeBump()
        }, this.#retryBackoff.next()).unref()
      },
    )
  }

  /**
   * A refused batch was certainly not written: once no batch of its partition is in flight, the
   * ones behind it take over its sequence numbers (no gap, so no epoch bump) and it fails.
   */
  #failRefused(): void {
    for (let i = 0; i < this.#refused.length; i++) {
      const { batch, error } = this.#refused[i]!
      if (this.#accumulator.inFlightOf(batch) > 0) continue
      this.#refused.splice(i--, 1)
      if (this.config.idempotent) this.#idempotence.closeGap(batch, this.#accumulator.behind(batch))
      this.#fail(batch, error)
    }
  }

  /**
   * MESSAGE_TOO_LARGE / RECORD_LIST_TOO_LARGE: the batch is split in two and both halves are sent
   * in its place (they keep its sequence range); a single record too large fails with
   * MessageTooLargeError carrying the topic's limit.
   */
  #tooLarge(batch: ProducerBatch, err: Error): void {
    if (batch.records.length > 1) {
      this.#accumulator.split(batch, Date.now())
      this.#scheduleDrain()
      return
    }
    // Parked (never ready) until the limit is known and its partition has nothing in flight.
    this.#accumulator.requeue(batch, Infinity)
    const size = batch.encoded?.length ?? batch.bytes
    void topicMessageSizeLimit(this.#cluster, batch.topic).then((limit) => {
      this.#refused.push({ batch, error: new MessageTooLargeError(size, limit, { cause: err }) })
      this.#scheduleDrain()
    })
  }

  /** Sent under the current epoch, and its last attempt got no answer. */
  #unsettled(batch: ProducerBatch): boolean {
    return (
      batch.outcomeUnknown &&
      batch.baseSequence >= 0 &&
      batch.producerId === this.#idempotence.producerId &&
      batch.producerEpoch === this.#idempotence.producerEpoch
    )
  }

  #hasUnsettledBatch(): boolean {
    for (const b of this.#accumulator.batches()) if (!b.inFlight && this.#unsettled(b)) return true
    return false
  }

  #expireWhileBlocked(): void {
    const now = Date.now()
    for (const b of [...this.#accumulator.batches()]) {
      if (!b.inFlight && now > b.deadline) {
        this.#fail(
          b,
          new TimeoutError(
            `records for ${b.topic}-${b.partition} not acknowledged within deliveryTimeoutMs (${this.config.deliveryTimeoutMs} ms)`,
          ),
        )
      }
    }
  }

  async #ensureProducerId(bump: boolean): Promise<void> {
    if (!this.config.idempotent) return
    if (this.#idempotence.initialized && !bump) return
    if (this.#producerIdInit) return this.#producerIdInit
    this.#producerIdInit = (async () => {
      const current = this.#idempotence
      const res = await this.#cluster.withAnyConnection('produce', (conn) =>
        conn.request(ApiKey.InitProducerId, {
          transactionalId: null,
          transactionTimeoutMs: -1,
          producerId: bump ? current.producerId : -1n,
          producerEpoch: bump ? current.producerEpoch : -1,
        }),
      )
      if (res.errorCode !== 0) throw kafkaError(res.errorCode, 'InitProducerId')
      current.reset(BigInt(res.producerId), res.producerEpoch, this.#accumulator.batches())
    })().finally(() => {
      this.#producerIdInit = undefined
    })
    return this.#producerIdInit
  }

  /**
   * Sends one Produce request and handles its answer. Once the producer id is known, with no
   * compression and a ready connection, everything up to the socket write runs synchronously
   * (no await before conn.request), so a lone batch is on the wire within the drain that sent it.
   */
  async #produce(nodeId: number, batches: ProducerBatch[], turn: IssueTurn): Promise<void> {
    if (this.config.idempotent && !this.#idempotence.initialized) await this.#ensureProducerId(false)
    const cfg = this.config
    const topicData = new Map<
      string,
      {
        name: string
        topicId: Uint8Array | undefined
        partitionData: { index: number; records: Uint8Array }[]
      }
    >()
    // Sequence numbers are given to every batch of the request before the first await below:
    // requests to one partition resume here in dispatch order, and a later request must not
    // take a sequence while an earlier one is still encoding (the broker would refuse the gap).
    if (cfg.idempotent) for (const b of batches) this.#idempotence.sequence(b)
    for (const b of batches) {
      if (b.encoded === undefined) {
        const options = {
          // PendingRecord carries key, value, headers and timestamp: the encoder reads only those.
          records: b.records,
          compression: cfg.compression,
          producerId: cfg.idempotent ? b.producerId : -1n,
          producerEpoch: cfg.idempotent ? b.producerEpoch : -1,
          baseSequence: cfg.idempotent ? b.baseSequence : -1,
          transactional: false,
        }
        b.encoded =
          cfg.compression === 'none' ? encodeRecordBatchSync(options) : await encodeRecordBatch(options)
      }
      const encoded = b.encoded
      let t = topicData.get(b.topic)
      if (!t) {
        t = { name: b.topic, topicId: this.#cluster.topics.get(b.topic)?.topicId, partitionData: [] }
        topicData.set(b.topic, t)
      }
      t.partitionData.push({ index: b.partition, records: encoded })
    }
    const conn =
      this.#cluster.readyConnection(nodeId, 'produce') ?? (await this.#cluster.connection(nodeId, 'produce'))
    if (turn.ahead) await turn.ahead
    // A batch goes on the wire only right behind every older batch of its partition, on the same
    // connection. If an older one waits for a retry, or went out on a connection that died since,
    // this request could reach the broker first; a broker with no state for the producer accepts
    // any first sequence, so the older batch would then be refused, re-sequenced and written
    // after it. The request is not sent; its batches go again in queue order.
    for (const b of batches) {
      if (!this.#accumulator.aheadInFlightOn(b, conn)) {
        throw new NotIssuedError(
          `an older batch of ${b.topic}-${b.partition} is not in flight on this connection`,
        )
      }
    }
    for (const b of batches) b.sentOn = conn
    const answer = conn.request(
      ApiKey.Produce,
      {
        transactionalId: null,
        acks: cfg.acks,
        timeoutMs: cfg.requestTimeoutMs,
        topicData: [...topicData.values()],
      },
      { expectResponse: cfg.acks !== 0, timeoutMs: cfg.requestTimeoutMs + 5000 },
    )
    turn.issued()
    const res = await answer
    if (cfg.acks === 0) {
      for (const b of batches) this.#succeed(b, -1, -1)
      return
    }
    const answered = new Set<ProducerBatch>()
    for (const topic of res.responses) {
      for (const pr of topic.partitionResponses) {
        const batch = batches.find(
          (b) => b.topic === (topic.name ?? b.topic) && b.partition === pr.index && !answered.has(b),
        )
        if (!batch) continue
        answered.add(batch)
        this.#handlePartition(batch, pr)
      }
    }
    for (const b of batches) {
      if (!answered.has(b))
        this.#retryOrFail(
          b,
          kafkaError(-1, `Produce to ${b.topic}-${b.partition}`, 'no answer for the partition'),
        )
    }
  }

  #handlePartition(batch: ProducerBatch, pr: any): void {
    const code: number = pr.errorCode
    batch.outcomeUnknown = false
    if (code === 0) {
      this.#retryBackoff.reset()
      this.#idempotence.acknowledged(batch)
      this.#writtenAhead(batch)
      this.#succeed(batch, Number(pr.baseOffset), Number(pr.logAppendTimeMs ?? -1n))
      return
    }
    if (code === IdempotenceErrors.DUPLICATE_SEQUENCE_NUMBER || batch.knownWritten) {
      // The broker had already written this batch (an earlier attempt got through), or wrote a
      // newer one of the partition, which it accepts only after this one.
      this.#idempotence.acknowledged(batch)
      this.#writtenAhead(batch)
      this.#succeed(batch, -1, -1)
      return
    }
    if (!batch.mayBeInLog) this.#notWrittenBehind(batch)
    const err = kafkaError(code, `Produce to ${batch.topic}-${batch.partition}`, pr.errorMessage)
    if (code === MESSAGE_TOO_LARGE || code === RECORD_LIST_TOO_LARGE) {
      this.#tooLarge(batch, err)
      return
    }
    if (this.config.idempotent && IdempotenceState.needsEpochBump(code)) {
      // A batch sent under an epoch already replaced is simply re-sequenced; only a failure in
      // the current epoch bumps it (otherwise every stale batch would bump it once more).
      if (
        batch.producerEpoch !== this.#idempotence.producerEpoch ||
        batch.producerId !== this.#idempotence.producerId
      ) {
        this.#retryOrFail(batch, err, true)
        return
      }
      // An older batch of the partition failed and will be sent again: the broker refused this
      // one because of the gap. Expected; it goes again after the older one, in order.
      if (this.#accumulator.hasOlderPending(batch)) {
        this.#retryOrFail(batch, err, true)
        return
      }
      // The oldest unacknowledged batch is refused: the broker lost track of this producer.
      this.#bumpWanted = true
      this.#retryOrFail(batch, err, true)
      return
    }
    this.#cluster.noteError(code)
    this.#retryOrFail(batch, err)
  }

  /**
   * The broker wrote `batch`: with state for this producer on the partition (batches pipeline only
   * once it has, see knownTo) it accepts a sequence only right after the last one written, so
   * every older batch of the partition under the same id and epoch is in the log too, whatever
   * their own attempts were answered (a retry refused as corrupt, an answer lost). They complete
   * as written, with the offset unknown; one still in flight completes when its attempt ends.
   * Sending them again under a new epoch would write them twice.
   */
  #writtenAhead(batch: ProducerBatch): void {
    if (!this.config.idempotent || batch.baseSequence < 0) return
    for (const b of this.#accumulator.ahead(batch)) {
      if (b.producerId !== batch.producerId || b.producerEpoch !== batch.producerEpoch) continue
      if (b.inFlight) b.knownWritten = true
      else this.#succeed(b, -1, -1)
    }
  }

  /**
   * The broker refused `batch` (and no earlier attempt of it may be in the log), so it is not in
   * the log, and neither is any newer batch of its partition sent under the same id and epoch:
   * each went out behind it on the same connection (#produce holds back anything else), and a
   * broker with state for us refuses a gap (before it has state, batches are not pipelined).
   * Those whose last attempt got no answer are settled too, so an epoch bump does not wait for an
   * answer that can no longer come. (One in flight was issued while this attempt was in flight on
   * its connection, so after it.)
   */
  #notWrittenBehind(batch: ProducerBatch): void {
    for (const b of this.#accumulator.behind(batch)) {
      if (b.producerId !== batch.producerId || b.producerEpoch !== batch.producerEpoch) continue
      b.outcomeUnknown = false
      // One in flight went out after this refused attempt: if its answer is lost, it is known.
      if (b.inFlight) b.refusedAhead = true
    }
  }

  #retryOrFail(batch: ProducerBatch, err: Error, forceRetry = false): void {
    if (batch.knownWritten) {
      this.#succeed(batch, -1, -1)
      return
    }
    const retriable = forceRetry || (err instanceof ConduitError && err.retriable)
    const now = Date.now()
    if (retriable && !this.#closedDropping && now < batch.deadline) {
      this.#retries++
      this.#accumulator.requeue(batch, now + this.#retryBackoff.next())
      this.#scheduleLinger(this.config.retryBackoffMs)
      return
    }
    this.#fail(batch, err)
  }

  #closedDropping = false

  #succeed(batch: ProducerBatch, baseOffset: number, logAppendTime: number): void {
    this.#accumulator.complete(batch)
    if (channels.messageSend.hasSubscribers) {
      channels.messageSend.publish({
        driver: 'kafka',
        topic: batch.topic,
        partition: batch.partition,
        count: batch.records.length,
        bytes: batch.bytes,
      })
    }
    const { records, topic, partition } = batch
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!
      r.resolve({
        topic,
        partition,
        offset: baseOffset >= 0 ? baseOffset + i : -1,
        timestamp: logAppendTime >= 0 ? logAppendTime : r.timestamp,
      })
    }
    this.#checkIdle()
  }

  #fail(batch: ProducerBatch, err: Error): void {
    this.#accumulator.complete(batch)
    batch.fail(err)
    this.#checkIdle()
  }

  #checkIdle(): void {
    if (this.#accumulator.pendingRecords > 0) return
    for (const w of this.#idleWaiters.splice(0)) w()
  }

  /** Sends everything buffered now (ignoring linger) and resolves when all of it completed. */
  async flush(): Promise<void> {
    if (this.#accumulator.pendingRecords === 0) return
    this.#flushing++
    try {
      const idle = new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
      this.#drain()
      await idle
    } finally {
      this.#flushing--
    }
  }

  /**
   * Closes the producer. By default drains: waits for every buffered record to complete. With
   * `drop`, records not yet sent fail with ClosedError and are counted in the result; a batch
   * already in flight still completes (its outcome at the broker cannot be taken back).
   */
  async close(options: { drop?: boolean } = {}): Promise<number> {
    if (this.#closed) return 0
    this.#closed = true
    let dropped = 0
    if (options.drop) {
      this.#closedDropping = true
      const err = new ClosedError('producer closed before the record was sent')
      for (const b of this.#accumulator.drainUnsent()) {
        dropped += b.records.length
        b.fail(err)
      }
    }
    if (this.#entering > 0 && !options.drop) {
      await new Promise<void>((resolve) => this.#enteredWaiters.push(resolve))
    }
    await this.flush()
    this.#budget.close()
    clearTimeout(this.#lingerTimer)
    return dropped
  }
}

/** A Produce request held back before it was written (see #produce); retried like a lost one. */
class NotIssuedError extends ConnectionError {
  // Conduit errors match `instanceof` by kind (two installed copies): this one needs its own.
  static override readonly kind: string = 'KafkaProduceNotIssued'
}
