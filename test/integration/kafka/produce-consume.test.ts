// The native producer and consumer against the shared Kafka broker.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ConfigError, MessageTooLargeError } from '../../../src/core/errors.ts'
import type { Message } from '../../../src/core/contract.ts'
import { KafkaConsumer, KafkaProducer, type KafkaBroker } from '../../../src/kafka/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, collect, unique } from './helpers.ts'

// Record timestamps near now: the broker's time retention judges records by their timestamps, and
// records dated years ago are expired at once, so a retention check during the test deletes them.
const RECENT = Date.now() - 60_000

void describe('kafka produce and consume', () => {
  let broker: KafkaBroker
  before(async () => {
    const b = await useBroker('kafka')
    broker = await client(b.url)
  })
  after(() => broker.close())

  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    void test(`round trip with ${compression}: keys, null keys, tombstones, headers, timestamps, order`, async () => {
      const topic = unique(`pc-${compression}`)
      await broker.admin.createTopic(topic, { partitions: 3 })
      const producer = new KafkaProducer(broker.cluster, { compression, lingerMs: 2 })
      const records = Array.from({ length: 500 }, (_, i) => ({
        key: i % 10 === 0 ? null : `key-${i % 7}`,
        value: i % 25 === 0 ? null : `value-${i}-${'x'.repeat(i % 50)}`,
        headers: { seq: String(i), bin: new Uint8Array([i & 255, 0, 255]) },
        timestamp: RECENT + i,
      }))
      const metas = await producer.sendBatch(topic, records)
      // The same key always lands on the same partition.
      const partitionOfKey = new Map<string, number>()
      metas.forEach((m, i) => {
        const k = records[i]!.key
        if (k === null) return
        if (partitionOfKey.has(k)) assert.equal(partitionOfKey.get(k), m.partition)
        partitionOfKey.set(k, m.partition)
      })
      const consumer = new KafkaConsumer(broker.cluster, { autoOffsetReset: 'earliest' })
      await consumer.assign([0, 1, 2].map((partition) => ({ topic, partition })))
      const got = await collect<Message>(consumer, records.length)
      await consumer.close()
      await producer.close()
      assert.equal(got.length, records.length)
      const bySeq = new Map(got.map((m) => [Number(m.headers.seq), m]))
      records.forEach((r, i) => {
        const m = bySeq.get(i)!
        assert.ok(m, `record ${i} arrived`)
        assert.equal(m.keyString(), r.key)
        assert.equal(m.valueString(), r.value)
        assert.equal(m.timestamp, r.timestamp)
        assert.equal(m.partition, metas[i]!.partition)
        assert.equal(m.offset, metas[i]!.offset)
      })
      // Order per partition = send order.
      for (const p of [0, 1, 2]) {
        const seqs = got.filter((m) => m.partition === p).map((m) => Number(m.headers.seq))
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
        )
      }
    })
  }

  void test('acks 0, 1 and all deliver; acks 0 reports no offset', async () => {
    const topic = unique('acks')
    await broker.admin.createTopic(topic, { partitions: 1 })
    for (const acks of [0, 1, 'all'] as const) {
      const p = new KafkaProducer(broker.cluster, { acks, idempotent: acks === 'all' })
      const meta = await p.send(topic, { value: `acks-${acks}` })
      if (acks === 0) assert.equal(meta.offset, -1)
      else assert.ok(meta.offset >= 0)
      await p.close()
    }
    const consumer = new KafkaConsumer(broker.cluster, { autoOffsetReset: 'earliest' })
    await consumer.assign([{ topic, partition: 0 }])
    const got = await collect<Message>(consumer, 3)
    await consumer.close()
    assert.deepEqual(
      got.map((m) => m.valueString()),
      ['acks-0', 'acks-1', 'acks-all'],
    )
  })

  void test('seek, pause/resume and offsetsForTimes', async () => {
    const topic = unique('seek')
    await broker.admin.createTopic(topic, { partitions: 1 })
    const p = new KafkaProducer(broker.cluster)
    await p.sendBatch(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, timestamp: 1_000_000 + i * 1000 })),
    )
    await p.close()
    const c = new KafkaConsumer(broker.cluster, { autoOffsetReset: 'earliest', maxBatch: 5 })
    await c.assign([{ topic, partition: 0 }])
    const first = await collect<Message>(c, 5)
    assert.equal(first[0]!.valueString(), 'v0')
    c.seek(topic, 0, 15)
    const after15 = await collect<Message>(c, 5)
    assert.deepEqual(
      after15.map((m) => m.offset),
      [15, 16, 17, 18, 19],
    )
    const times = await c.offsetsForTimes([{ topic, partition: 0 }], 1_000_000 + 7 * 1000 - 1)
    assert.equal([...times.values()][0], 7)
    c.pause()
    c.seek(topic, 0, 0)
    const paused = await Promise.race([c.nextBatch(), new Promise((r) => setTimeout(() => r('idle'), 1000))])
    assert.equal(paused, 'idle', 'a paused partition delivers nothing')
    c.resume()
    const again = await collect<Message>(c, 1)
    assert.equal(again[0]!.offset, 0)
    await c.close()
  })

  void test('stream() delivers batches with backpressure', async () => {
    const topic = unique('stream')
    await broker.admin.createTopic(topic, { partitions: 1 })
    const p = new KafkaProducer(broker.cluster)
    await p.sendBatch(
      topic,
      Array.from({ length: 50 }, (_, i) => ({ value: `s${i}` })),
    )
    await p.close()
    const c = new KafkaConsumer(broker.cluster, { autoOffsetReset: 'earliest', maxBatch: 10 })
    await c.assign([{ topic, partition: 0 }])
    const values: string[] = []
    for await (const batch of c.stream()) {
      const b = batch as { messages: Message[]; ack(): Promise<void> }
      values.push(...b.messages.map((m) => m.valueString()!))
      await b.ack()
      if (values.length >= 50) break
    }
    await c.close()
    assert.deepEqual(
      values,
      Array.from({ length: 50 }, (_, i) => `s${i}`),
    )
  })

  void test('bad input fails at the call with typed errors', async () => {
    const topic = unique('bad')
    await broker.admin.createTopic(topic, { partitions: 2 })
    const p = new KafkaProducer(broker.cluster, { maxRequestSize: 2048, bufferMemory: 4096 })
    await assert.rejects(p.send(topic, { value: 'x'.repeat(4000) }), MessageTooLargeError)
    await assert.rejects(p.send(topic, { value: 'x', partition: 7 }), ConfigError)
    await assert.rejects(p.send(topic, { value: 42 as never }), ConfigError)
    assert.throws(() => new KafkaProducer(broker.cluster, { acks: 1, idempotent: true }), ConfigError)
    await p.close()
  })

  void test('idempotent producer gets a producer id and sequences survive many batches', async () => {
    const topic = unique('idem')
    await broker.admin.createTopic(topic, { partitions: 2 })
    const p = new KafkaProducer(broker.cluster, { lingerMs: 0, batchSize: 256 })
    const sends = Array.from({ length: 2000 }, (_, i) => p.send(topic, { key: `k${i % 2}`, value: `v${i}` }))
    const metas = await Promise.all(sends)
    for (const part of [0, 1]) {
      const offsets = metas.filter((m) => m.partition === part).map((m) => m.offset)
      assert.deepEqual(
        offsets,
        offsets.map((_, i) => i),
        'offsets dense and in send order: no duplicate, no gap',
      )
    }
    await p.close()
  })

  void test('a full buffer fails fast with maxBlockMs 0 and close with drop counts the dropped', async () => {
    const topic = unique('buf')
    await broker.admin.createTopic(topic, { partitions: 1 })
    const p = new KafkaProducer(broker.cluster, {
      maxBufferedRecords: 5,
      maxBlockMs: 0,
      lingerMs: 60_000,
      batchSize: 1 << 20,
    })
    await p.prepareTopic(topic)
    const pending = Array.from({ length: 5 }, (_, i) => p.send(topic, { value: `v${i}` }))
    for (const x of pending) x.catch(() => undefined)
    await new Promise((r) => setTimeout(r, 50))
    await assert.rejects(p.send(topic, { value: 'overflow' }), /buffer full/)
    assert.equal(p.trySend(topic, { value: 'nope' }), undefined)
    assert.equal(await p.close({ drop: true }), 5)
  })

  void test('checkCrcs false: the consumer reads the same records without verifying batch CRCs', async () => {
    const topic = unique('pc-nocrc')
    await broker.admin.createTopic(topic, { partitions: 1 })
    const producer = new KafkaProducer(broker.cluster)
    const values = Array.from({ length: 300 }, (_, i) => `v${i}-${'y'.repeat(i)}`)
    await producer.sendBatch(
      topic,
      values.map((value) => ({ value })),
    )
    await producer.close()
    const consumer = new KafkaConsumer(broker.cluster, { autoOffsetReset: 'earliest', checkCrcs: false })
    await consumer.assign([{ topic, partition: 0 }])
    const got = await collect<Message>(consumer, values.length)
    await consumer.close()
    assert.deepEqual(
      got.map((m) => m.valueString()),
      values,
    )
  })
})
