// The push-style consumer built on pull (DefaultMQPushConsumer): per assigned queue a long-polling
// pull loop feeds batches to the application (async iterator), with flow control by count and
// bytes per queue; clustering rebalance (averaging) or broadcasting; offsets committed from the
// smallest unacknowledged message; retry through consumer send-msg-back → %RETRY%<group> →
// %DLQ%<group>; and orderly consumption under broker queue locks.
//
// Delivery guarantee: at-least-once. A queue's committed offset never passes a message whose
// batch was not acknowledged (process-queue.ts). After a rebalance moves a queue, batches of it
// not yet acknowledged here are redelivered to the new owner.

import { Backoff, sleep } from '../../core/backoff.ts'
import { BrokerError, ClosedError, ConfigError } from '../../core/errors.ts'
import type { ConsumerOwner, RocketMQClient } from '../client.ts'
import type { RemotingConnection } from '../connection.ts'
import { ResponseCode } from '../protocol/codes.ts'
import {
  ConsumeFromWhere,
  subscriptionData,
  type ConsumerData,
  type ExpressionType,
  type MessageModel,
  type SubscriptionData,
} from '../protocol/heartbeat.ts'
import type { MessageExt } from '../protocol/message-ext.ts'
import { Property } from '../protocol/properties.ts'
import type { RemotingCommand } from '../protocol/remoting-command.ts'
import { queueKey, readQueues, type MessageQueue } from '../protocol/route.ts'
import { allocateAveragely } from './allocate.ts'
import { maxOffset, minOffset, queryConsumerOffset, searchOffset } from './offsets.ts'
import { OffsetCommitter, reportCommitError, type CommitReason } from './offset-commits.ts'
import { ProcessQueue } from './process-queue.ts'
import { pullMessages } from './pull.ts'
import { lockQueuesOnBrokers, unlockQueuesOnBrokers } from './queue-locks.ts'
import { answerBrokerRequest } from './broker-requests.ts'
import { defaultOffsetStoreDir, LocalOffsetStore } from './local-offset-store.ts'
import { sendMessageBack } from './send-back.ts'

export interface SubscriptionOptions {
  topic: string
  /** Tag expression (`*`, `TagA || TagB`) or SQL92 expression. Default `*`. */
  expression?: string
  type?: ExpressionType
}

export type StartFrom = 'last' | 'first' | { timestamp: number }

export interface RocketMQConsumerOptions {
  group: string
  subscriptions: readonly SubscriptionOptions[]
  model?: MessageModel
  /** Where a queue the group never consumed starts. Default 'last'. */
  consumeFrom?: StartFrom
  /** Consume each queue in order, under a broker lock, one batch at a time. */
  orderly?: boolean
  /** Messages per pull. Default 32. */
  pullBatchSize?: number
  /** Messages per batch handed to the application. Default 32. */
  consumeBatchSize?: number
  /** Stop pulling a queue while this many of its messages are unacknowledged. Default 1000. */
  pullThresholdForQueue?: number
  /** … or while their bodies exceed this many bytes. Default 100 MiB. */
  pullThresholdSizeForQueue?: number
  /** After this many redeliveries a message goes to %DLQ%<group>. Default 16. */
  maxReconsumeTimes?: number
  /** Delay level of a retry; 0 lets the broker choose (3 + reconsume times). Default 0. */
  retryDelayLevel?: number
  rebalanceIntervalMs?: number
  persistOffsetIntervalMs?: number
  /**
   * Broadcasting: directory of the local offset files (`<dir>/<clientId>/<group>/offsets.json`).
   * Default `~/.conduit/rocketmq-offsets`. A member restarted with the same client id resumes there.
   */
  offsetStoreDir?: string
  /** Long-poll suspension on the broker. Default 15 000 ms. */
  pullSuspendMs?: number
  /** Hand out a queue's next batch only after the previous one was acked or nacked. */
  oneBatchPerQueue?: boolean
  /** Where a message goes after maxReconsumeTimes instead of the broker's %DLQ%<group>. */
  deadLetter?: (message: MessageExt) => Promise<void>
  /** Answers CONSUME_MESSAGE_DIRECTLY (the dashboard's "resend to this consumer"). */
  consumeDirectly?: (message: MessageExt) => Promise<void>
}

