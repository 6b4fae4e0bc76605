// Per-partition batching (Java's RecordAccumulator). Records are appended to the open batch of
// their partition; a batch is ready to send when it is full (batchSize), when its oldest record
// waited lingerMs, when a later batch exists behind it, or when the producer flushes or closes.
//
// Order rule: a partition's batches are sent in queue order, up to `maxInFlight` at a time and all
// to the same broker (the broker keeps the order of requests on one connection). The idempotent
// producer pipelines up to 5 (the broker checks sequences, so a later batch can never be written
// before an earlier one); without idempotence only 1 is in flight, since nothing else would keep
// a retry in order. A failed batch that will be retried stays in its place in the queue with its
// sequence number unchanged, and the partition sends nothing new until every batch in flight has
// come back: then sending restarts from the oldest unacknowledged batch, in order. So retries
// never reorder records of a partition, and with idempotence the broker drops a retried batch it
// had already written.

export interface RecordMetadata {
  topic: string
  partition: number
  /** -1 when unknown (acks=0, or a duplicate the broker had already written). */
  offset: number
  timestamp: number
}

export interface PendingRecord {
  key: Uint8Array | null
  value: Uint8Array | null
  headers: [string, Uint8Array][]
  timestamp: number
  /** Estimated bytes, reserved in the buffer budget until the record completes. */
  size: number
  resolve(meta: RecordMetadata): void
  reject(err: Error): void
}

// Per-record overhead of the v2 record format (length, attributes, deltas, lengths: varints).
const RECORD_OVERHEAD = 21
// Fixed header of a record batch (61 bytes) — counted once per batch.
export const BATCH_OVERHEAD = 61

export function estimateRecordSize(
  key: Uint8Array | null,
  value: Uint8Array | null,
  headers: [string, Uint8Array][],
): number {
  let size = RECORD_OVERHEAD + (key?.length ?? 0) + (value?.length ?? 0)
  for (const [name, bytes] of headers) size += 2 + name.length * 3 + bytes.length
  return size
}

export class ProducerBatch {
  readonly topic: string
  readonly partition: number
  readonly records: PendingRecord[] = []
  readonly createdAt: number
  bytes = BATCH_OVERHEAD
  closed = false
  attempts = 0
  /** Idempotence: assigned when first sent, kept for every retry. -1 before. */
  baseSequence = -1
  producerId = -1n
  producerEpoch = -1
  /** Encoded record batch, kept so a retry re-sends the very same bytes. */
  encoded: Uint8Array | undefined
  /** Milliseconds timestamp after which it fails instead of retrying (deliveryTimeoutMs). */
  deadline: number
  /** Earliest time a retry may be sent (backoff). */
  retryAt = 0
  /** Sent and not yet answered. */
  inFlight = false
  /**
   * The last attempt ended without an answer (connection lost, request timed out): the broker
   * may or may not have written it. Cleared when an answer arrives.
   */
  outcomeUnknown = false
  /**
   * Some attempt under its current sequence got no answer, so it may be in the log whatever a
   * later attempt is answered (a retry refused as corrupt says nothing of the first copy).
   */
  mayBeInLog = false
  /** A newer batch of its partition was written under the same id and epoch: so was this one. */
  knownWritten = false
  /**
   * An older batch of the partition was refused after this attempt was issued behind it: this
   * attempt cannot be in the log, whatever happens to its answer.
   */
  refusedAhead = false
  /** The connection its latest attempt was written to. */
  sentOn: object | undefined
  /** The partition queue holding it (set by the accumulator; saves a lookup per state change). */
  queue: PartitionQueue | undefined

  constructor(topic: string, partition: number, now: number, deliveryTimeoutMs: number) {
    this.topic = topic
    this.partition = partition
    this.createdAt = now
    this.deadline = now + deliveryTimeoutMs
  }

  fail(err: Error): void {
    for (const r of this.records) r.reject(err)
  }
}

export interface PartitionQueue {
  topic: string
  partition: number
  batches: ProducerBatch[]
  /** Batches of this queue in flight. */
  inFlight: number
  /** The broker the in-flight batches went to (-1 when none is in flight). */
  node: number
  /** A batch failed and will be retried: send nothing until the in-flight ones came back. */
  retrying: boolean
}

export interface AccumulatorOptions {
  batchSize: number
  lingerMs: number
  deliveryTimeoutMs: number
  /** Batches of one partition in flight at once. Default 1. */
  maxInFlight?: number
}

/** A batch that may be sent now; `round` is how many batches of its partition go out before it. */
export interface ReadyBatch {
  batch: ProducerBatch
  round: number
}

export interface AppendResult {
  /** The batch the record joined was just closed (full) — a send is due. */
  batchFull: boolean
  /** A new batch was opened for this record (the previous one of the partition closed). */
  newBatch: boolean
  /** The record's batch is its partition's only one and nothing of the partition is in flight. */
  alone: boolean
}

const key = (topic: string, partition: number) => `${topic}\0${partition}`

