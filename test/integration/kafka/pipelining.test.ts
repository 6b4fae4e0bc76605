// Producer pipelining against the real broker: an idempotent producer keeps up to
// maxInFlightPerPartition batches of one partition in flight, and order and exactly-once hold
// when connections are cut or a request is corrupted while several batches are in flight (the
// broker answers the later ones with OUT_OF_ORDER_SEQUENCE_NUMBER; they are sent again in order).
import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { describe, test } from 'node:test'
import type { Message } from '../../../src/core/contract.ts'
import { KafkaConsumer, KafkaProducer, type KafkaBroker } from '../../../src/kafka/index.ts'
import type { KafkaProducerConfig } from '../../../src/kafka/producer/options.ts'
import { useBroker } from '../../support/brokers.ts'
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts'
import { client, collect, unique } from './helpers.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Highest number of Produce requests in flight at once, watched on the diagnostics channels. */
function watchProduceConcurrency() {
  let now = 0
  let max = 0
  let failed = 0
  const onStart = (e: unknown) => {
    if (!(e as { operation: string }).operation.startsWith('Produce')) return
    now++
    max = Math.max(max, now)
  }
  const onDone = (e: unknown) => {
    if ((e as { operation: string }).operation.startsWith('Produce')) now--
  }
  const onError = (e: unknown) => {
    if (!(e as { operation: string }).operation.startsWith('Produce')) return
    now--
    failed++
  }
  subscribe('conduit:request:start', onStart)
  subscribe('conduit:request:end', onDone)
  subscribe('conduit:request:error', onError)
  return {
    get max() {
      return max
    },
    /** Produce requests that ended without an answer (connection cut). */
    get failed() {
      return failed
    },
    stop() {
      unsubscribe('conduit:request:start', onStart)
      unsubscribe('conduit:request:end', onDone)
      unsubscribe('conduit:request:error', onError)
    },
  }
}

/** Every value of the one-partition topic, in log order. */
async function readAll(broker: KafkaBroker, topic: string): Promise<string[]> {
  const info = await broker.admin.describeTopic(topic)
  const total = info.partitions.reduce((n, p) => n + (p.latest ?? 0) - (p.earliest ?? 0), 0)
  const consumer = new KafkaConsumer(broker.cluster, { autoOffsetReset: 'earliest' })
  await consumer.assign([{ topic, partition: 0 }])
  const got = await collect<Message>(consumer, total, 60_000)
  await consumer.close()
  return got.map((m) => m.valueString()!)
}

async function withProxy<T>(
  latencyMs: number,
  run: (ctx: { direct: KafkaBroker; viaProxy: KafkaBroker; proxy: FaultProxy }) => Promise<T>,
): Promise<T> {
  const b = await useBroker('kafka')
  const [host, port] = b.urls.bootstrap!.split(':')
  const proxy = await startFaultProxy({ targetHost: host!, targetPort: Number(port) })
  const direct = await client(b.url)
  const viaProxy = await client(`kafka://${proxy.host}:${proxy.port}`, {
    mapAddress: () => ({ host: proxy.host, port: proxy.port }),
    requestTimeoutMs: 5000,
    reconnectInitialMs: 50,
    reconnectMaxMs: 300,
  })
  proxy.latency(latencyMs)
  try {
    return await run({ direct, viaProxy, proxy })
  } finally {
    await viaProxy.close()
    await direct.close()
    await proxy.close()
  }
}

/** Sends `count` values 0…count-1 to partition 0 without waiting; resolves with their offsets. */
async function sendAll(producer: KafkaProducer, topic: string, count: number, pace?: () => Promise<void>) {
  const sends: Promise<{ offset: number }>[] = []
  for (let i = 0; i < count; i++) {
    sends.push(producer.send(topic, { value: `${i}`.padStart(100, '.'), partition: 0 }))
    if (pace && i % 100 === 99) await pace()
  }
  return Promise.all(sends)
}

const values = (n: number) => Array.from({ length: n }, (_, i) => `${i}`.padStart(100, '.'))

