// Acknowledgement: nack redelivers; nothing of a partition is handed out again before its batch
// is acked where ordering is guaranteed; an unacked batch survives its consumer closing, a
// consumer that only nacks, an ack timeout; after maxRedeliveries a message goes to dead letter.

import assert from 'node:assert/strict'
import type { Message } from '../../core/contract.ts'
import { Deadline, expectedKeys, keysOf, payload, pumpUntilComplete, within } from '../harness.ts'
import type { Scenario } from '../harness.ts'
import type { ScenarioModule } from './types.ts'

async function sendNumbered(
  s: Scenario,
  topic: string,
  count: number,
  broker: Awaited<ReturnType<Scenario['connect']>>,
) {
  const producer = await s.producer(broker, topic)
  await within(
    producer.send(
      Array.from({ length: count }, (_, seq) => ({ key: `k${seq % 5}`, value: payload(s.tag, 0, seq) })),
    ),
    s.waitMs,
    'send([...])',
  )
  return producer
}

async function nackRedelivers(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 1)
  await sendNumbered(s, topic, 3, broker)
  const reader = await s.consumer(broker, { topic, group: s.name('group') })
  const first = await s.consumeUntil(reader, (r) => r.length > 0, { mode: 'nack', what: 'first delivery' })
  const firstValues = first.map((m) => m.valueString())
  const again = await s.consumeUntil(
    reader,
    (r) => firstValues.every((v) => r.some((m) => m.valueString() === v)),
    {
      what: 'redelivery after nack',
    },
  )
  const redelivered = again.filter((m) => firstValues.includes(m.valueString()))
  s.diagnostic(`redeliveryCount after one nack: ${redelivered.map((m) => m.redeliveryCount).join(', ')}`)
  // Everything arrives once acked; the batch acked above already covers part of it.
  const rest = new Set([...expectedKeys(1, 3)].filter((k) => !keysOf(again).has(k)))
  if (rest.size > 0) await pumpUntilComplete(s, [reader], rest, 'after redelivery', { ownTagOnly: s.tag })
}

async function noSecondBeforeAck(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 1)
  // One partition and one key, so the guarantee applies whether ordering is per partition or per key.
  const producer = await s.producer(broker, topic)
  await within(
    producer.send([
      { key: 'same', value: payload(s.tag, 0, 0) },
      { key: 'same', value: payload(s.tag, 0, 1) },
    ]),
    s.waitMs,
    'send([...])',
  )
  const reader = await s.consumer(broker, { topic, group: s.name('group'), maxBatch: 1 })
  const deadline = new Deadline(s.waitMs)
  let first = await reader.read(deadline.remaining)
  if (first === null || first === 'done') throw new Error('no first batch within the deadline')
  assert.equal(first.messages.length, 1, 'maxBatch 1 gives one message')
  assert.equal(first.messages[0]!.valueString(), payload(s.tag, 0, 0))
  await s.expectNothing(reader, 1500, 'a second message of the partition arrived before the first was acked')
  await within(first.ack(), s.waitMs, 'ack()')
  first = await reader.read(s.waitMs)
  if (first === null || first === 'done') throw new Error('the second message did not arrive after the ack')
  assert.equal(first.messages[0]!.valueString(), payload(s.tag, 0, 1))
  await within(first.ack(), s.waitMs, 'ack()')
}

async function recreateLosesNothing(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 2)
  const total = s.count(100, 10)
  await sendNumbered(s, topic, total, broker)
  const group = s.name('group')
  const a = await s.consumer(broker, { topic, group, maxBatch: 10 })
  const acked: Message[] = []
  await s.consumeUntil(a, () => acked.length >= total / 2, {
    what: 'first consumer',
    onBatch: (b) => void acked.push(...b.messages),
  })
  // One more batch taken and never acked: it must come back to the next consumer.
  const unacked = await a.read(s.waitMs)
  await within(a.consumer.close(), s.waitMs, 'consumer.close()')
  const b = await s.consumer(broker, { topic, group })
  const ackedKeys = keysOf(acked)
  const notAcked = new Set([...expectedKeys(1, total)].filter((k) => !ackedKeys.has(k)))
  await pumpUntilComplete(s, [b], notAcked, 'second consumer', { ownTagOnly: s.tag })
  if (unacked !== null && unacked !== 'done')
    s.diagnostic(`${unacked.messages.length} unacked messages were redelivered`)
}

