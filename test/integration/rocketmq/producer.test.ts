// The native producer against the real broker: sync/oneway/batch sends, tags/keys/properties,
// every compression codec, delay levels and timer delivery, tag and SQL92 filters, ordered
// sends by sharding key, retries, request-reply.

import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { useBroker } from '../../support/brokers.ts'
import { RocketMQPushConsumer } from '../../../src/rocketmq/consumer/push-consumer.ts'
import { RocketMQProducer } from '../../../src/rocketmq/producer/producer.ts'
import { reply, request } from '../../../src/rocketmq/producer/request-reply.ts'
import { ConfigError, MessageTooLargeError } from '../../../src/core/errors.ts'
import { collect, createTopic, newClient, text, unique } from './helpers.ts'

const broker = await useBroker('rocketmq')
const client = newClient(broker.url)
const producer = new RocketMQProducer(client, { group: unique('pg') })
producer.start()
after(async () => {
  await producer.close()
  await client.close()
})

async function consumerOf(
  topic: string,
  extra: Partial<ConstructorParameters<typeof RocketMQPushConsumer>[1]> = {},
): Promise<RocketMQPushConsumer> {
  const c = new RocketMQPushConsumer(client, {
    group: unique('cg'),
    subscriptions: [{ topic }],
    consumeFrom: 'first',
    ...extra,
  })
  await c.start()
  return c
}

void test('sync, oneway and batch sends arrive with tags, keys and properties', async () => {
  const topic = unique('t')
  await createTopic(client, topic)
  const r = await producer.send({
    topic,
    body: 'one',
    tags: 'TagA',
    keys: ['k1', 'k2'],
    properties: { colour: 'blue', ünï: 'çödé' },
  })
  assert.equal(r.status, 'SEND_OK')
  assert.equal(r.msgId.length, 32)
  assert.equal(r.offsetMsgId.length, 32)
  await producer.sendOneway({ topic, body: 'two' })
  const batch = await producer.sendBatch([
    { topic, body: 'b1', keys: 'kb1' },
    { topic, body: 'b2', keys: 'kb2' },
  ])
  assert.equal(batch.length, 2)
  assert.equal(batch[1]!.queueOffset, batch[0]!.queueOffset + 1)
  const c = await consumerOf(topic)
  const got = await collect(c, (all) => all.length >= 4)
  await c.close()
  const one = got.find((m) => text(m) === 'one')!
  assert.equal(one.properties.TAGS, 'TagA')
  assert.equal(one.properties.KEYS, 'k1 k2')
  assert.equal(one.properties.colour, 'blue')
  assert.equal(one.properties['ünï'], 'çödé')
  assert.equal(one.msgId, r.msgId)
  assert.equal(one.offsetMsgId, r.offsetMsgId)
  assert.deepEqual(got.map(text).sort(), ['b1', 'b2', 'one', 'two'])
  assert.equal(got.find((m) => text(m) === 'b2')!.properties.KEYS, 'kb2')
})

for (const codec of ['zlib', 'lz4', 'zstd'] as const) {
  void test(`bodies above the threshold are compressed with ${codec} and come back intact`, async () => {
    const topic = unique('z')
    await createTopic(client, topic, 1)
    const p = new RocketMQProducer(client, {
      group: unique('pgz'),
      compression: codec,
      compressThreshold: 1024,
    })
    const body = Buffer.alloc(64 * 1024, `compressible ${codec} `)
    await p.send({ topic, body })
    const c = await consumerOf(topic)
    const [m] = await collect(c, (all) => all.length >= 1)
    await c.close()
    await p.close()
    assert.ok(Buffer.from(m!.body).equals(body))
  })
}

