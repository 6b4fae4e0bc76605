// Interoperability with the official Java client (org.apache.pulsar:pulsar-client): what one
// writes the other reads — keys, properties, event time, batching on and off, every codec,
// chunked messages — and message ids of one are positions the other's reader/seek accepts.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  MessageId,
  PulsarConsumer,
  PulsarProducer,
  PulsarReader,
  createClient,
} from '../../../src/pulsar/index.ts'
import type { PulsarClient } from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { javaConsume, javaProduce } from '../../support/interop.ts'
import { next, unique } from './helpers.ts'

let client: PulsarClient
let url: string

before(async () => {
  const b = await useBroker('pulsar')
  url = b.url
  client = await createClient(url)
})
after(() => client.close())

const CODECS = ['none', 'lz4', 'zlib', 'zstd', 'snappy'] as const

for (const compression of CODECS) {
  for (const batch of [true, false]) {
    void test(`Java → Conduit: ${compression}, batching ${batch ? 'on' : 'off'}`, async () => {
      const topic = `persistent://public/default/${unique(`java-to-conduit-${compression}`)}`
      const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
      const messages = Array.from({ length: 12 }, (_, i) => ({
        key: i % 3 === 0 ? null : `key-${i}`,
        value: `value ${i} ${'x'.repeat(i * 20)}`,
        headers: { index: String(i), codec: compression },
      }))
      const sent = await javaProduce({ url, topic, messages, compression, batch })
      for (let i = 0; i < messages.length; i++) {
        const m = await next(c, 30_000)
        assert.equal(m.valueString(), messages[i]!.value)
        assert.equal(m.keyString(), messages[i]!.key)
        assert.deepEqual(m.properties, messages[i]!.headers)
        assert.equal(m.id, sent[i]!.messageId, 'Conduit sees the id the Java producer got')
        await c.acknowledge(m)
      }
      await c.close()
    })
  }
}

for (const compression of CODECS) {
  for (const batching of [true, false]) {
    void test(`Conduit → Java: ${compression}, batching ${batching ? 'on' : 'off'}`, async () => {
      const topic = `persistent://public/default/${unique(`conduit-to-java-${compression}`)}`
      const p = await PulsarProducer.create(client, { topic, compression, batching })
      const eventTime = Date.UTC(2025, 5, 6, 7, 8, 9)
      const ids = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          p.send({
            key: i % 3 === 0 ? undefined : `key-${i}`,
            value: `value ${i} ${'y'.repeat(i * 20)}`,
            properties: { index: String(i) },
            eventTime: eventTime + i,
          }),
        ),
      )
      await p.close()
      const got = await javaConsume({ url, topic, count: 12, from: 'earliest', timeoutMs: 60_000 })
      got.forEach((m, i) => {
        assert.equal(m.value, `value ${i} ${'y'.repeat(i * 20)}`)
        assert.equal(m.key, i % 3 === 0 ? null : `key-${i}`)
        assert.deepEqual(m.headers, { index: String(i) })
        assert.equal(m.eventTime, eventTime + i)
        assert.equal(m.id, ids[i]!.toString(), 'Java sees the id Conduit got')
      })
    })
  }
}

void test('Conduit → Java: a chunked message is reassembled by the Java consumer', async () => {
  const topic = `persistent://public/default/${unique('conduit-to-java-chunked')}`
  const p = await PulsarProducer.create(client, { topic, chunking: true, batching: false })
  const big = 'chunk-me '.repeat(700_000) // 6.3 MB: two chunks at the 5 MiB default limit
  await p.send({ key: 'big', value: big, properties: { kind: 'chunked' } })
  await p.send({ value: 'small' })
  await p.close()
  const got = await javaConsume({ url, topic, count: 2, from: 'earliest', timeoutMs: 60_000 })
  assert.equal(got[0]!.value, big)
  assert.equal(got[0]!.key, 'big')
  assert.deepEqual(got[0]!.headers, { kind: 'chunked' })
  assert.equal(got[1]!.value, 'small')
})

