// Consumers and readers against the real Pulsar standalone: subscription types, every consumer
// parameter, ack timeout, nack delay, dead-letter topic, pull mode, cumulative ack, isEndOfTopic,
// unsubscribe, seek, readers from earliest / latest / an id, decoded message fields.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { BrokerError, UnsupportedError } from '../../../src/core/errors.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, maybeNext, next, unique, within } from './helpers.ts'

const broker = await useBroker('pulsar')
const ws = client(broker.urls.ws!)
after(() => ws.close())
const full = (topic: string): string => `persistent://public/default/${topic}`

void test('decoded messages carry origin, id, key, binary key, properties, publish time, redelivery count', async () => {
  const topic = unique('ws-decode')
  const c = await ws.consumer({
    topic,
    subscription: 's',
    consumerName: 'rick',
    priorityLevel: 3,
    receiverQueueSize: 10,
  })
  const p = await ws.producer({ topic })
  const before = Date.now()
  const [receipt] = await p.send([
    { payload: new Uint8Array([0, 1, 255]), key: new Uint8Array([0, 255]), properties: { a: '', b: 'ü' } },
  ])
  const m = await next(c)
  assert.deepEqual(
    [m.persistence, m.tenant, m.namespace, m.topic, m.partition],
    ['persistent', 'public', 'default', topic, -1],
  )
  assert.equal(m.messageId, receipt!.messageId)
  assert.deepEqual([...m.payload], [0, 1, 255])
  assert.deepEqual([...m.keyBytes!], [0, 255], 'a binary key round-trips through the string-only API')
  assert.deepEqual(m.properties, { a: '', b: 'ü' }, 'the key marker property is hidden')
  assert.ok(m.publishTime instanceof Date && m.publishTime.getTime() >= before - 5000)
  assert.equal(m.redeliveryCount, 0)
  c.ack(m)
  const stats = await ws.admin.topicStats(full(topic))
  const consumer = (stats.subscriptions.s!.consumers as { consumerName: string }[])[0]!
  assert.equal(consumer.consumerName, 'rick', 'consumerName reached the broker')
  await c.close()
  await p.close()
})

void test('Exclusive refuses a second consumer (409, typed); Shared splits; Key_Shared keeps a key on one consumer', async () => {
  const topic = unique('ws-types')
  const a = await ws.consumer({ topic, subscription: 'ex', subscriptionType: 'Exclusive' })
  const error = await ws
    .consumer({ topic, subscription: 'ex', subscriptionType: 'Exclusive' })
    .catch((e: unknown) => e)
  assert.ok(error instanceof BrokerError && error.brokerCode === 409, String(error))
  await a.close()

  const s1 = await ws.consumer({
    topic,
    subscription: 'sh',
    subscriptionType: 'Shared',
    receiverQueueSize: 1,
  })
  const s2 = await ws.consumer({
    topic,
    subscription: 'sh',
    subscriptionType: 'Shared',
    receiverQueueSize: 1,
  })
  const k1 = await ws.consumer({ topic, subscription: 'ks', subscriptionType: 'Key_Shared' })
  const k2 = await ws.consumer({ topic, subscription: 'ks', subscriptionType: 'Key_Shared' })
  const p = await ws.producer({ topic })
  await p.send(Array.from({ length: 40 }, (_, i) => ({ key: `key-${i % 4}`, payload: String(i) })))
  const counts = [0, 0]
  const keysBy = [new Set<string>(), new Set<string>()]
  let shared = 0
  let keyShared = 0
  await within(
    Promise.all([
      ...[s1, s2].map(async (c, i) => {
        while (shared < 40) {
          const m = await maybeNext(c, 200)
          if (!m) continue
          shared++
          counts[i]!++
          c.ack(m)
        }
      }),
      ...[k1, k2].map(async (c, i) => {
        while (keyShared < 40) {
          const m = await maybeNext(c, 200)
          if (!m) continue
          keyShared++
          keysBy[i]!.add(m.key!)
          c.ack(m)
        }
      }),
    ]),
    30_000,
    'shared and key_shared consumption',
  )
  assert.ok(counts[0]! > 0 && counts[1]! > 0, `Shared split the messages (${counts.join('/')})`)
  for (const key of keysBy[0]!)
    assert.ok(!keysBy[1]!.has(key), `Key_Shared: ${key} went to one consumer only`)
  await Promise.all([s1, s2, k1, k2, p].map((x) => x.close()))
})