void test('delay level 1 and timer delivery hold a message back', async () => {
  const topic = unique('d')
  await createTopic(client, topic, 1)
  const c = await consumerOf(topic, { consumeFrom: 'last' })
  const sentAt = Date.now()
  await producer.send({ topic, body: 'delayed', delayLevel: 1 })
  await producer.send({ topic, body: 'timer', deliverAt: sentAt + 3000 })
  const got = await collect(c, (all) => all.length >= 2, { timeoutMs: 20_000 })
  await c.close()
  const delayed = got.find((m) => text(m) === 'delayed')!
  const timer = got.find((m) => text(m) === 'timer')!
  assert.ok(
    delayed.storeTimestamp - sentAt >= 900,
    `delay level 1 stored after ${delayed.storeTimestamp - sentAt} ms`,
  )
  assert.ok(
    timer.storeTimestamp - sentAt >= 2500,
    `timer message stored after ${timer.storeTimestamp - sentAt} ms`,
  )
})

void test('tag and SQL92 filters deliver only matching messages', async () => {
  const topic = unique('f')
  await createTopic(client, topic, 2)
  const byTag = await consumerOf(topic, { subscriptions: [{ topic, expression: 'TagA || TagC' }] })
  const bySql = await consumerOf(topic, {
    subscriptions: [{ topic, expression: "amount > 10 AND region = 'eu'", type: 'SQL92' }],
  })
  for (const [i, tags] of ['TagA', 'TagB', 'TagC', 'TagB'].entries()) {
    await producer.send({
      topic,
      body: `m${i}`,
      tags,
      properties: { amount: String(i * 10), region: i % 2 ? 'us' : 'eu' },
    })
  }
  const tagged = await collect(byTag, (all) => all.length >= 2)
  const sql = await collect(bySql, (all) => all.length >= 1)
  await new Promise((r) => setTimeout(r, 1500))
  assert.equal(byTag.assignment().length > 0, true)
  await byTag.close()
  await bySql.close()
  assert.deepEqual(tagged.map(text).sort(), ['m0', 'm2'])
  assert.deepEqual(sql.map(text), ['m2'])
})

void test('a sharding key keeps messages in one queue, in order', async () => {
  const topic = unique('o')
  await createTopic(client, topic, 4)
  const queues = new Set<number>()
  for (let i = 0; i < 20; i++)
    queues.add((await producer.send({ topic, body: `o${i}`, shardingKey: 'order-42' })).queue.queueId)
  assert.equal(queues.size, 1)
  const c = await consumerOf(topic, { orderly: true })
  const got = await collect(c, (all) => all.length >= 20)
  await c.close()
  assert.deepEqual(
    got.map(text),
    Array.from({ length: 20 }, (_, i) => `o${i}`),
  )
})

void test('request-reply: the consumer answers, the requester gets the reply', async () => {
  const topic = unique('rr')
  await createTopic(client, topic, 1)
  const responderClient = newClient(broker.url)
  const responder = new RocketMQProducer(responderClient, { group: unique('resp') })
  const c = new RocketMQPushConsumer(responderClient, {
    group: unique('rrg'),
    subscriptions: [{ topic }],
    consumeFrom: 'last',
  })
  try {
    await c.start()
    const serving = collect(c, (all) => all.length >= 1, {
      onBatch: async (b) => {
        for (const m of b.messages) await reply(responder, m, `re:${text(m)}`)
        await b.ack()
      },
    })
    const answer = await request(producer, { topic, body: 'ping' }, 10_000)
    await serving
    assert.equal(Buffer.from(answer.body).toString(), 're:ping')
  } finally {
    await c.close()
    await responder.close()
    await responderClient.close()
  }
})

void test('bad input is a typed error at the call', async () => {
  await assert.rejects(producer.send({ topic: 'bad topic!', body: 'x' }), ConfigError)
  await assert.rejects(producer.send({ topic: unique('t'), body: '' }), ConfigError)
  await assert.rejects(
    producer.send({ topic: unique('t'), body: 'x', properties: { KEYS: 'x' } }),
    ConfigError,
  )
  const small = new RocketMQProducer(client, { group: unique('pgs'), maxMessageBytes: 10 })
  await assert.rejects(small.send({ topic: unique('t'), body: 'x'.repeat(11) }), MessageTooLargeError)
  await small.close()
})
