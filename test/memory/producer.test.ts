import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ClosedError, ConfigError, MessageTooLargeError } from '../../src/core/errors.ts'
import { kafkaPartitionForKey } from '../../src/core/murmur2.ts'
import { memoryDriver } from '../../src/memory/index.ts'

const connect = (url = 'memory:') => memoryDriver.connect(url, {})

void test('trySend returns false when the buffer is full; send waits for room and keeps order', async () => {
  const broker = await connect()
  const acks: number[] = []
  const producer = await broker.producer({ topic: 't', bufferSize: 3, onAck: (n) => acks.push(n) })
  assert.equal(producer.trySend({ value: 'a' }), true)
  assert.equal(producer.trySend({ value: 'b' }), true)
  assert.equal(producer.trySend({ value: 'c' }), true)
  assert.equal(producer.trySend({ value: 'd' }), false, 'a full buffer refuses without waiting')
  const waiting = producer.send({ value: 'e' }) // parked until the first three are acknowledged
  assert.equal(producer.trySend({ value: 'f' }), false, 'trySend never jumps ahead of a waiting send')
  const result = await waiting
  assert.equal(result.offset, 3, 'the waiting send lands after the buffered ones')
  await producer.flush()
  assert.deepEqual(acks, [1, 1, 1, 1], 'acks come in send order as counts')
  await broker.close()
})

void test('an array larger than the buffer is accepted once the buffer is empty', async () => {
  const broker = await connect()
  const producer = await broker.producer({ topic: 't', bufferSize: 2 })
  const results = await producer.send(Array.from({ length: 10 }, (_, i) => ({ value: String(i) })))
  assert.deepEqual(
    results.map((r) => r.offset),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  )
  assert.deepEqual(await producer.send([]), [])
  await broker.close()
})

void test('close({ drop: true }) removes exactly this producer’s unsent messages and reports them', async () => {
  const broker = await connect()
  let acked = 0
  const a = await broker.producer({ topic: 't', bufferSize: 100, onAck: (n) => (acked += n) })
  const b = await broker.producer({ topic: 't' })
  await a.send({ value: 'kept' })
  for (let i = 0; i < 5; i++) assert.ok(a.trySend({ value: `dropped-${i}` }))
  const parked = a.send(Array.from({ length: 200 }, () => ({ value: 'parked' }))) // waits: 5 + 200 > 100
  const fromB = b.send({ value: 'b' })
  const dropped = await a.close({ drop: true })
  assert.equal(dropped, 205)
  await assert.rejects(parked, ClosedError)
  await fromB
  assert.equal(acked, 1, 'only the acknowledged message was reported')
  const description = await broker.admin.describeTopic('t')
  assert.equal(description.partitions[0]!.latest, 2, 'the log holds "kept" and b’s message only')
  await broker.close()
})

void test('close() without drop drains; later sends fail with ClosedError', async () => {
  const broker = await connect()
  const producer = await broker.producer({ topic: 't' })
  const sends = Array.from({ length: 20 }, (_, i) => producer.send({ value: String(i) }))
  assert.equal(await producer.close(), 0)
  assert.equal((await Promise.all(sends)).length, 20)
  await assert.rejects(producer.send({ value: 'late' }), ClosedError)
  assert.throws(() => producer.trySend({ value: 'late' }), ClosedError)
  assert.equal(await producer.close(), 0, 'close is idempotent')
  await broker.close()
})

void test('keys go where Kafka puts them; unkeyed messages round-robin; explicit partitions are checked', async () => {
  const broker = await connect('memory:?partitions=6')
  const producer = await broker.producer({ topic: 't' })
  for (const key of ['a', 'order-17', 'ü', '']) {
    const r = await producer.send({ key, value: 'v' })
    assert.equal(r.partition, kafkaPartitionForKey(new TextEncoder().encode(key), 6), `key "${key}"`)
  }
  const spread = await producer.send(Array.from({ length: 12 }, () => ({ value: 'v' })))
  const counts = new Array<number>(6).fill(0)
  for (const r of spread) counts[r.partition]!++
  assert.deepEqual(counts, [2, 2, 2, 2, 2, 2])
  assert.equal((await producer.send({ value: 'v', partition: 5 })).partition, 5)
  await assert.rejects(
    producer.send({ value: 'v', partition: 6 }),
    /has 6 partitions; partition 6 does not exist/,
  )
  await broker.close()
})

void test('bad input is a typed error and nothing of the call is sent', async () => {
  const broker = await connect('memory:?maxMessageBytes=10')
  const producer = await broker.producer({ topic: 't' })
  await assert.rejects(producer.send({ value: 'x'.repeat(11) }), MessageTooLargeError)
  await assert.rejects(producer.send([{ value: 'ok' }, { value: 42 as never }]), ConfigError)
  await assert.rejects(producer.send({ value: 'v', headers: { h: 1 as never } }), ConfigError)
  assert.equal(
    (await broker.admin.describeTopic('t')).partitions[0]!.latest,
    0,
    'a rejected array sends nothing',
  )
  await assert.rejects(broker.producer({ topic: 'bad topic' }), ConfigError)
  await assert.rejects(broker.producer({ topic: 't', bufferSize: 0 }), ConfigError)
  await assert.rejects(broker.producer({ topic: 't', onAck: 'x' as never }), ConfigError)
  await broker.close()
  await assert.rejects(broker.producer({ topic: 't' }), ClosedError)
})

void test('a send resolves with the record: topic, partition, offset and an id seek accepts', async () => {
  const broker = await connect()
  const producer = await broker.producer({ topic: 'orders' })
  const r = await producer.send({ value: 'v', timestamp: new Date(5000) })
  assert.deepEqual([r.topic, r.partition, r.offset, r.id], ['orders', 0, 0, 'orders:0:0'])
  await broker.close()
})

void test('a loop of awaited sends does not starve timers and I/O', async () => {
  const broker = await connect()
  const producer = await broker.producer({ topic: 't' })
  let fired = false
  setTimeout(() => (fired = true), 5)
  const started = Date.now()
  while (!fired && Date.now() - started < 5000) await producer.send({ value: 'x' })
  assert.ok(fired, 'the timer ran while the loop was sending')
  assert.ok(Date.now() - started < 1000, `the timer was delayed ${Date.now() - started} ms`)
  await broker.close()
})
