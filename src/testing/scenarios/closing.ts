// Closing: a producer closed with drop removes exactly its own pending messages (and reports how
// many); a producer closed mid-publish loses nothing it acknowledged and drains what it accepted;
// closing consumers, producers and the connection all at once neither hangs nor loses acked data;
// leaving a for-await loop over a consumer early closes it and gives its unacked batch back.

import assert from 'node:assert/strict'
import { ClosedError } from '../../core/errors.ts'
import {
  Deadline,
  expectedKeys,
  keysOf,
  missing,
  parse,
  payload,
  pumpUntilComplete,
  sleep,
  within,
  yieldToEventLoop,
} from '../harness.ts'
import type { Scenario } from '../harness.ts'
import type { ScenarioModule } from './types.ts'

async function dropRemovesExactlyPending(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 1)
  let acked = 0
  const dropper = await s.producer(broker, topic, { bufferSize: 1000, onAck: (n: number) => (acked += n) })
  const other = await s.producer(broker, topic)
  // Acknowledged before the close: never dropped.
  await within(
    dropper.send(Array.from({ length: 5 }, (_, i) => ({ value: payload(s.tag, 0, i) }))),
    s.waitMs,
    'send',
  )
  // Pending: accepted by trySend and closed with drop in the same turn.
  let accepted = 0
  for (let i = 5; i < 5 + s.count(200, 20); i++) {
    if (!dropper.trySend({ value: payload(s.tag, 0, i) })) break
    accepted++
  }
  const otherSending = other.send(Array.from({ length: 10 }, (_, i) => ({ value: payload(s.tag, 1, i) })))
  const dropped = await within(dropper.close({ drop: true }), s.waitMs, 'close({ drop: true })')
  await within(otherSending, s.waitMs, 'the other producer')
  assert.ok(dropped >= 0 && dropped <= accepted, `dropped ${dropped} of ${accepted} pending`)
  const delivered = 5 + accepted - dropped
  assert.equal(acked, delivered, `onAck reported ${acked}, but ${delivered} were not dropped`)
  const expected = new Set([
    ...expectedKeys(1, delivered),
    ...[...expectedKeys(2, 10)].filter((k) => k.startsWith('1|')),
  ])
  const reader = await s.consumer(broker, { topic, group: s.name('group') })
  const got = await pumpUntilComplete(s, [reader], expected, 'after close with drop', { ownTagOnly: s.tag })
  // Nothing beyond: the dropped ones are gone, and the other producer lost nothing.
  const extra = await reader.read(1500)
  const all = [...got.all, ...(extra !== null && extra !== 'done' ? extra.messages : [])]
  const fromDropper = new Set(
    all
      .map(parse)
      .filter((p) => p.producer === 0)
      .map((p) => p.seq),
  )
  assert.equal(
    fromDropper.size,
    delivered,
    `the topic holds ${fromDropper.size} of the closing producer's messages, expected ${delivered}`,
  )
  for (let i = 0; i < delivered; i++)
    assert.ok(fromDropper.has(i), `message ${i} (sent before the dropped ones) is there`)
  s.diagnostic(`accepted ${accepted} pending, dropped ${dropped}`)
}

async function closeMidPublish(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 2)
  const producer = await s.producer(broker, topic)
  const total = s.count(400, 20)
  const sends: Promise<unknown>[] = []
  const resolved = new Set<number>()
  const failures: unknown[] = []
  let closing: Promise<number> | null = null
  for (let i = 0; i < total; i++) {
    if (i === Math.floor(total / 2)) closing = producer.close()
    const p = producer.send({ key: `k${i % 3}`, value: payload(s.tag, 0, i) })
    sends.push(
      p.then(
        () => resolved.add(i),
        (error: unknown) => failures.push(error),
      ),
    )
    if (i % 50 === 0) await sleep(0)
  }
  const dropped = await within(closing!, s.waitMs, 'producer.close()')
  await within(Promise.all(sends), s.waitMs, 'every send to settle')
  assert.equal(dropped, 0, 'close() without drop drops nothing')
  for (const f of failures)
    assert.ok(f instanceof ClosedError, `a send after close fails with ClosedError, got ${String(f)}`)
  for (let i = 0; i < Math.floor(total / 2); i++) {
    assert.ok(resolved.has(i), `send ${i}, issued before close(), was drained and acknowledged`)
  }
  await assert.rejects(
    producer.send({ value: 'late' }),
    ClosedError,
    'send after close rejects with ClosedError',
  )
  const reader = await s.consumer(broker, { topic, group: s.name('group') })
  const expected = new Set([...resolved].map((i) => `0|${i}`))
  await pumpUntilComplete(s, [reader], expected, 'acknowledged sends after close', { ownTagOnly: s.tag })
}

