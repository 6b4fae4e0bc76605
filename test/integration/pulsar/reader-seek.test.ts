// Readers (earliest, latest, a message id inclusive or not), seek by id and by time, last message
// id / hasMessageAvailable, unsubscribe, and regex subscriptions that follow new topics.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  PulsarAdmin,
  PulsarConsumer,
  PulsarProducer,
  PulsarReader,
  createClient,
} from '../../../src/pulsar/index.ts'
import type { MessageId, PulsarClient } from '../../../src/pulsar/index.ts'
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

async function produce(topic: string, n: number, batching = false): Promise<MessageId[]> {
  const p = await PulsarProducer.create(client, { topic, batching })
  const ids = await Promise.all(Array.from({ length: n }, (_, i) => p.send({ value: `m${i}` })))
  await p.close()
  return ids
}

void test('readers start at earliest, latest, or a message id (inclusive or not), batched or not', async () => {
  for (const batching of [false, true]) {
    const topic = unique(`rs-reader-${batching}`)
    const ids = await produce(topic, 6, batching)
    const earliest = await PulsarReader.create(client, { topic, startMessageId: 'earliest' })
    assert.equal((await next(earliest)).valueString(), 'm0')
    const latest = await PulsarReader.create(client, { topic, startMessageId: 'latest' })
    const inclusive = await PulsarReader.create(client, {
      topic,
      startMessageId: ids[3]!,
      startMessageIdInclusive: true,
    })
    assert.equal((await next(inclusive)).valueString(), 'm3')
    const exclusive = await PulsarReader.create(client, { topic, startMessageId: ids[3]!.toString() })
    assert.equal((await next(exclusive)).valueString(), 'm4')
    assert.equal(await latest.hasMessageAvailable(), false)
    await produce(topic, 1)
    assert.equal((await next(latest)).valueString(), 'm0')
    await Promise.all([earliest.close(), latest.close(), inclusive.close(), exclusive.close()])
  }
})

void test('hasMessageAvailable turns false once everything was read', async () => {
  const topic = unique('rs-available')
  await produce(topic, 3)
  const r = await PulsarReader.create(client, { topic, startMessageId: 'earliest' })
  assert.equal(await r.hasMessageAvailable(), true)
  for (let i = 0; i < 3; i++) await next(r)
  assert.equal(await r.hasMessageAvailable(), false)
  await r.close()
})

void test('seek by message id and by publish time replays; getLastMessageId names the newest', async () => {
  const topic = unique('rs-seek')
  const c = await PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest' })
  const first = await produce(topic, 3)
  await new Promise((r) => setTimeout(r, 50))
  const middle = Date.now()
  await new Promise((r) => setTimeout(r, 50))
  const second = await produce(topic, 3)
  for (let i = 0; i < 6; i++) await c.acknowledge(await next(c))
  const [last] = await c.getLastMessageIds()
  assert.ok(last!.last.equals(second[2]!) || last!.last.sameEntry(second[2]!))
  await c.seek(first[1]!)
  assert.equal((await next(c)).valueString(), 'm1')
  await c.seek(middle)
  const m = await next(c)
  assert.equal(m.id, second[0]!.toString())
  // Seeking again and again replays everything each time: the broker closes the consumer while it
  // resets the cursor, and the replay can arrive before the SEEK's own answer — none of it is lost.
  for (let round = 0; round < 10; round++) {
    await c.seek(first[0]!)
    const replayed = []
    for (let i = 0; i < 6; i++) replayed.push((await next(c)).id)
    assert.deepEqual(replayed, [...first, ...second].map(String), `round ${round}`)
  }
  await c.close()
})

void test('unsubscribe removes the subscription', async () => {
  const topic = `persistent://public/default/${unique('rs-unsub')}`
  const c = await PulsarConsumer.create(client, { topic, subscription: 'gone' })
  assert.deepEqual(await admin.listSubscriptions(topic), ['gone'])
  await c.unsubscribe()
  assert.deepEqual(await admin.listSubscriptions(topic), [])
})

void test('a regex subscription reads matching topics and follows new ones (broker topic-list watch)', async () => {
  const base = unique('rs-regex')
  await produce(`${base}-a`, 1)
  const c = await PulsarConsumer.create(client, {
    topicsPattern: `persistent://public/default/${base}-.*`,
    subscription: 's',
    initialPosition: 'earliest',
    // Listing only every 10 minutes: a new topic found quickly was announced by the watch.
    patternAutoDiscoveryPeriodMs: 600_000,
  })
  assert.equal((await next(c)).valueString(), 'm0')
  await produce(`${base}-b`, 1)
  await produce(`other-${base}`, 1)
  const m = await next(c, 15_000)
  assert.match(m.topic, new RegExp(`${base}-b$`))
  assert.equal(await maybeNext(c, 1500), undefined, 'a non-matching topic is not read')
  await c.close()
})
