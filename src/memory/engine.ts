// The embedded broker's state, shared by every connection to the same `memory:<name>` or `file:<dir>`:
// topics, groups, and the append path.
//
// The append path batches: producers only queue their sends; one flush per microtask turn moves
// every queued send of every producer into the partition logs (in file mode: one write per
// partition, then one fsync per partition when the policy asks for it) and then acknowledges them
// in the order they were queued. So a burst of `trySend`s or a `send([...])` costs one write, and a
// single awaited send still completes within the same event-loop turn in memory mode.

import type { Bytes } from '../core/contract.ts'
import { BrokerError, ConfigError } from '../core/errors.ts'
import { toStorageError } from './file/storage-error.ts'
import { Group } from './group.ts'
import type { CommitSink } from './group.ts'
import { StoredMessage, recordSize } from './message.ts'
import { PartitionLog } from './partition-log.ts'
import { dropOutOfRangeOffsets } from './restored-offsets.ts'
import type { DurablePartition, RetentionPolicy } from './partition-log.ts'
import { Topic, validatePartitionCount, validateTopicName } from './topic.ts'

/** One `send`/`trySend` call: appended and acknowledged as a unit. */
export interface QueuedSend {
  readonly topic: Topic
  readonly messages: StoredMessage[]
  readonly owner: SendOwner
  /** Called once the messages are durable per policy, or with the reason they are not. */
  settle(error: Error | null): void
}

/** The producer side the engine reports to. */
export interface SendOwner {
  /** Hands over the queued sends and empties the producer's queue. */
  takeQueued(): QueuedSend[]
  acknowledged(send: QueuedSend): void
}

/** What `file:` adds: topics and offsets on disk (file/store.ts). */
export interface DurableStore {
  readonly dir: string
  readonly fsync: 'always' | 'interval'
  loadTopics(): { name: string; createdAt: number; partitions: DurablePartition[] }[]
  createTopic(name: string, partitions: number, createdAt: number): DurablePartition[]
  deleteTopic(name: string): void
  loadOffsets(): Map<string, Map<string, Map<number, number>>>
  readonly commitSink: CommitSink
  deleteGroupOffsets(group: string, topic: string): void
  close(): void
}

export interface EngineOptions {
  /** Partitions of topics created implicitly (by a producer or consumer) or without a count. */
  partitions: number
  maxMessageBytes: number
  autoCreateTopics: boolean
  retention: RetentionPolicy
  store: DurableStore | null
}

/** Flushes run as microtasks (lowest latency) at most this many times per event-loop turn. */
const MICROTASK_FLUSHES_PER_TURN = 256

interface Tick {
  sends: QueuedSend[]
  pendingSyncs: number
  error: Error | null
  logs: PartitionLog[]
  /** Each log's end offset after this tick's append: what becomes visible when the tick completes. */
  ends: number[]
}

export class Engine {
  readonly options: EngineOptions
  readonly topics = new Map<string, Topic>()
  readonly groups = new Map<string, Group>()
  private readonly restoredOffsets: Map<string, Map<string, Map<number, number>>>
  private dirty: SendOwner[] = []
  private scheduled = false
  private flushesThisTurn = 0
  private turnResetScheduled = false
  /** Ticks in append order; acknowledged strictly in this order even when fsyncs finish out of order. */
  private readonly ticks: Tick[] = []
  private maintenance: NodeJS.Timeout | null = null
  private anonymousGroups = 0
  closed = false

  constructor(options: EngineOptions) {
    this.options = options
    const store = options.store
    if (store) {
      for (const t of store.loadTopics()) {
        const logs = t.partitions.map((durable, p) => new PartitionLog(t.name, p, { durable }))
        this.topics.set(t.name, new Topic(t.name, logs, t.createdAt))
      }
      this.restoredOffsets = store.loadOffsets()
      dropOutOfRangeOffsets(this.restoredOffsets, this.topics, store)
    } else {
      this.restoredOffsets = new Map()
    }
    if (store || options.retention.ms !== undefined) {
      this.maintenance = setInterval(() => this.applyRetention(Date.now()), 1000)
      this.maintenance.unref()
    }
  }

  topic(name: string, create: boolean): Topic {
    const existing = this.topics.get(name)
    if (existing) return existing
    validateTopicName(name)
    if (!create || !this.options.autoCreateTopics) {
      throw new ConfigError(`topic "${name}" does not exist; create it with admin.createTopic("${name}")`)
    }
    return this.createTopic(name, this.options.partitions)
  }

  createTopic(name: string, partitions: number): Topic {
    validateTopicName(name)
    validatePartitionCount(partitions)
    if (this.topics.has(name)) {
      // The broker's answer, as Kafka's TOPIC_ALREADY_EXISTS is: the call was well formed.
      throw new BrokerError('TOPIC_ALREADY_EXISTS', 'TOPIC_ALREADY_EXISTS', `topic "${name}" already exists`)
    }
    const createdAt = Date.now()
    const retention = this.options.retention
    const logs = this.options.store
      ? this.options.store
          .createTopic(name, partitions, createdAt)
          .map((durable, p) => new PartitionLog(name, p, { durable, retention }))
      : Array.from({ length: partitions }, (_, p) => new PartitionLog(name, p, { retention }))
    const topic = new Topic(name, logs, createdAt)
    this.topics.set(name, topic)
    return topic
  }

  deleteTopic(name: string): void {
    const topic = this.topics.get(name)
    if (!topic) throw new ConfigError(`topic "${name}" does not exist`)
    this.topics.delete(name)
    for (const group of this.groups.values()) group.dropTopic(name)
    // Groups known only from disk lose their offsets for the topic too, so a new topic of the
    // same name starts clean.
    for (const groupName of this.groupNames()) this.options.store?.deleteGroupOffsets(groupName, name)
    for (const partitions of this.restoredOffsets.values()) partitions.delete(name)
    for (const log of topic.partitions) log.close()
    this.options.store?.deleteTopic(name)
    topic.wakeSubscribers()
  }

