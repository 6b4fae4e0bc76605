// A `file:` broker on a real, full disk (issue 14, finding 4): a small tmpfs filled by a filler file,
// then emptied. Acks and sends fail with a retriable StorageError — asynchronously — nothing is lost
// or left half-written, and everything works again once the space is back.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Batch, Broker, Consumer } from '../../../src/core/contract.ts'
import { channels } from '../../../src/core/diagnostics.ts'
import { StorageError } from '../../../src/core/errors.ts'
import { memoryDriver } from '../../../src/memory/index.ts'
import { mountSmallDisk } from '../../support/tmpfs.ts'
import type { SmallDisk } from '../../support/tmpfs.ts'

let disk: SmallDisk | null = null
let unavailable: string | undefined
before(() => {
  const mounted = mountSmallDisk('2m')
  if (typeof mounted === 'string') unavailable = mounted
  else disk = mounted
})

/** The mounted disk; without one (not root, no mount permission) each test fails and says why. */
function smallDisk(): SmallDisk {
  if (!disk) {
    assert.fail(
      `the disk-full tests need a real 2 MiB tmpfs, which could not be mounted: ${unavailable ?? 'unknown reason'} ` +
        '(run the tests as root, as .ci/run does)',
    )
  }
  return disk
}
after(() => {
  disk?.free()
  disk?.unmount()
})

const pendingNext = new WeakMap<Consumer, Promise<IteratorResult<Batch>>>()

