// The push consumer against the real broker: rebalance across 3 members joining and leaving,
// ordered consumption across a rebalance, retry through %RETRY% and dead letter in %DLQ%,
// broadcasting, never-consumed queues (code 22) and committed offsets.

import { after, test } from 'node:test'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import { useBroker } from '../../support/brokers.ts'
import {
  RocketMQPushConsumer,
  type RocketMQConsumerOptions,
} from '../../../src/rocketmq/consumer/push-consumer.ts'
import { queryConsumerOffset } from '../../../src/rocketmq/consumer/offsets.ts'
import { RocketMQProducer } from '../../../src/rocketmq/producer/producer.ts'
import type { RocketMQClient } from '../../../src/rocketmq/client.ts'
import type { MessageExt } from '../../../src/rocketmq/protocol/message-ext.ts'
import { collect, createTopic, newClient, text, unique } from './helpers.ts'

const broker = await useBroker('rocketmq')
const client = newClient(broker.url)
const producer = new RocketMQProducer(client, { group: unique('pg') })
producer.start()
const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
  await producer.close()
  await client.close()
})

/** A group member with its own client (the broker counts one member per connection). */
async function member(
  options: RocketMQConsumerOptions,
): Promise<{ consumer: RocketMQPushConsumer; client: RocketMQClient }> {
  const own = newClient(broker.url, { heartbeatMs: 1000 })
  const consumer = new RocketMQPushConsumer(own, { rebalanceIntervalMs: 1000, ...options })
  await consumer.start()
  const stop = async (): Promise<void> => {
    await consumer.close()
    await own.close()
  }
  cleanups.push(stop)
  return { consumer, client: own }
}

