// Producers against the real Pulsar standalone: every WebSocket producer parameter accepted and in
// effect, ad-hoc produce to an endpoint URL, blocking and callback acknowledgement, typed send
// errors, the text-frame limit checked before sending, the registry.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { BrokerError, ConfigError, MessageTooLargeError } from '../../../src/core/errors.ts'
import { produce, registryKey } from '../../../src/pulsar-ws/index.ts'
import type { WsSendReceipt } from '../../../src/pulsar-ws/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, next, unique, within } from './helpers.ts'

const broker = await useBroker('pulsar')
const ws = client(broker.urls.ws!)
after(() => ws.close())

void test('every producer query parameter is accepted by the server and takes effect', async () => {
  const topic = unique('ws-params')
  await ws.admin.createPartitionedTopic(`persistent://public/default/${topic}`, 3)
  for (const compressionType of ['NONE', 'LZ4', 'ZLIB', 'ZSTD', 'SNAPPY'] as const) {
    const producerName = unique(`summer-${compressionType.toLowerCase()}`)
    const p = await ws.producer({
      topic,
      sendTimeoutMillis: 30_000,
      batchingEnabled: true,
      batchingMaxMessages: 50,
      maxPendingMessages: 500,
      batchingMaxPublishDelay: 5,
      messageRoutingMode: 'RoundRobinPartition',
      compressionType,
      producerName,
      initialSequenceId: 100,
      hashingScheme: 'Murmur3_32Hash',
    })
    const receipts = await within(
      p.send(Array.from({ length: 30 }, (_, i) => ({ payload: `${compressionType}-${i}`.repeat(20) }))),
      20_000,
      'send',
    )
    // Batching puts several messages in one entry (batch index ≥ 0); with batching, round robin
    // switches partition per batch window, so all we know is that each id names a partition.
    assert.ok(receipts.every((r) => r.id.partition >= 0 && r.id.partition < 3))
    assert.ok(
      receipts.some((r) => r.id.batchIndex > 0),
      `${compressionType}: batched`,
    )
    const stats = await ws.admin.partitionedTopicStats(`persistent://public/default/${topic}`)
    const publishers = Object.values(stats.partitions ?? {}).flatMap(
      (s) => s.publishers as { producerName?: string }[],
    )
    assert.ok(
      publishers.some((x) => x.producerName === producerName),
      `producerName ${producerName} is visible in the broker's stats`,
    )
    await p.close()
  }
  const c = await ws.consumer({ topic, subscription: 'check', subscriptionInitialPosition: 'Earliest' })
  const got = new Set<string>()
  while (got.size < 150) {
    const m = await next(c)
    got.add(m.text())
    c.ack(m)
  }
  for (const codec of ['NONE', 'LZ4', 'ZLIB', 'ZSTD', 'SNAPPY'])
    assert.ok(got.has(`${codec}-29`.repeat(20)), `${codec} readable`)
  await c.close()
})

void test('a key routes by the hashing scheme: one key, one partition; SinglePartition keeps unkeyed together', async () => {
  const topic = unique('ws-keys')
  await ws.admin.createPartitionedTopic(`persistent://public/default/${topic}`, 4)
  const p = await ws.producer({
    topic,
    hashingScheme: 'JavaStringHash',
    messageRoutingMode: 'SinglePartition',
  })
  const keyed = await p.send(Array.from({ length: 12 }, (_, i) => ({ key: `k${i % 3}`, payload: String(i) })))
  for (let k = 0; k < 3; k++) {
    assert.equal(
      new Set(keyed.filter((_, i) => i % 3 === k).map((r) => r.id.partition)).size,
      1,
      `key k${k} on one partition`,
    )
  }
  const unkeyed = await p.send(['a', 'b', 'c', 'd'])
  assert.equal(new Set(unkeyed.map((r) => r.id.partition)).size, 1)
  await p.close()
  const rr = await ws.producer({ topic, messageRoutingMode: 'RoundRobinPartition', batchingEnabled: false })
  const spread = await rr.send(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])
  assert.equal(
    new Set(spread.map((r) => r.id.partition)).size,
    4,
    'round robin without batching visits every partition',
  )
  await rr.close()
})