/** The next batch within `ms`; a timed-out fetch stays pending and is continued by the next call. */
async function nextBatch(consumer: Consumer, ms = 2000): Promise<Batch> {
  let pending = pendingNext.get(consumer)
  if (!pending) pendingNext.set(consumer, (pending = consumer[Symbol.asyncIterator]().next()))
  let timer: NodeJS.Timeout | undefined
  const result = await Promise.race([
    pending,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no batch within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
  pendingNext.delete(consumer)
  assert.ok(!result.done, 'the consumer ended')
  return result.value
}

function assertDiskFull(error: unknown): true {
  assert.ok(error instanceof StorageError, `a StorageError, got ${String(error)}`)
  assert.equal(error.systemCode, 'ENOSPC')
  assert.equal(error.retriable, true)
  assert.match(error.hint, /disk is full/)
  return true
}

const sorted = (batch: Batch) => batch.messages.map((m) => `${m.partition}:${m.valueString()}`).sort()

void test('a full disk: acks reject with a retriable StorageError, the batch comes back, and recovers', async (t) => {
  const disk = smallDisk()
  t.after(() => disk.free())
  const url = `file:${disk.dir}/acks`
  let broker: Broker = await memoryDriver.connect(url, {})
  await broker.admin.createTopic('t', { partitions: 2 })
  const producer = await broker.producer({ topic: 't' })
  await producer.send([
    { value: 'a0', partition: 0 },
    { value: 'a1', partition: 0 },
    { value: 'b0', partition: 1 },
  ])
  // Nothing committed yet, so offsets.log holds no page: its first commit needs a new one.
  const consumer = await broker.consumer({ topic: 't', group: 'g', from: 'earliest', redeliveryDelayMs: 20 })
  const batch = await nextBatch(consumer)
  assert.deepEqual(sorted(batch), ['0:a0', '0:a1', '1:b0'], 'one batch over both partitions')

  disk.fill()
  let acked: Promise<void> | undefined
  assert.doesNotThrow(() => (acked = batch.ack()), 'ack() fails through its promise, not by throwing')
  await assert.rejects(acked!, assertDiskFull)

  // The whole batch, both partitions, goes back to the group after the redelivery delay.
  const again = await nextBatch(consumer)
  assert.deepEqual(sorted(again), ['0:a0', '0:a1', '1:b0'])
  assert.ok(again.messages.every((m) => m.redeliveryCount === 1))
  await assert.rejects(again.ack(), assertDiskFull, 'still full: the ack fails again')
  // A seek that cannot be stored fails the same way and moves nothing, not even in memory.
  await assert.rejects(consumer.seek('t:0:1'), assertDiskFull)

  disk.free()
  const third = await nextBatch(consumer)
  assert.deepEqual(sorted(third), ['0:a0', '0:a1', '1:b0'], 'redelivered once more, nothing else')
  await third.ack()
  await producer.send({ value: 'c0', partition: 0 })
  assert.deepEqual(sorted(await nextBatch(consumer)), ['0:c0'])
  await broker.close()

  // On disk after a restart: exactly the acknowledged sends, and the group's position past them.
  broker = await memoryDriver.connect(url, {})
  const offsets = (await broker.admin.describeGroup('g')).offsets.map((o) => o.committed)
  assert.deepEqual(offsets, [2, 1], 'the last ack before closing was c0, not committed: p0 at 2')
  const reader = await broker.consumer({ topic: 't', from: 'earliest', maxBatch: 10 })
  const all: string[] = []
  while (all.length < 4) all.push(...sorted(await nextBatch(reader)))
  assert.deepEqual(all.sort(), ['0:a0', '0:a1', '0:c0', '1:b0'])
  await broker.close()
})

for (const fsync of ['interval', 'always']) {
  void test(`a full disk (fsync=${fsync}): a send rejects with a retriable StorageError, nothing of it is read back`, async (t) => {
    const disk = smallDisk()
    t.after(() => disk.free())
    const url = `file:${disk.dir}/send-${fsync}?fsync=${fsync}`
    let broker: Broker = await memoryDriver.connect(url, {})
    const producer = await broker.producer({ topic: 't' })
    await producer.send({ value: 'before' })
    const consumer = await broker.consumer({ topic: 't', group: 'g', from: 'earliest' })
    await (await nextBatch(consumer)).ack()

    disk.fill()
    // Larger than what is left of the segment's last page: the write needs new pages.
    const big = 'x'.repeat(16 * 1024)
    let sent: Promise<unknown> | undefined
    assert.doesNotThrow(() => (sent = producer.send([{ value: big }, { value: 'small' }])))
    await assert.rejects(sent!, assertDiskFull)
    await assert.rejects(producer.send({ value: big }), assertDiskFull, 'and again while still full')
    await assert.rejects(
      nextBatch(consumer, 200),
      /no batch within/,
      'a consumer sees nothing of the failed sends',
    )

    disk.free()
    const result = await producer.send({ value: 'after' })
    assert.equal(result.offset, 1, 'the failed sends took no offsets')
    const batch = await nextBatch(consumer)
    assert.deepEqual(
      batch.messages.map((m) => m.valueString()),
      ['after'],
    )
    await batch.ack()
    await broker.close()

    broker = await memoryDriver.connect(url, {})
    const reader = await broker.consumer({ topic: 't', from: 'earliest' })
    assert.deepEqual(
      (await nextBatch(reader)).messages.map((m) => `${m.offset}:${m.valueString()}`),
      ['0:before', '1:after'],
      'after a restart: exactly the acknowledged sends',
    )
    await broker.close()
  })
}

void test('a full disk: the commit after dead-lettering is retried and reported, not an unhandled rejection', async (t) => {
  const disk = smallDisk()
  t.after(() => disk.free())
  const broker = await memoryDriver.connect(`file:${disk.dir}/dlq`, {})
  // The dead-letter topic exists and holds a record, so its next small append fits in a page it has;
  // offsets.log is still empty, so the commit past the dead letter needs a new page.
  await (await broker.producer({ topic: 'dead' })).send({ value: 'earlier' })
  const producer = await broker.producer({ topic: 't' })
  await producer.send({ value: 'poison' })
  const consumer = await broker.consumer({
    topic: 't',
    group: 'g',
    from: 'earliest',
    maxRedeliveries: 0,
    deadLetterTopic: 'dead',
    redeliveryDelayMs: 20,
  })
  const reported: { operation: string; error: Error }[] = []
  const listener = (event: { operation: string; error: Error }) => void reported.push(event)
  channels.backgroundError.subscribe(listener)
  t.after(() => channels.backgroundError.unsubscribe(listener))

  const batch = await nextBatch(consumer)
  disk.fill()
  await batch.nack() // over maxRedeliveries: the next fetch dead-letters it
  const waiting = nextBatch(consumer, 3000)
  const started = Date.now()
  while (reported.length < 2 && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 10))
  assert.ok(reported.length >= 2, 'the failed commit was reported, and so was its retry')
  assert.match(reported[0]!.operation, /commit after dead-lettering t\/0/)
  assertDiskFull(reported[0]!.error)

  disk.free()
  await producer.send({ value: 'next' })
  const next = await waiting
  assert.deepEqual(
    next.messages.map((m) => m.valueString()),
    ['next'],
  )
  await next.ack()
  assert.deepEqual(
    (await broker.admin.describeGroup('g')).offsets.map((o) => o.committed),
    [2],
  )
  await broker.close()
})

void test('one page left: the records fit, their index entry does not; offsets stay the same after a restart', async (t) => {
  const disk = smallDisk()
  t.after(() => disk.free())
  const url = `file:${disk.dir}/index`
  let broker: Broker = await memoryDriver.connect(url, {})
  await broker.admin.createTopic('t', { partitions: 1 })
  const producer = await broker.producer({ topic: 't' })
  const reported: Error[] = []
  const listener = (event: { error: Error }) => void reported.push(event.error)
  channels.backgroundError.subscribe(listener)
  t.after(() => channels.backgroundError.unsubscribe(listener))

  disk.fill()
  disk.release(4096) // the new segment's first page; its index file gets none
  // The index is a hint: the send is acknowledged (its records are written) and the index entry
  // is retried. It used to fail the send while the records stayed on disk, so after a restart a
  // "failed" message appeared and every later offset moved by one.
  const first = await producer.send({ value: 'first' })
  assert.equal(first.offset, 0)
  assert.equal(reported.length, 1)
  assertDiskFull(reported[0])
  disk.free()
  assert.equal((await producer.send({ value: 'second' })).offset, 1)
  await broker.close()

  broker = await memoryDriver.connect(url, {})
  const reader = await broker.consumer({ topic: 't', from: 'earliest' })
  assert.deepEqual(
    (await nextBatch(reader)).messages.map((m) => `${m.offset}:${m.valueString()}`),
    ['0:first', '1:second'],
  )
  await broker.close()
})
