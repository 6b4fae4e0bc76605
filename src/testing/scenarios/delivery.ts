// Delivery: what goes in comes out — byte for byte, from any number of producers to any number of
// consumers, with and without producer acks, in complete and size-limited batches (libbeat's
// brokertest matrix), across isolated topics, and with randomized sizes from the suite seed.

import assert from 'node:assert/strict'
import type { Capabilities, MessageInput, Producer } from '../../core/contract.ts'
import { checkOrder, expectedKeys, payload, pumpUntilComplete, within } from '../harness.ts'
import type { Scenario } from '../harness.ts'
import type { ScenarioDefinition, ScenarioModule } from './types.ts'

type Ordering = Capabilities['ordering']

/** Sends `count` messages `<tag>|<producer>|<seq>` keyed over a few keys, in the chosen style. */
export async function produceNumbered(
  s: Scenario,
  producer: Producer,
  index: number,
  count: number,
  style: { acks: boolean; arraySize: number },
): Promise<void> {
  const message = (seq: number): MessageInput => ({ key: `k${seq % 29}`, value: payload(s.tag, index, seq) })
  if (style.acks) {
    for (let seq = 0; seq < count;) {
      const n = Math.min(style.arraySize, count - seq)
      if (n === 1) {
        const result = await within(producer.send(message(seq)), s.waitMs, 'send()')
        assert.equal(typeof result.id, 'string', 'send() resolves with a SendResult carrying an id')
      } else {
        const batch = Array.from({ length: n }, (_, i) => message(seq + i))
        const results = await within(producer.send(batch), s.waitMs, 'send([...])')
        assert.equal(results.length, n, 'send([...]) resolves with one result per message')
      }
      seq += n
    }
  } else {
    // Fire and forget: trySend while there is room, fall back to a waiting send when full.
    const waits: Promise<unknown>[] = []
    for (let seq = 0; seq < count; seq++) {
      if (!producer.trySend(message(seq))) waits.push(producer.send(message(seq)))
    }
    await within(Promise.all(waits), s.waitMs, 'sends after a full buffer')
    await within(producer.flush(), s.waitMs, 'flush()')
  }
}

async function producersByConsumers(
  s: Scenario,
  ordering: Ordering,
  producers: number,
  consumers: number,
  acks: boolean,
  limited: boolean,
): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, Math.max(2, consumers * 2))
  const group = s.name('group')
  const maxBatch = limited ? 7 : undefined
  const readers = []
  for (let c = 0; c < consumers; c++) readers.push(await s.consumer(broker, { topic, group, maxBatch }))
  const perProducer = s.count(150, 10)
  let acked = 0
  const list: Producer[] = []
  for (let p = 0; p < producers; p++) {
    list.push(await s.producer(broker, topic, acks ? { onAck: (n: number) => (acked += n) } : {}))
  }
  const sending = Promise.all(
    list.map((producer, p) =>
      produceNumbered(s, producer, p, perProducer, { acks, arraySize: 1 + (p % 3) * 5 }),
    ),
  )
  const result = await pumpUntilComplete(s, readers, expectedKeys(producers, perProducer), 'consume', {
    ownTagOnly: s.tag,
  })
  await sending
  if (acks) assert.equal(acked, producers * perProducer, 'onAck counts add up to every message sent')
  if (limited) assert.ok(result.largestBatch <= 7, `batches respect maxBatch 7, saw ${result.largestBatch}`)
  const order = checkOrder(result, ordering)
  assert.equal(order, null, `${ordering} order: ${order}`)
  if (consumers === 1) {
    assert.equal(
      result.all.length,
      producers * perProducer,
      'a single consumer without failures gets no duplicates',
    )
  }
}

async function pubSubKeepsEverything(s: Scenario, nullValues: boolean): Promise<void> {
  const broker = await s.connect()
  const topic = await s.topic(broker, 1)
  const producer = await s.producer(broker, topic)
  const binary = Uint8Array.from({ length: 256 }, (_, i) => i)
  const sent: MessageInput[] = [
    { key: 'clé-ü-🔑', value: binary, headers: { 'x-trace': 'abc-ü', empty: '' } },
    { value: `${s.tag}|text|ünïcødé ✓` },
    { key: new Uint8Array([0, 255, 1]), value: '' },
    ...(nullValues ? [{ key: 'tombstone', value: null }] : []),
  ]
  for (const m of sent) {
    const result = await within(producer.send(m), s.waitMs, 'send()')
    assert.equal(result.topic, topic)
    assert.ok(typeof result.id === 'string' && result.id.length > 0, 'SendResult.id is a non-empty string')
  }
  const reader = await s.consumer(broker, { topic, group: s.name('group') })
  const received = await s.consumeUntil(reader, (r) => r.length >= sent.length, { what: 'pub-sub' })
  assert.equal(received.length, sent.length)
  const [a, b, c] = received
  assert.deepEqual(a!.key && [...a!.key], [...new TextEncoder().encode('clé-ü-🔑')])
  assert.equal(a!.keyString(), 'clé-ü-🔑')
  assert.deepEqual(a!.value && [...a!.value], [...binary], 'binary payload kept byte for byte')
  assert.equal(a!.headers['x-trace'], 'abc-ü')
  assert.equal(a!.headers.empty, '')
  assert.equal(b!.valueString(), `${s.tag}|text|ünïcødé ✓`)
  assert.equal(b!.key, null, 'a message sent without a key arrives without one')
  assert.deepEqual(c!.key && [...c!.key], [0, 255, 1])
  assert.equal(c!.valueString(), '', 'an empty value stays empty')
  if (nullValues) assert.equal(received[3]!.value, null, 'a null value stays null')
  for (const m of received) {
    assert.equal(m.topic, topic)
    assert.ok(Number.isInteger(m.partition) && m.partition >= 0)
    assert.ok(Number.isFinite(m.timestamp) && m.timestamp > 0, 'timestamp is milliseconds since the epoch')
    assert.ok(typeof m.id === 'string' && m.id.length > 0)
    assert.equal(m.redeliveryCount, 0, 'first delivery has redeliveryCount 0')
  }
}

