// History: a consumer that starts late replays what was retained (from 'earliest' or from a
// time), and seek() to a received message id replays from there.

import assert from 'node:assert/strict'
import { expectedKeys, payload, pumpUntilComplete, sleep, within } from '../harness.ts'
import type { Scenario } from '../harness.ts'
import type { ScenarioModule } from './types.ts'

async function lateConsumerReplays(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 3)
  const producer = await s.producer(broker, topic)
  const total = s.count(120, 10)
  await within(
    producer.send(Array.from({ length: total }, (_, i) => ({ key: `k${i}`, value: payload(s.tag, 0, i) }))),
    s.waitMs,
    'send([...])',
  )
  // A first group consumes everything; a second one, created afterwards, still gets it all.
  const first = await s.consumer(broker, { topic, group: s.name('group') })
  await pumpUntilComplete(s, [first], expectedKeys(1, total), 'first group', { ownTagOnly: s.tag })
  const late = await s.consumer(broker, { topic, group: s.name('late'), from: 'earliest' })
  await pumpUntilComplete(s, [late], expectedKeys(1, total), 'late group from earliest', {
    ownTagOnly: s.tag,
  })
}

async function fromTimestamp(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 1)
  const producer = await s.producer(broker, topic)
  await within(
    producer.send([{ value: payload(s.tag, 0, 0) }, { value: payload(s.tag, 0, 1) }]),
    s.waitMs,
    'send',
  )
  await sleep(100)
  const cut = new Date()
  await sleep(100)
  await within(
    producer.send([{ value: payload(s.tag, 1, 0) }, { value: payload(s.tag, 1, 1) }]),
    s.waitMs,
    'send',
  )
  const reader = await s.consumer(broker, { topic, group: s.name('group'), from: cut })
  const got = await pumpUntilComplete(s, [reader], new Set(['1|0', '1|1']), 'from a Date', {
    ownTagOnly: s.tag,
  })
  for (const m of got.all)
    assert.ok(!m.valueString()!.includes('|0|'), `from: Date delivered an older message ${m.valueString()}`)
}

async function seekReplays(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 1)
  const producer = await s.producer(broker, topic)
  await within(
    producer.send(Array.from({ length: 10 }, (_, i) => ({ value: payload(s.tag, 0, i) }))),
    s.waitMs,
    'send([...])',
  )
  const reader = await s.consumer(broker, { topic, group: s.name('group') })
  const got = await pumpUntilComplete(s, [reader], expectedKeys(1, 10), 'first pass', { ownTagOnly: s.tag })
  const target = got.all.find((m) => m.valueString() === payload(s.tag, 0, 4))!
  await within(reader.consumer.seek(target.id), s.waitMs, 'seek()')
  const again = await s.consumeUntil(reader, (r) => r.some((m) => m.valueString() === payload(s.tag, 0, 9)), {
    what: 'replay after seek',
  })
  assert.equal(again[0]!.valueString(), payload(s.tag, 0, 4), 'the replay starts at the sought message')
  assert.deepEqual(
    again.map((m) => m.valueString()),
    [4, 5, 6, 7, 8, 9].map((i) => payload(s.tag, 0, i)),
  )
}

export const historyScenarios: ScenarioModule = (caps) => [
  {
    name: 'a late consumer replays history',
    run: lateConsumerReplays,
    notApplicable: caps.history ? undefined : 'capabilities.history is false',
  },
  {
    name: 'from: Date starts at the first message at or after that time',
    run: fromTimestamp,
    notApplicable: caps.history ? undefined : 'capabilities.history is false',
  },
  {
    name: 'seek to a received message id replays from it',
    run: seekReplays,
    notApplicable: caps.seek ? undefined : 'capabilities.seek is false',
  },
]
