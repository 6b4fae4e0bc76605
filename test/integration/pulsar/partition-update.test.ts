// Partitions added to a topic while a producer and a consumer use it (admin update-partitions):
// with autoUpdatePartitions both join them at their next check, so messages routed to the new
// partitions are produced there and consumed — including those sent before the consumer's check.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { PulsarAdmin, PulsarConsumer, PulsarProducer, createClient } from '../../../src/pulsar/index.ts'
import type { PulsarClient } from '../../../src/pulsar/index.ts'
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

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

void test('partitions added later are produced to and consumed (autoUpdatePartitions)', async () => {
  const topic = `persistent://public/default/${unique('grow')}`
  await admin.createPartitionedTopic(topic, 2)
  const interval = { autoUpdatePartitionsIntervalMs: 300 }
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
    ...interval,
  })
  // Producer checks faster than the consumer: some messages reach the new partitions before the
  // consumer has joined them, and must still be consumed.
  const p = await PulsarProducer.create(client, {
    topic,
    batching: false,
    autoUpdatePartitionsIntervalMs: 100,
  })
  assert.equal(p.partitions, 2)
  await p.send({ value: 'before' })
  assert.equal((await next(c)).valueString(), 'before')

  await admin.updatePartitionedTopic(topic, 4)
  assert.equal(await admin.getPartitions(topic), 4)
  await until('the producer to see 4 partitions', () => p.partitions === 4)

  const sent = new Map<string, number>()
  for (let i = 0; i < 24; i++) {
    const id = await p.send({ value: `after-${i}` })
    sent.set(`after-${i}`, id.partition)
  }
  const onNew = [...sent.values()].filter((partition) => partition >= 2).length
  assert.ok(onNew >= 10, `round-robin sent ${onNew} of 24 to the new partitions`)

  const got = new Map<string, number>()
  while (got.size < sent.size) {
    const m = await next(c, 20_000)
    got.set(m.valueString()!, m.messageId.partition)
    await c.acknowledge(m)
  }
  assert.deepEqual(got, sent)
  assert.equal(await maybeNext(c, 300), undefined, 'nothing more')
  await p.close()
  await c.close()
})

void test('autoUpdatePartitions: false keeps the partition count read at creation', async () => {
  const topic = `persistent://public/default/${unique('nogrow')}`
  await admin.createPartitionedTopic(topic, 1)
  const p = await PulsarProducer.create(client, {
    topic,
    autoUpdatePartitions: false,
    autoUpdatePartitionsIntervalMs: 50,
  })
  await admin.updatePartitionedTopic(topic, 3)
  await new Promise((r) => setTimeout(r, 500))
  assert.equal(p.partitions, 1)
  await p.close()
})
