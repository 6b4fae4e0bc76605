// Interoperability with the official Java client (rocketmq-client via tools/interop), both ways:
// keys, tags, properties, compressed bodies (zlib, lz4, zstd), batches, ordered messages and
// transactional commit / rollback / check-back.

import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { useBroker } from '../../support/brokers.ts'
import { javaConsume, javaProduce, type Compression } from '../../support/interop.ts'
import { RocketMQPushConsumer } from '../../../src/rocketmq/consumer/push-consumer.ts'
import { RocketMQProducer } from '../../../src/rocketmq/producer/producer.ts'
import { TransactionalProducer } from '../../../src/rocketmq/producer/transactions.ts'
import { collect, createTopic, newClient, text, unique } from './helpers.ts'

const broker = await useBroker('rocketmq')
const client = newClient(broker.url)
after(() => client.close())

async function consume(
  topic: string,
  count: number,
  extra: Partial<ConstructorParameters<typeof RocketMQPushConsumer>[1]> = {},
) {
  const c = new RocketMQPushConsumer(client, {
    group: unique('ig'),
    subscriptions: [{ topic }],
    consumeFrom: 'first',
    ...extra,
  })
  await c.start()
  try {
    return await collect(c, (all) => all.length >= count, { timeoutMs: 60_000 })
  } finally {
    await c.close()
  }
}

const big = (i: number): string => `${i}:` + 'interop payload, compressible. '.repeat(300) // > 4 KiB: the Java producer compresses

for (const compression of ['none', 'zlib', 'lz4', 'zstd'] as const satisfies readonly Compression[]) {
  void test(`Java → Conduit: keys, tag, properties, ${compression} bodies, batch`, async () => {
    const topic = unique('j2c')
    await createTopic(client, topic, 2)
    const messages = Array.from({ length: 6 }, (_, i) => ({
      key: `key-${i}`,
      value: compression === 'none' ? `v-${i}` : big(i),
      headers: { idx: String(i), note: 'ünïcødé' },
    }))
    await javaProduce({
      url: broker.url,
      topic,
      messages,
      compression,
      tag: 'TagJ',
      batch: compression === 'none',
    })
    const got = await consume(topic, 6)
    for (const [i, sent] of messages.entries()) {
      const m = got.find((x) => x.properties.idx === String(i))!
      assert.ok(m, `message ${i} arrived`)
      assert.equal(text(m), sent.value)
      assert.equal(m.properties.KEYS, `key-${i}`)
      assert.equal(m.properties.TAGS, 'TagJ')
      assert.equal(m.properties.note, 'ünïcødé')
    }
  })
}

for (const compression of ['zlib', 'lz4', 'zstd'] as const) {
  void test(`Conduit → Java: keys, tag, properties, ${compression}-compressed bodies`, async () => {
    const topic = unique('c2j')
    await createTopic(client, topic, 2)
    const producer = new RocketMQProducer(client, { group: unique('ip'), compression })
    for (let i = 0; i < 4; i++)
      await producer.send({
        topic,
        body: big(i),
        keys: `key-${i}`,
        tags: 'TagC',
        properties: { idx: String(i), note: 'ünïcødé' },
      })
    await producer.close()
    const got = await javaConsume({ url: broker.url, topic, count: 4, timeoutMs: 60_000 })
    for (let i = 0; i < 4; i++) {
      const m = got.find((x) => x.headers.idx === String(i))!
      assert.ok(m, `message ${i} arrived at the Java consumer`)
      assert.equal(m.value, big(i))
      assert.equal(m.key, `key-${i}`)
      assert.equal(m.tag, 'TagC')
      assert.equal(m.headers.note, 'ünïcødé')
    }
  })
}

void test('Conduit batch → Java', async () => {
  const topic = unique('c2jb')
  await createTopic(client, topic, 1)
  const producer = new RocketMQProducer(client, { group: unique('ip') })
  await producer.sendBatch(
    Array.from({ length: 5 }, (_, i) => ({
      topic,
      body: `b-${i}`,
      keys: `bk-${i}`,
      properties: { idx: String(i) },
    })),
  )
  await producer.close()
  const got = await javaConsume({ url: broker.url, topic, count: 5, timeoutMs: 60_000 })
  assert.deepEqual(
    got.map((m) => m.value),
    ['b-0', 'b-1', 'b-2', 'b-3', 'b-4'],
  )
  assert.deepEqual(
    got.map((m) => m.key),
    ['bk-0', 'bk-1', 'bk-2', 'bk-3', 'bk-4'],
  )
})

