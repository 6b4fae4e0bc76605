// Readers on partitioned topics: a specific start message id names one partition, so it positions
// that partition only; the other partitions start at `otherPartitions` (earliest by default).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { PulsarAdmin, PulsarProducer, PulsarReader, createClient } from '../../../src/pulsar/index.ts'
import type { MessageId, PulsarClient, PulsarReader as Reader } from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { next, unique } from './helpers.ts'

let client: PulsarClient
let admin: PulsarAdmin

before(async () => {
  const b = await useBroker('pulsar')
  client = await createClient(b.url)
  admin = new PulsarAdmin({ url: b.urls.admin! })
})
after(() => client.close())

const PARTITIONS = 3
const PER_PARTITION = 4

/** Values p<partition>-<i>; returns the ids by partition. */
async function fill(topic: string, batching: boolean): Promise<MessageId[][]> {
  await admin.createPartitionedTopic(topic, PARTITIONS)
  const p = await PulsarProducer.create(client, { topic, batching })
  const ids: MessageId[][] = []
  for (let part = 0; part < PARTITIONS; part++) {
    ids.push(
      await Promise.all(
        Array.from({ length: PER_PARTITION }, (_, i) => p.send({ value: `p${part}-${i}`, partition: part })),
      ),
    )
  }
  await p.close()
  return ids
}

/**
 * What the reader delivers: `expected` messages (waiting up to 20 s in all, the shared broker can
 * be slow), then anything more that comes within a quiet second. Sorted.
 */
async function readAll(r: Reader, expected: number): Promise<string[]> {
  const got: string[] = []
  const deadline = Date.now() + 20_000
  for (;;) {
    const wait = got.length < expected ? Math.max(1, deadline - Date.now()) : 1500
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(), wait)
    try {
      const m = await r.readNext(ac.signal)
      if (!m) return got.sort()
      got.push(m.valueString() ?? '')
    } finally {
      clearTimeout(timer)
    }
  }
}

function newestLedger(ids: MessageId[][]): number {
  return ids.reduce((best, row, i) => (row[0]!.ledgerId > ids[best]![0]!.ledgerId ? i : best), 0)
}

function oldestLedger(ids: MessageId[][]): number {
  return ids.reduce((best, row, i) => (row[0]!.ledgerId < ids[best]![0]!.ledgerId ? i : best), 0)
}

const all = (part: number, from = 0): string[] =>
  Array.from({ length: PER_PARTITION - from }, (_, i) => `p${part}-${i + from}`)

void test('a start id applies to its own partition; the others start at earliest (default)', async () => {
  for (const batching of [false, true]) {
    const topic = unique(`rp-${batching}`)
    const ids = await fill(topic, batching)
    // The partition with the newest ledger: its id, wrongly applied to another partition, would
    // lie past that partition's end and hide everything on it.
    const part = newestLedger(ids)
    const start = ids[part]![1]!
    assert.equal(start.partition, part)
    const expect = (from: number): string[] =>
      Array.from({ length: PARTITIONS }, (_, q) => all(q, q === part ? from : 0))
        .flat()
        .sort()
    const exclusive = await PulsarReader.create(client, { topic, startMessageId: start })
    assert.deepEqual(await readAll(exclusive, expect(2).length), expect(2), `batching ${batching}`)
    await exclusive.close()
    const inclusive = await PulsarReader.create(client, {
      topic,
      startMessageId: start.toBytes(),
      startMessageIdInclusive: true,
    })
    assert.deepEqual(await readAll(inclusive, expect(1).length), expect(1), `batching ${batching}`)
    await inclusive.close()
  }
})

void test('with otherPartitions latest the other partitions deliver only what comes next', async () => {
  const topic = unique('rp-latest')
  const ids = await fill(topic, false)
  // The partition with the oldest ledger: its id, wrongly applied to another partition, would lie
  // before that partition's start and replay everything on it.
  const part = oldestLedger(ids)
  const other = (part + 1) % PARTITIONS
  const r = await PulsarReader.create(client, {
    topic,
    startMessageId: ids[part]![0]!,
    otherPartitions: 'latest',
  })
  assert.deepEqual(await readAll(r, PER_PARTITION - 1), all(part, 1))
  const p = await PulsarProducer.create(client, { topic, batching: false })
  await p.send({ value: 'later-a', partition: other })
  await p.send({ value: 'later-b', partition: part })
  const later = [(await next(r)).valueString(), (await next(r)).valueString()].sort()
  assert.deepEqual(later, ['later-a', 'later-b'])
  await p.close()
  await r.close()
})