void test('ad-hoc produce to an endpoint URL sends every message, waits for every receipt and closes', async () => {
  const topic = unique('ws-adhoc')
  const receipts = await produce(
    `${broker.urls.ws}/ws/v2/producer/persistent/public/default/${topic}?compressionType=LZ4`,
    [
      'payload only',
      { key: 'k', payload: 'with key' },
      { payload: 'full', properties: { p: '1' }, context: 'ctx-1', key: 'k2', eventTime: new Date(1000) },
    ],
  )
  assert.equal(receipts.length, 3)
  assert.equal(receipts[2]!.context, 'ctx-1')
  const r = await ws.reader({ topic, startMessageId: 'earliest' })
  const [a, b, c] = [await next(r), await next(r), await next(r)]
  assert.equal(a.text(), 'payload only')
  assert.equal(a.key, undefined)
  assert.equal(b.key, 'k')
  assert.deepEqual([c.text(), c.key, c.properties, c.eventTime?.getTime()], ['full', 'k2', { p: '1' }, 1000])
  assert.equal(c.id.toString(), receipts[2]!.id.toString(), 'the receipt id is the id the reader sees')
  await r.close()
  await assert.rejects(
    produce(`${broker.urls.ws}/ws/v2/consumer/persistent/public/default/x/s`, 'x'),
    ConfigError,
  )
})

void test('callback acknowledgement: contexts come back with their receipts', async () => {
  const topic = unique('ws-callback')
  const p = await ws.producer({ topic })
  const results = new Map<string, WsSendReceipt>()
  const all = Promise.withResolvers<void>()
  for (let i = 0; i < 20; i++) {
    p.sendWithCallback({ payload: `m${i}`, context: `order-${i}` }, (error, receipt, context) => {
      if (error) all.reject(error)
      results.set(context, receipt!)
      if (results.size === 20) all.resolve()
    })
  }
  await within(all.promise, 15_000, 'callbacks')
  const r = await ws.reader({ topic, startMessageId: 'earliest' })
  for (let i = 0; i < 20; i++) {
    const m = await next(r)
    assert.equal(m.messageId, results.get(`order-${i}`)!.messageId, `order-${i} matched to its own receipt`)
  }
  await r.close()
  await p.close()
})

void test('a send to a terminated topic fails with a typed BrokerError', async () => {
  const topic = unique('ws-terminated')
  const p = await ws.producer({ topic })
  await p.send('before')
  await ws.admin.terminateTopic(`persistent://public/default/${topic}`)
  const error = await p.send('after').then(
    () => assert.fail('a terminated topic accepted a message'),
    (e: unknown) => e,
  )
  assert.ok(error instanceof BrokerError, String(error))
  assert.equal(error.brokerErrorName, 'UnknownError')
  assert.match(error.message, /terminated/i)
  await p.close()
})

void test('a message above the server’s 1 MiB text frame fails before sending; the producer keeps working', async () => {
  const topic = unique('ws-large')
  const p = await ws.producer({ topic })
  const fits = new Uint8Array(700 * 1024).fill(7) // ~933 KiB in base64
  await within(p.send(fits), 20_000, 'a large message that fits')
  const error = await p.send(new Uint8Array(800 * 1024)).then(
    () => assert.fail('sent a frame above the limit'),
    (e: unknown) => e,
  )
  assert.ok(error instanceof MessageTooLargeError)
  assert.equal(error.limit, 1024 * 1024)
  await p.send('still fine')
  const r = await ws.reader({ topic, startMessageId: 'earliest' })
  assert.equal((await next(r)).payload.length, fits.length)
  assert.equal((await next(r)).text(), 'still fine')
  await r.close()
  await p.close()
})

void test('the registry names every producer, consumer and reader by (kind, persistence, tenant, namespace, topic)', async () => {
  const topic = unique('ws-registry')
  const p = await ws.producer({ topic })
  const c = await ws.consumer({ topic, subscription: 's' })
  const r = await ws.reader({ topic: `non-persistent://public/default/${topic}` })
  assert.equal(ws.find(registryKey('public', 'default', topic)), p)
  assert.equal(ws.find(registryKey('public', 'default', topic, { kind: 'consumer' })), c)
  assert.equal(
    ws.find(registryKey('public', 'default', topic, { kind: 'reader', persistence: 'non-persistent' })),
    r,
  )
  await p.close()
  assert.equal(ws.find(registryKey('public', 'default', topic)), undefined, 'closed ones leave the registry')
  await c.close()
  await r.close()
})
