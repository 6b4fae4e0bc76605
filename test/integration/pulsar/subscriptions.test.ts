// Subscription types with several consumers, as Pulsar specifies them.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { BrokerError } from '../../../src/core/errors.ts'
import { PulsarConsumer, PulsarProducer, createClient } from '../../../src/pulsar/index.ts'
import type { PulsarClient, PulsarMessage } from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { maybeNext, next, unique } from './helpers.ts'

let client: PulsarClient

before(async () => {
  const b = await useBroker('pulsar')
  client = await createClient(b.url)
})
after(() => client.close())

void test('Exclusive: a second consumer on the subscription is rejected with ConsumerBusy', async () => {
  const topic = unique('sub-excl')
  const a = await PulsarConsumer.create(client, { topic, subscription: 's', subscriptionType: 'Exclusive' })
  await assert.rejects(
    PulsarConsumer.create(client, { topic, subscription: 's', subscriptionType: 'Exclusive' }),
    (err: unknown) => {
      assert.ok(err instanceof BrokerError)
      assert.equal(err.brokerErrorName, 'ConsumerBusy')
      return true
    },
  )
  await a.close()
  const b = await PulsarConsumer.create(client, { topic, subscription: 's', subscriptionType: 'Exclusive' })
  await b.close()
})

void test('Failover: the standby takes over when the active consumer closes', async () => {
  const topic = unique('sub-failover')
  const p = await PulsarProducer.create(client, { topic, batching: false })
  const a = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Failover',
    consumerName: 'a',
    initialPosition: 'earliest',
  })
  const b = await PulsarConsumer.create(client, {
    topic,
    subscription: 's',
    subscriptionType: 'Failover',
    consumerName: 'b',
    initialPosition: 'earliest',
  })
  for (let i = 0; i < 5; i++) await p.send({ value: `m${i}` })
  // Exactly one of them is active and gets everything.
  // Whichever is active gets m0; the other receive is aborted so it cannot swallow a later message.
  const ac = new AbortController()
  const got = await Promise.race([
    a.receive(ac.signal).then((m) => ({ who: a, other: b, m })),
    b.receive(ac.signal).then((m) => ({ who: b, other: a, m })),
  ])
  ac.abort()
  const first = { ...got, m: got.m! }
  assert.equal(first.m.valueString(), 'm0')
  assert.equal(await maybeNext(first.other, 500), undefined, 'the standby receives nothing')
  await first.who.acknowledge(first.m)
  await first.who.close()
  const seen: string[] = []
  for (let i = 0; i < 4; i++) {
    const m = await next(first.other)
    seen.push(m.valueString()!)
    await first.other.acknowledge(m)
  }
  assert.deepEqual(seen, ['m1', 'm2', 'm3', 'm4'])
  await first.other.close()
  await p.close()
})

void test('Shared: consumers split the messages', async () => {
  const topic = unique('sub-shared')
  const p = await PulsarProducer.create(client, { topic, batching: false })
  const cs = await Promise.all(
    [0, 1].map(() =>
      PulsarConsumer.create(client, {
        topic,
        subscription: 's',
        subscriptionType: 'Shared',
        receiverQueueSize: 5,
      }),
    ),
  )
  await Promise.all(Array.from({ length: 40 }, (_, i) => p.send({ value: `m${i}` })))
  const counts = [0, 0]
  const seen = new Set<string>()
  await Promise.all(
    cs.map(async (c, i) => {
      for (;;) {
        const m = await maybeNext(c, 1000)
        if (!m) return
        counts[i]!++
        seen.add(m.valueString()!)
        await c.acknowledge(m)
      }
    }),
  )
  assert.equal(seen.size, 40)
  assert.ok(counts[0]! > 0 && counts[1]! > 0, `both consumers got messages: ${counts.join('/')}`)
  await Promise.all(cs.map((c) => c.close()))
  await p.close()
})

void test('Key_Shared: every key stays on one consumer', async () => {
  const topic = unique('sub-keyshared')
  const p = await PulsarProducer.create(client, { topic, batching: false })
  const cs = await Promise.all(
    [0, 1, 2].map(() =>
      PulsarConsumer.create(client, { topic, subscription: 's', subscriptionType: 'Key_Shared' }),
    ),
  )
  await Promise.all(Array.from({ length: 90 }, (_, i) => p.send({ key: `key-${i % 9}`, value: `${i}` })))
  const owner = new Map<string, number>()
  const all: PulsarMessage[] = []
  await Promise.all(
    cs.map(async (c, i) => {
      for (;;) {
        const m = await maybeNext(c, 1500)
        if (!m) return
        const k = m.keyString()!
        assert.equal(owner.get(k) ?? i, i, `key ${k} went to two consumers`)
        owner.set(k, i)
        all.push(m)
        await c.acknowledge(m)
      }
    }),
  )
  assert.equal(all.length, 90)
  assert.ok(new Set(owner.values()).size > 1, 'keys spread over more than one consumer')
  await Promise.all(cs.map((c) => c.close()))
  await p.close()
})

