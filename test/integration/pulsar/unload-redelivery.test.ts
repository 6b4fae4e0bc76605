// Messages handed to the application but not acknowledged when the topic is unloaded (admin API)
// or the connection is cut (fault proxy) come back to the same, still open consumer once it has
// re-subscribed. Nothing prefetched before the disruption is handed out a second time from the
// local queue, acknowledgements of message ids received before the disruption still count, and
// after everything is acknowledged a new consumer on the subscription gets nothing.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { PulsarAdmin, PulsarConsumer, PulsarProducer, createClient } from '../../../src/pulsar/index.ts'
import type { PulsarClient, PulsarConnectOptions, PulsarMessage } from '../../../src/pulsar/index.ts'
import type { SubscriptionType } from '../../../src/pulsar/consumer/partition-consumer.ts'
import { useBroker } from '../../support/brokers.ts'
import type { BrokerHandle } from '../../support/brokers.ts'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import type { FaultProxy } from '../../support/fault-proxy.ts'
import { maybeNext, next, unique } from './helpers.ts'

const FAST_RECONNECT: PulsarConnectOptions = {
  reconnectBackoff: { initialMs: 50, maxMs: 1000 },
  operationTimeoutMs: 30_000,
}
const TOTAL = 30
const EARLY = 8

let broker: BrokerHandle
let admin: PulsarAdmin

before(async () => {
  broker = await useBroker('pulsar')
  admin = new PulsarAdmin({ url: broker.urls.admin! })
})

interface Scenario {
  subscriptionType: SubscriptionType
  partitions: number
  batching: boolean
  ackReceipt?: boolean
  /**
   * Batching only: this many of the early messages are acknowledged before the disruption. Partial
   * batch acks stay in the client, so the broker redelivers them, but the application need not
   * acknowledge them again for their batch to be acknowledged in the end.
   */
  preAck?: number
  /** Returns the client to use and the disruption to apply after EARLY messages were received. */
  setup(): Promise<{ client: PulsarClient; disrupt: (topic: string) => Promise<void>; done(): Promise<void> }>
}

function partitionNames(topic: string, partitions: number): string[] {
  return partitions === 0 ? [topic] : Array.from({ length: partitions }, (_, i) => `${topic}-partition-${i}`)
}

/** `connectedSince` of the subscription's consumers, per partition ('' when none is connected). */
async function consumerSessions(topic: string, partitions: number, subscription: string): Promise<string[]> {
  return Promise.all(
    partitionNames(topic, partitions).map(async (t) => {
      const stats = await admin.topicStats(t)
      const consumers = (stats.subscriptions[subscription]?.consumers ?? []) as Array<{
        connectedSince?: string
      }>
      return consumers
        .map((c) => c.connectedSince ?? '?')
        .sort()
        .join(',')
    }),
  )
}

