import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Batch, Broker, Consumer } from '../../src/core/contract.ts'
import { ClosedError, ConfigError } from '../../src/core/errors.ts'
import { memoryDriver } from '../../src/memory/index.ts'

const connect = (url = 'memory:') => memoryDriver.connect(url, {})

const pendingNext = new WeakMap<Consumer, Promise<IteratorResult<Batch>>>()

/** The next batch within `ms`, or null; a timed-out fetch stays pending and is continued next time. */
async function next(consumer: Consumer, ms = 1000): Promise<Batch | null> {
  let pending = pendingNext.get(consumer)
  if (!pending) {
    pending = consumer[Symbol.asyncIterator]().next()
    pendingNext.set(consumer, pending)
  }
  const result = await Promise.race([
    pending,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms)),
  ])
  if (result === 'timeout') return null
  pendingNext.delete(consumer)
  return result.done ? null : result.value
}

async function fill(broker: Broker, topic: string, values: string[], partition?: number) {
  const producer = await broker.producer({ topic })
  await producer.send(values.map((value) => ({ value, partition })))
  await producer.close()
}

const values = (b: Batch | null) => b?.messages.map((m) => m.valueString()) ?? null

void test('members of a group split the partitions and rebalance on join and leave', async () => {
  const broker = await connect()
  await broker.admin.createTopic('t', { partitions: 4 })
  const a = await broker.consumer({ topic: 't', group: 'g', from: 'earliest' })
  const b = await broker.consumer({ topic: 't', group: 'g', from: 'earliest' })
  const group = await broker.admin.describeGroup('g')
  const owned = group.members.map((m) => m.assignments.map((x) => x.partition).sort())
  assert.deepEqual(owned, [
    [0, 2],
    [1, 3],
  ])
  await b.close()
  const after = await broker.admin.describeGroup('g')
  assert.deepEqual(after.members[0]!.assignments.map((x) => x.partition).sort(), [0, 1, 2, 3])
  await a.close()
  assert.equal((await broker.admin.describeGroup('g')).state, 'Empty')
  await broker.close()
})

void test('a partition with a batch in flight moves to the new owner only after that batch is settled', async () => {
  const broker = await connect()
  await broker.admin.createTopic('t', { partitions: 1 })
  await fill(broker, 't', ['a', 'b'])
  const first = await broker.consumer({ topic: 't', group: 'g', from: 'earliest', maxBatch: 1 })
  const batch = await next(first)
  assert.deepEqual(values(batch), ['a'])
  const second = await broker.consumer({ topic: 't', group: 'g' })
  await first.close() // gives 'a' back: the new owner starts with it
  const again = await next(second)
  assert.deepEqual(values(again), ['a', 'b'])
  assert.equal(again!.messages[0]!.redeliveryCount, 1)
  await assert.rejects(batch!.ack(), ClosedError, 'acking a batch its closed consumer gave back fails')
  await broker.close()
})

void test('different groups each get everything; committed offsets survive a consumer', async () => {
  const broker = await connect('memory:?partitions=3')
  await fill(broker, 't', ['1', '2', '3', '4', '5', '6'])
  for (const group of ['x', 'y']) {
    const c = await broker.consumer({ topic: 't', group, from: 'earliest' })
    const got = new Set<string>()
    while (got.size < 6) {
      const b = await next(c)
      for (const v of values(b) ?? []) got.add(v!)
      await b?.ack()
    }
    await c.close()
  }
  const lag = await broker.admin.describeGroup('x')
  assert.deepEqual(
    lag.offsets.map((o) => [o.partition, o.committed, o.end, o.lag]),
    [
      [0, 2, 2, 0],
      [1, 2, 2, 0],
      [2, 2, 2, 0],
    ],
  )
  await fill(broker, 't', ['7'])
  const resumed = await broker.consumer({ topic: 't', group: 'x', from: 'earliest' })
  assert.deepEqual(values(await next(resumed)), ['7'], 'a group continues from its commit, ignoring from')
  await broker.close()
})

void test('from: latest, an offset, a Date', async () => {
  const broker = await connect()
  const producer = await broker.producer({ topic: 't' })
  await producer.send([
    { value: 'old', timestamp: 1000 },
    { value: 'mid', timestamp: 2000 },
    { value: 'new', timestamp: 3000 },
  ])
  const latest = await broker.consumer({ topic: 't', from: 'latest' })
  const fromOffset = await broker.consumer({ topic: 't', from: 1 })
  const fromDate = await broker.consumer({ topic: 't', from: new Date(2500) })
  assert.equal(await next(latest, 100), null)
  assert.deepEqual(values(await next(fromOffset)), ['mid', 'new'])
  assert.deepEqual(values(await next(fromDate)), ['new'])
  await producer.send({ value: 'newest' })
  assert.deepEqual(values(await next(latest)), ['newest'])
  await assert.rejects(broker.consumer({ topic: 't', from: 'yesterday' as never }), ConfigError)
  await broker.close()
})

