// PulsarAdmin.createSubscription against the real broker: 'latest' starts after what the topic
// holds, 'earliest' at its beginning. 'latest' is the position (Long.MAX_VALUE, Long.MAX_VALUE),
// which a JS number cannot carry: it used to reach the broker as 2^63.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { PulsarAdmin, PulsarConsumer, PulsarProducer, createClient } from '../../../src/pulsar/index.ts'
import type { PulsarClient } from '../../../src/pulsar/index.ts'
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

void test("createSubscription 'latest' starts after the existing messages, 'earliest' before them", async () => {
  const topic = unique('admin-sub')
  const producer = await PulsarProducer.create(client, { topic, batching: false })
  for (const value of ['old-1', 'old-2', 'old-3']) await producer.send({ value })
  await admin.createSubscription(topic, 'from-latest', 'latest')
  await admin.createSubscription(topic, 'from-earliest', 'earliest')
  assert.equal(await admin.backlog(topic, 'from-latest'), 0)
  assert.equal(await admin.backlog(topic, 'from-earliest'), 3)
  await producer.send({ value: 'new' })
  // The subscription exists, so the consumer's own initial position does not apply.
  const latest = await PulsarConsumer.create(client, {
    topic,
    subscription: 'from-latest',
    initialPosition: 'earliest',
  })
  const first = await next(latest)
  assert.equal(first.valueString(), 'new')
  await latest.close()
  await producer.close()
})
