// The native Kafka consumer: an async iterable of per-partition batches.
//
// Two modes: `subscribe(topics)` joins the consumer group (group.ts decides the partitions), and
// `assign(partitions)` reads fixed partitions (commits still possible when a groupId is set).
//
// Backpressure: the iterator hands out what the fetcher buffered; the fetcher stops fetching
// once maxPrefetchBytes are buffered, so a loop body that is slow makes the consumer fetch
// slower instead of piling records up in memory.
//
// Commits are of processed offsets only: a batch counts as processed when its ack() was called
// (or, in run(), when its handler returned), and the committed position is the end of the
// longest acknowledged prefix per partition (partition-state.ts). Commits happen every
// autoCommitIntervalMs, before partitions are revoked in a rebalance, and on close. A partition
// taken away (revoked, or the member evicted) is dropped from the buffer at once: nothing more of
// it is delivered, and late acks of its batches commit nothing.

import { Readable } from 'node:stream'
import type { Batch, Message, RunOptions } from '../../core/contract.ts'
import { ClosedError, ConduitError, ConfigError, TimeoutError } from '../../core/errors.ts'
import { sleep } from '../../core/backoff.ts'
import { channels, publish } from '../../core/diagnostics.ts'
import { runHandler } from '../../core/run-handler.ts'
import type { KafkaCluster } from '../cluster.ts'
import { ApiKey, kafkaError } from '../protocol/index.ts'
import type { TopicPartitions } from './assignors/types.ts'
import { Fetcher, tpKey } from './fetcher.ts'
import { GroupMember, type GroupMemberHooks } from './group.ts'
import { listOffsets } from './offsets.ts'
import { resolveConsumerConfig, type KafkaConsumerConfig, type ResolvedConsumerConfig } from './options.ts'
import type { PartitionState } from './partition-state.ts'

export interface TopicPartition {
  topic: string
  partition: number
}

export interface RebalanceListener {
  /** Partitions about to be taken away; processed offsets are committed after this resolves. */
  onRevoked?(partitions: TopicPartition[]): Promise<void> | void
  /** Partitions lost without a chance to commit (eviction, session timeout). */
  onLost?(partitions: TopicPartition[]): Promise<void> | void
  onAssigned?(partitions: TopicPartition[]): Promise<void> | void
}

export interface KafkaBatch extends Batch {
  readonly topic: string
  readonly partition: number
  /** Offset after the last record the broker has (end of the partition) as of the last fetch. */
  readonly highWatermark: number
}

let consumerCounter = 0

export class KafkaConsumer implements AsyncIterable<KafkaBatch> {
  readonly config: ResolvedConsumerConfig
  readonly #cluster: KafkaCluster
  readonly #fetcher: Fetcher
  readonly #listener: RebalanceListener
  #group: GroupMember | undefined
  #wakers: Array<() => void> = []
  #cursor = 0
  #closed = false
  #error: Error | undefined
  #commitTimer: ReturnType<typeof setInterval> | undefined
  #commitChain: Promise<void> = Promise.resolve()
  /** This consumer's own coordinator sockets (see ConnectionPurpose). */
  readonly #groupPurpose: `group:${string}` = `group:${++consumerCounter}`

