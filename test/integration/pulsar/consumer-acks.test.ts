// The native consumer's cumulative ack, seek, receiveBatch and the producer's delayed delivery,
// against the real broker. A cumulative ack or a seek concerns one partition: the ack timeout and
// the pending negative acks of the consumer's other partitions must keep working.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { PulsarAdmin, PulsarConsumer, PulsarProducer, createClient } from '../../../src/pulsar/index.ts'
import type { PulsarClient, PulsarMessage } from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { maybeNext, next, unique } from './helpers.ts'

let client: PulsarClient
let admin: PulsarAdmin

before(async () => {
  const b = await useBroker('pulsar')
  client = await createClient(b.url)
  admin = new PulsarAdmin({ url: b.urls.admin! })
})
after(() => client.close())

/** A two-partition topic holding messages on both partitions; returns them as received. */
async function twoPartitions(consumerOptions: Record<string, unknown>) {
  const topic = unique('acks2p')
  await admin.createPartitionedTopic(topic, 2)
  const consumer = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Failover',
    initialPosition: 'earliest',
    ...consumerOptions,
  })
  const producer = await PulsarProducer.create(client, { topic, batching: false })
  for (let i = 0; i < 20; i++) await producer.send({ key: `k${i}`, value: `m${i}` })
  await producer.close()
  const got: PulsarMessage[] = []
  while (got.length < 20) got.push(await next(consumer))
  const byPartition = [0, 1].map((p) => got.filter((m) => m.partition === p))
  assert.ok(byPartition[0]!.length > 0 && byPartition[1]!.length > 0, 'messages on both partitions')
  return { consumer, p0: byPartition[0]!, p1: byPartition[1]! }
}

/** What arrives within `ms`, by value. */
async function drain(consumer: PulsarConsumer, ms: number): Promise<string[]> {
  const out: string[] = []
  const deadline = Date.now() + ms
  for (;;) {
    const m = await maybeNext(consumer, Math.max(1, deadline - Date.now()))
    if (!m) return out
    out.push(m.valueString()!)
    await consumer.acknowledge(m)
    if (Date.now() > deadline) return out
  }
}

void test("a cumulative ack on one partition keeps the other partition's ack timeout", async () => {
  const { consumer, p0, p1 } = await twoPartitions({ ackTimeoutMs: 1000 })
  await consumer.acknowledgeCumulative(p0.at(-1)!)
  const again = await drain(consumer, 8000)
  for (const m of p1)
    assert.ok(again.includes(m.valueString()!), `${m.valueString()} (partition 1) came back`)
  for (const m of p0) assert.ok(!again.includes(m.valueString()!), `${m.valueString()} was acknowledged`)
  await consumer.close()
})

void test("a cumulative ack or a seek on one partition keeps the other partition's negative acks", async () => {
  const { consumer, p0, p1 } = await twoPartitions({ nackRedeliveryDelayMs: 1500 })
  for (const m of p1) consumer.negativeAcknowledge(m)
  await consumer.acknowledgeCumulative(p0.at(-1)!)
  await consumer.seek(p0.at(-1)!.messageId)
  const again = await drain(consumer, 8000)
  for (const m of p1)
    assert.ok(again.includes(m.valueString()!), `${m.valueString()} (partition 1, nacked) came back`)
  await consumer.close()
})

void test('receiveBatch hands out up to max queued messages, each once', async () => {
  const topic = unique('rbatch')
  const consumer = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    initialPosition: 'earliest',
  })
  const producer = await PulsarProducer.create(client, { topic, batching: false })
  for (let i = 0; i < 7; i++) await producer.send({ value: `b${i}` })
  const seen: string[] = []
  while (seen.length < 7) {
    const batch = await consumer.receiveBatch(3)
    assert.ok(batch.length >= 1 && batch.length <= 3, `a batch of ${batch.length}`)
    for (const m of batch) {
      seen.push(m.valueString()!)
      await consumer.acknowledge(m)
    }
  }
  assert.deepEqual(seen, ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6'])
  await producer.close()
  await consumer.close()
})

void test('deliverAfterMs and deliverAt hold a message back on a Shared subscription', async () => {
  const topic = unique('delayed')
  const consumer = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
  })
  const producer = await PulsarProducer.create(client, { topic, batching: false })
  const sentAt = Date.now()
  await producer.send({ value: 'after', deliverAfterMs: 2500 })
  await producer.send({ value: 'at', deliverAt: new Date(sentAt + 2500) })
  await producer.send({ value: 'now' })
  const first = await next(consumer)
  assert.equal(first.valueString(), 'now')
  await consumer.acknowledge(first)
  const later = [await next(consumer), await next(consumer)]
  const arrived = Date.now() - sentAt
  assert.deepEqual(later.map((m) => m.valueString()).sort(), ['after', 'at'])
  assert.ok(arrived >= 2000, `the delayed messages arrived ${arrived} ms after sending, before their time`)
  await producer.close()
  await consumer.close()
})
