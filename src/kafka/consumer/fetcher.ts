// Per-partition fetching. For every broker that leads at least one partition we may fetch, one
// Fetch request is in flight at a time, on that broker's "fetch" socket, with an incremental fetch
// session. A partition is fetchable when it is assigned, not paused, has a position, and holds
// less than partitionMaxBytes of records not yet handed out; and nothing is fetched while the consumer holds maxPrefetchBytes of records it
// has not handed out — that is the backpressure: a slow application stops the fetching.
//
// A fetch answer is applied only if the partition's token is unchanged since the request was
// built: a seek, a reset or a revocation in between makes the answer stale, and it is dropped.

import { channels, publish } from '../../core/diagnostics.ts'
import { ConduitError } from '../../core/errors.ts'
import { createMessage, utf8 } from '../../core/message.ts'
import type { Message } from '../../core/contract.ts'
import type { KafkaCluster } from '../cluster.ts'
import { ApiKey, decodeRecordBatches, kafkaError, kafkaErrorInfo, uuidToString } from '../protocol/index.ts'
import { FetchSession, FetchSessionErrors, type FetchPartitionRequest } from './fetch-session.ts'
import { listOffsets, OffsetSpec } from './offsets.ts'
import type { ResolvedConsumerConfig } from './options.ts'
import { messageBytes, PartitionState } from './partition-state.ts'
import { AbortedTransactionFilter } from './read-committed.ts'

/** Fetches of a partition in a row that may fail their CRC check before the error is surfaced. */
const CORRUPT_REFETCHES = 3