  constructor(cluster: KafkaCluster, config: KafkaConsumerConfig = {}, listener: RebalanceListener = {}) {
    this.config = resolveConsumerConfig(config)
    this.#cluster = cluster
    this.#listener = listener
    this.#fetcher = new Fetcher(
      cluster,
      this.config,
      () => this.#wake(),
      (err) => {
        this.#error ??= err
        this.#wake()
      },
    )
  }

  #wake(): void {
    for (const w of this.#wakers.splice(0)) w()
  }

  /** The partitions this consumer reads now. */
  assignment(): TopicPartition[] {
    return [...this.#fetcher.partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition }))
  }

  /** Joins the group and reads what it assigns. */
  async subscribe(topics: readonly string[]): Promise<void> {
    if (this.#closed) throw new ClosedError('consumer is closed')
    if (!this.config.groupId)
      throw new ConfigError('subscribe() needs a groupId; use assign() without a group')
    if (this.#group) throw new ConfigError('subscribe() was already called')
    if (
      !Array.isArray(topics) ||
      topics.length === 0 ||
      topics.some((t) => typeof t !== 'string' || t === '')
    ) {
      throw new ConfigError('subscribe() needs a non-empty array of topic names')
    }
    for (const t of topics) await this.#cluster.topic(t)
    const hooks: GroupMemberHooks = {
      owned: () => this.#ownedByTopic(),
      assigned: (tps) => this.#onAssigned(tps),
      revoked: (tps, lost) => this.#onRevoked(tps, lost),
    }
    this.#group = new GroupMember(this.#cluster, this.config, [...topics], hooks, this.#groupPurpose)
    this.#group.onFatal((err) => {
      this.#error ??= err
      this.#wake()
    })
    const joined = this.#group.start()
    this.#startAutoCommit()
    // A coordinator that cannot be reached must not leave subscribe() pending forever. The
    // member goes on retrying; only this call gives up waiting.
    let timer: ReturnType<typeof setTimeout> | undefined
    const limit = this.config.joinTimeoutMs
    try {
      await Promise.race([
        joined,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new TimeoutError(
                  `group "${this.config.groupId}" not joined within joinTimeoutMs (${limit} ms): the group coordinator did not answer; still retrying in the background`,
                ),
              ),
            limit,
          )
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Reads exactly these partitions (no group membership); offsets default to committed/reset. */
  async assign(partitions: readonly (TopicPartition & { offset?: number | bigint })[]): Promise<void> {
    if (this.#closed) throw new ClosedError('consumer is closed')
    if (this.#group) throw new ConfigError('assign() cannot be used together with subscribe()')
    for (const tp of partitions) {
      const info = await this.#cluster.topic(tp.topic)
      if (!Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition >= info.partitions.length) {
        throw new ConfigError(`partition ${tp.topic}-${tp.partition} does not exist`)
      }
    }
    const fresh = partitions.filter((tp) => !this.#fetcher.partitions.has(tpKey(tp.topic, tp.partition)))
    for (const tp of fresh) {
      const state = this.#fetcher.add(tp.topic, tp.partition)
      if (tp.offset !== undefined) state.startFrom(BigInt(tp.offset), false)
    }
    if (this.config.groupId) await this.#loadCommitted(fresh.filter((tp) => tp.offset === undefined))
    this.#startAutoCommit()
    this.#fetcher.schedule()
  }

  #ownedByTopic(): TopicPartitions[] {
    const map = new Map<string, number[]>()
    for (const p of this.#fetcher.partitions.values()) {
      let l = map.get(p.topic)
      if (!l) map.set(p.topic, (l = []))
      l.push(p.partition)
    }
    return [...map].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }))
  }

  async #withDeadline(what: string, fn: () => Promise<void> | void): Promise<void> {
    // A slow or stuck listener must not wedge the group: after the deadline the rebalance goes
    // on (brod users hit exactly this: broadway_kafka#92).
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.config.rebalanceListenerTimeoutMs)
    })
    try {
      await Promise.race([Promise.resolve().then(fn), deadline])
    } catch (err) {
      // A throwing listener is reported but does not stop the rebalance either.
      this.#error ??= new ConduitError(
        'CONDUIT_LISTENER',
        `${what} listener failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
      this.#wake()
    } finally {
      clearTimeout(timer)
    }
  }

  async #onAssigned(tps: TopicPartition[]): Promise<void> {
    const fresh = tps.filter((tp) => !this.#fetcher.partitions.has(tpKey(tp.topic, tp.partition)))
    for (const tp of fresh) this.#fetcher.add(tp.topic, tp.partition)
    await this.#loadCommitted(fresh)
    if (this.#listener.onAssigned)
      await this.#withDeadline('onAssigned', () => this.#listener.onAssigned!(tps))
    this.#fetcher.schedule()
  }

  async #onRevoked(tps: TopicPartition[], lost: boolean): Promise<void> {
    // Stop delivering at once: no record of a partition we are losing is handed out any more.
    const states: PartitionState[] = []
    for (const tp of tps) {
      const s = this.#fetcher.partitions.get(tpKey(tp.topic, tp.partition))
      if (s) {
        s.paused = true
        s.buffered = []
        s.bufferedBytes = 0
        states.push(s)
      }
    }
    if (lost) {
      for (const tp of tps) this.#fetcher.remove(tp.topic, tp.partition)
      if (this.#listener.onLost) await this.#withDeadline('onLost', () => this.#listener.onLost!(tps))
      return
    }
    if (this.#listener.onRevoked) await this.#withDeadline('onRevoked', () => this.#listener.onRevoked!(tps))
    await this.#settleInHand(states)
    await this.#commit(states).catch((error: unknown) => {
      // The partitions go to their next owner all the same (the rebalance cannot wait for the
      // coordinator); what was acked since the last commit will be processed again there.
      publish(channels.backgroundError, () => ({
        driver: 'kafka',
        operation: `commit before giving up ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')}`,
        action:
          'partitions given up; acked records since the last commit will be delivered again to their next owner',
        error: error instanceof Error ? error : new Error(String(error)),
      }))
    })
    for (const tp of tps) this.#fetcher.remove(tp.topic, tp.partition)
  }

  /**
   * Waits (up to revokeWaitMs) for the batches of these partitions that the application holds to
   * be acked or nacked. The application processes batches concurrently with the rebalance, so a
   * batch handed out just before it would otherwise be acked after the commit, too late: its
   * records would be processed again by the partition's next owner.
   */
  async #settleInHand(states: PartitionState[]): Promise<void> {
    const deadline = performance.now() + this.config.revokeWaitMs
    while (states.some((s) => s.outstanding > 0) && performance.now() < deadline && !this.#closed) {
      await sleep(Math.min(10, Math.max(1, deadline - performance.now())))
    }
  }

  /** Positions from the group's committed offsets; partitions without one use the reset policy. */
  async #loadCommitted(tps: readonly TopicPartition[]): Promise<void> {
    if (tps.length === 0 || !this.config.groupId) return
    const groupId = this.config.groupId
    const byTopic = new Map<string, number[]>()
    for (const tp of tps) {
      let l = byTopic.get(tp.topic)
      if (!l) byTopic.set(tp.topic, (l = []))
      l.push(tp.partition)
    }
    const topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
    const tokens = tps.map((tp) => this.#fetcher.partitions.get(tpKey(tp.topic, tp.partition))?.token)
    const committed = await this.#withCoordinator(async (conn) => {
      const res = await conn.request(ApiKey.OffsetFetch, {
        groupId,
        topics,
        groups: [{ groupId, memberId: null, memberEpoch: -1, topics }],
        requireStable: true,
      })
      const group = res.groups?.length ? res.groups[0] : res
      if (group.errorCode !== 0) throw kafkaError(group.errorCode, `OffsetFetch for group "${groupId}"`)
      const out = new Map<string, bigint>()
      for (const t of group.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw kafkaError(p.errorCode, `OffsetFetch ${t.name}-${p.partitionIndex}`)
          if (BigInt(p.committedOffset) >= 0n)
            out.set(tpKey(t.name, p.partitionIndex), BigInt(p.committedOffset))
        }
      }
      return out
    })
    tps.forEach((tp, i) => {
      const s = this.#fetcher.partitions.get(tpKey(tp.topic, tp.partition))
      const offset = committed.get(tpKey(tp.topic, tp.partition))
      if (s && s.token === tokens[i] && offset !== undefined && s.position === undefined)
        s.startFrom(offset, true)
    })
  }

  /** Runs a request on the group coordinator, finding it again when it moved. */

  async #withCoordinator<T>(fn: (conn: any) => Promise<T>): Promise<T> {
    const groupId = this.config.groupId!
    for (let attempt = 0; ; attempt++) {
      try {
        const node = await this.#cluster.coordinator(groupId)
        const conn = await this.#cluster.connection(node, `${this.#groupPurpose}:offsets`)
        return await fn(conn)
      } catch (err) {
        const code =
          err instanceof ConduitError && 'brokerCode' in err
            ? (err as { brokerCode: unknown }).brokerCode
            : undefined
        if (
          code === 16 ||
          code === 15 ||
          (err instanceof ConduitError && err.code === 'CONDUIT_CONNECTION')
        ) {
          this.#cluster.forgetCoordinator(groupId)
        }
        if (attempt >= 5 || !(err instanceof ConduitError && err.retriable)) throw err
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)))
      }
    }
  }

  #startAutoCommit(): void {
    if (!this.config.groupId || !this.config.autoCommit || this.#commitTimer) return
    this.#commitTimer = setInterval(() => {
      this.commit().catch(() => undefined)
    }, this.config.autoCommitIntervalMs)
    this.#commitTimer.unref()
  }

  /** Commits the processed (acknowledged) position of every partition that moved. */
  commit(): Promise<void> {
    return this.#commit([...this.#fetcher.partitions.values()])
  }

  #commit(states: PartitionState[]): Promise<void> {
    // Commits run one after another so an older position never overwrites a newer one.
    const run = this.#commitChain.then(() => this.#commitNow(states))
    this.#commitChain = run.catch(() => undefined)
    return run
  }

  async #commitNow(states: PartitionState[]): Promise<void> {
    if (!this.config.groupId) return
    const groupId = this.config.groupId
    const due = states
      .map((s) => ({ s, at: s.commitPosition }))
      .filter((x): x is { s: PartitionState; at: number } => x.at !== undefined)
    if (due.length === 0) return
    const byTopic = new Map<
      string,
      {
        partitionIndex: number
        committedOffset: bigint
        committedLeaderEpoch: number
        committedMetadata: string
      }[]
    >()
    for (const { s, at } of due) {
      let l = byTopic.get(s.topic)
      if (!l) byTopic.set(s.topic, (l = []))
      l.push({
        partitionIndex: s.partition,
        committedOffset: BigInt(at),
        committedLeaderEpoch: -1,
        committedMetadata: '',
      })
    }
    const generation = this.#group?.generation ?? { generationId: -1, memberId: '' }
    await this.#withCoordinator(async (conn) => {
      const res = await conn.request(ApiKey.OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: generation.generationId,
        memberId: generation.memberId,
        groupInstanceId: this.config.groupInstanceId ?? null,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      })
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) {
            const err = kafkaError(
              p.errorCode,
              `OffsetCommit ${t.name}-${p.partitionIndex} for group "${groupId}"`,
            )
            // A commit refused because the group moved on means we were evicted or a rebalance
            // is under way: rejoining is the group's job, the offsets stay uncommitted.
            if (p.errorCode === 22 || p.errorCode === 25 || p.errorCode === 27) this.#group?.requestRejoin()
            throw err
          }
        }
      }
    })
    for (const { s, at } of due) s.committed = at
  }

  /** The next batch, or undefined once the consumer is closed. */
  async nextBatch(): Promise<KafkaBatch | undefined> {
    for (;;) {
      if (this.#error) {
        const err = this.#error
        this.#error = undefined
        throw err
      }
      if (this.#closed) return undefined
      const batch = this.#take()
      if (batch) return batch
      await new Promise<void>((resolve) => this.#wakers.push(resolve))
    }
  }

  #take(): KafkaBatch | undefined {
    const states = [...this.#fetcher.partitions.values()]
    for (let i = 0; i < states.length; i++) {
      const s = states[(this.#cursor + i) % states.length]!
      if (s.error) {
        const err = s.error
        s.error = undefined
        this.#error = err
        return undefined
      }
      if (s.paused || s.buffered.length === 0) continue
      if (this.config.oneBatchPerPartition && s.outstanding > 0) continue
      this.#cursor = (this.#cursor + i + 1) % states.length
      const messages = s.take(this.config.maxBatch)
      this.#fetcher.schedule()
      return this.#batch(s, messages)
    }
    return undefined
  }

  #batch(state: PartitionState, messages: Message[]): KafkaBatch {
    const token = state.token
    const start = messages[0]!.offset
    const end = messages.at(-1)!.offset + 1
    let settled = false
    state.outstanding++
    const current = () =>
      this.#fetcher.partitions.get(tpKey(state.topic, state.partition)) === state && state.token === token
    const settle = () => {
      settled = true
      if (current()) {
        state.outstanding--
        this.#wake()
      }
    }
    return {
      topic: state.topic,
      partition: state.partition,
      messages,
      highWatermark: Number(state.highWatermark),
      ack: async () => {
        if (settled) return
        // A batch of a partition since revoked, or seeked past, commits nothing.
        if (current()) state.ack(start, end)
        settle()
      },
      nack: async () => {
        if (settled) return
        settle()
        if (current()) {
          state.seek(BigInt(start))
          this.#fetcher.schedule()
        }
      },
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<KafkaBatch> {
    for (;;) {
      const batch = await this.nextBatch()
      if (!batch) return
      yield batch
    }
  }

  /**
   * The batches as an object-mode Readable stream. Backpressure carries through: the stream
   * pulls the next batch only when its reader wants more, and fetching pauses meanwhile.
   */
  stream(): Readable {
    return Readable.from(this, { objectMode: true, highWaterMark: 1 })
  }

  run(options: RunOptions): Promise<void> {
    return runHandler(this, options)
  }

  /** Stops delivering and fetching the given partitions (all when omitted). */
  pause(partitions?: readonly TopicPartition[]): void {
    for (const s of this.#select(partitions)) s.paused = true
  }

  resume(partitions?: readonly TopicPartition[]): void {
    for (const s of this.#select(partitions)) s.paused = false
    this.#fetcher.schedule()
    this.#wake()
  }

  #select(partitions?: readonly TopicPartition[]): PartitionState[] {
    if (!partitions) return [...this.#fetcher.partitions.values()]
    return partitions
      .map((tp) => this.#fetcher.partitions.get(tpKey(tp.topic, tp.partition)))
      .filter((s): s is PartitionState => s !== undefined)
  }

  /** The next record delivered from the partition will be the one at `offset`. */
  seek(topic: string, partition: number, offset: number | bigint): void {
    const s = this.#fetcher.partitions.get(tpKey(topic, partition))
    if (!s) throw new ConfigError(`seek: ${topic}-${partition} is not assigned to this consumer`)
    if (BigInt(offset) < 0n) throw new ConfigError(`seek: offset must be >= 0, got ${offset}`)
    s.seek(BigInt(offset))
    this.#fetcher.schedule()
  }

  /** For each partition, the earliest offset whose timestamp is >= `timestamp` (-1 if none). */
  async offsetsForTimes(
    partitions: readonly TopicPartition[],
    timestamp: number | Date,
  ): Promise<Map<string, number>> {
    const ms = BigInt(timestamp instanceof Date ? timestamp.getTime() : timestamp)
    const res = await listOffsets(
      this.#cluster,
      partitions.map((tp) => ({ ...tp, timestamp: ms })),
      this.config.isolationLevel,
    )
    const out = new Map<string, number>()
    for (const [k, v] of res) out.set(k, Number(v.offset))
    return out
  }

  /** Stops fetching, commits what was acknowledged, leaves the group. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#commitTimer)
    this.#fetcher.close()
    this.#wake()
    if (this.config.groupId) await this.commit().catch(() => undefined)
    await this.#group?.stop()
    this.#cluster.closePurpose(this.#groupPurpose)
    this.#cluster.closePurpose(`${this.#groupPurpose}:offsets`)
  }
}
