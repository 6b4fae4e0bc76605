// Negative acks, ack timeout, dead-letter and retry-letter topics end to end.
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

void test('nack redelivers after the delay with a growing redelivery count', async () => {
  const topic = unique('rd-nack')
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
    nackRedeliveryDelayMs: 300,
  })
  const p = await PulsarProducer.create(client, { topic })
  await p.send({ value: 'again' })
  const counts: number[] = []
  for (let i = 0; i < 3; i++) {
    const m = await next(c)
    counts.push(m.redeliveryCount)
    const started = Date.now()
    c.negativeAcknowledge(m)
    if (i < 2) {
      const again = await next(c)
      assert.ok(Date.now() - started >= 250, 'not redelivered before the nack delay')
      counts.push(again.redeliveryCount)
      c.negativeAcknowledge(again)
    }
  }
  assert.deepEqual(counts.slice(0, 3), [0, 1, 2])
  await c.close()
  await p.close()
})

void test('ack timeout redelivers unacknowledged messages and counts them', async () => {
  const topic = unique('rd-acktimeout')
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
    ackTimeoutMs: 600,
  })
  const p = await PulsarProducer.create(client, { topic })
  await p.send({ value: 'slow' })
  const first = await next(c)
  assert.equal(first.redeliveryCount, 0)
  const again = await next(c, 5000)
  assert.equal(again.valueString(), 'slow')
  assert.equal(again.redeliveryCount, 1)
  await c.acknowledge(again)
  assert.equal(await maybeNext(c, 1200), undefined, 'an acknowledged message is not redelivered')
  await c.close()
  await p.close()
})

void test('ack timeout redelivers through the right topic of a multi-topic consumer', async () => {
  // Both topics are non-partitioned (partition -1): the redelivery must go to each message's own
  // topic, not to whichever topic has that partition index.
  const topics = [unique('rd-multi-a'), unique('rd-multi-b')]
  const c = await PulsarConsumer.create(client, {
    topic: topics,
    subscription: 's',
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
    ackTimeoutMs: 600,
  })
  for (const topic of topics) {
    const p = await PulsarProducer.create(client, { topic })
    await p.send({ value: topic })
    await p.close()
  }
  const first = [await next(c), await next(c)]
  assert.deepEqual(
    first.map((m) => m.redeliveryCount),
    [0, 0],
  )
  const again = [await next(c, 5000), await next(c, 5000)]
  assert.deepEqual(again.map((m) => m.valueString()).sort(), [...topics].sort())
  assert.deepEqual(
    again.map((m) => m.redeliveryCount),
    [1, 1],
  )
  await Promise.all(again.map((m) => c.acknowledge(m)))
  await c.close()
})

void test('a reconnect drops pending nack redeliveries: the broker already redelivered them', async () => {
  const topic = `persistent://public/default/${unique('rd-nack-unload')}`
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
    nackRedeliveryDelayMs: 1500,
  })
  const p = await PulsarProducer.create(client, { topic })
  await p.send({ value: 'once' })
  const m = await next(c)
  await c.acknowledge(m) // persists the cursor, so the unload below cannot lose the subscription
  await p.send({ value: 'nacked' })
  const nacked = await next(c)
  c.negativeAcknowledge(nacked)
  await admin.unloadTopic(topic)
  // The consumer re-subscribes and the broker sends the unacknowledged message again at once.
  const replayed = await next(c, 10_000)
  assert.equal(replayed.valueString(), 'nacked')
  // Left unacknowledged, it must not come a third time when the old nack delay runs out.
  assert.equal(await maybeNext(c, 2500), undefined, 'redelivered again by a stale nack')
  await c.acknowledge(replayed)
  await c.close()
  await p.close()
})

void test('after maxRedeliverCount a message goes to the dead-letter topic, once', async () => {
  const topic = `persistent://public/default/${unique('rd-dlq')}`
  const dlq = `${topic}-s-DLQ`
  const d = await PulsarConsumer.create(client, {
    topic: dlq,
    subscription: 'inspect',
    initialPosition: 'earliest',
  })
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
    nackRedeliveryDelayMs: 100,
    deadLetterPolicy: { maxRedeliverCount: 2 },
  })
  const p = await PulsarProducer.create(client, { topic })
  await p.send({ key: 'k', value: 'poison', properties: { origin: 'test' } })
  await p.send({ value: 'fine' })
  let deliveries = 0
  for (;;) {
    const m = await maybeNext(c, 1500)
    if (!m) break
    if (m.valueString() === 'fine') await c.acknowledge(m)
    else {
      deliveries++
      c.negativeAcknowledge(m)
    }
  }
  assert.equal(deliveries, 3, 'delivered once plus maxRedeliverCount redeliveries')
  const dead = await next(d)
  assert.equal(dead.valueString(), 'poison')
  assert.equal(dead.keyString(), 'k')
  assert.equal(dead.properties.origin, 'test')
  assert.equal(dead.properties.REAL_TOPIC, topic)
  assert.equal(await maybeNext(d, 1000), undefined, 'dead-lettered exactly once')
  await Promise.all([c.close(), d.close(), p.close()])
})

void test('reconsumeLater sends to the retry topic and on to the dead-letter topic', async () => {
  const topic = `persistent://public/default/${unique('rd-retry')}`
  const c = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
    retryEnable: true,
    deadLetterPolicy: { maxRedeliverCount: 2 },
  })
  const d = await PulsarConsumer.create(client, {
    topic: `${topic}-s-DLQ`,
    subscription: 'inspect',
    initialPosition: 'earliest',
  })
  const p = await PulsarProducer.create(client, { topic })
  await p.send({ value: 'later' })
  const times: string[] = []
  let m = await next(c)
  for (let round = 0; round < 3; round++) {
    times.push(m.properties.RECONSUMETIMES ?? '0')
    const started = Date.now()
    // Delays below the broker's delayed-delivery tick (1 s) may be delivered at once.
    await c.reconsumeLater(m, 2000)
    if (round === 2) break // the third reconsume exceeds maxRedeliverCount: dead letter
    m = await next(c)
    assert.ok(Date.now() - started >= 1900, `retry delivered after its delay (${Date.now() - started} ms)`)
    assert.equal(m.topic, `${topic}-s-RETRY`)
    assert.equal(m.properties.REAL_TOPIC, topic)
  }
  assert.deepEqual(times, ['0', '1', '2'])
  assert.equal(await maybeNext(c, 1000), undefined, 'nothing more on the topic or the retry topic')
  const dead = await next(d)
  assert.equal(dead.valueString(), 'later')
  assert.equal(dead.properties.RECONSUMETIMES, '3')
  await Promise.all([c.close(), d.close(), p.close()])
})