void test('message ids: a Java producer id is a start position for a Conduit reader', async () => {
  const topic = `persistent://public/default/${unique('java-ids')}`
  const sent = await javaProduce({ url, topic, count: 5, batch: false })
  const start = MessageId.parse(sent[2]!.messageId!)
  const inclusive = await PulsarReader.create(client, {
    topic,
    startMessageId: start,
    startMessageIdInclusive: true,
  })
  assert.equal((await next(inclusive)).valueString(), 'v-2')
  await inclusive.close()
  const exclusive = await PulsarReader.create(client, { topic, startMessageId: sent[2]!.messageId! })
  assert.equal((await next(exclusive)).valueString(), 'v-3')
  await exclusive.close()
  // Batched ids (with a batch index) position inside the batch.
  const batchedTopic = `persistent://public/default/${unique('java-batch-ids')}`
  const batched = await javaProduce({ url, topic: batchedTopic, count: 6, batch: true })
  const inside = batched.find((r) => !r.messageId!.endsWith(':-1') && !r.messageId!.endsWith(':0'))
  assert.ok(inside, `a message inside a batch: ${batched.map((r) => r.messageId).join(' ')}`)
  const r = await PulsarReader.create(client, {
    topic: batchedTopic,
    startMessageId: inside.messageId!,
    startMessageIdInclusive: true,
  })
  assert.equal((await next(r)).id, inside.messageId)
  await r.close()
})

void test('Java → Conduit: event time set by the Java producer', async () => {
  const topic = `persistent://public/default/${unique('java-event-time')}`
  const eventTime = Date.UTC(2024, 1, 29, 12, 0, 0)
  const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
  for (const batch of [true, false]) await javaProduce({ url, topic, count: 2, batch, eventTime })
  for (let i = 0; i < 4; i++) {
    const m = await next(c, 30_000)
    assert.equal(m.eventTime, eventTime)
    assert.equal(m.timestamp, eventTime, 'the contract timestamp is the event time when set')
    await c.acknowledge(m)
  }
  await c.close()
})

void test('Java → Conduit: a message chunked by the Java producer is reassembled', async () => {
  const topic = `persistent://public/default/${unique('java-chunked')}`
  const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
  // 10 000 bytes in 1 KiB chunks (10 chunks), then a small unchunked message after it.
  const big = Array.from({ length: 10_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('')
  const sent = await javaProduce({
    url,
    topic,
    chunking: true,
    chunkSize: 1024,
    messages: [
      { key: 'big', value: big, headers: { kind: 'chunked' } },
      { key: 'small', value: 'after' },
    ],
  })
  const m = await next(c, 30_000)
  assert.equal(m.valueString(), big)
  assert.equal(m.keyString(), 'big')
  assert.deepEqual(m.properties, { kind: 'chunked' })
  assert.ok(m.chunkIds && m.chunkIds.length === 10, `10 chunks, got ${m.chunkIds?.length}`)
  const after = await next(c, 30_000)
  assert.equal(after.valueString(), 'after')
  assert.equal(after.id, sent[1]!.messageId)
  await c.acknowledge(m)
  await c.acknowledge(after)
  await c.close()
})

void test('message ids: a Conduit id, as toByteArray bytes, is a start position for a Java reader', async () => {
  for (const batching of [false, true]) {
    const topic = `persistent://public/default/${unique(`conduit-ids-${batching}`)}`
    const p = await PulsarProducer.create(client, { topic, batching, batchingMaxDelayMs: 50 })
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => p.send({ value: `c-${i}` })))
    await p.close()
    if (batching) assert.ok(ids[3]!.batchIndex >= 0, `batched: ${ids.map(String).join(' ')}`)
    const exclusive = await javaConsume({ url, topic, count: 2, startMessageId: ids[3]!.toBytes() })
    assert.deepEqual(
      exclusive.map((m) => m.value),
      ['c-4', 'c-5'],
      `batching ${batching}`,
    )
    const inclusive = await javaConsume({
      url,
      topic,
      count: 3,
      startMessageId: ids[3]!.toBytes(),
      startInclusive: true,
    })
    assert.deepEqual(
      inclusive.map((m) => m.value),
      ['c-3', 'c-4', 'c-5'],
      `batching ${batching}`,
    )
    assert.equal(inclusive[0]!.id, ids[3]!.toString(), 'the Java client reports the same id')
  }
})