void test('Failover: one active consumer per partition; the standby takes over when it leaves', async () => {
  const topic = unique('ws-failover')
  const a = await ws.consumer({ topic, subscription: 'fo', subscriptionType: 'Failover', consumerName: 'a' })
  const b = await ws.consumer({ topic, subscription: 'fo', subscriptionType: 'Failover', consumerName: 'b' })
  const p = await ws.producer({ topic })
  await p.send(['1', '2'])
  // Poll both with cancellable receives: a pending receive left on the standby would take its message.
  let first: readonly ['a' | 'b', Awaited<ReturnType<typeof next>>] | undefined
  for (let i = 0; i < 100 && !first; i++) {
    const fromA = await maybeNext(a, 100)
    if (fromA) first = ['a', fromA]
    const fromB = fromA ? undefined : await maybeNext(b, 100)
    if (fromB) first = ['b', fromB]
  }
  assert.ok(first, 'one of the two consumers is active')
  const [active, standby] = first[0] === 'a' ? [a, b] : [b, a]
  active.ack(first[1])
  active.ack(await next(active))
  await active.close()
  await p.send('3')
  assert.equal((await next(standby, 20_000)).text(), '3')
  await standby.close()
  await p.close()
})

void test('ack timeout redelivers an unacked message; nack redelivers after negativeAckRedeliveryDelay', async () => {
  const topic = unique('ws-redeliver')
  const c = await ws.consumer({
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    ackTimeoutMillis: 1000,
    negativeAckRedeliveryDelay: 300,
  })
  const p = await ws.producer({ topic })
  await p.send(['timeout-me', 'nack-me'])
  const first = [await next(c), await next(c)]
  const nackMe = first.find((m) => m.text() === 'nack-me')!
  const t0 = Date.now()
  c.nack(nackMe)
  const again = new Map<string, number>()
  while (again.size < 2) {
    const m = await next(c, 20_000)
    if (!again.has(m.text())) again.set(m.text(), Date.now() - t0)
    assert.ok(m.redeliveryCount >= 1, 'a redelivery counts')
    c.ack(m)
  }
  assert.ok(again.get('nack-me')! >= 250, `nack redelivered after its delay (${again.get('nack-me')} ms)`)
  assert.ok(again.has('timeout-me'), 'the ack timeout redelivered the unacked message')
  await c.close()
  await p.close()
})

void test('after maxRedeliverCount a message goes to the dead-letter topic (named, or {topic}-{subscription}-DLQ)', async () => {
  const topic = unique('ws-dlq')
  const dlq = unique('ws-dlq-target')
  const dead = await ws.consumer({ topic: dlq, subscription: 'd', subscriptionInitialPosition: 'Earliest' })
  const c = await ws.consumer({
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    maxRedeliverCount: 1,
    deadLetterTopic: full(dlq),
    negativeAckRedeliveryDelay: 100,
  })
  const p = await ws.producer({ topic })
  await p.send({ payload: 'poison', key: 'k', properties: { origin: 'test' } })
  for (let i = 0; i < 2; i++) c.nack(await next(c))
  const m = await next(dead, 20_000)
  assert.equal(m.text(), 'poison')
  assert.equal(m.properties.origin, 'test')
  assert.equal(await maybeNext(c, 1000), undefined, 'not delivered again on the original topic')
  const d2 = await ws.consumer({
    topic,
    subscription: 'other',
    subscriptionType: 'Shared',
    subscriptionInitialPosition: 'Earliest',
    maxRedeliverCount: 1,
    negativeAckRedeliveryDelay: 100,
  })
  for (let i = 0; i < 2; i++) d2.nack(await next(d2))
  const defaultDlq = await ws.reader({ topic: `${full(topic)}-other-DLQ`, startMessageId: 'earliest' })
  assert.equal((await next(defaultDlq, 20_000)).text(), 'poison')
  await Promise.all([dead, c, p, d2, defaultDlq].map((x) => x.close()))
})