void describe('kafka producer pipelining', { concurrency: false }, () => {
  const small: KafkaProducerConfig = { batchSize: 4096, lingerMs: 0 }

  void test('an idempotent producer keeps up to maxInFlightPerPartition batches of a partition in flight, in order', async () => {
    await withProxy(40, async ({ direct, viaProxy }) => {
      const topic = unique('pipe')
      await direct.admin.createTopic(topic, { partitions: 1 })
      for (const limit of [5, 2]) {
        const watch = watchProduceConcurrency()
        const producer = new KafkaProducer(viaProxy.cluster, { ...small, maxInFlightPerPartition: limit })
        await producer.prepareTopic(topic)
        try {
          const metas = await sendAll(producer, topic, 3000)
          const offsets = metas.map((m) => m.offset)
          for (let i = 1; i < offsets.length; i++) {
            assert.equal(offsets[i], offsets[i - 1]! + 1, `offsets follow send order at ${i}`)
          }
          assert.equal(watch.max, limit, `Produce requests in flight at once (limit ${limit})`)
        } finally {
          watch.stop()
          await producer.close()
        }
      }
      assert.deepEqual(await readAll(direct, topic), [...values(3000), ...values(3000)])
    })
  })

  void test('several partitions per request, pipelined: no batch is refused or retried on a clean run', async () => {
    await withProxy(10, async ({ direct, viaProxy }) => {
      const topic = unique('pipe-multi')
      await direct.admin.createTopic(topic, { partitions: 3 })
      const watch = watchProduceConcurrency()
      const producer = new KafkaProducer(viaProxy.cluster, { ...small, batchSize: 16 * 1024 })
      // Warm-up: a partition of a topic just created may answer NOT_LEADER_OR_FOLLOWER at first,
      // a legitimate retry that this test is not about.
      await producer.sendBatch(
        topic,
        [0, 1, 2].map((partition) => ({ value: 'warm-up', partition })),
      )
      const retriesBefore = producer.retries
      try {
        // Eight callers of 100 keyed records each, as the benchmark does: every request carries
        // batches of the three partitions, and several requests are in flight. Sequence numbers
        // must follow the order the requests reach the broker, or it refuses them
        // (OUT_OF_ORDER_SEQUENCE_NUMBER) and they are retried after a backoff.
        const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`)
        await Promise.all(
          Array.from({ length: 8 }, async (_, caller) => {
            for (let round = 0; round < 10; round++) {
              await producer.sendBatch(
                topic,
                keys.map((key, i) => ({ key, value: `${caller}-${round}-${i}`.padEnd(500, '.') })),
              )
            }
          }),
        )
        assert.ok(watch.max > 1, `requests were pipelined (max ${watch.max})`)
        assert.equal(producer.retries - retriesBefore, 0, 'no batch had to be sent again')
      } finally {
        watch.stop()
        await producer.close()
      }
    })
  })

  void test('without idempotence a partition has one batch in flight', async () => {
    await withProxy(20, async ({ direct, viaProxy }) => {
      const topic = unique('pipe-nonidem')
      await direct.admin.createTopic(topic, { partitions: 1 })
      const watch = watchProduceConcurrency()
      const producer = new KafkaProducer(viaProxy.cluster, { ...small, acks: 1, idempotent: false })
      try {
        await sendAll(producer, topic, 1000)
        assert.equal(watch.max, 1)
      } finally {
        watch.stop()
        await producer.close()
      }
      assert.deepEqual(await readAll(direct, topic), values(1000))
    })
  })

  void test('cuts and corrupted requests with 5 batches in flight: nothing lost, doubled or reordered', async () => {
    await withProxy(15, async ({ direct, viaProxy, proxy }) => {
      const topic = unique('pipe-faults')
      await direct.admin.createTopic(topic, { partitions: 1 })
      const watch = watchProduceConcurrency()
      const producer = new KafkaProducer(viaProxy.cluster, { ...small, retryBackoffMs: 20 })
      await producer.prepareTopic(topic) // the faults are for Produce requests, not the first Metadata
      let round = 0
      try {
        // Every 100 sends (~ every few batches) a fault: alternately a cut of every connection and
        // a corrupted chunk towards the broker. A corrupted record batch is refused with
        // CORRUPT_MESSAGE (retriable) while the batches behind it, already in flight, come back
        // OUT_OF_ORDER_SEQUENCE_NUMBER; a corrupted frame header closes the connection instead.
        const metas = await sendAll(producer, topic, 6000, async () => {
          round++
          if (round % 6 === 0) proxy.cutAll()
          else if (round % 3 === 0) proxy.corruptNext('up')
          await sleep(40)
        })
        assert.equal(metas.length, 6000)
        assert.ok(watch.max > 1, `batches were pipelined (max ${watch.max} in flight)`)
        assert.ok(watch.failed > 0, 'the cuts hit Produce requests in flight')
      } finally {
        watch.stop()
        await producer.close()
      }
      const got = await readAll(direct, topic)
      const expected = values(6000)
      const firstDiff = got.findIndex((v, i) => v !== expected[i])
      assert.equal(got.length, 6000, `records in the log (first difference at ${firstDiff})`)
      assert.equal(
        firstDiff,
        -1,
        `the log holds every value once, in send order: ${JSON.stringify(got.slice(Math.max(0, firstDiff - 2), firstDiff + 3))}`,
      )
    })
  })

  void test('sends issued while the topic metadata is still loading (through cuts) keep call order', async () => {
    await withProxy(15, async ({ direct, viaProxy, proxy }) => {
      const topic = unique('pipe-order')
      await direct.admin.createTopic(topic, { partitions: 1 })
      const producer = new KafkaProducer(viaProxy.cluster, { ...small, retryBackoffMs: 20 })
      try {
        // No prepareTopic: the first sends wait for Metadata, and the cuts make it retry.
        const metas = await sendAll(producer, topic, 1000, async () => {
          proxy.cutAll()
          await sleep(10)
        })
        const offsets = metas.map((m) => m.offset)
        for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i]! > offsets[i - 1]!, `order at ${i}`)
      } finally {
        await producer.close()
      }
      assert.deepEqual(await readAll(direct, topic), values(1000))
    })
  })
})