export interface ConsumedBatch {
  readonly queue: MessageQueue
  readonly messages: readonly MessageExt[]
  /** Marks every message processed; the queue's committed offset moves past them. */
  ack(): Promise<void>
  /** Redelivers: via %RETRY%<group> (concurrent) or locally in order (orderly). */
  nack(): Promise<void>
}

interface QueueState {
  mq: MessageQueue
  pq: ProcessQueue
  subscription: SubscriptionData
  /** Batches handed out and not yet settled. */
  outstanding: number
  /** Batches waiting because the queue hands out one at a time. */
  held: ConsumedBatch[]
  /** Skip messages stored before this time (start by timestamp: the broker's search is coarse). */
  skipBefore: number | undefined
  /** Broker node the next pull goes to: the broker's last suggestion (0 = master). */
  pullFrom: number
  wake: () => void
  changed: Promise<void>
  loop?: Promise<void>
}

const retryTopicOf = (group: string): string => `%RETRY%${group}`

export class RocketMQPushConsumer implements ConsumerOwner, AsyncIterable<ConsumedBatch> {
  readonly client: RocketMQClient
  readonly group: string
  readonly options: RocketMQConsumerOptions
  readonly #subs = new Map<string, SubscriptionData>()
  readonly #queues = new Map<string, QueueState>()
  readonly #ready: ConsumedBatch[] = []
  #waiters: ((b: IteratorResult<ConsumedBatch>) => void)[] = []
  readonly #timers: ReturnType<typeof setInterval>[] = []
  /** Broadcasting keeps offsets on local disk, not on the broker (created by start()). */
  #localOffsets: LocalOffsetStore | undefined
  #rebalancing: Promise<void> | undefined
  #rebalanceAgain = false
  #paused = false
  #resume: (() => void) | undefined
  #resumed: Promise<void> = Promise.resolve()
  #started = false
  #closed = false
  /** Topics without a route when the consumer started: everything later stored in them is new. */
  readonly #missingAtStart = new Set<string>()
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  /** Queues whose start came from a committed offset (no timestamp skipping for them). */
  readonly #startedFromStore = new Set<string>()
  #unsubscribeRoutes: (() => void) | undefined
  /** Clustering: offsets go to the broker one commit per queue at a time (offset-commits.ts). */
  readonly #commits: OffsetCommitter