async function onlyNacksLosesNothing(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 2)
  const total = s.count(50, 5)
  await sendNumbered(s, topic, total, broker)
  const group = s.name('group')
  const a = await s.consumer(broker, { topic, group })
  let nacked = 0
  await s.consumeUntil(a, () => nacked >= 3, {
    mode: 'nack',
    what: 'nacking consumer',
    onBatch: () => void nacked++,
  })
  await within(a.consumer.close(), s.waitMs, 'consumer.close()')
  const b = await s.consumer(broker, { topic, group })
  await pumpUntilComplete(s, [b], expectedKeys(1, total), 'consumer after the nacking one', {
    ownTagOnly: s.tag,
  })
}

async function ackTimeoutRedelivers(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 1)
  await sendNumbered(s, topic, 2, broker)
  const reader = await s.consumer(broker, { topic, group: s.name('group'), ackTimeoutMs: 1000 })
  const first = await s.consumeUntil(reader, (r) => r.length > 0, { mode: 'none', what: 'first delivery' })
  const value = first[0]!.valueString()
  // Not acked: after the timeout the same message must come again.
  await s.consumeUntil(reader, (r) => r.some((m) => m.valueString() === value), {
    mode: 'ack',
    what: 'redelivery after the ack timeout',
  })
}

async function deadLetter(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 1)
  const dlq = await s.topic(broker, 1, 'dlq')
  await sendNumbered(s, topic, 1, broker)
  const reader = await s.consumer(broker, {
    topic,
    group: s.name('group'),
    maxRedeliveries: 1,
    deadLetterTopic: dlq,
  })
  const deliveries = await s.consumeUntil(reader, (r) => r.length >= 2, {
    mode: 'nack',
    what: 'deliveries before dead letter',
  })
  assert.ok(deliveries.every((m) => m.valueString() === payload(s.tag, 0, 0)))
  await s.expectNothing(reader, 1500, 'the message was delivered again after maxRedeliveries')
  const dead = await s.consumer(broker, { topic: dlq, group: s.name('group') })
  const got = await s.consumeUntil(dead, (r) => r.length >= 1, { what: 'dead-letter topic' })
  assert.equal(got[0]!.valueString(), payload(s.tag, 0, 0), 'the dead-letter topic holds the message')
}

export const acknowledgementScenarios: ScenarioModule = (caps) => [
  {
    name: 'nack redelivers',
    run: nackRedelivers,
    notApplicable: caps.nack ? undefined : 'capabilities.nack is false',
  },
  {
    name: 'no second message before the first is acked',
    run: noSecondBeforeAck,
    notApplicable: caps.ordering === 'none' ? 'capabilities.ordering is none' : undefined,
  },
  { name: 'closing and re-creating a consumer loses nothing', run: recreateLosesNothing },
  {
    name: 'a consumer that only nacks loses nothing for the next one',
    run: onlyNacksLosesNothing,
    notApplicable: caps.nack ? undefined : 'capabilities.nack is false',
  },
  {
    name: 'an ack timeout redelivers',
    run: ackTimeoutRedelivers,
    notApplicable: caps.ackTimeout ? undefined : 'capabilities.ackTimeout is false',
  },
  {
    name: 'after maxRedeliveries a message goes to the dead-letter topic',
    run: deadLetter,
    notApplicable: caps.deadLetter ? undefined : 'capabilities.deadLetter is false',
  },
]
