// Bounds of chunked-message reassembly against the real broker: at most maxPendingChunkedMessage
// incomplete messages (the oldest is dropped, acknowledged only with
// autoAckOldestChunkedMessageOnQueueFull), incomplete ones expire after
// expireTimeOfIncompleteChunkedMessageMs (acknowledged), and every drop is published on
// `conduit:pulsar:chunk:dropped`. The chunks are written by hand to interleave on demand.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { PulsarAdmin, PulsarConsumer, createClient } from '../../../src/pulsar/index.ts'
import type { PulsarClient, PulsarConsumerOptions } from '../../../src/pulsar/index.ts'
import { chunkDropped } from '../../../src/pulsar/consumer/chunks.ts'
import type { ChunkDroppedEvent } from '../../../src/pulsar/consumer/chunks.ts'
import { useBroker } from '../../support/brokers.ts'
import { maybeNext, next, unique } from './helpers.ts'
import { rawChunkProducer } from './raw-chunks.ts'

let client: PulsarClient
let admin: PulsarAdmin

before(async () => {
  const b = await useBroker('pulsar')
  client = await createClient(b.url)
  admin = new PulsarAdmin({ url: b.urls.admin! })
})
after(() => client.close())

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The drops published for `topic` while `body` runs. */
async function watchingDrops(
  topic: string,
  body: (drops: ChunkDroppedEvent[]) => Promise<void>,
): Promise<void> {
  const drops: ChunkDroppedEvent[] = []
  const onDrop = (e: ChunkDroppedEvent): void => {
    if (e.topic === topic) drops.push(e)
  }
  chunkDropped.subscribe(onDrop)
  try {
    await body(drops)
  } finally {
    chunkDropped.unsubscribe(onDrop)
  }
}

const A = ['a0-', 'a1']
const B = ['b0-', 'b1']

/** Chunks of A and B interleaved as two producers would: A0 B0 A1 B1. */
async function interleaved(topic: string): Promise<void> {
  const raw = await rawChunkProducer(client, topic)
  await raw.sendChunk('A', 1n, 0, A)
  await raw.sendChunk('B', 2n, 0, B)
  await raw.sendChunk('A', 1n, 1, A)
  await raw.sendChunk('B', 2n, 1, B)
  await raw.close()
}

async function consumer(topic: string, opts: Partial<PulsarConsumerOptions>): Promise<PulsarConsumer> {
  return PulsarConsumer.create(client, { topic, subscription: 's', initialPosition: 'earliest', ...opts })
}

void test('interleaved chunks within maxPendingChunkedMessage: both messages complete, nothing dropped', async () => {
  const topic = `persistent://public/default/${unique('chunk-ok')}`
  await watchingDrops(topic, async (drops) => {
    const c = await consumer(topic, {}) // default limit 10
    await interleaved(topic)
    const got = [(await next(c)).valueString(), (await next(c)).valueString()].sort()
    assert.deepEqual(got, ['a0-a1', 'b0-b1'])
    assert.deepEqual(drops, [])
    await c.close()
  })
})

void test('maxPendingChunkedMessage 1: the oldest incomplete message is dropped, reported and left unacknowledged', async () => {
  const topic = `persistent://public/default/${unique('chunk-full')}`
  await watchingDrops(topic, async (drops) => {
    const c = await consumer(topic, { maxPendingChunkedMessage: 1 })
    await interleaved(topic)
    const m = await next(c)
    assert.equal(m.valueString(), 'b0-b1')
    await c.acknowledge(m)
    assert.equal(await maybeNext(c, 500), undefined, 'A never completes')
    assert.deepEqual(
      drops.map((d) => [d.reason, d.uuid, d.ids.length, d.acknowledge, d.subscription]),
      [
        ['queue-full', 'A', 1, false, 's'],
        ['out-of-order', 'A', 1, false, 's'],
      ],
    )
    // B's two chunks are acknowledged; A's two stay in the backlog for redelivery.
    await until('backlog of 2', async () => (await admin.backlog(topic, 's')) === 2)
    await c.close()
  })
})

void test('autoAckOldestChunkedMessageOnQueueFull: the dropped oldest message is acknowledged', async () => {
  const topic = `persistent://public/default/${unique('chunk-autoack')}`
  await watchingDrops(topic, async (drops) => {
    const c = await consumer(topic, {
      maxPendingChunkedMessage: 1,
      autoAckOldestChunkedMessageOnQueueFull: true,
    })
    await interleaved(topic)
    const m = await next(c)
    assert.equal(m.valueString(), 'b0-b1')
    await c.acknowledge(m)
    assert.deepEqual(
      drops.map((d) => [d.reason, d.acknowledge]),
      [
        ['queue-full', true],
        ['out-of-order', false],
      ],
    )
    // A0 acknowledged with B: only the stray A1 is left.
    await until('backlog of 1', async () => (await admin.backlog(topic, 's')) === 1)
    await c.close()
  })
})

void test('an incomplete chunked message expires after expireTimeOfIncompleteChunkedMessageMs, reported and acknowledged', async () => {
  const topic = `persistent://public/default/${unique('chunk-expire')}`
  await watchingDrops(topic, async (drops) => {
    const c = await consumer(topic, { expireTimeOfIncompleteChunkedMessageMs: 300 })
    const raw = await rawChunkProducer(client, topic)
    await raw.sendChunk('A', 1n, 0, A) // its producer "dies": A1 never comes
    await until('the expiry', () => drops.length > 0, 5000)
    assert.deepEqual(
      drops.map((d) => [d.reason, d.uuid, d.ids.length, d.acknowledge]),
      [['expired', 'A', 1, true]],
    )
    await until('backlog of 0', async () => (await admin.backlog(topic, 's')) === 0)
    // The consumer still reassembles what comes next.
    await raw.sendChunk('C', 2n, 0, ['c0-', 'c1'])
    await raw.sendChunk('C', 2n, 1, ['c0-', 'c1'])
    assert.equal((await next(c)).valueString(), 'c0-c1')
    await raw.close()
    await c.close()
  })
})