export const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`

/** Broker-neutral id of a Kafka message: `topic:partition:offset` (topic names have no ':'). */
export function kafkaMessageId(topic: string, partition: number, offset: number | bigint): string {
  return `${topic}:${partition}:${offset}`
}

export class Fetcher {
  readonly partitions = new Map<string, PartitionState>()
  readonly #cluster: KafkaCluster
  readonly #config: ResolvedConsumerConfig
  readonly #sessions = new Map<number, FetchSession>()
  readonly #inFlight = new Set<number>()
  /** The connection each node's fetch session lives on. */
  readonly #sessionConnections = new Map<number, object>()
  readonly #onData: () => void
  readonly #onError: (err: Error) => void
  #resolving = false
  #closed = false
  #retryTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    cluster: KafkaCluster,
    config: ResolvedConsumerConfig,
    onData: () => void,
    onError: (err: Error) => void,
  ) {
    this.#cluster = cluster
    this.#config = config
    this.#onData = onData
    this.#onError = onError
  }

  get bufferedBytes(): number {
    let n = 0
    for (const p of this.partitions.values()) n += p.bufferedBytes
    return n
  }

  add(topic: string, partition: number): PartitionState {
    const k = tpKey(topic, partition)
    let state = this.partitions.get(k)
    if (!state) this.partitions.set(k, (state = new PartitionState(topic, partition)))
    return state
  }

  remove(topic: string, partition: number): PartitionState | undefined {
    const k = tpKey(topic, partition)
    const state = this.partitions.get(k)
    if (state) {
      state.token++
      this.partitions.delete(k)
    }
    return state
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#retryTimer)
  }

  /** Starts fetches wherever one can start; call after anything that may make one possible. */
  schedule(): void {
    if (this.#closed) return
    if ([...this.partitions.values()].some((p) => p.position === undefined && !p.error)) {
      void this.#resolvePositions()
    }
    if (this.bufferedBytes >= this.#config.maxPrefetchBytes) return
    const byNode = new Map<number, PartitionState[]>()
    let leaderless = false
    for (const p of this.partitions.values()) {
      // A partition fetches ahead while less than one fetch's worth is buffered, so decoding
      // the next response overlaps with the application handling the current one.
      if (p.paused || p.position === undefined || p.error || p.fetching) continue
      if (p.bufferedBytes >= this.#config.partitionMaxBytes) continue
      const leader = this.#cluster.leaderOf(p.topic, p.partition)
      if (leader < 0) {
        leaderless = true
        continue
      }
      if (this.#inFlight.has(leader)) continue
      let list = byNode.get(leader)
      if (!list) byNode.set(leader, (list = []))
      list.push(p)
    }
    if (leaderless) this.#retrySoon(true)
    for (const [node, list] of byNode) void this.#fetch(node, list)
  }

  #retrySoon(refresh: boolean): void {
    if (this.#retryTimer || this.#closed) return
    if (refresh) this.#cluster.refreshMetadata('known').catch(() => undefined)
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.schedule()
    }, 200)
  }

  /** Positions from the reset policy for partitions that have none (no committed offset). */
  async #resolvePositions(): Promise<void> {
    if (this.#resolving) return
    this.#resolving = true
    try {
      const todo = [...this.partitions.values()].filter((p) => p.position === undefined && !p.error)
      if (todo.length === 0) return
      if (this.#config.autoOffsetReset === 'none') {
        for (const p of todo) {
          p.error = new ConduitError(
            'CONDUIT_NO_OFFSET',
            `no committed offset for ${p.topic}-${p.partition} and autoOffsetReset is 'none'`,
          )
        }
        this.#onData()
        return
      }
      const tokens = todo.map((p) => p.token)
      const positions = await this.#startPositions(todo)
      todo.forEach((p, i) => {
        const at = positions.get(tpKey(p.topic, p.partition))
        if (at !== undefined && p.token === tokens[i] && p.position === undefined) p.startFrom(at, false)
      })
    } catch (err) {
      if (!(err instanceof ConduitError && err.retriable)) this.#onError(err as Error)
    } finally {
      this.#resolving = false
    }
    this.#retrySoonIfUnresolved()
    this.schedule()
  }

  /** Where partitions without a committed offset start: startAt, else autoOffsetReset. */
  async #startPositions(todo: PartitionState[]): Promise<Map<string, bigint>> {
    const query = (timestamp: bigint) =>
      listOffsets(
        this.#cluster,
        todo.map((p) => ({ topic: p.topic, partition: p.partition, timestamp })),
        this.#config.isolationLevel,
      )
    const out = new Map<string, bigint>()
    const startAt = this.#config.startAt
    const latest =
      startAt || this.#config.autoOffsetReset === 'latest' ? await query(OffsetSpec.LATEST) : undefined
    if (startAt?.offset !== undefined) {
      const earliest = await query(OffsetSpec.EARLIEST)
      for (const [k, a] of earliest) {
        const end = latest!.get(k)?.offset ?? a.offset
        const want = BigInt(startAt.offset)
        out.set(k, want < a.offset ? a.offset : want > end ? end : want)
      }
      return out
    }
    if (startAt?.timestamp !== undefined) {
      for (const [k, a] of await query(BigInt(startAt.timestamp))) {
        // No record at or after the timestamp: start at the end.
        out.set(k, a.offset >= 0n ? a.offset : latest!.get(k)!.offset)
      }
      return out
    }
    for (const [k, a] of latest ?? (await query(OffsetSpec.EARLIEST))) out.set(k, a.offset)
    return out
  }

  #retrySoonIfUnresolved(): void {
    if ([...this.partitions.values()].some((p) => p.position === undefined && !p.error)) this.#retrySoon(true)
  }

  async #fetch(node: number, states: PartitionState[]): Promise<void> {
    this.#inFlight.add(node)
    for (const s of states) s.fetching = true
    let session = this.#sessions.get(node)
    if (!session) this.#sessions.set(node, (session = new FetchSession()))
    const tokens = new Map(states.map((s) => [s, s.token]))
    const wanted: FetchPartitionRequest[] = states.map((s) => {
      const info = this.#cluster.topics.get(s.topic)
      return {
        topic: s.topic,
        topicId: info?.topicId ?? new Uint8Array(16),
        partition: s.partition,
        fetchOffset: s.position!,
        currentLeaderEpoch: info?.partitions[s.partition]?.leaderEpoch ?? -1,
        partitionMaxBytes: this.#config.partitionMaxBytes,
      }
    })
    let retryDelay = false
    try {
      let conn
      try {
        conn = await this.#cluster.connection(node, 'fetch')
      } catch (err) {
        session.reset()
        throw err
      }
      // A new connection has no session on the broker: start over with a full fetch.
      if (this.#sessionConnections.get(node) !== conn) {
        this.#sessionConnections.set(node, conn)
        session.reset()
      }
      const request = session.build(wanted)
      const topics = new Map<string, { topic: string; topicId: Uint8Array; partitions: object[] }>()
      for (const p of request.partitions) {
        let t = topics.get(p.topic)
        if (!t) topics.set(p.topic, (t = { topic: p.topic, topicId: p.topicId, partitions: [] }))
        t.partitions.push({
          partition: p.partition,
          currentLeaderEpoch: p.currentLeaderEpoch,
          fetchOffset: p.fetchOffset,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: p.partitionMaxBytes,
        })
      }
      const forgotten = new Map<string, { topic: string; topicId: Uint8Array; partitions: number[] }>()
      for (const f of request.forgotten) {
        let t = forgotten.get(f.topic)
        if (!t) forgotten.set(f.topic, (t = { topic: f.topic, topicId: f.topicId, partitions: [] }))
        t.partitions.push(f.partition)
      }
      const res = await conn.request(
        ApiKey.Fetch,
        {
          replicaId: -1,
          replicaState: { replicaId: -1, replicaEpoch: -1n },
          maxWaitMs: this.#config.maxWaitMs,
          minBytes: this.#config.minBytes,
          maxBytes: this.#config.maxBytes,
          isolationLevel: this.#config.isolationLevel,
          sessionId: request.sessionId,
          sessionEpoch: request.sessionEpoch,
          topics: [...topics.values()],
          forgottenTopicsData: [...forgotten.values()],
          rackId: '',
        },
        { timeoutMs: this.#config.requestTimeoutMs + this.#config.maxWaitMs },
      )
      session.onResponse(res.sessionId, res.errorCode)
      if (res.errorCode !== 0) {
        const code: number = res.errorCode
        if (!Object.values(FetchSessionErrors).includes(code as never)) {
          this.#cluster.noteError(code)
          retryDelay = true
        }
        return
      }
      const names = new Map<string, string>()
      for (const [name, t] of this.#cluster.topics) names.set(uuidToString(t.topicId), name)
      for (const t of res.responses) {
        const topic: string | undefined =
          t.topic || (t.topicId ? names.get(uuidToString(t.topicId)) : undefined)
        if (topic === undefined) continue
        for (const p of t.partitions) {
          const state = this.partitions.get(tpKey(topic, p.partitionIndex))
          if (!state || tokens.get(state) !== state.token) continue
          if (await this.#apply(state, p)) retryDelay = true
        }
      }
    } catch (err) {
      session.reset()
      if (err instanceof ConduitError && err.retriable) {
        retryDelay = true
        this.#cluster.refreshMetadata('known').catch(() => undefined)
      } else {
        this.#onError(err as Error)
      }
    } finally {
      this.#inFlight.delete(node)
      for (const s of states) s.fetching = false
      if (retryDelay) this.#retrySoon(false)
      else this.schedule()
    }
  }

  /** Applies one partition's answer; returns true when a retry should wait a little. */

  async #apply(state: PartitionState, p: any): Promise<boolean> {
    const code: number = p.errorCode
    if (code !== 0) {
      if (code === 1) {
        // OFFSET_OUT_OF_RANGE: records were deleted (retention) or the position is past the end.
        if (this.#config.autoOffsetReset === 'none') {
          state.error = kafkaError(
            code,
            `Fetch ${state.topic}-${state.partition} at offset ${state.position}`,
          )
          this.#onData()
        } else {
          state.position = undefined
          state.token++
        }
        return false
      }
      const info = kafkaErrorInfo(code)
      this.#cluster.noteError(code)
      if (!info.retriable && !info.refreshMetadata) {
        state.error = kafkaError(code, `Fetch ${state.topic}-${state.partition}`)
        this.#onData()
      }
      return true
    }
    state.highWatermark = BigInt(p.highWatermark)
    const records: Uint8Array | null = p.records
    if (!records || records.length === 0) return false
    const token = state.token
    let batches
    try {
      batches = await decodeRecordBatches(records, {
        maxDecompressedBytes: this.#config.maxDecompressedBytes,
        checkCrc: this.#config.checkCrcs,
      })
    } catch (err) {
      // A batch failing its CRC is most often damage in transit: the same offset is fetched
      // again a few times (the position did not move) before the error reaches the application.
      if (
        err instanceof ConduitError &&
        err.code === 'CONDUIT_KAFKA_CORRUPT_BATCH' &&
        ++state.corruptFetches <= CORRUPT_REFETCHES
      ) {
        return true
      }
      throw err
    }
    state.corruptFetches = 0
    // Decompression is asynchronous: a seek or revocation meanwhile makes these records stale.
    if (state.token !== token || this.partitions.get(tpKey(state.topic, state.partition)) !== state)
      return false
    const filter =
      this.#config.isolationLevel === 1 ? new AbortedTransactionFilter(p.abortedTransactions) : undefined
    const start = state.position!
    let next = start
    const out: Message[] = []
    const idPrefix = `${state.topic}:${state.partition}:` // kafkaMessageId's format
    for (const b of batches) {
      const last = b.baseOffset + BigInt(b.lastOffsetDelta)
      if (last + 1n > next) next = last + 1n
      if (filter) {
        const keep = filter.keep({
          baseOffset: b.baseOffset,
          producerId: b.producerId,
          isTransactional: b.isTransactional,
          isControl: b.isControl,
          isAbortMarker: b.isControl ? b.controlType !== 'commit' : undefined,
        })
        if (!keep) continue
      } else if (b.isControl) {
        continue
      }
      for (const r of b.records) {
        if (r.offset < start) continue // a batch starting before our position (compaction, seek)
        // Hot path (one pass per record): no headers object when there are none, and the id
        // built from the number (the same text as kafkaMessageId, without a BigInt to string).
        let headers: Record<string, string> | undefined
        if (r.headers.length > 0) {
          headers = {}
          for (const [name, value] of r.headers) headers[name] = value === null ? '' : utf8(value)
        }
        const offset = Number(r.offset)
        out.push(
          createMessage({
            topic: state.topic,
            partition: state.partition,
            offset,
            id: idPrefix + offset,
            key: r.key,
            value: r.value,
            headers,
            timestamp: Number(r.timestamp),
          }),
        )
      }
    }
    state.position = next
    for (const m of out) {
      state.buffered.push(m)
      state.bufferedBytes += messageBytes(m)
    }
    if (out.length > 0) {
      publish(channels.messageReceive, () => ({
        driver: 'kafka',
        topic: state.topic,
        partition: state.partition,
        count: out.length,
        bytes: records.length,
      }))
      this.#onData()
    }
    return false
  }
}