  constructor(client: RocketMQClient, options: RocketMQConsumerOptions) {
    if (typeof options.group !== 'string' || options.group === '')
      throw new ConfigError('a consumer group is required')
    if (!Array.isArray(options.subscriptions) || options.subscriptions.length === 0) {
      throw new ConfigError('a consumer needs at least one subscription')
    }
    this.client = client
    this.group = options.group
    this.options = options
    this.#commits = new OffsetCommitter(client, options.group)
    const version = Date.now()
    for (const s of options.subscriptions) {
      this.#subs.set(
        s.topic,
        subscriptionData({
          topic: s.topic,
          expression: s.expression ?? '*',
          expressionType: s.type ?? 'TAG',
          subVersion: version,
        }),
      )
    }
    // Clustering consumers also consume their group's retry topic, where nacked messages return.
    if (this.model === 'CLUSTERING') {
      const retry = retryTopicOf(this.group)
      this.#subs.set(
        retry,
        subscriptionData({ topic: retry, expression: '*', expressionType: 'TAG', subVersion: version }),
      )
    }
  }

  get model(): MessageModel {
    return this.options.model ?? 'CLUSTERING'
  }

  consumerData(): ConsumerData {
    const from = this.options.consumeFrom ?? 'last'
    return {
      groupName: this.group,
      consumeType: 'CONSUME_PASSIVELY',
      messageModel: this.model,
      consumeFromWhere:
        from === 'last'
          ? ConsumeFromWhere.LAST_OFFSET
          : from === 'first'
            ? ConsumeFromWhere.FIRST_OFFSET
            : ConsumeFromWhere.TIMESTAMP,
      subscriptionDataSet: [...this.#subs.values()],
      unitMode: false,
    }
  }

  /** Joins the group: fetches routes, heartbeats, rebalances, and starts pulling. */
  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    if (this.model === 'BROADCASTING') {
      const store = new LocalOffsetStore(
        this.options.offsetStoreDir ?? defaultOffsetStoreDir(),
        this.client.clientId,
        this.group,
      )
      await store.load()
      this.#localOffsets = store
    }
    this.client.registerConsumer(this)
    for (const topic of this.#subs.keys()) {
      const route = await this.client.route(topic).catch(() => undefined)
      if (!route && !topic.startsWith('%RETRY%')) this.#missingAtStart.add(topic)
    }
    const off = this.client.onRouteChange((topic) => {
      if (this.#subs.has(topic)) this.requestRebalance()
    })
    this.#unsubscribeRoutes = off
    await this.client.heartbeatAll().catch(() => {})
    const rebalance = setInterval(() => this.requestRebalance(), this.options.rebalanceIntervalMs ?? 20_000)
    // A failed background commit is reported (diagnostics channel) and retried on the next tick.
    const persist = setInterval(
      () => void this.#persist([...this.#queues.values()], 'periodic').catch(() => {}),
      this.options.persistOffsetIntervalMs ?? 5000,
    )
    rebalance.unref()
    persist.unref()
    this.#timers.push(rebalance, persist)
    if (this.options.orderly) {
      const relock = setInterval(() => void this.#lockAll().catch(() => {}), 20_000)
      relock.unref()
      this.#timers.push(relock)
    }
    await this.#rebalance()
  }

  // ---- broker → client ----

  handleBrokerRequest(
    request: RemotingCommand,
    _connection: RemotingConnection,
  ): Promise<RemotingCommand | null> {
    return answerBrokerRequest(request, {
      rebalance: () => this.requestRebalance(),
      orderly: this.options.orderly ?? false,
      consumeDirectly: this.options.consumeDirectly,
      subscriptions: [...this.#subs.values()],
      nameServers: this.client.nameServers.addresses,
      queues: () =>
        [...this.#queues.values()].map(({ mq, pq }) => ({
          queue: mq,
          info: {
            commitOffset: pq.commitOffset(),
            cachedMsgCount: pq.count,
            cachedMsgSizeInMiB: Math.floor(pq.bytes / (1024 * 1024)),
            locked: pq.locked,
            lastLockTimestamp: pq.lockedAt,
            droped: pq.dropped,
          },
        })),
    })
  }

  // ---- rebalance ----

  /** Schedules a rebalance (several requests while one runs collapse into one more). */
  requestRebalance(): void {
    if (this.#closed || !this.#started) return
    if (this.#rebalancing) {
      this.#rebalanceAgain = true
      return
    }
    void this.#rebalance()
  }

  #rebalance(): Promise<void> {
    this.#rebalancing ??= (async () => {
      try {
        do {
          this.#rebalanceAgain = false
          for (const [topic, sub] of this.#subs) {
            try {
              await this.#rebalanceTopic(topic, sub)
            } catch {
              // Name server or broker unreachable: keep the current assignment, retry next round.
            }
          }
        } while (this.#rebalanceAgain && !this.#closed)
      } finally {
        this.#rebalancing = undefined
      }
    })()
    return this.#rebalancing
  }

  async #rebalanceTopic(topic: string, sub: SubscriptionData): Promise<void> {
    const route = await this.client.route(topic, true)
    if (!route) {
      // The topic does not exist yet (it is created by the first send): look again soon.
      this.#retryTimer ??= setTimeout(() => {
        this.#retryTimer = undefined
        this.requestRebalance()
      }, 1000)
      this.#retryTimer.unref()
    }
    const all = route ? readQueues(topic, route) : []
    let mine: MessageQueue[]
    if (this.model === 'BROADCASTING') {
      mine = all
    } else {
      const address = route?.brokers.map((b) => b.brokerAddrs.get(0)).find((a) => a !== undefined)
      if (!address) return
      let ids = await this.client.consumerIds(address, this.group)
      if (!ids.includes(this.client.clientId)) {
        await this.client.heartbeat(address)
        ids = await this.client.consumerIds(address, this.group)
      }
      mine = allocateAveragely(all, ids, this.client.clientId)
    }
    if (this.#closed) return
    const wanted = new Map(mine.map((q) => [queueKey(q), q]))
    const removed: QueueState[] = []
    for (const [key, state] of this.#queues) {
      if (state.mq.topic === topic && !wanted.has(key)) {
        this.#queues.delete(key)
        state.pq.drop()
        state.wake()
        removed.push(state)
      }
    }
    if (removed.length > 0) {
      // Drop undelivered batches of lost queues: their offsets were not committed past them.
      this.#discardReady(removed)
      // A failure is reported on the diagnostics channel; the new owner then starts from the
      // last commit that did land, so messages are delivered again, never skipped.
      await this.#persist(removed, 'rebalance').catch(() => {})
      if (this.options.orderly) await this.#unlock(removed.map((s) => s.mq)).catch(() => {})
    }
    for (const [key, mq] of wanted) {
      if (this.#queues.has(key)) continue
      const offset = await this.#startOffset(mq)
      if (this.#closed || this.#queues.has(key)) continue
      const from = this.options.consumeFrom
      const byTime = typeof from === 'object' && !this.#startedFromStore.has(key) ? from.timestamp : undefined
      this.#addQueue(key, mq, offset, sub, byTime)
    }
  }

  async #startOffset(mq: MessageQueue): Promise<number> {
    if (this.model === 'BROADCASTING') {
      const local = this.#localOffsets?.get(queueKey(mq))
      if (local !== undefined) return local
    } else {
      const stored = await queryConsumerOffset(this.client, this.group, mq)
      if (stored !== undefined && stored >= 0) {
        this.#startedFromStore.add(queueKey(mq))
        return stored
      }
    }
    if (mq.topic.startsWith('%RETRY%') || this.#missingAtStart.has(mq.topic))
      return minOffset(this.client, mq)
    const from = this.options.consumeFrom ?? 'last'
    if (from === 'first') return minOffset(this.client, mq)
    if (from === 'last') return maxOffset(this.client, mq)
    return searchOffset(this.client, mq, from.timestamp)
  }

  #addQueue(
    key: string,
    mq: MessageQueue,
    offset: number,
    subscription: SubscriptionData,
    skipBefore?: number,
  ): void {
    const state: QueueState = {
      mq,
      pq: new ProcessQueue(offset),
      subscription,
      outstanding: 0,
      held: [],
      skipBefore,
      pullFrom: 0,
      wake: () => {},
      changed: Promise.resolve(),
    }
    this.#renewSignal(state)
    this.#queues.set(key, state)
    state.loop = this.#pullLoop(state)
  }

  #renewSignal(state: QueueState): void {
    state.changed = new Promise<void>((resolve) => {
      state.wake = resolve
    })
  }

  // ---- pulling ----

  async #pullLoop(state: QueueState): Promise<void> {
    const { pq, mq } = state
    const backoff = new Backoff({ initialMs: 200, maxMs: 3000 })
    const maxCount = this.options.pullThresholdForQueue ?? 1000
    const maxBytes = this.options.pullThresholdSizeForQueue ?? 100 * 1024 * 1024
    while (!pq.dropped && !this.#closed) {
      if (this.#paused) {
        await this.#resumed
        continue
      }
      const orderly = this.options.orderly === true
      if (pq.count >= maxCount || pq.bytes >= maxBytes || (orderly && pq.count > 0)) {
        await Promise.race([state.changed, sleep(1000)])
        continue
      }
      if (orderly && !pq.locked) {
        const locked = await this.#lock([mq]).catch(() => [] as MessageQueue[])
        if (!locked.some((q) => queueKey(q) === queueKey(mq))) {
          await sleep(1000)
          continue
        }
        // The previous owner may have committed more before unlocking: start from the broker's offset.
        const stored = await queryConsumerOffset(this.client, this.group, mq).catch(() => undefined)
        if (stored !== undefined && pq.count === 0) pq.nextOffset = stored
      }
      try {
        const result = await pullMessages(this.client, {
          group: this.group,
          queue: mq,
          offset: pq.nextOffset,
          maxMessages: this.options.pullBatchSize ?? 32,
          subscription: state.subscription,
          // No commit offset rides on pulls: the broker applies it on its pull threads, out of
          // order with UPDATE_CONSUMER_OFFSET, so it could undo a later commit (offset-commits.ts).
          suspendMs: this.options.pullSuspendMs ?? 15_000,
          brokerId: state.pullFrom,
        })
        backoff.reset()
        state.pullFrom = result.suggestWhichBrokerId
        if (pq.dropped || this.#closed) return
        if (result.status === 'FOUND') {
          let fresh = result.messages.filter((m) => m.queueOffset >= pq.nextOffset)
          if (state.skipBefore !== undefined) {
            const skipBefore = state.skipBefore
            const first = fresh.findIndex((m) => m.storeTimestamp >= skipBefore)
            fresh = first < 0 ? [] : fresh.slice(first)
            if (first >= 0) state.skipBefore = undefined
          }
          pq.add(fresh.map((m) => ({ offset: m.queueOffset, size: m.body.length })))
          pq.nextOffset = result.nextBeginOffset
          this.#deliver(state, fresh)
        } else if (result.status === 'OFFSET_ILLEGAL') {
          pq.nextOffset = result.nextBeginOffset
          // Reported on the diagnostics channel; the periodic commit writes it again.
          await this.#persist([state], 'offset-moved').catch(() => {})
        } else {
          pq.nextOffset = result.nextBeginOffset
        }
      } catch (err) {
        if (pq.dropped || this.#closed) return
        // A slave that failed us is not asked again until the master suggests it.
        state.pullFrom = 0
        // Topic or subscription not yet known to the broker right after creation: retry soon.
        const code = err instanceof BrokerError ? err.brokerCode : undefined
        await sleep(
          code === ResponseCode.SUBSCRIPTION_NOT_EXIST || code === ResponseCode.SUBSCRIPTION_NOT_LATEST
            ? 200
            : backoff.next(),
        )
        if (!(err instanceof BrokerError)) void this.client.route(mq.topic, true).catch(() => {})
      }
    }
  }

  #deliver(state: QueueState, messages: MessageExt[]): void {
    const size = this.options.orderly ? messages.length : (this.options.consumeBatchSize ?? 32)
    for (const m of messages) {
      // Messages from the retry topic show the topic they were first sent to, as in Java.
      const original = m.properties[Property.RETRY_TOPIC]
      if (original !== undefined && m.topic.startsWith('%RETRY%')) m.topic = original
    }
    for (let i = 0; i < messages.length; i += size)
      this.#handOut(state, this.#batch(state, messages.slice(i, i + size)))
  }

  /** Whether a queue hands out its next batch only after the previous one was settled. */
  get #serial(): boolean {
    return this.options.orderly === true || this.options.oneBatchPerQueue === true
  }

  #handOut(state: QueueState, batch: ConsumedBatch, front = false): void {
    if (this.#serial && state.outstanding > 0) {
      if (front) state.held.unshift(batch)
      else state.held.push(batch)
      return
    }
    state.outstanding++
    const waiter = this.#waiters.shift()
    if (waiter) waiter({ value: batch, done: false })
    else if (front) this.#ready.unshift(batch)
    else this.#ready.push(batch)
  }

  /** A handed-out batch of the queue was settled: the next held one may go. */
  #settled(state: QueueState): void {
    state.outstanding--
    const next = state.held.shift()
    if (next && !state.pq.dropped && !this.#closed) this.#handOut(state, next)
  }

  #batch(state: QueueState, messages: MessageExt[]): ConsumedBatch {
    let settled = false
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      return true
    }
    return {
      queue: state.mq,
      messages,
      ack: async () => {
        if (!settle()) return
        this.#processed(state, messages)
        this.#settled(state)
      },
      nack: async () => {
        if (!settle()) return
        await this.#redeliver(state, messages)
      },
    }
  }

  #processed(state: QueueState, messages: readonly MessageExt[]): void {
    if (state.pq.dropped || messages.length === 0) return
    state.pq.remove(messages.map((m) => m.queueOffset))
    state.wake()
    this.#renewSignal(state)
  }

  /** Hands messages back after a pause, keeping the queue's outstanding slot (order holds). */
  async #retryLocally(state: QueueState, messages: MessageExt[]): Promise<void> {
    await sleep(1000)
    if (state.pq.dropped || this.#closed) return
    state.outstanding--
    this.#handOut(state, this.#batch(state, messages), true)
  }

  async #redeliver(state: QueueState, messages: MessageExt[]): Promise<void> {
    const max = this.options.maxReconsumeTimes ?? 16
    const expired = (m: MessageExt): boolean => m.reconsumeTimes >= max
    const failed: MessageExt[] = []
    const retryInPlace: MessageExt[] = []
    for (const m of messages) {
      try {
        if (expired(m)) {
          // Past the limit: the application's dead-letter topic, else the broker's %DLQ%<group>.
          if (this.options.deadLetter) await this.options.deadLetter(m)
          else await this.#sendBack(state, m, -1)
        } else if (this.options.orderly) {
          // Orderly: retry in place so later messages of the queue wait for this one.
          retryInPlace.push(m)
        } else {
          await this.#sendBack(state, m, this.options.retryDelayLevel ?? 0)
        }
      } catch {
        failed.push(m)
      }
    }
    for (const m of retryInPlace) m.reconsumeTimes++
    this.#processed(
      state,
      messages.filter((m) => !failed.includes(m) && !retryInPlace.includes(m)),
    )
    const again = [...retryInPlace, ...failed].sort((a, b) => a.queueOffset - b.queueOffset)
    // Messages the broker could not take back stay unacknowledged and come again from here.
    if (again.length > 0) await this.#retryLocally(state, again)
    else this.#settled(state)
  }

  #sendBack(state: QueueState, m: MessageExt, delayLevel: number): Promise<void> {
    return sendMessageBack(
      this.client,
      state.mq,
      this.group,
      m,
      delayLevel,
      this.options.maxReconsumeTimes ?? 16,
    )
  }

  // ---- orderly locks ----

  async #lock(queues: MessageQueue[]): Promise<MessageQueue[]> {
    const out = await lockQueuesOnBrokers(this.client, this.group, queues)
    const lockedKeys = new Set(out.map(queueKey))
    for (const q of queues) {
      const state = this.#queues.get(queueKey(q))
      if (state) {
        state.pq.locked = lockedKeys.has(queueKey(q))
        if (state.pq.locked) state.pq.lockedAt = Date.now()
      }
    }
    return out
  }

  async #lockAll(): Promise<void> {
    await this.#lock([...this.#queues.values()].map((s) => s.mq))
  }

  #unlock(queues: MessageQueue[]): Promise<void> {
    return unlockQueuesOnBrokers(this.client, this.group, queues)
  }

  // ---- offsets ----

  /**
   * Commits each queue's offset (the smallest unacknowledged one). Rejects with the first failure
   * after every queue was tried; `force` writes even an offset the broker already confirmed.
   */
  async #persist(states: QueueState[], reason: CommitReason, force = false): Promise<void> {
    const results = await Promise.allSettled(
      states.map(async (s) => {
        const offset = s.pq.commitOffset()
        if (offset < 0) return
        if (this.#localOffsets) {
          if (offset !== s.pq.lastCommitted) this.#localOffsets.set(queueKey(s.mq), offset)
          s.pq.lastCommitted = offset
        } else {
          await this.#commits.commit(s.mq, offset, reason, force)
        }
      }),
    )
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (this.#localOffsets) {
      try {
        await this.#localOffsets.flush()
      } catch (err) {
        // Broadcasting: the file holds every queue's offset, so each of them failed to save.
        for (const s of states) reportCommitError(this.group, s.mq, s.pq.commitOffset(), reason, err)
        throw err
      }
    }
    if (failed) throw failed.reason
  }

  /** Writes the committed offset of every assigned queue to the broker, and waits for its answers. */
  async persistOffsets(): Promise<void> {
    await this.#persist([...this.#queues.values()], 'periodic')
  }

  /** Moves a queue's position (offsets of messages in flight there are discarded). */
  async seek(mq: MessageQueue, offset: number): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new ConfigError(`seek offset must be a non-negative integer`)
    const state = this.#queues.get(queueKey(mq))
    if (!state) {
      // Not assigned here: store it for whoever owns the queue.
      if (this.model === 'CLUSTERING') await this.#commits.commit(mq, offset, 'seek', true)
      else if (this.#localOffsets) {
        this.#localOffsets.set(queueKey(mq), offset)
        await this.#localOffsets.flush()
      } else throw new ConfigError('seek of a broadcasting consumer needs start() first')
      return
    }
    const key = queueKey(mq)
    this.#queues.delete(key)
    state.pq.drop()
    state.wake()
    this.#discardReady([state])
    if (this.model === 'CLUSTERING') await this.#commits.commit(mq, offset, 'seek', true)
    else if (this.#localOffsets) {
      this.#localOffsets.set(key, offset)
      await this.#localOffsets.flush()
    }
    this.#addQueue(key, mq, offset, state.subscription)
  }

  /** Forgets batches of these queues not yet handed to the application (they will be pulled again). */
  #discardReady(states: readonly QueueState[]): void {
    const queues = new Set(states.map((s) => s.mq))
    for (let i = this.#ready.length - 1; i >= 0; i--)
      if (queues.has(this.#ready[i]!.queue)) this.#ready.splice(i, 1)
    for (const s of states) s.held.length = 0
  }

  assignment(): MessageQueue[] {
    return [...this.#queues.values()].map((s) => s.mq)
  }

  pause(): void {
    if (this.#paused) return
    this.#paused = true
    this.#resumed = new Promise<void>((resolve) => {
      this.#resume = resolve
    })
  }

  resume(): void {
    if (!this.#paused) return
    this.#paused = false
    this.#resume?.()
  }

  /** The next batch, or undefined once the consumer closed. */
  next(): Promise<ConsumedBatch | undefined> {
    const ready = this.#ready.shift()
    if (ready) return Promise.resolve(ready)
    if (this.#closed) return Promise.resolve(undefined)
    return new Promise((resolve) => this.#waiters.push((r) => resolve(r.done ? undefined : r.value)))
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumedBatch> {
    return {
      next: async () => {
        const batch = await this.next()
        return batch ? { value: batch, done: false } : { value: undefined, done: true }
      },
      return: async () => ({ value: undefined, done: true }),
    }
  }

  #closing: Promise<void> | undefined

  /**
   * Commits, leaves the group and stops. Every call returns the same promise: a second close()
   * (the broker's, say) must not finish — and let the client close — while the first one's final
   * commit is still on its way.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    for (const t of this.#timers) clearInterval(t)
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
    this.#unsubscribeRoutes?.()
    this.resume()
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w({ value: undefined, done: true })
    if (this.#rebalancing) await this.#rebalancing.catch(() => {})
    const states = [...this.#queues.values()]
    this.#ready.length = 0
    // The final commit is what the group's next run resumes from: it is written (forced, after
    // any commit still in flight) and awaited, and its failure is close()'s error — reported
    // after the consumer left the group, so a failed commit never leaves it half closed.
    let commitError: unknown
    try {
      await this.#persist(states, 'close', true)
    } catch (err) {
      commitError = err
    }
    for (const s of states) {
      s.pq.drop()
      s.wake()
    }
    this.#queues.clear()
    if (this.options.orderly) await this.#unlock(states.map((s) => s.mq)).catch(() => {})
    if (this.#started) await this.client.unregister('consumer', this.group)
    if (commitError !== undefined) throw commitError
  }

  assertOpen(): void {
    if (this.#closed) throw new ClosedError(`consumer ${this.group} is closed`)
  }
}
