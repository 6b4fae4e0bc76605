// Producing and consuming against the real standalone: what a message carries, batching on and
// off, every codec, chunking, partitioned routing by key, the max message size.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { MessageTooLargeError } from '../../../src/core/errors.ts'
import { PulsarAdmin, PulsarConsumer, PulsarProducer, createClient } from '../../../src/pulsar/index.ts'
import type { PulsarClient } from '../../../src/pulsar/index.ts'
import { Router } from '../../../src/pulsar/producer/routing.ts'
import { useBroker } from '../../support/brokers.ts'
import { next, unique } from './helpers.ts'

let client: PulsarClient
let admin: PulsarAdmin

before(async () => {
  const b = await useBroker('pulsar')
  client = await createClient(b.url)
  admin = new PulsarAdmin({ url: b.urls.admin! })
})
after(() => client.close())

for (const batching of [true, false]) {
  void test(`keys, properties, event time and null values survive (batching ${batching})`, async () => {
    const topic = unique('pc-fields')
    const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
    const p = await PulsarProducer.create(client, { topic, batching })
    const eventTime = Date.UTC(2024, 0, 2, 3, 4, 5)
    const binaryKey = new Uint8Array([0xff, 0x00, 0x80])
    const ids = await Promise.all([
      p.send({ key: 'k1', value: 'v1', properties: { a: '1', b: 'two' }, eventTime }),
      p.send({ key: binaryKey, value: new Uint8Array([1, 2, 3]) }),
      p.send({ value: null, orderingKey: 'ok' }),
    ])
    assert.equal(new Set(ids.map(String)).size, 3)
    const m1 = await next(c)
    assert.equal(m1.keyString(), 'k1')
    assert.equal(m1.valueString(), 'v1')
    assert.deepEqual(m1.properties, { a: '1', b: 'two' })
    assert.equal(m1.eventTime, eventTime)
    assert.equal(m1.producerName, p.name)
    assert.equal(m1.id, String(ids[0]))
    const m2 = await next(c)
    assert.deepEqual([...m2.key!], [...binaryKey])
    assert.deepEqual([...m2.value!], [1, 2, 3])
    const m3 = await next(c)
    assert.equal(m3.value, null)
    assert.equal(m3.key, null)
    assert.equal(new TextDecoder().decode(m3.orderingKey), 'ok')
    for (const m of [m1, m2, m3]) await c.acknowledge(m)
    await c.close()
    await p.close()
  })
}

for (const compression of ['lz4', 'zlib', 'zstd', 'snappy'] as const) {
  void test(`${compression} compression round-trips, batched and not`, async () => {
    const topic = unique(`pc-${compression}`)
    const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
    const batched = await PulsarProducer.create(client, { topic, compression })
    const single = await PulsarProducer.create(client, { topic, compression, batching: false })
    const text = 'compressible text '.repeat(100)
    await Promise.all(Array.from({ length: 20 }, (_, i) => batched.send({ value: `${text}${i}` })))
    await single.send({ value: `${text}single` })
    const got = []
    for (let i = 0; i < 21; i++) got.push((await next(c)).valueString())
    assert.deepEqual(got, [...Array.from({ length: 20 }, (_, i) => `${text}${i}`), `${text}single`])
    const stats = await admin.topicStats(topic)
    assert.ok(
      stats.bytesInCounter < text.length * 5,
      `broker stored compressed data (${stats.bytesInCounter} bytes in)`,
    )
    await c.close()
    await batched.close()
    await single.close()
  })
}

void test('a message above the max size is chunked and reassembled; without chunking it is refused', async () => {
  const topic = unique('pc-chunk')
  const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
  const p = await PulsarProducer.create(client, { topic, chunking: true, batching: false })
  const big = Uint8Array.from({ length: 11 * 1024 * 1024 }, (_, i) => (i * 7) & 0xff)
  const id = await p.send({ key: 'big', value: big, properties: { kind: 'chunked' } })
  assert.ok(id.firstChunk, 'a chunked message id names its first chunk')
  await p.send({ value: 'after' })
  const m = await next(c, 30_000)
  assert.equal(m.value!.length, big.length)
  assert.equal(Buffer.compare(m.value!, big), 0)
  assert.equal(m.properties.kind, 'chunked')
  assert.equal(m.chunkIds!.length, 3)
  await c.acknowledge(m)
  const after = await next(c)
  assert.equal(after.valueString(), 'after')
  await c.acknowledge(after)
  const plain = await PulsarProducer.create(client, { topic })
  await assert.rejects(plain.send({ value: big }), MessageTooLargeError)
  await c.close()
  await p.close()
  await plain.close()
})

void test('partitioned topics: keys route by murmur3_32 like the Java client, unkeyed messages spread', async () => {
  const topic = `persistent://public/default/${unique('pc-part')}`
  await admin.createPartitionedTopic(topic, 4)
  const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
  const p = await PulsarProducer.create(client, { topic, batching: false })
  assert.equal(p.partitions, 4)
  for (let i = 0; i < 20; i++) {
    const key = `key-${i}`
    const id = await p.send({ key, value: key })
    assert.equal(id.partition, Router.keyHash(key) % 4, `partition of ${key}`)
  }
  const unkeyed = await Promise.all(Array.from({ length: 8 }, (_, i) => p.send({ value: `u${i}` })))
  assert.equal(new Set(unkeyed.map((id) => id.partition)).size, 4, 'round-robin reaches every partition')
  const seen = new Set<string>()
  for (let i = 0; i < 28; i++) {
    const m = await next(c)
    seen.add(m.valueString()!)
    assert.match(m.topic, /-partition-\d$/)
    await c.acknowledge(m)
  }
  assert.equal(seen.size, 28)
  await c.close()
  await p.close()
})

void test('flow control: a consumer that does not read stops receiving at its queue size', async () => {
  const topic = unique('pc-flow')
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    initialPosition: 'earliest',
    receiverQueueSize: 10,
  })
  const p = await PulsarProducer.create(client, { topic, batching: false })
  await Promise.all(Array.from({ length: 50 }, (_, i) => p.send({ value: `f${i}` })))
  await new Promise((r) => setTimeout(r, 500))
  assert.ok(c.queued <= 10, `queued ${c.queued} <= receiverQueueSize`)
  for (let i = 0; i < 50; i++) await c.acknowledge(await next(c))
  await c.close()
  await p.close()
})

void test('order is kept when a large compressed message is followed by small ones (regression)', async () => {
  // Decompression is asynchronous; a small message decoded before a large one that arrived
  // earlier must still be handed out after it.
  const topic = unique('pc-order')
  const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
  const p = await PulsarProducer.create(client, { topic, compression: 'zlib', batching: false })
  const big = 'z'.repeat(2_000_000)
  await Promise.all(
    Array.from({ length: 40 }, (_, i) => p.send({ value: i % 4 === 0 ? `${i}:${big}` : `${i}:small` })),
  )
  for (let i = 0; i < 40; i++) {
    const m = await next(c)
    assert.equal(m.valueString()!.split(':')[0], String(i))
    await c.acknowledge(m)
  }
  await c.close()
  await p.close()
})