void test('seek by full or short id; a seek releases the batch in flight', async () => {
  const broker = await connect()
  await fill(broker, 't', ['0', '1', '2', '3'])
  const c = await broker.consumer({ topic: 't', from: 'earliest' })
  const batch = await next(c)
  assert.deepEqual(values(batch), ['0', '1', '2', '3'])
  await c.seek(batch!.messages[2]!.id)
  assert.deepEqual(values(await next(c)), ['2', '3'])
  await c.seek('0:1')
  const again = await next(c)
  assert.deepEqual(values(again), ['1', '2', '3'])
  await again!.ack()
  await assert.rejects(c.seek('other:0:1'), /does not read topic "other"/)
  await assert.rejects(c.seek('nonsense'), ConfigError)
  await broker.close()
})

void test('ack timeout redelivers; the late ack is ignored; maxRedeliveries sends to <topic>-<group>-DLQ', async () => {
  const broker = await connect()
  await fill(broker, 't', ['poison'])
  const c = await broker.consumer({
    topic: 't',
    group: 'g',
    from: 'earliest',
    ackTimeoutMs: 50,
    maxRedeliveries: 1,
  })
  const first = await next(c)
  const second = await next(c, 2000)
  assert.deepEqual(values(second), ['poison'])
  assert.equal(second!.messages[0]!.redeliveryCount, 1)
  await first!.ack() // late: the batch was already redelivered
  await second!.nack()
  assert.equal(await next(c, 300), null, 'after maxRedeliveries the message is not delivered again')
  const dlq = await broker.consumer({ topic: 't-g-DLQ', from: 'earliest' })
  const dead = await next(dlq)
  assert.deepEqual(values(dead), ['poison'])
  assert.equal(dead!.messages[0]!.headers['conduit-dlq-original-id'], 't:0:0')
  assert.equal((await broker.admin.describeGroup('g')).offsets[0]!.committed, 1, 'the group moved past it')
  await broker.close()
})

void test('pause holds fetches until resume; close ends a waiting iterator', async () => {
  const broker = await connect()
  await fill(broker, 't', ['a'])
  const c = await broker.consumer({ topic: 't', from: 'earliest' })
  c.pause()
  assert.equal(await next(c, 100), null)
  c.resume()
  const b = await next(c)
  assert.deepEqual(values(b), ['a'])
  await b!.ack()
  const started = Date.now()
  const waiting = next(c, 5000)
  await c.close()
  assert.equal(await waiting, null)
  assert.ok(Date.now() - started < 2000, 'close() ends a pending fetch at once, not by the timeout')
  await broker.close()
})

void test('consumer options are validated', async () => {
  const broker = await connect()
  await assert.rejects(broker.consumer({ topic: [] }), ConfigError)
  await assert.rejects(broker.consumer({ topic: 't', maxBatch: 0 }), ConfigError)
  await assert.rejects(broker.consumer({ topic: 't', group: 'a b' }), ConfigError)
  await assert.rejects(broker.consumer({ topic: 't', maxRedeliveries: -1 }), ConfigError)
  await assert.rejects(broker.consumer({ topic: 't', deadLetterTopic: 'dlq' }), /needs maxRedeliveries/)
  const strict = await connect('memory:?autoCreateTopics=false')
  await assert.rejects(
    strict.consumer({ topic: 'missing' }),
    /does not exist; create it with admin.createTopic/,
  )
  await strict.close()
  await broker.close()
})

void test('leaving a for-await loop early closes the consumer', async () => {
  const broker = await connect()
  await fill(broker, 't', ['a', 'b'])
  const c = await broker.consumer({ topic: 't', group: 'g', from: 'earliest', maxBatch: 1 })
  for await (const batch of c) {
    await batch.ack()
    break
  }
  assert.equal((await broker.admin.describeGroup('g')).members.length, 0)
  await broker.close()
})

void test('a dead-lettered partition is held and committed on its own while another partition delivers', async () => {
  const broker = await connect()
  await broker.admin.createTopic('t', { partitions: 2 })
  const producer = await broker.producer({ topic: 't' })
  await producer.send([
    { value: 'p0', partition: 0 },
    { value: 'p1', partition: 1 },
  ])
  const c = await broker.consumer({ topic: 't', group: 'g', from: 'earliest', maxRedeliveries: 0 })
  const first = await next(c)
  assert.deepEqual(values(first)?.sort(), ['p0', 'p1'])
  await first!.nack() // both now exceed maxRedeliveries 0
  await producer.send({ value: 'p1-next', partition: 1 })
  const later = await next(c)
  assert.deepEqual(values(later), ['p1-next'], 'the dead letters are skipped, the next record delivered')
  await later!.ack()
  const dlq = await broker.consumer({ topic: 't-g-DLQ', from: 'earliest' })
  const dead = await next(dlq)
  assert.deepEqual(values(dead)?.sort(), ['p0', 'p1'])
  const offsets = (await broker.admin.describeGroup('g')).offsets.map((o) => o.committed)
  assert.deepEqual(offsets, [1, 2], 'the group moved past both dead letters')
  await broker.close()
})
