// memory:'s default retention bound (issue 14, finding 11), and what a group behind it sees: a
// reset by its consumer's `from` policy, published on `conduit:consumer:offset-reset`.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Batch, Consumer } from '../../src/core/contract.ts'
import { channels } from '../../src/core/diagnostics.ts'
import type { OffsetResetEvent } from '../../src/core/diagnostics.ts'
import { DEFAULT_MEMORY_RETENTION_BYTES, parseMemoryUrl } from '../../src/memory/config.ts'
import { memoryDriver } from '../../src/memory/index.ts'

async function first(consumer: Consumer): Promise<Batch> {
  const result = await consumer[Symbol.asyncIterator]().next()
  assert.ok(!result.done)
  return result.value
}

/** Collects offset-reset events while `fn` runs. */
async function resets(fn: () => Promise<void>): Promise<OffsetResetEvent[]> {
  const seen: OffsetResetEvent[] = []
  const listener = (event: OffsetResetEvent) => void seen.push(event)
  channels.offsetReset.subscribe(listener)
  try {
    await fn()
  } finally {
    channels.offsetReset.unsubscribe(listener)
  }
  return seen
}

void test('memory: is bounded by default (256 MiB per partition); file: is not; the option overrides', () => {
  assert.equal(DEFAULT_MEMORY_RETENTION_BYTES, 256 * 1024 * 1024)
  assert.equal(parseMemoryUrl('memory:').retentionBytes, DEFAULT_MEMORY_RETENTION_BYTES)
  assert.equal(parseMemoryUrl('file:/tmp/x').retentionBytes, undefined)
  assert.equal(parseMemoryUrl('memory:?retentionBytes=5000').retentionBytes, 5000)
})

void test('the default bound drops the oldest records; a group behind them is reset by from and told', async () => {
  const broker = await memoryDriver.connect('memory:', {})
  const producer = await broker.producer({ topic: 't' })
  // Stored by reference (message.ts): 300 sends of one 1 MB buffer cost 1 MB of memory, yet count
  // 300 MB against the bound.
  const value = new Uint8Array(1_000_000)
  const consumer = await broker.consumer({ topic: 't', group: 'slow', from: 'earliest' })
  for (let i = 0; i < 300; i++) await producer.send({ value })
  const { earliest, latest } = (await broker.admin.describeTopic('t')).partitions[0]!
  const kept = DEFAULT_MEMORY_RETENTION_BYTES / (1_000_000 + 32)
  assert.equal(latest, 300)
  assert.equal(earliest, 300 - Math.floor(kept), 'the newest 256 MiB stay, the oldest are dropped')

  let batch: Batch | undefined
  const events = await resets(async () => void (batch = await first(consumer)))
  assert.equal(batch!.messages[0]!.offset, earliest, "from: 'earliest' continues at the oldest record kept")
  assert.deepEqual(events, [
    {
      driver: 'memory',
      group: 'slow',
      topic: 't',
      partition: 0,
      from: 0,
      to: earliest,
      earliest,
      policy: 'earliest',
    },
  ])
  await broker.close()
})

void test("with from: 'latest' a group behind retention continues at the end, and is told", async () => {
  const broker = await memoryDriver.connect('memory:?retentionBytes=2000', {})
  const producer = await broker.producer({ topic: 't' })
  await producer.send({ value: 'first' })
  const consumer = await broker.consumer({ topic: 't', group: 'g', from: 'latest', maxBatch: 1 })
  await consumer.seek('t:0:0') // behind, as a group that stopped consuming a while ago
  for (let i = 0; i < 50; i++) await producer.send({ value: 'x'.repeat(100) })
  const { earliest } = (await broker.admin.describeTopic('t')).partitions[0]!
  assert.ok(earliest !== undefined && earliest > 1)
  const events = await resets(async () => {
    const waiting = first(consumer)
    await producer.send({ value: 'new' })
    const batch = await waiting
    assert.deepEqual(
      batch.messages.map((m) => m.valueString()),
      ['new'],
      'what was kept but not yet read is skipped too',
    )
  })
  assert.equal(events.length, 1)
  assert.equal(events[0]!.from, 0)
  assert.equal(events[0]!.to, 51)
  assert.equal(events[0]!.policy, 'latest')
  await broker.close()
})