async function until(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

void test('rebalance: 3 members split 8 queues, and the rest take over when members leave', async () => {
  const topic = unique('rb')
  const group = unique('g')
  await createTopic(client, topic, 8)
  const members = [await member({ group, subscriptions: [{ topic }] })]
  members.push(await member({ group, subscriptions: [{ topic }] }))
  members.push(await member({ group, subscriptions: [{ topic }] }))
  const owned = (): number[] =>
    members.map((m) => m.consumer.assignment().filter((q) => q.topic === topic).length)
  await until(
    () => owned().join(',') === '3,3,2' || owned().sort().join(',') === '2,3,3',
    20_000,
    `3-way split (now ${owned().join(',')})`,
  )
  const all = new Set(
    members.flatMap((m) =>
      m.consumer
        .assignment()
        .filter((q) => q.topic === topic)
        .map((q) => q.queueId),
    ),
  )
  assert.equal(all.size, 8, 'every queue owned exactly once')
  await members[0]!.consumer.close()
  await members[0]!.client.close()
  await members[1]!.consumer.close()
  await members[1]!.client.close()
  await until(
    () => members[2]!.consumer.assignment().filter((q) => q.topic === topic).length === 8,
    20_000,
    'the last member owning all 8 queues',
  )
  // Messages sent now all reach the remaining member.
  for (let i = 0; i < 16; i++) await producer.send({ topic, body: `after-${i}` })
  const got = await collect(
    members[2]!.consumer,
    (m) => m.filter((x) => text(x).startsWith('after-')).length >= 16,
  )
  assert.equal(new Set(got.map(text)).size, 16)
})

void test('ordered consumption keeps per-queue order across a rebalance, and loses nothing', async () => {
  const topic = unique('ord')
  const group = unique('g')
  await createTopic(client, topic, 4)
  const keys = ['a', 'b', 'c', 'd', 'e', 'f']
  const total = 120
  const seen = new Map<string, number[]>()
  const record = (m: MessageExt): void => {
    const [key, seq] = text(m).split(':') as [string, string]
    const list = seen.get(key) ?? []
    list.push(Number(seq))
    seen.set(key, list)
  }
  const first = await member({ group, subscriptions: [{ topic }], orderly: true, consumeFrom: 'first' })
  const consume = async (c: RocketMQPushConsumer, stop: () => boolean): Promise<void> => {
    // One next() at a time: a batch that arrives after a timeout is still handled next round.
    let pending = c.next()
    while (!stop()) {
      const batch = await Promise.race([
        pending,
        new Promise<'idle'>((r) => setTimeout(() => r('idle'), 500)),
      ])
      if (batch === 'idle') continue
      pending = c.next()
      if (!batch) continue
      for (const m of batch.messages) record(m)
      await batch.ack()
    }
  }
  const count = (): number => [...seen.values()].reduce((n, l) => n + new Set(l).size, 0)
  let stopAll = false
  const loops = [consume(first.consumer, () => stopAll)]
  for (let i = 0; i < total; i++) {
    const key = keys[i % keys.length]!
    await producer.send({ topic, body: `${key}:${Math.floor(i / keys.length)}`, shardingKey: key })
    if (i === total / 2) {
      const second = await member({ group, subscriptions: [{ topic }], orderly: true, consumeFrom: 'first' })
      loops.push(consume(second.consumer, () => stopAll))
    }
  }
  await until(() => count() >= total, 40_000, `all ${total} messages (have ${count()})`)
  stopAll = true
  await Promise.all(loops)
  for (const [key, list] of seen) {
    // Redelivery after a rebalance may repeat a tail, but never goes backwards within a pass.
    const firstSeen = list.filter((v, i) => list.indexOf(v) === i)
    assert.deepEqual(
      firstSeen,
      [...firstSeen].sort((x, y) => x - y),
      `order of key ${key}: ${list.join(',')}`,
    )
    assert.equal(new Set(list).size, total / keys.length, `all messages of key ${key}`)
  }
})

void test('retry and dead letter: failures come back through %RETRY% and end in %DLQ%', async () => {
  const topic = unique('rt')
  const group = unique('g')
  await createTopic(client, topic, 1)
  const { consumer } = await member({
    group,
    subscriptions: [{ topic }],
    consumeFrom: 'first',
    maxReconsumeTimes: 2,
    retryDelayLevel: 1,
  })
  await producer.send({ topic, body: 'poison', keys: 'p1' })
  await producer.send({ topic, body: 'fine' })
  const deliveries = await collect(
    consumer,
    (all) => all.filter((m) => text(m) === 'poison').length >= 3 && all.some((m) => text(m) === 'fine'),
    {
      timeoutMs: 40_000,
      onBatch: async (b) => {
        if (b.messages.some((m) => text(m) === 'poison')) await b.nack()
        else await b.ack()
      },
    },
  )
  const poison = deliveries.filter((m) => text(m) === 'poison')
  assert.deepEqual(
    poison.map((m) => m.reconsumeTimes),
    [0, 1, 2],
  )
  assert.ok(
    poison.every((m) => m.topic === topic),
    'retried messages show their original topic',
  )
  // After maxReconsumeTimes the broker moved it to the dead-letter topic of the group.
  const dlq = await member({
    group: unique('dlqreader'),
    subscriptions: [{ topic: `%DLQ%${group}` }],
    consumeFrom: 'first',
  })
  const dead = await collect(dlq.consumer, (all) => all.length >= 1, { timeoutMs: 30_000 })
  assert.equal(text(dead[0]!), 'poison')
  assert.equal(dead[0]!.properties.KEYS, 'p1')
})

void test('broadcasting: every member gets every message', async () => {
  const topic = unique('bc')
  const group = unique('g')
  await createTopic(client, topic, 2)
  const offsetStoreDir = await mkdtemp(join(tmpdir(), 'conduit-rmq-bc-'))
  const options = {
    group,
    subscriptions: [{ topic }],
    model: 'BROADCASTING',
    consumeFrom: 'first',
    offsetStoreDir,
  } as const
  const a = await member(options)
  const b = await member(options)
  for (let i = 0; i < 10; i++) await producer.send({ topic, body: `m${i}` })
  const gotA = await collect(a.consumer, (all) => all.length >= 10)
  const gotB = await collect(b.consumer, (all) => all.length >= 10)
  assert.equal(new Set(gotA.map(text)).size, 10)
  assert.equal(new Set(gotB.map(text)).size, 10)
})

void test('broadcasting: a member restarted with the same client id resumes from its local offset file', async () => {
  const topic = unique('bcr')
  const group = unique('g')
  await createTopic(client, topic, 2)
  const offsetStoreDir = await mkdtemp(join(tmpdir(), 'conduit-rmq-bcr-'))
  const clientId = unique('127.0.0.1@bc')
  const options = {
    group,
    subscriptions: [{ topic }],
    model: 'BROADCASTING',
    consumeFrom: 'first',
    offsetStoreDir,
  } as const
  for (let i = 0; i < 10; i++) await producer.send({ topic, body: `first-${i}` })

  const ownA = newClient(broker.url, { clientId })
  const a = new RocketMQPushConsumer(ownA, options)
  await a.start()
  const got = await collect(a, (all) => all.length >= 10)
  assert.deepEqual(new Set(got.map(text)).size, 10)
  await a.close() // writes the offsets file
  await ownA.close()
  const file = JSON.parse(await readFile(join(offsetStoreDir, clientId, group, 'offsets.json'), 'utf8')) as {
    offsets: Record<string, number>
  }
  assert.equal(
    Object.values(file.offsets).reduce((n, o) => n + o, 0),
    10,
    'offsets of both queues sum to 10',
  )

  for (let i = 0; i < 5; i++) await producer.send({ topic, body: `second-${i}` })
  const ownB = newClient(broker.url, { clientId })
  const b = new RocketMQPushConsumer(ownB, options)
  cleanups.push(async () => {
    await b.close()
    await ownB.close()
  })
  await b.start()
  const after = await collect(b, (all) => all.length >= 5)
  // Nothing of the first ten again (consumeFrom 'first' would have replayed them without the file).
  await new Promise((r) => setTimeout(r, 1500))
  const extra = await Promise.race([
    b.next(),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 500)),
  ])
  assert.deepEqual(after.map(text).sort(), ['second-0', 'second-1', 'second-2', 'second-3', 'second-4'])
  assert.equal(extra, undefined, 'no further messages')
})