void test('pull mode: nothing flows beyond the permits the reading side gave', async () => {
  const topic = unique('ws-pull')
  const p = await ws.producer({ topic })
  await p.send(Array.from({ length: 30 }, (_, i) => String(i)))
  const c = await ws.consumer({
    topic,
    subscription: 's',
    subscriptionInitialPosition: 'Earliest',
    pullMode: true,
    permits: 4,
  })
  await new Promise((r) => setTimeout(r, 500))
  c.pause()
  assert.equal(c.receiveNow(100).length, 4, 'only the 4 permitted messages arrived')
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(c.receiveNow(100).length, 0, 'paused: no permits, no messages')
  c.resume()
  const got: string[] = []
  for (let i = 0; i < 26; i++) {
    const m = await next(c)
    got.push(m.text())
    c.ack(m)
  }
  assert.deepEqual(
    got,
    Array.from({ length: 26 }, (_, i) => String(i + 4)),
  )
  await c.close()
  await p.close()
})

void test('an Exclusive consumer closed and re-opened at once is not refused by its own predecessor', async () => {
  // The server closes its side of a consumer after the WebSocket closed, asynchronously; the
  // client retries a 409 on a subscription it closed moments ago (seen once in CI without that).
  const topic = unique('ws-reopen')
  const p = await ws.producer({ topic })
  for (let i = 0; i < 15; i++) {
    const c = await ws.consumer({ topic, subscription: 'ex', subscriptionType: 'Exclusive' })
    await p.send(String(i))
    // Acks are asynchronous: an earlier message may come again before this one (at-least-once).
    for (let m = await next(c); ; m = await next(c)) {
      c.ack(m)
      if (m.text() === String(i)) break
    }
    await c.close()
  }
  await p.close()
})

void test('cumulative ack acks everything up to a message; Shared refuses it', async () => {
  const topic = unique('ws-cumulative')
  const p = await ws.producer({ topic })
  await p.send(['a', 'b', 'c', 'd'])
  const c = await ws.consumer({ topic, subscription: 's', subscriptionInitialPosition: 'Earliest' })
  const got = [await next(c), await next(c), await next(c), await next(c)]
  assert.equal(c.ackCumulative(got[2]!), 3)
  // Acks get no answer over the WebSocket API, and the broker moves the cursor asynchronously: a
  // consumer re-subscribing before it moved is sent 'a' again (at-least-once; seen once in CI).
  // The cursor is watched through the admin API instead: a backlog of 1 means a, b, c are acked.
  let backlog = -1
  for (let i = 0; i < 100 && backlog !== 1; i++) {
    backlog = await ws.admin.backlog(full(topic), 's')
    if (backlog !== 1) await new Promise((r) => setTimeout(r, 100))
  }
  assert.equal(backlog, 1, 'the cumulative ack left only d in the backlog')
  await c.close()
  const again = await ws.consumer({ topic, subscription: 's' })
  assert.equal((await next(again)).text(), 'd', 'only the message after the cumulative ack comes back')
  await again.close()
  const shared = await ws.consumer({
    topic,
    subscription: 'sh',
    subscriptionType: 'Shared',
    subscriptionInitialPosition: 'Earliest',
  })
  assert.throws(() => shared.ackCumulative(got[0]!), UnsupportedError)
  await shared.close()
  await p.close()
})

