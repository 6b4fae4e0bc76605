// The idempotent producer's epoch (KIP-98, KIP-360) against the real broker.
//
// 1. A lost answer is not a reason to bump: the fault proxy drops a Produce response after the
//    broker wrote the batch, the request times out, and the batch is sent again under its OLD
//    producer id, epoch and sequence (with the batches queued behind it, in order). The broker
//    recognises the duplicate, so the log holds every record once, in order, all under the first
//    epoch, and InitProducerId was called once.
// 2. A bump only when required: a compacted topic refuses a record without a key with
//    INVALID_RECORD, for good; the batches behind it, already in flight, then leave a gap in the
//    sequence, and the broker answers the oldest of them OUT_OF_ORDER_SEQUENCE_NUMBER. The
//    producer waits until nothing is in flight, bumps its epoch once (InitProducerId with its id
//    and epoch), and sends them again: they are written once each, in order.
import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test } from 'node:test'
import type { Message } from '../../../src/core/contract.ts'
import { BrokerError } from '../../../src/core/errors.ts'
import { KafkaConsumer, KafkaProducer, type KafkaBroker } from '../../../src/kafka/index.ts'
import { ApiKey, decodeRecordBatches, type DecodedBatch } from '../../../src/kafka/protocol/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import { client, collect, unique } from './helpers.ts'

const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString())

/** Every record batch of partition 0 as stored by the broker (header fields included). */
async function storedBatches(direct: KafkaBroker, topic: string): Promise<DecodedBatch[]> {
  const info = await direct.cluster.topic(topic)
  const conn = await direct.cluster.connection(info.partitions[0]!.leader, 'fetch')
  const out: DecodedBatch[] = []
  let offset = 0n
  for (;;) {
    const res = await conn.request(ApiKey.Fetch, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [
        {
          topic,
          topicId: info.topicId,
          partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }],
        },
      ],
    } as never)
    const part = (res as any).responses[0].partitions[0]
    assert.equal(part.errorCode, 0, 'Fetch partition error')
    const batches = await decodeRecordBatches(part.records ?? new Uint8Array(0), {
      maxDecompressedBytes: 8 << 20,
    })
    if (batches.length === 0) return out
    for (const b of batches) {
      if (b.baseOffset + BigInt(b.lastOffsetDelta) < offset) continue
      out.push(b)
      offset = b.baseOffset + BigInt(b.lastOffsetDelta) + 1n
    }
    if (offset >= BigInt(part.highWatermark)) return out
  }
}

/** Resolves with the first event of `channel` that `match` accepts, or rejects after `ms`. */
function nextEvent(channel: string, match: (e: any) => boolean, ms: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe(channel, on)
      reject(new Error(`no ${channel} event within ${ms} ms`))
    }, ms)
    const on = (e: unknown) => {
      if (!match(e)) return
      clearTimeout(timer)
      unsubscribe(channel, on)
      resolve(e)
    }
    subscribe(channel, on)
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