void test('offsets: never-consumed queue is undefined (code 22), commit follows the oldest unacked message', async () => {
  const topic = unique('off')
  const group = unique('g')
  await createTopic(client, topic, 1)
  const q = { topic, brokerName: (await client.route(topic))!.brokers[0]!.brokerName, queueId: 0 }
  assert.equal(await queryConsumerOffset(client, group, q), undefined)
  for (let i = 0; i < 6; i++) await producer.send({ topic, body: `m${i}` })
  const { consumer } = await member({
    group,
    subscriptions: [{ topic }],
    consumeFrom: 'first',
    consumeBatchSize: 2,
  })
  const batches = []
  while (batches.length < 3) {
    const b = await consumer.next()
    if (b) batches.push(b)
  }
  // Ack the 1st and 3rd batch: the committed offset may only move past the 1st.
  await batches[0]!.ack()
  await batches[2]!.ack()
  await consumer.persistOffsets()
  assert.equal(await queryConsumerOffset(client, group, q), 2)
  await batches[1]!.ack()
  await consumer.persistOffsets()
  assert.equal(await queryConsumerOffset(client, group, q), 6)
})

void test('a joining member triggers NOTIFY_CONSUMER_IDS_CHANGED: the group rebalances without waiting for the timer', async () => {
  const topic = unique('ntf')
  const group = unique('g')
  await createTopic(client, topic, 4)
  // Periodic rebalancing far beyond the test's deadline: only the broker's notification can do it.
  const first = await member({ group, subscriptions: [{ topic }], rebalanceIntervalMs: 600_000 })
  const owned = (): number => first.consumer.assignment().filter((q) => q.topic === topic).length
  await until(() => owned() === 4, 10_000, 'the first member owning all queues')
  await member({ group, subscriptions: [{ topic }], rebalanceIntervalMs: 600_000 })
  await until(() => owned() === 2, 10_000, `the first member giving up half (owns ${owned()})`)
})

void test('flow control: a queue stops being pulled while its unacknowledged messages exceed the threshold', async () => {
  const topic = unique('flow')
  const group = unique('g')
  await createTopic(client, topic, 1)
  for (let i = 0; i < 40; i++) await producer.send({ topic, body: `f${i}` })
  const { consumer } = await member({
    group,
    subscriptions: [{ topic }],
    consumeFrom: 'first',
    pullBatchSize: 8,
    consumeBatchSize: 8,
    pullThresholdForQueue: 8,
  })
  const held = []
  // Take batches without acking: after the first pull (8 messages) nothing more may come.
  let pending = consumer.next()
  for (;;) {
    const next = await Promise.race([
      pending,
      new Promise<'quiet'>((r) => setTimeout(() => r('quiet'), 2000)),
    ])
    if (next === 'quiet' || next === undefined) break
    held.push(next)
    pending = consumer.next()
  }
  assert.equal(
    held.reduce((n, b) => n + b.messages.length, 0),
    8,
    'only one pull before the threshold stopped it',
  )
  for (const b of held) await b.ack()
  const rest: string[] = []
  while (rest.length < 32) {
    const batch = await pending
    assert.ok(batch, 'consumer still open')
    rest.push(...batch.messages.map(text))
    await batch.ack()
    if (rest.length < 32) pending = consumer.next()
  }
  assert.equal(new Set(rest).size, 32)
})