void test('Key_Shared with key-based batching: batched keys still stay on one consumer', async () => {
  const topic = unique('sub-keyshared-batched')
  const cs = await Promise.all(
    [0, 1].map(() =>
      PulsarConsumer.create(client, { topic, subscription: 's', subscriptionType: 'Key_Shared' }),
    ),
  )
  const p = await PulsarProducer.create(client, { topic, batchingByKey: true, batchingMaxDelayMs: 20 })
  await Promise.all(
    Array.from({ length: 120 }, (_, i) => p.send({ key: `key-${Math.floor(i / 10) % 6}`, value: `${i}` })),
  )
  const owner = new Map<string, number>()
  let total = 0
  await Promise.all(
    cs.map(async (c, i) => {
      for (;;) {
        const m = await maybeNext(c, 1500)
        if (!m) return
        const k = m.keyString()!
        assert.equal(owner.get(k) ?? i, i, `key ${k} went to two consumers`)
        owner.set(k, i)
        total++
        await c.acknowledge(m)
      }
    }),
  )
  assert.equal(total, 120)
  await Promise.all(cs.map((c) => c.close()))
  await p.close()
})

void test('key-based batching keeps one open batch per key: interleaved keys still batch', async () => {
  const topic = unique('sub-keyshared-interleaved')
  const cs = await Promise.all(
    [0, 1].map(() =>
      PulsarConsumer.create(client, { topic, subscription: 's', subscriptionType: 'Key_Shared' }),
    ),
  )
  const p = await PulsarProducer.create(client, { topic, batchingByKey: true, batchingMaxDelayMs: 50 })
  // Keys change on every message: closing the batch on a key change would send 120 entries.
  const ids = await Promise.all(
    Array.from({ length: 120 }, (_, i) => p.send({ key: `key-${i % 4}`, value: `${i}` })),
  )
  const keysOfEntry = new Map<string, Set<string>>()
  ids.forEach((id, i) => {
    const keys = keysOfEntry.get(id.entryKey()) ?? new Set()
    keys.add(`key-${i % 4}`)
    keysOfEntry.set(id.entryKey(), keys)
  })
  assert.ok(keysOfEntry.size <= 12, `120 messages of 4 keys in ${keysOfEntry.size} entries`)
  for (const keys of keysOfEntry.values()) assert.equal(keys.size, 1, 'an entry mixes keys')
  const owner = new Map<string, number>()
  const order = new Map<string, number[]>()
  let total = 0
  await Promise.all(
    cs.map(async (c, i) => {
      for (;;) {
        const m = await maybeNext(c, 1500)
        if (!m) return
        const k = m.keyString()!
        assert.equal(owner.get(k) ?? i, i, `key ${k} went to two consumers`)
        owner.set(k, i)
        order.set(k, [...(order.get(k) ?? []), Number(m.valueString())])
        total++
        await c.acknowledge(m)
      }
    }),
  )
  assert.equal(total, 120)
  for (const [k, values] of order)
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
      `order within ${k}`,
    )
  await Promise.all(cs.map((c) => c.close()))
  await p.close()
})

/** Retries an exclusive creation the broker refuses because a just-closed producer still holds it. */
async function createWhenFree<T>(create: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await create()
    } catch (err) {
      if (!(err instanceof BrokerError) || attempt >= 50) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

void test('producer access modes: Exclusive refuses a second producer, ExclusiveWithFencing takes over', async () => {
  const topic = unique('sub-access')
  const first = await PulsarProducer.create(client, { topic, accessMode: 'Exclusive' })
  await assert.rejects(PulsarProducer.create(client, { topic, accessMode: 'Exclusive' }), BrokerError)
  await assert.rejects(PulsarProducer.create(client, { topic }), BrokerError)
  await first.close()
  // The broker may still hold the closed producer's exclusive claim for a moment.
  const a = await createWhenFree(() => PulsarProducer.create(client, { topic, accessMode: 'Exclusive' }))
  const fencing = await createWhenFree(() =>
    PulsarProducer.create(client, { topic, accessMode: 'ExclusiveWithFencing' }),
  )
  await fencing.send({ value: 'mine now' })
  await assert.rejects(a.send({ value: 'fenced' }))
  await fencing.close()
  await a.close()
  // WaitForExclusive: creation waits until the exclusive holder leaves. A fresh topic, so the
  // fencing above (which leaves the first topic fenced for a while) plays no part.
  const waitTopic = unique('sub-wait')
  const holder = await createWhenFree(() =>
    PulsarProducer.create(client, { topic: waitTopic, accessMode: 'Exclusive' }),
  )
  let ready = false
  const waiting = PulsarProducer.create(client, { topic: waitTopic, accessMode: 'WaitForExclusive' }).then(
    (p) => ((ready = true), p),
  )
  await new Promise((r) => setTimeout(r, 500))
  assert.equal(ready, false, 'still waiting while the exclusive producer is there')
  await holder.close()
  const next = await waiting
  await next.send({ value: 'my turn' })
  await next.close()
})