export class Accumulator {
  readonly #opts: AccumulatorOptions
  readonly #queues = new Map<string, PartitionQueue>()
  /**
   * The same queues by topic, then partition number: append looks its queue up here, once per
   * record, without building the `topic\0partition` key string.
   */
  readonly #byTopic = new Map<string, (PartitionQueue | undefined)[]>()
  #records = 0
  /** Batches in the queues, and how many of them are in flight. */
  #batchCount = 0
  #inFlightCount = 0

  constructor(opts: AccumulatorOptions) {
    this.#opts = opts
  }

  /** Records buffered or in flight, not yet completed. */
  get pendingRecords(): number {
    return this.#records
  }

  /** Whether some batch is waiting to be sent (queued and not in flight). */
  get hasUnsent(): boolean {
    return this.#batchCount > this.#inFlightCount
  }

  #queueOf(batch: ProducerBatch): PartitionQueue {
    return (batch.queue ??= this.#queue(batch.topic, batch.partition))
  }

  #queue(topic: string, partition: number): PartitionQueue {
    let list = this.#byTopic.get(topic)
    const found = list?.[partition]
    if (found) return found
    const q: PartitionQueue = { topic, partition, batches: [], inFlight: 0, node: -1, retrying: false }
    this.#queues.set(key(topic, partition), q)
    if (!list) this.#byTopic.set(topic, (list = []))
    list[partition] = q
    return q
  }

  #dropQueue(k: string, q: PartitionQueue): void {
    this.#queues.delete(k)
    const list = this.#byTopic.get(q.topic)
    if (list?.[q.partition] === q) list[q.partition] = undefined
  }

  append(topic: string, partition: number, record: PendingRecord, now: number): AppendResult {
    const q = this.#queue(topic, partition)
    let last = q.batches.at(-1)
    let newBatch = false
    // A record joins the open batch unless that would overflow it; a single record bigger than
    // batchSize gets a batch of its own (maxRequestSize was checked by the caller).
    if (
      !last ||
      last.closed ||
      (last.records.length > 0 && last.bytes + record.size > this.#opts.batchSize)
    ) {
      if (last && !last.closed) last.closed = true
      newBatch = last !== undefined
      last = new ProducerBatch(topic, partition, now, this.#opts.deliveryTimeoutMs)
      last.queue = q
      q.batches.push(last)
      this.#batchCount++
    }
    last.records.push(record)
    last.bytes += record.size
    this.#records++
    if (last.bytes >= this.#opts.batchSize) last.closed = true
    return { batchFull: last.closed, newBatch, alone: q.inFlight === 0 && q.batches.length === 1 }
  }

  /**
   * Batches that may be sent now, in queue order per partition, and how long until the next one
   * becomes ready (for the linger timer). `force` (flush/close) makes every non-empty batch
   * ready. `leaderOf` says which broker a partition goes to now (< 0: unknown); a partition
   * whose leader moved waits until its in-flight batches came back before sending to the new one.
   * A partition for which `pipelines` says false has at most one batch in flight.
   */
  ready(
    now: number,
    force: boolean,
    leaderOf?: (topic: string, partition: number) => number,
    pipelines?: (topic: string, partition: number) => boolean,
  ): { ready: ReadyBatch[]; nextCheckMs: number } {
    const ready: ReadyBatch[] = []
    const max = this.#opts.maxInFlight ?? 1
    let nextCheckMs = Infinity
    for (const q of this.#queues.values()) {
      if (q.inFlight >= max || q.batches.length === 0) continue
      if (q.retrying && q.inFlight > 0) continue
      if (q.inFlight > 0 && leaderOf && leaderOf(q.topic, q.partition) !== q.node) continue
      let round = 0
      // In-flight batches are the oldest ones (nothing is sent past a batch waiting for a retry
      // while others are in flight), so the candidates are the ones after them, in order.
      for (let i = 0; i < q.batches.length && q.inFlight + round < max; i++) {
        const b = q.batches[i]!
        if (b.inFlight) continue
        if (q.inFlight + round > 0 && pipelines && !pipelines(q.topic, q.partition)) break
        if (b.retryAt > now) {
          nextCheckMs = Math.min(nextCheckMs, b.retryAt - now)
          break
        }
        const lingerLeft = b.createdAt + this.#opts.lingerMs - now
        if (force || b.closed || i < q.batches.length - 1 || b.attempts > 0 || lingerLeft <= 0) {
          ready.push({ batch: b, round: round++ })
        } else {
          nextCheckMs = Math.min(nextCheckMs, lingerLeft)
          break
        }
      }
    }
    return { ready, nextCheckMs }
  }

  /** The batch was sent to `node` (-1 when it is failed or parked without being sent). */
  markInFlight(batch: ProducerBatch, node = -1): void {
    const q = this.#queueOf(batch)
    batch.closed = true
    batch.attempts++
    batch.refusedAhead = false
    if (batch.inFlight) return
    batch.inFlight = true
    q.inFlight++
    this.#inFlightCount++
    q.node = node
    q.retrying = false
  }

  #landed(q: PartitionQueue, batch: ProducerBatch): void {
    if (!batch.inFlight) return
    batch.inFlight = false
    q.inFlight--
    this.#inFlightCount--
    if (q.inFlight === 0) q.node = -1
  }

  /** The batch finished (acknowledged or failed for good): drop it. */
  complete(batch: ProducerBatch): void {
    const q = this.#queueOf(batch)
    this.#landed(q, batch)
    // Batches complete in queue order almost always: the head is checked first.
    const i = q.batches[0] === batch ? 0 : q.batches.indexOf(batch)
    if (i < 0) return
    q.batches.splice(i, 1)
    this.#batchCount--
    this.#records -= batch.records.length
    if (q.batches.length === 0 && this.#byTopic.get(batch.topic)?.[batch.partition] === q) {
      this.#dropQueue(key(batch.topic, batch.partition), q)
    }
  }

  /**
   * The batch will be retried: it keeps its place in the queue and is sendable after `retryAt`,
   * once every batch of its partition still in flight came back.
   */
  requeue(batch: ProducerBatch, retryAt: number): void {
    const q = this.#queueOf(batch)
    batch.retryAt = retryAt
    this.#landed(q, batch)
    q.retrying = true
  }

  /**
   * Replaces a batch the broker found too large by its two halves, in its place in the queue.
   * With idempotence the halves keep the batch's sequence range (the first half starts at its
   * base sequence, the second right after), so the batches behind them stay valid.
   */
  split(batch: ProducerBatch, retryAt: number): [ProducerBatch, ProducerBatch] {
    const q = this.#queueOf(batch)
    this.#landed(q, batch)
    const half = Math.ceil(batch.records.length / 2)
    const parts = [batch.records.slice(0, half), batch.records.slice(half)].map((records, i) => {
      const b = new ProducerBatch(batch.topic, batch.partition, batch.createdAt, 0)
      b.queue = q
      b.deadline = batch.deadline
      b.records.push(...records)
      for (const r of records) b.bytes += r.size
      b.closed = true
      b.attempts = batch.attempts
      b.retryAt = retryAt
      if (batch.baseSequence >= 0) {
        b.producerId = batch.producerId
        b.producerEpoch = batch.producerEpoch
        b.baseSequence = i === 0 ? batch.baseSequence : (batch.baseSequence + half) % 0x80000000
      }
      return b
    }) as [ProducerBatch, ProducerBatch]
    const at = q.batches.indexOf(batch)
    if (at >= 0) {
      q.batches.splice(at, 1, ...parts)
      this.#batchCount++
    }
    q.retrying = true
    return parts
  }

  /**
   * Whether every batch ahead of `batch` in its partition is in flight on `connection`: only then
   * may `batch` be written there (the broker then sees the partition's batches in queue order).
   */
  aheadInFlightOn(batch: ProducerBatch, connection: object): boolean {
    for (const b of this.#queueOf(batch).batches) {
      if (b === batch) return true
      if (!b.inFlight || b.sentOn !== connection) return false
    }
    return true
  }

  /** Batches of the batch's partition in flight. */
  inFlightOf(batch: ProducerBatch): number {
    return this.#queues.get(key(batch.topic, batch.partition))?.inFlight ?? 0
  }

  /** Every batch of the partition queued ahead of `batch` (older), oldest first. */
  ahead(batch: ProducerBatch): ProducerBatch[] {
    const q = this.#queueOf(batch)
    const at = q.batches.indexOf(batch)
    return at <= 0 ? [] : q.batches.slice(0, at)
  }

  /** Every batch of the partition queued behind `batch`. */
  behind(batch: ProducerBatch): ProducerBatch[] {
    const q = this.#queueOf(batch)
    const at = q.batches.indexOf(batch)
    return at < 0 ? [] : q.batches.slice(at + 1)
  }

  /** Whether an older batch of the same partition is still waiting for its outcome. */
  hasOlderPending(batch: ProducerBatch): boolean {
    const q = this.#queues.get(key(batch.topic, batch.partition))
    return q !== undefined && q.batches[0] !== batch && q.batches.includes(batch)
  }

  /** Batches in flight over all partitions. */
  get inFlightBatches(): number {
    return this.#inFlightCount
  }

  /** Every batch not completed, head first per partition (for epoch bumps and close). */
  *batches(): Iterable<ProducerBatch> {
    for (const q of this.#queues.values()) yield* q.batches
  }

  /** Removes every batch that is not in flight and returns them (close with drop). */
  drainUnsent(): ProducerBatch[] {
    const out: ProducerBatch[] = []
    for (const [k, q] of this.#queues) {
      const keep = q.batches.filter((b) => b.inFlight)
      for (const b of q.batches) if (!b.inFlight) out.push(b)
      q.batches = keep
      if (keep.length === 0) this.#dropQueue(k, q)
    }
    for (const b of out) this.#records -= b.records.length
    this.#batchCount -= out.length
    return out
  }
}