void test('ordered messages both ways keep per-key order', async () => {
  const topic = unique('ordi')
  await createTopic(client, topic, 4)
  const keys = ['a', 'b', 'c']
  const messages = Array.from({ length: 30 }, (_, i) => ({
    key: keys[i % 3]!,
    value: `${keys[i % 3]}:${Math.floor(i / 3)}`,
  }))
  // (`--ordered` takes a value in tools/interop's option parser.)
  await javaProduce({ url: broker.url, topic, messages, batch: false, extraArgs: ['--ordered', 'true'] })
  const got = await consume(topic, 30, { orderly: true })
  for (const key of keys) {
    const seq = got.filter((m) => text(m).startsWith(`${key}:`)).map((m) => Number(text(m).split(':')[1]))
    assert.deepEqual(
      seq,
      Array.from({ length: 10 }, (_, i) => i),
      `Java → Conduit order of ${key}`,
    )
  }
  const topic2 = unique('ordo')
  await createTopic(client, topic2, 4)
  const producer = new RocketMQProducer(client, { group: unique('ip') })
  for (const m of messages)
    await producer.send({ topic: topic2, body: m.value, keys: m.key, shardingKey: m.key })
  await producer.close()
  const javaGot = await javaConsume({
    url: broker.url,
    topic: topic2,
    count: 30,
    extraArgs: ['--ordered', 'true'],
    timeoutMs: 60_000,
  })
  for (const key of keys) {
    const seq = javaGot
      .filter((m) => m.value!.startsWith(`${key}:`))
      .map((m) => Number(m.value!.split(':')[1]))
    assert.deepEqual(
      seq,
      Array.from({ length: 10 }, (_, i) => i),
      `Conduit → Java order of ${key}`,
    )
  }
})

void test('transactions: Java commit/rollback/check-back read by Conduit; Conduit commit/rollback read by Java', async () => {
  const topic = unique('txi')
  await createTopic(client, topic, 2)
  await javaProduce({
    url: broker.url,
    topic,
    messages: [{ value: 'java-commit' }],
    transactional: 'commit',
    batch: false,
  })
  await javaProduce({
    url: broker.url,
    topic,
    messages: [{ value: 'java-rollback' }],
    transactional: 'rollback',
    batch: false,
  })
  const got = await consume(topic, 1)
  assert.deepEqual(got.map(text), ['java-commit'])
  // Conduit transactional producer → Java consumer.
  const topic2 = unique('txo')
  await createTopic(client, topic2, 2)
  const tx = new TransactionalProducer(new RocketMQProducer(client, { group: unique('txp') }), {
    checkTransaction: () => 'rollback',
  })
  await tx.send({ topic: topic2, body: 'conduit-rollback' }, () => 'rollback')
  await tx.send({ topic: topic2, body: 'conduit-commit', keys: 'ck' }, () => 'commit')
  await tx.close()
  const javaGot = await javaConsume({ url: broker.url, topic: topic2, count: 1, timeoutMs: 60_000 })
  assert.deepEqual(
    javaGot.map((m) => m.value),
    ['conduit-commit'],
  )
  assert.equal(javaGot[0]!.key, 'ck')
})

void test('transactions: a Java producer left open is settled by its check-back and read by Conduit', async () => {
  const topic = unique('txc')
  await createTopic(client, topic, 1)
  // The Java producer answers UNKNOWN, stays up while the broker checks back (every 30 s for
  // half messages older than 6 s), and commits on the check.
  await javaProduce({
    url: broker.url,
    topic,
    messages: [{ value: 'java-checked' }],
    transactional: 'check',
    batch: false,
    extraArgs: ['--check-wait-ms', '50000'],
    timeoutMs: 90_000,
  })
  const got = await consume(topic, 1)
  assert.deepEqual(got.map(text), ['java-checked'])
})