async function manyTopicsIsolated(s: Scenario): Promise<void> {
  const broker = await s.connect()
  const topics: string[] = []
  for (let i = 0; i < 5; i++) topics.push(await s.topic(broker, 1 + (i % 2), `iso${i}`))
  const per = s.count(30, 3)
  await Promise.all(
    topics.map(async (topic, i) => {
      const producer = await s.producer(broker, topic)
      await within(
        producer.send(Array.from({ length: per }, (_, seq) => ({ value: payload(s.tag, i, seq) }))),
        s.waitMs,
        'send([...])',
      )
    }),
  )
  for (let i = 0; i < topics.length; i++) {
    const reader = await s.consumer(broker, { topic: topics[i]!, group: s.name('group') })
    const got = await pumpUntilComplete(s, [reader], keysFor(i, per), `topic ${i}`, { ownTagOnly: s.tag })
    for (const m of got.all) {
      assert.equal(m.topic, topics[i], 'a consumer receives only its own topic')
      assert.ok(m.valueString()!.startsWith(`${s.tag}|${i}|`), `topic ${i} got ${m.valueString()}`)
    }
  }
  // One consumer reading two topics receives both, each message labelled with its topic.
  const both = await s.consumer(broker, { topic: [topics[0]!, topics[1]!], group: s.name('group') })
  const expected = new Set([...keysFor(0, per), ...keysFor(1, per)])
  const got = await pumpUntilComplete(s, [both], expected, 'two-topic consumer', { ownTagOnly: s.tag })
  for (const m of got.all) {
    const producer = Number(m.valueString()!.split('|')[1])
    assert.equal(m.topic, topics[producer], 'message.topic names the topic it came from')
  }
}

function keysFor(producer: number, count: number): Set<string> {
  const out = new Set<string>()
  for (let i = 0; i < count; i++) out.add(`${producer}|${i}`)
  return out
}

async function randomized(s: Scenario, ordering: Ordering): Promise<void> {
  const rounds = 3
  for (let round = 0; round < rounds; round++) {
    const r = s.random
    const producers = r.int(1, 3)
    const consumers = r.int(1, 3)
    const partitions = r.int(1, 4)
    const perProducer = r.int(1, s.count(300, 5))
    const maxBatch = r.int(1, 64)
    const bufferSize = r.int(1, 64)
    const arraySize = r.int(1, 20)
    const acks = r.next() < 0.5
    s.diagnostic(
      `round ${round}: producers=${producers} consumers=${consumers} partitions=${partitions} messages/producer=${perProducer} ` +
        `maxBatch=${maxBatch} bufferSize=${bufferSize} arraySize=${arraySize} acks=${acks}`,
    )
    const broker = await s.connect()
    const topic = await s.topic(broker, partitions)
    const group = s.name('group')
    const readers = []
    for (let c = 0; c < consumers; c++) readers.push(await s.consumer(broker, { topic, group, maxBatch }))
    const list: Producer[] = []
    for (let p = 0; p < producers; p++) list.push(await s.producer(broker, topic, { bufferSize }))
    const sending = Promise.all(
      list.map((producer, p) => produceNumbered(s, producer, p, perProducer, { acks, arraySize })),
    )
    const result = await pumpUntilComplete(
      s,
      readers,
      expectedKeys(producers, perProducer),
      `round ${round}`,
      {
        ownTagOnly: s.tag,
      },
    )
    await sending
    assert.ok(
      result.largestBatch <= maxBatch,
      `round ${round}: batch of ${result.largestBatch} exceeds maxBatch ${maxBatch}`,
    )
    const order = checkOrder(result, ordering)
    assert.equal(order, null, `round ${round}: ${ordering} order: ${order}`)
  }
}

export const deliveryScenarios: ScenarioModule = (caps) => {
  const list: ScenarioDefinition[] = [
    {
      name: 'publish-subscribe keeps payload, key and headers',
      run: (s) => pubSubKeepsEverything(s, caps.nullValues),
    },
    { name: 'many topics are isolated', run: manyTopicsIsolated },
    {
      name: 'randomized message counts, batch sizes and buffer sizes',
      run: (s) => randomized(s, caps.ordering),
    },
  ]
  for (const [p, c] of [
    [1, 1],
    [2, 1],
    [1, 2],
    [3, 2],
  ] as const) {
    for (const acks of [true, false]) {
      for (const limited of [false, true]) {
        list.push({
          name: `${p} producer(s) × ${c} consumer(s), ${acks ? 'with' : 'without'} acks, ${limited ? 'limited' : 'complete'} batches`,
          run: (s) => producersByConsumers(s, caps.ordering, p, c, acks, limited),
        })
      }
    }
  }
  return list
}
