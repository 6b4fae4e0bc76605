// Interoperability with the official Java client (tools/interop), both ways: keys, null keys,
// tombstones, headers, every codec, large batches, and the same partition for the same key.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Message } from '../../../src/core/contract.ts'
import { KafkaConsumer, KafkaProducer, type KafkaBroker } from '../../../src/kafka/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { javaConsume, javaProduce } from '../../support/interop.ts'
import { client, collect, unique } from './helpers.ts'

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

void describe('kafka interop with the Java client', () => {
  let url: string
  let broker: KafkaBroker
  before(async () => {
    url = (await useBroker('kafka')).url
    broker = await client(url)
  })
  after(() => broker.close())

  for (const compression of CODECS) {
    void test(`Conduit (${compression}) → Java: keys, null keys, tombstones, headers`, async () => {
      const topic = unique(`to-java-${compression}`)
      await broker.admin.createTopic(topic, { partitions: 3 })
      const producer = new KafkaProducer(broker.cluster, { compression })
      const records = Array.from({ length: 300 }, (_, i) => ({
        key: i % 9 === 0 ? null : `key-${i}`,
        value: i % 30 === 0 ? null : `value-${i}`,
        headers: { i: String(i), kind: 'conduit' },
      }))
      await producer.sendBatch(topic, records)
      await producer.close()
      const got = await javaConsume({
        url,
        topic,
        count: records.length,
        group: unique('java-g'),
        timeoutMs: 60_000,
      })
      assert.equal(got.length, records.length)
      const byI = new Map(got.map((m) => [Number(m.headers.i), m]))
      records.forEach((r, i) => {
        const m = byI.get(i)
        assert.ok(m, `Java read record ${i}`)
        assert.equal(m.key, r.key)
        assert.equal(m.value, r.value)
        assert.equal(m.headers.kind, 'conduit')
      })
    })

    void test(`Java (${compression}) → Conduit: keys, headers, large batches`, async () => {
      const topic = unique(`from-java-${compression}`)
      await broker.admin.createTopic(topic, { partitions: 3 })
      const count = 3000
      await javaProduce({ url, topic, count, compression, batch: true, timeoutMs: 120_000 })
      const consumer = new KafkaConsumer(broker.cluster, { autoOffsetReset: 'earliest' })
      await consumer.assign([0, 1, 2].map((partition) => ({ topic, partition })))
      const got = await collect<Message>(consumer, count, 60_000)
      await consumer.close()
      assert.equal(got.length, count)
      const values = new Set(got.map((m) => m.valueString()))
      for (let i = 0; i < count; i++) assert.ok(values.has(`v-${i}`), `v-${i} arrived`)
      for (const m of got) {
        const i = m.valueString()!.slice(2)
        assert.equal(m.keyString(), `k-${i}`)
        assert.equal(m.headers.i, i)
      }
    })
  }

  void test('the same key goes to the same partition from Java and from Conduit', async () => {
    const topic = unique('same-partition')
    await broker.admin.createTopic(topic, { partitions: 7 })
    const keys = Array.from({ length: 100 }, (_, i) => `customer-${i * 7919}`)
    const javaResults = await javaProduce({
      url,
      topic,
      messages: keys.map((key) => ({ key, value: 'from-java' })),
      timeoutMs: 60_000,
    })
    const producer = new KafkaProducer(broker.cluster)
    const ours = await producer.sendBatch(
      topic,
      keys.map((key) => ({ key, value: 'from-conduit' })),
    )
    await producer.close()
    keys.forEach((key, i) => assert.equal(ours[i]!.partition, javaResults[i]!.partition, `key ${key}`))
  })

  void test('large values and binary bytes survive both ways', async () => {
    const topic = unique('big')
    await broker.admin.createTopic(topic, { partitions: 1 })
    const big = new Uint8Array(512 * 1024).map((_, i) => (i * 31) & 255)
    await javaProduce({
      url,
      topic,
      messages: [{ key: 'big', value: big }],
      compression: 'lz4',
      timeoutMs: 60_000,
    })
    const producer = new KafkaProducer(broker.cluster, { compression: 'zstd' })
    await producer.send(topic, { key: 'big2', value: big })
    await producer.close()
    const consumer = new KafkaConsumer(broker.cluster, { autoOffsetReset: 'earliest' })
    await consumer.assign([{ topic, partition: 0 }])
    const got = await collect<Message>(consumer, 2)
    await consumer.close()
    for (const m of got) assert.deepEqual(Buffer.from(m.value!), Buffer.from(big))
    const javaGot = await javaConsume({ url, topic, count: 2, group: unique('java-big'), timeoutMs: 60_000 })
    const second = javaGot.find((m) => m.key === 'big2')!
    assert.equal(second.encoding, 'base64')
    assert.deepEqual(Buffer.from(second.value!, 'base64'), Buffer.from(big))
  })
})
