import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import type { Batch } from '../../src/core/contract.ts'
import { BrokerError, ClosedError, ConfigError, NotFoundError } from '../../src/core/errors.ts'
import { memoryDriver } from '../../src/memory/index.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-admin-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

void test('topics: create, list, describe, delete — with clear errors', async () => {
  const broker = await memoryDriver.connect('memory:', {})
  await broker.admin.createTopic('b', { partitions: 3 })
  await broker.admin.createTopic('a')
  assert.deepEqual(await broker.admin.listTopics(), ['a', 'b'])
  const d = await broker.admin.describeTopic('b')
  assert.deepEqual(d.partitions, [
    { partition: 0, earliest: 0, latest: 0 },
    { partition: 1, earliest: 0, latest: 0 },
    { partition: 2, earliest: 0, latest: 0 },
  ])
  await assert.rejects(
    broker.admin.createTopic('b'),
    (e) =>
      e instanceof BrokerError &&
      e.brokerErrorName === 'TOPIC_ALREADY_EXISTS' &&
      /already exists/.test(e.message),
  )
  await assert.rejects(broker.admin.createTopic('c', { partitions: 0 }), ConfigError)
  await assert.rejects(broker.admin.createTopic('c', { partitions: -2 }), ConfigError)
  await assert.rejects(broker.admin.createTopic('c', { replicationFactor: 3 }), /replicationFactor must be 1/)
  await assert.rejects(broker.admin.createTopic('x:y'), /invalid topic name/)
  await assert.rejects(
    broker.admin.describeTopic('nope'),
    (e: unknown) => e instanceof NotFoundError && /does not exist/.test(e.message),
  )
  await broker.admin.deleteTopic('a')
  assert.deepEqual(await broker.admin.listTopics(), ['b'])
  await assert.rejects(broker.admin.deleteTopic('a'), /does not exist/)
  await assert.rejects(
    broker.admin.describeGroup('nobody'),
    (e: unknown) => e instanceof NotFoundError && /does not exist/.test(e.message),
  )
  await broker.close()
  await assert.rejects(broker.admin.listTopics(), ClosedError)
})

void test('file: topics, messages and committed offsets persist across reopen; deleted topics stay deleted', async () => {
  const url = `file:${path.join(root, 'persist')}`
  const first = await memoryDriver.connect(url, {})
  await first.admin.createTopic('keep', { partitions: 2 })
  await first.admin.createTopic('drop')
  const producer = await first.producer({ topic: 'keep' })
  await producer.send(
    Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { i: String(i) } })),
  )
  const consumer = await first.consumer({ topic: 'keep', group: 'g', from: 'earliest', maxBatch: 3 })
  const iterator = consumer[Symbol.asyncIterator]()
  const batch: Batch = (await iterator.next()).value
  await batch.ack()
  await first.admin.deleteTopic('drop')
  await first.close()

  const second = await memoryDriver.connect(url, {})
  assert.deepEqual(await second.admin.listTopics(), ['keep'])
  const group = await second.admin.describeGroup('g')
  assert.equal(group.state, 'Empty')
  const committed = group.offsets.reduce((sum, o) => sum + (o.committed ?? 0), 0)
  assert.equal(committed, batch.messages.length, 'the acked batch is committed on disk')
  for (const o of group.offsets) assert.equal(o.lag, o.end - o.committed!, 'lag = end - committed')
  const resumed = await second.consumer({ topic: 'keep', group: 'g', from: 'earliest' })
  const seen = new Set<string>()
  for await (const b of resumed) {
    for (const m of b.messages) {
      seen.add(m.valueString()!)
      assert.equal(m.headers.i, m.valueString()!.slice(1))
    }
    await b.ack()
    if (seen.size === 10 - batch.messages.length) break
  }
  for (const m of batch.messages) assert.ok(!seen.has(m.valueString()!), 'acked messages are not redelivered')
  await second.close()
})

void test('file: with fsync=always acknowledges after the data is synced, and consumers see it then', async () => {
  const broker = await memoryDriver.connect(`file:${path.join(root, 'always')}?fsync=always`, {})
  const producer = await broker.producer({ topic: 't' })
  const consumer = await broker.consumer({ topic: 't', from: 'earliest' })
  const sent = await producer.send([{ value: 'a' }, { value: 'b' }])
  assert.deepEqual(
    sent.map((r) => r.offset),
    [0, 1],
  )
  const got: Batch = (await consumer[Symbol.asyncIterator]().next()).value
  assert.deepEqual(
    got.messages.map((m) => m.valueString()),
    ['a', 'b'],
  )
  await broker.close()
})

void test('memory: retention by bytes keeps the newest records', async () => {
  const broker = await memoryDriver.connect('memory:?retentionBytes=2000', {})
  const producer = await broker.producer({ topic: 't' })
  for (let i = 0; i < 100; i++) await producer.send({ value: 'x'.repeat(100) })
  const d = await broker.admin.describeTopic('t')
  assert.ok(d.partitions[0]!.earliest! > 80, `earliest ${d.partitions[0]!.earliest}`)
  assert.equal(d.partitions[0]!.latest, 100)
  const consumer = await broker.consumer({ topic: 't', from: 'earliest' })
  const first: Batch = (await consumer[Symbol.asyncIterator]().next()).value
  assert.equal(first.messages[0]!.offset, d.partitions[0]!.earliest)
  await broker.close()
})

void test('shared named brokers: same data for the same name, conflicting options refused', async () => {
  const a = await memoryDriver.connect('memory:shared-admin', {})
  const b = await memoryDriver.connect('memory:shared-admin', {})
  await a.admin.createTopic('t')
  assert.deepEqual(await b.admin.listTopics(), ['t'])
  await assert.rejects(memoryDriver.connect('memory:shared-admin?partitions=4', {}), /different options/)
  await a.close()
  await b.close()
  const fresh = await memoryDriver.connect('memory:shared-admin', {})
  assert.deepEqual(await fresh.admin.listTopics(), [], 'the last close released the named broker')
  await fresh.close()
})