async function concurrentClose(s: Scenario): Promise<void> {
  const keeper = await s.connect() // keeps the data reachable after the other connection closes
  const broker = await s.connect()
  const topic = await s.topic(keeper, 2)
  const producer = await s.producer(broker, topic)
  const readers = [
    await s.consumer(broker, { topic, group: s.name('group') }),
    await s.consumer(broker, { topic, group: s.name('group') }),
  ]
  const acked = new Set<number>()
  let stop = false
  const sending = (async () => {
    for (let i = 0; !stop; i++) {
      try {
        await producer.send({ value: payload(s.tag, 0, i) })
        acked.add(i)
        await yieldToEventLoop()
      } catch (error) {
        if (!(error instanceof ClosedError)) throw error
        return
      }
    }
  })()
  const reading = readers.map(async (reader) => {
    for (;;) {
      const batch = await reader.read(200)
      if (batch === 'done') return
      await yieldToEventLoop()
      if (batch === null) continue
      try {
        await batch.ack()
      } catch (error) {
        if (!(error instanceof ClosedError)) throw error
      }
    }
  })
  const deadline = new Deadline(s.waitMs)
  while (acked.size < s.count(50, 5) && !deadline.expired) await sleep(10)
  await within(
    Promise.all([
      readers[0]!.consumer.close(),
      readers[1]!.consumer.close(),
      producer.close(),
      broker.close(),
      readers[0]!.consumer.close(),
      broker.close(),
    ]),
    s.waitMs,
    'concurrent close of consumers, producer and connection',
  )
  stop = true
  await within(Promise.all([sending, ...reading]), s.waitMs, 'the loops to end after close')
  assert.ok(acked.size > 0, 'some sends were acknowledged before the close')
  const reader = await s.consumer(keeper, { topic, group: s.name('group') })
  const expected = new Set([...acked].map((i) => `0|${i}`))
  const got = await pumpUntilComplete(s, [reader], expected, 'acknowledged sends after concurrent close', {
    ownTagOnly: s.tag,
  })
  assert.deepEqual(missing(expected, keysOf(got.all)), [])
}

async function breakClosesAndGivesBack(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 1)
  const producer = await s.producer(broker, topic)
  const count = 3
  await within(
    producer.send(
      Array.from({ length: count }, (_, seq) => ({ key: 'same', value: payload(s.tag, 0, seq) })),
    ),
    s.waitMs,
    'send([...])',
  )
  const group = s.name('group')
  const consumer = await within(broker.consumer({ topic, group, from: 'earliest' }), s.waitMs, 'consumer()')
  let held = 0
  await within(
    (async () => {
      for await (const batch of consumer) {
        held = batch.messages.length
        break // neither acked nor nacked
      }
    })(),
    s.waitMs,
    'the first batch, then break',
  )
  assert.ok(held > 0, 'the loop saw a batch before breaking')
  // The loop's end closed the consumer: iterating it again ends at once.
  const again = await within(consumer[Symbol.asyncIterator]().next(), s.waitMs, 'next() after break')
  assert.equal(again.done, true, 'a consumer left by break is closed')
  // The batch it held goes back to the group: the group's next consumer gets every message.
  const next = await s.consumer(broker, { topic, group })
  await pumpUntilComplete(s, [next], expectedKeys(1, count), 'after break', { ownTagOnly: s.tag })
  s.diagnostic(`the batch held at break had ${held} of ${count} messages`)
}

export const closingScenarios: ScenarioModule = (caps) => [
  {
    name: 'close with drop removes exactly the producer’s pending messages',
    run: dropRemovesExactlyPending,
    notApplicable: caps.dropOnClose ? undefined : 'capabilities.dropOnClose is false',
  },
  { name: 'closing a producer mid-publish loses nothing acknowledged', run: closeMidPublish },
  { name: 'concurrent close', run: concurrentClose },
  {
    name: 'break out of for await closes the consumer and gives its unacked batch back',
    run: breakClosesAndGivesBack,
    notApplicable: caps.groups ? undefined : 'capabilities.groups is false',
  },
]