void test('a lost produce response: the batch is sent again under its old epoch and sequence, no bump, written once in order', async () => {
  const b = await useBroker('kafka')
  const [host, port] = b.urls.bootstrap!.split(':')
  const proxy = await startFaultProxy({ targetHost: host!, targetPort: Number(port) })
  const direct = await client(b.url)
  const viaProxy = await client(`kafka://${proxy.host}:${proxy.port}`, {
    mapAddress: () => ({ host: proxy.host, port: proxy.port }),
  })
  const inits: string[] = []
  const produces: string[] = []
  const onStart = (e: unknown) => {
    const { operation, connection } = e as { operation: string; connection: string }
    if (operation.startsWith('InitProducerId')) inits.push(operation)
    if (operation.startsWith('Produce') && connection.includes(String(proxy.port))) produces.push(operation)
  }
  subscribe('conduit:request:start', onStart)
  try {
    const topic = unique('resend')
    await direct.admin.createTopic(topic, { partitions: 1 })
    // A Produce request times out after requestTimeoutMs + 5 s.
    const producer = new KafkaProducer(viaProxy.cluster, {
      lingerMs: 0,
      requestTimeoutMs: 1000,
      retryBackoffMs: 50,
    })
    await producer.send(topic, { key: 'k', value: 'v0', partition: 0 }) // connection and producer id

    // Every chunk through the proxy now takes LATENCY ms each way. Once the request for v1 has
    // been handed to the broker (LATENCY after it left) and before the answer can come back
    // (2 × LATENCY), everything is black-holed: the broker writes v1, its answer is lost.
    const LATENCY = 500
    proxy.latency(LATENCY)
    const issued = nextEvent('conduit:request:start', (e) => e.operation.startsWith('Produce'), 10_000)
    const lost = producer.send(topic, { key: 'k', value: 'v1', partition: 0 })
    await issued
    const failed = nextEvent(
      'conduit:request:error',
      (e) => e.operation.startsWith('Produce') && e.connection.includes(String(proxy.port)),
      60_000,
    )
    await sleep(LATENCY + 200)
    proxy.blackhole(true)
    // Sent while the answer for v1 is missing: pipelined behind it, on the same connection, lost too.
    const behind = ['v2', 'v3', 'v4'].map((value) => producer.send(topic, { key: 'k', value, partition: 0 }))

    // The broker has v1 although the producer never heard back.
    const deadline = Date.now() + 30_000
    for (;;) {
      const stored = await storedBatches(direct, topic)
      if (stored.flatMap((x) => x.records).some((r) => text(r.value) === 'v1')) break
      assert.ok(Date.now() < deadline, 'the broker wrote v1 (its request got through before the black hole)')
      await sleep(100)
    }
    const producesBeforeTimeout = produces.length
    const err = (await failed).error as Error
    assert.equal((err as { code?: string }).code, 'CONDUIT_TIMEOUT', String(err))
    proxy.blackhole(false)
    proxy.latency(0)

    const acks = await Promise.all([lost, ...behind])
    assert.equal(acks.length, 4)
    assert.ok(producer.retries > 0, 'the batches were sent again')
    assert.ok(produces.length > producesBeforeTimeout, 'a Produce request went out after the timeout')
    assert.equal(inits.length, 1, 'no epoch bump: InitProducerId only at the start')
    await producer.close()

    const stored = await storedBatches(direct, topic)
    assert.deepEqual(
      stored.flatMap((x) => x.records.map((r) => text(r.value))),
      ['v0', 'v1', 'v2', 'v3', 'v4'],
      'every record once, in send order (the resent v1 was recognised as a duplicate)',
    )
    const [first] = stored
    let sequence = 0
    for (const batch of stored) {
      assert.equal(batch.producerId, first!.producerId, 'one producer id')
      assert.equal(batch.producerEpoch, first!.producerEpoch, 'the epoch never changed')
      assert.equal(batch.baseSequence, sequence, 'sequences continue without a reset')
      sequence += batch.records.length
    }
  } finally {
    unsubscribe('conduit:request:start', onStart)
    await viaProxy.close()
    await direct.close()
    await proxy.close()
  }
})

void test('a batch refused for good with batches in flight behind it: one epoch bump, the rest written once in order', async () => {
  const b = await useBroker('kafka')
  const [host, port] = b.urls.bootstrap!.split(':')
  const proxy = await startFaultProxy({ targetHost: host!, targetPort: Number(port) })
  proxy.latency(10) // several batches of the partition in flight when the refusal comes back
  const direct = await client(b.url)
  const viaProxy = await client(`kafka://${proxy.host}:${proxy.port}`, {
    mapAddress: () => ({ host: proxy.host, port: proxy.port }),
  })
  const inits: string[] = []
  const onStart = (e: unknown) => {
    const op = (e as { operation: string }).operation
    if (op.startsWith('InitProducerId')) inits.push(op)
  }
  subscribe('conduit:request:start', onStart)
  try {
    const topic = unique('bump')
    await direct.admin.createTopic(topic, { partitions: 1, config: { 'cleanup.policy': 'compact' } })
    const producer = new KafkaProducer(viaProxy.cluster, { batchSize: 2048, lingerMs: 0 })
    await producer.send(topic, { key: 'warm-up', value: 'warm-up', partition: 0 })
    const value = (i: number) => `${i}`.padStart(150, '.')
    const keyless = 250
    const sends = Array.from({ length: 500 }, (_, i) =>
      producer.send(topic, { key: i === keyless ? null : `k${i}`, value: value(i), partition: 0 }),
    )
    const outcomes = await Promise.allSettled(sends)
    const retries = producer.retries
    await producer.close()

    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []))
    assert.ok(failed.includes(keyless), 'the keyless record is refused')
    assert.deepEqual(
      failed,
      Array.from({ length: failed.length }, (_, i) => failed[0]! + i),
      'only the batch holding it fails (a contiguous run)',
    )
    for (const i of failed) {
      const err = (outcomes[i] as PromiseRejectedResult).reason as BrokerError
      assert.ok(err instanceof BrokerError, String(err))
      assert.equal(err.brokerErrorName, 'INVALID_RECORD')
    }
    assert.ok(retries > 0, 'batches behind the refused one were refused for the gap and sent again')
    assert.equal(inits.length, 2, 'one InitProducerId to start, one epoch bump')

    const consumer = new KafkaConsumer(direct.cluster, { autoOffsetReset: 'earliest' })
    await consumer.assign([{ topic, partition: 0 }])
    const expected = [
      'warm-up',
      ...Array.from({ length: 500 }, (_, i) => i)
        .filter((i) => !failed.includes(i))
        .map(value),
    ]
    const got = await collect<Message>(consumer, expected.length, 60_000)
    await consumer.close()
    assert.deepEqual(
      got.map((m) => m.valueString()),
      expected,
      'every other record once, in send order',
    )
  } finally {
    unsubscribe('conduit:request:start', onStart)
    await viaProxy.close()
    await direct.close()
    await proxy.close()
  }
})