void test('isEndOfTopic is false on a live topic and true once it is terminated and drained', async () => {
  const topic = unique('ws-eot')
  const p = await ws.producer({ topic })
  await p.send('only')
  const c = await ws.consumer({ topic, subscription: 's', subscriptionInitialPosition: 'Earliest' })
  c.ack(await next(c))
  assert.equal(await within(c.isEndOfTopic(), 10_000, 'isEndOfTopic'), false)
  await ws.admin.terminateTopic(full(topic))
  let end = false
  for (let i = 0; i < 50 && !end; i++) {
    end = await within(c.isEndOfTopic(), 10_000, 'isEndOfTopic')
    if (!end) await new Promise((r) => setTimeout(r, 100))
  }
  assert.equal(end, true)
  const r = await ws.reader({ topic, startMessageId: 'earliest' })
  await next(r)
  let readerEnd = false
  for (let i = 0; i < 50 && !readerEnd; i++) {
    readerEnd = await within(r.isEndOfTopic(), 10_000, 'reader isEndOfTopic')
    if (!readerEnd) await new Promise((r) => setTimeout(r, 100))
  }
  assert.equal(readerEnd, true)
  await Promise.all([p, c, r].map((x) => x.close()))
})

void test('unsubscribe deletes the subscription on the broker', async () => {
  const topic = unique('ws-unsub')
  const c = await ws.consumer({ topic, subscription: 'gone' })
  assert.deepEqual(await ws.admin.listSubscriptions(full(topic)), ['gone'])
  await c.unsubscribe()
  for (let i = 0; i < 50; i++) {
    if ((await ws.admin.listSubscriptions(full(topic))).length === 0) return
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.fail('the subscription is still there')
})

void test('seek to a message id or a time replays from there', async () => {
  const topic = unique('ws-seek')
  const p = await ws.producer({ topic })
  await p.send(['0', '1', '2'])
  await new Promise((r) => setTimeout(r, 50))
  const cut = Date.now()
  await new Promise((r) => setTimeout(r, 50))
  await p.send(['3', '4'])
  const c = await ws.consumer({ topic, subscription: 's', subscriptionInitialPosition: 'Earliest' })
  const got = []
  for (let i = 0; i < 5; i++) {
    const m = await next(c)
    got.push(m)
    c.ack(m)
  }
  await c.seek(got[1]!)
  assert.deepEqual([(await next(c)).text(), (await next(c)).text()], ['1', '2'])
  await c.seek(new Date(cut))
  assert.equal((await next(c)).text(), '3')
  await c.seek(got[0]!.id.toString())
  assert.equal((await next(c)).text(), '0')
  await c.close()
  await p.close()
})

void test('readers start at earliest, latest, or after a message id (contract or base64 form)', async () => {
  const topic = unique('ws-reader')
  const p = await ws.producer({ topic })
  const receipts = await p.send(['a', 'b', 'c'])
  const earliest = await ws.reader({
    topic,
    startMessageId: 'earliest',
    readerName: 'morty',
    receiverQueueSize: 2,
  })
  assert.deepEqual(
    [(await next(earliest)).text(), (await next(earliest)).text(), (await next(earliest)).text()],
    ['a', 'b', 'c'],
  )
  const latest = await ws.reader({ topic, startMessageId: 'latest' })
  const afterA = await ws.reader({ topic, startMessageId: receipts[0]!.id.toString() })
  const afterB = await ws.reader({ topic, startMessageId: receipts[1]!.messageId })
  assert.equal((await next(afterA)).text(), 'b')
  assert.equal((await next(afterB)).text(), 'c')
  assert.equal(await maybeNext(latest, 500), undefined)
  await p.send('d')
  assert.equal((await next(latest)).text(), 'd')
  await Promise.all([p, earliest, latest, afterA, afterB].map((x) => x.close()))
})
