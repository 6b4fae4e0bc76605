// Batch-index acknowledgements and ack receipts against the real broker (which runs with
// acknowledgmentAtBatchIndexLevelEnabled=true, see tools/brokers/pulsar.ts). Acking part of a
// batched entry with batch-index acks on must keep the broker from redelivering the acked part;
// without them the whole entry comes back, as in the Java client.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { PulsarConsumer, PulsarProducer, createClient } from '../../../src/pulsar/index.ts'
import type { PulsarClient, PulsarMessage } from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { maybeNext, next, unique, within } from './helpers.ts'

let client: PulsarClient

before(async () => {
  const b = await useBroker('pulsar')
  client = await createClient(b.url)
})
after(() => client.close())

/** Ten messages in one batched entry; returns the topic. */
async function oneBatchOfTen(prefix: string): Promise<string> {
  const topic = unique(prefix)
  const p = await PulsarProducer.create(client, {
    topic,
    batching: true,
    batchingMaxMessages: 10,
    batchingMaxDelayMs: 1000,
  })
  const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => p.send({ value: `m${i}` })))
  await p.close()
  assert.equal(new Set(ids.map((id) => id.entryKey())).size, 1, 'the ten messages share one entry')
  assert.deepEqual(
    ids.map((id) => id.batchIndex),
    [...Array(10).keys()],
  )
  return topic
}

async function receiveAll(c: PulsarConsumer, n: number): Promise<PulsarMessage[]> {
  const out: PulsarMessage[] = []
  for (let i = 0; i < n; i++) out.push(await next(c))
  return out
}

/** What a fresh consumer of the subscription receives until 2 s pass without a message. */
async function drain(
  topic: string,
  subscription: string,
  subscriptionType: 'Shared' | 'Exclusive' = 'Shared',
): Promise<string[]> {
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription,
    subscriptionType,
    batchIndexAck: true,
  })
  const seen: string[] = []
  for (let m = await maybeNext(c, 4000); m; m = await maybeNext(c, 2000)) {
    seen.push(m.valueString() ?? '')
    await c.acknowledge(m)
  }
  await c.close()
  return seen
}

void test('batch-index acks: the acknowledged half of a batch is not redelivered; receipts confirm each ack', async () => {
  const topic = await oneBatchOfTen('bia-on')
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
    batchIndexAck: true,
    ackReceipt: true,
  })
  const got = await receiveAll(c, 10)
  assert.deepEqual(
    got.map((m) => m.valueString()),
    [...Array(10).keys()].map((i) => `m${i}`),
  )
  // With receipts each acknowledge() resolves on the broker's ACK_RESPONSE.
  for (const m of got.slice(0, 5)) await within(c.acknowledge(m), 15_000, 'ack receipt')
  await c.close()
  assert.deepEqual(await drain(topic, 's'), ['m5', 'm6', 'm7', 'm8', 'm9'])
  assert.deepEqual(await drain(topic, 's'), [], 'all acknowledged now')
})

void test('without batch-index acks a partly acknowledged batch comes back whole', async () => {
  const topic = await oneBatchOfTen('bia-off')
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
    batchIndexAck: false,
  })
  const got = await receiveAll(c, 10)
  for (const m of got.slice(0, 5)) await c.acknowledge(m)
  await c.close()
  assert.deepEqual(
    await drain(topic, 's'),
    [...Array(10).keys()].map((i) => `m${i}`),
  )
})

void test('batch-index acks keep order: interleaved partial acks, then redelivery after reconnect', async () => {
  const topic = await oneBatchOfTen('bia-order')
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Exclusive',
    initialPosition: 'earliest',
    batchIndexAck: true,
    ackReceipt: true,
  })
  const got = await receiveAll(c, 10)
  for (const m of got.filter((_, i) => i % 2 === 0)) await within(c.acknowledge(m), 15_000, 'ack receipt')
  await c.close()
  assert.deepEqual(await drain(topic, 's', 'Exclusive'), ['m1', 'm3', 'm5', 'm7', 'm9'])
})
