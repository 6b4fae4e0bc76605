// Groups and order: two groups each receive everything while the members of one group split it;
// many consumers of a group run concurrently with producers; per-key order holds through the
// handler form `run({ concurrency, orderBy: 'key' })`.

import assert from 'node:assert/strict'
import type { Message, Producer } from '../../core/contract.ts'
import { Deadline, expectedKeys, parse, payload, pumpUntilComplete, sleep, within } from '../harness.ts'
import type { BatchReader, Scenario } from '../harness.ts'
import { produceNumbered } from './delivery.ts'
import type { ScenarioModule } from './types.ts'

async function twoGroupsSplit(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 4)
  const groupA = s.name('groupA')
  const groupB = s.name('groupB')
  const a1 = await s.consumer(broker, { topic, group: groupA })
  const a2 = await s.consumer(broker, { topic, group: groupA })
  const b = await s.consumer(broker, { topic, group: groupB })
  const producer = await s.producer(broker, topic)
  // Keep producing rounds until both members of A have received something (a network broker may
  // need a while to finish the rebalance), then check completeness for everything produced.
  let produced = 0
  const round = s.count(40, 8)
  const perMember = [0, 0]
  const readA = async (reader: BatchReader, index: number, sink: Message[], stop: () => boolean) => {
    while (!stop()) {
      const batch = await reader.read(200)
      if (batch === null) continue
      if (batch === 'done') throw new Error(`member ${index} of group A ended`)
      sink.push(...batch.messages)
      for (const m of batch.messages) seenA.add(`${parse(m).producer}|${parse(m).seq}`)
      perMember[index]! += batch.messages.length
      await within(batch.ack(), s.waitMs, 'ack()')
    }
  }
  const gotA: Message[] = []
  const seenA = new Set<string>()
  const deadline = new Deadline(s.waitMs)
  let stopA = false
  const readers = [readA(a1, 0, gotA, () => stopA), readA(a2, 1, gotA, () => stopA)]
  let readerResults: PromiseSettledResult<void>[] = []
  try {
    while (perMember[0] === 0 || perMember[1] === 0) {
      if (deadline.expired) {
        throw new Error(`group A members did not split the partitions: received ${perMember.join(' and ')}`)
      }
      await within(
        producer.send(
          Array.from({ length: round }, (_, i) => ({
            key: `key-${produced + i}`,
            value: payload(s.tag, 0, produced + i),
          })),
        ),
        s.waitMs,
        'send([...])',
      )
      produced += round
      const until = Date.now() + 1000
      while (Date.now() < until && (perMember[0] === 0 || perMember[1] === 0)) await sleep(20)
    }
    const expected = expectedKeys(1, produced)
    while (![...expected].every((k) => seenA.has(k))) {
      if (deadline.expired) throw new Error(`group A did not receive all ${produced} messages`)
      await sleep(50)
    }
  } finally {
    stopA = true
    readerResults = await Promise.allSettled(readers)
  }
  for (const result of readerResults) if (result.status === 'rejected') throw result.reason
  // Group B, reading on its own, receives every message as well.
  await pumpUntilComplete(s, [b], expectedKeys(1, produced), 'group B', { ownTagOnly: s.tag })
  s.diagnostic(`group A split ${perMember.join(' / ')} of ${produced}`)
}

async function concurrentConsumers(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 8)
  const group = s.name('group')
  const readers = []
  for (let c = 0; c < 4; c++) readers.push(await s.consumer(broker, { topic, group, maxBatch: 16 }))
  const producers: Producer[] = [await s.producer(broker, topic), await s.producer(broker, topic)]
  const per = s.count(300, 20)
  const sending = Promise.all(
    producers.map((p, i) => produceNumbered(s, p, i, per, { acks: i === 0, arraySize: 10 })),
  )
  const result = await pumpUntilComplete(s, readers, expectedKeys(2, per), 'concurrent consumers', {
    ownTagOnly: s.tag,
  })
  await sending
  s.diagnostic(`split between consumers: ${result.perReader.map((r) => r.length).join(' / ')}`)
}

async function perKeyOrder(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 4)
  const producer = await s.producer(broker, topic)
  const keys = 12
  const perKey = s.count(40, 5)
  const sent: { key: string; value: string }[] = []
  for (let i = 0; i < perKey; i++)
    for (let k = 0; k < keys; k++) sent.push({ key: `key-${k}`, value: `${s.tag}|${k}|${i}` })
  for (let i = 0; i < sent.length; i += 50) {
    await within(producer.send(sent.slice(i, i + 50)), s.waitMs, 'send([...])')
  }
  const consumer = await within(
    broker.consumer({ topic, group: s.name('group'), from: 'earliest' }),
    s.waitMs,
    'consumer()',
  )
  const lastSeq = new Map<number, number>()
  const violations: string[] = []
  let handled = 0
  let inFlight = 0
  let maxInFlight = 0
  const controller = new AbortController()
  const done = Promise.withResolvers<void>()
  const running = consumer.run({
    concurrency: 4,
    orderBy: 'key',
    signal: controller.signal,
    handle: async (message) => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const p = parse(message)
      if (p.tag !== s.tag) violations.push(`foreign message ${message.valueString()}`)
      const key = p.producer
      const previous = lastSeq.get(key)
      if (previous !== undefined && p.seq <= previous)
        violations.push(`key ${key}: ${p.seq} after ${previous}`)
      lastSeq.set(key, p.seq)
      await sleep(p.seq % 3) // let lanes interleave
      inFlight--
      if (++handled === sent.length) done.resolve()
    },
  })
  try {
    await within(done.promise, s.waitMs, `all ${sent.length} messages handled (got ${handled})`)
  } finally {
    controller.abort()
    await within(running, s.waitMs, 'run() to stop after abort')
  }
  assert.deepEqual(violations, [], 'per-key order')
  assert.ok(maxInFlight <= 4, `concurrency bound 4, saw ${maxInFlight}`)
  s.diagnostic(`handled ${handled}, at most ${maxInFlight} at once`)
}

export const groupScenarios: ScenarioModule = (caps) => [
  {
    name: 'two groups each get everything and members of one group split it',
    run: twoGroupsSplit,
    notApplicable: caps.groups ? undefined : 'capabilities.groups is false',
  },
  {
    name: 'concurrent consumers of one group with concurrent producers',
    run: concurrentConsumers,
  },
  {
    name: 'per-key order through run({ concurrency, orderBy: "key" })',
    run: perKeyOrder,
    notApplicable: caps.ordering === 'none' ? 'capabilities.ordering is none' : undefined,
  },
]