/** Waits until every partition shows a consumer session other than the ones in `before`. */
async function awaitResubscribed(
  topic: string,
  partitions: number,
  subscription: string,
  before: string[],
): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const now = await consumerSessions(topic, partitions, subscription).catch(() => undefined)
    if (now && now.every((s, i) => s !== '' && s !== before[i])) return
    if (Date.now() > deadline)
      throw new Error(`the consumer did not re-subscribe within 60 s (sessions ${JSON.stringify(now)})`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

async function run(s: Scenario): Promise<void> {
  const { client, disrupt, done } = await s.setup()
  const topic = `persistent://public/default/${unique(`unload-${s.subscriptionType}`)}`
  const subscription = unique('sub')
  try {
    if (s.partitions > 0) await admin.createPartitionedTopic(topic, s.partitions)
    const consumer = await PulsarConsumer.create(client, {
      topic,
      subscription,
      subscriptionType: s.subscriptionType,
      initialPosition: 'earliest',
      // Smaller than what is produced: after the disruption the broker can only send on if the
      // consumer granted permits again.
      receiverQueueSize: 5,
      ...(s.ackReceipt ? { ackReceipt: true } : {}),
    })
    const producer = await PulsarProducer.create(client, {
      topic,
      batching: s.batching,
      batchingMaxMessages: 10,
      batchingMaxDelayMs: 50,
    })
    await Promise.all(
      Array.from({ length: TOTAL }, (_, i) => producer.send({ key: `k${i % 4}`, value: `m${i}` })),
    )
    await producer.close()

    // Take EARLY messages and acknowledge none of them.
    const early = new Map<string, PulsarMessage>()
    while (early.size < EARLY) {
      const m = await next(consumer, 30_000)
      early.set(m.valueString()!, m)
    }
    const preAcked = new Set([...early.keys()].slice(0, s.preAck ?? 0))
    for (const v of preAcked) await consumer.acknowledge(early.get(v)!)
    const sessions = await consumerSessions(topic, s.partitions, subscription)
    await disrupt(topic)
    await awaitResubscribed(topic, s.partitions, subscription, sessions)

    // Keep reading the same consumer: everything unacknowledged arrives, the early ones again.
    const later = new Map<string, PulsarMessage>()
    const counts = new Map<string, number>()
    while (later.size < TOTAL) {
      const m = await maybeNext(consumer, 60_000)
      if (!m)
        throw new Error(
          `after the disruption only ${later.size} of ${TOTAL} arrived; missing ${[...Array(TOTAL).keys()]
            .map((i) => `m${i}`)
            .filter((v) => !later.has(v))
            .join(' ')}`,
        )
      const v = m.valueString()!
      later.set(v, m)
      counts.set(v, (counts.get(v) ?? 0) + 1)
    }
    for (const v of early.keys()) assert.ok(later.has(v), `unacknowledged ${v} was not redelivered`)
    // Nothing from the old session's local queue came out next to the redelivered copies.
    const twice = [...counts].filter(([, n]) => n > 1).map(([v]) => v)
    assert.deepEqual(twice, [], 'handed out twice after the disruption')

    // Acknowledge: the early ones by the ids received before the disruption, the rest as
    // redelivered, none of those acknowledged before the disruption again.
    await Promise.all(
      [...later].filter(([v]) => !preAcked.has(v)).map(([v, m]) => consumer.acknowledge(early.get(v) ?? m)),
    )
    // Nothing else comes for this consumer.
    assert.equal(await maybeNext(consumer, 1500), undefined)
    await consumer.close()

    const again = await PulsarConsumer.create(client, {
      topic,
      subscription,
      subscriptionType: s.subscriptionType,
    })
    const leftover = await maybeNext(again, 3000)
    assert.equal(leftover, undefined, `a new consumer got ${leftover?.valueString()}`)
    await again.close()
    const deadline = Date.now() + 30_000
    for (;;) {
      const backlog = (
        await Promise.all(partitionNames(topic, s.partitions).map((t) => admin.backlog(t, subscription)))
      ).reduce((a, b) => a + b, 0)
      if (backlog === 0) break
      if (Date.now() > deadline) assert.fail(`backlog ${backlog} after every message was acknowledged`)
      await new Promise((r) => setTimeout(r, 300))
    }
  } finally {
    await done()
  }
}

function viaUnload(): Scenario['setup'] {
  return async () => {
    const client = await createClient(broker.url, FAST_RECONNECT)
    return {
      client,
      disrupt: (topic) => admin.unloadTopic(topic),
      done: () => client.close(),
    }
  }
}

function viaCut(): Scenario['setup'] {
  return async () => {
    const target = new URL(broker.url)
    const proxy: FaultProxy = await startFaultProxy({
      targetHost: target.hostname,
      targetPort: Number(target.port),
    })
    const client = await createClient(`pulsar://${proxy.host}:${proxy.port}`, {
      ...FAST_RECONNECT,
      mapAddress: () => ({ host: proxy.host, port: proxy.port }),
    })
    return {
      client,
      disrupt: () => {
        proxy.cutAll()
        return Promise.resolve()
      },
      done: async () => {
        await client.close()
        await proxy.close()
      },
    }
  }
}

void test('unload, Exclusive: unacknowledged messages come back to the open consumer', () =>
  run({ subscriptionType: 'Exclusive', partitions: 0, batching: false, setup: viaUnload() }))

void test('unload, Shared with batches: unacknowledged messages come back, acks with old ids count', () =>
  run({
    subscriptionType: 'Shared',
    partitions: 0,
    batching: true,
    ackReceipt: true,
    preAck: 2,
    setup: viaUnload(),
  }))

void test('unload, Failover on a partitioned topic: every partition redelivers', () =>
  run({ subscriptionType: 'Failover', partitions: 3, batching: false, setup: viaUnload() }))

void test('unload, Key_Shared with batches', () =>
  run({ subscriptionType: 'Key_Shared', partitions: 0, batching: true, setup: viaUnload() }))

void test('connection cut by the fault proxy, Exclusive with batches', () =>
  run({ subscriptionType: 'Exclusive', partitions: 0, batching: true, preAck: 3, setup: viaCut() }))

void test('connection cut by the fault proxy, Shared on a partitioned topic', () =>
  run({ subscriptionType: 'Shared', partitions: 2, batching: false, ackReceipt: true, setup: viaCut() }))