  /** The named group (created on first use), or a private one for a consumer without a group. */
  group(name: string | undefined): Group {
    if (name === undefined) {
      return new Group(`anonymous-${++this.anonymousGroups}`, true, null)
    }
    let group = this.groups.get(name)
    if (!group) {
      group = new Group(name, false, this.options.store?.commitSink ?? null, this.restoredOffsets.get(name))
      this.groups.set(name, group)
    }
    return group
  }

  /** Names of groups with members or committed offsets. */
  groupNames(): string[] {
    return [...new Set([...this.groups.keys(), ...this.restoredOffsets.keys()])].sort()
  }

  /** Appends messages on the broker's own behalf (dead-letter topics); resolves when durable. */
  appendInternal(
    topicName: string,
    records: {
      key: Bytes | null
      value: Bytes | null
      headers?: Record<string, string>
      timestamp: number
    }[],
  ): Promise<void> {
    let topic: Topic
    try {
      topic = this.topic(topicName, true)
    } catch (error) {
      return Promise.reject(error as Error)
    }
    return new Promise((resolve, reject) => {
      const send: QueuedSend = {
        topic,
        messages: records.map(
          (r) =>
            new StoredMessage(
              topic.name,
              topic.partitionFor(r.key, undefined),
              -1,
              r.timestamp,
              r.key,
              r.value,
              r.headers,
              recordSize(r.key, r.value, r.headers),
            ),
        ),
        owner: internalOwner,
        settle: (error) => (error ? reject(error) : resolve()),
      }
      let taken = false
      const owner: SendOwner = {
        takeQueued: () => (taken ? [] : ((taken = true), [send])),
        acknowledged: () => undefined,
      }
      this.schedule(owner)
    })
  }

  /** Producers call this after queueing; the flush runs once per microtask turn. */
  schedule(owner: SendOwner): void {
    this.dirty.push(owner)
    if (this.scheduled) return
    this.scheduled = true
    // A loop of awaited sends would otherwise run from microtask to microtask forever and starve
    // timers and I/O (ack timeouts, the fsync interval, the application's own sockets): after a
    // run of flushes within one event-loop turn, the next one waits for the loop.
    if (this.flushesThisTurn++ < MICROTASK_FLUSHES_PER_TURN) queueMicrotask(this.flush)
    else setImmediate(this.flush)
    if (!this.turnResetScheduled) {
      this.turnResetScheduled = true
      setImmediate(this.resetTurn)
    }
  }

  private readonly resetTurn = (): void => {
    this.flushesThisTurn = 0
    this.turnResetScheduled = false
  }

  private readonly flush = (): void => {
    this.scheduled = false
    const owners = this.dirty
    this.dirty = []
    const sends: QueuedSend[] = []
    for (const owner of owners) for (const send of owner.takeQueued()) sends.push(send)
    if (sends.length === 0) return

    // Group messages per partition log, keeping send order within each log.
    const perLog = new Map<PartitionLog, StoredMessage[]>()
    for (const send of sends) {
      const logs = send.topic.partitions
      const messages = send.messages
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i]!
        const log = logs[message.partition]!
        const list = perLog.get(log)
        if (list) list.push(message)
        else perLog.set(log, [message])
      }
    }
    const tick: Tick = { sends, pendingSyncs: 0, error: null, logs: [...perLog.keys()], ends: [] }
    this.ticks.push(tick)
    for (const [log, messages] of perLog) {
      if (this.topics.get(log.topic)?.partitions[log.partition] !== log) {
        tick.error = new ConfigError(`topic "${log.topic}" was deleted while messages were being sent to it`)
        break
      }
      try {
        log.append(messages)
        tick.ends.push(log.next)
      } catch (error) {
        // partition-log.ts already made disk errors StorageErrors; anything else is named here.
        tick.error = toStorageError(error, `${log.topic}/${log.partition}`, 'append')
        break
      }
    }
    if (!tick.error && this.options.store?.fsync === 'always') {
      tick.pendingSyncs = tick.logs.length
      for (const log of tick.logs) {
        log.sync((error) => {
          if (error && !tick.error) tick.error = error
          if (--tick.pendingSyncs === 0) this.completeTicks()
        })
      }
    } else {
      this.completeTicks()
    }
  }

  /** Acknowledges finished ticks from the front, so acks stay in append order. */
  private completeTicks(): void {
    while (this.ticks.length > 0 && this.ticks[0]!.pendingSyncs === 0) {
      const tick = this.ticks.shift()!
      const woken = new Set<Topic>()
      for (let i = 0; i < tick.ends.length; i++) {
        const log = tick.logs[i]!
        if (tick.ends[i]! > log.visibleEnd) log.visibleEnd = tick.ends[i]!
        const topic = this.topics.get(log.topic)
        if (topic) woken.add(topic)
      }
      for (const send of tick.sends) {
        if (tick.error === null) send.owner.acknowledged(send)
        send.settle(tick.error)
      }
      for (const topic of woken) topic.wakeSubscribers()
    }
  }

  applyRetention(now: number): void {
    for (const topic of this.topics.values()) for (const log of topic.partitions) log.applyRetention(now)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.maintenance) clearInterval(this.maintenance)
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) log.close()
      topic.wakeSubscribers()
    }
    this.options.store?.close()
  }
}

const internalOwner: SendOwner = { takeQueued: () => [], acknowledged: () => undefined }
