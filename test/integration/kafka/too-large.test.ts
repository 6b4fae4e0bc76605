// MESSAGE_TOO_LARGE from the real broker (a topic with a small max.message.bytes): batches the
// broker refuses are split and sent again in order, with idempotence and several batches in
// flight; a single record that alone is too large fails with MessageTooLargeError, and the
// records behind it are still written exactly once, in order, without an epoch bump.
import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test } from 'node:test'
import type { Message } from '../../../src/core/contract.ts'
import { MessageTooLargeError } from '../../../src/core/errors.ts'
import { KafkaConsumer, KafkaProducer } from '../../../src/kafka/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import { client, collect, unique } from './helpers.ts'

void test('too-large batches are split and resent in order; a lone too-large record fails alone', async () => {
  const b = await useBroker('kafka')
  const [host, port] = b.urls.bootstrap!.split(':')
  const proxy = await startFaultProxy({ targetHost: host!, targetPort: Number(port) })
  proxy.latency(10) // so several batches of the partition are in flight when one is refused
  const direct = await client(b.url)
  const viaProxy = await client(`kafka://${proxy.host}:${proxy.port}`, {
    mapAddress: () => ({ host: proxy.host, port: proxy.port }),
  })
  let initProducerIds = 0
  const onStart = (e: unknown) => {
    if ((e as { operation: string }).operation.startsWith('InitProducerId')) initProducerIds++
  }
  subscribe('conduit:request:start', onStart)
  try {
    const topic = unique('too-large')
    await direct.admin.createTopic(topic, { partitions: 1, config: { 'max.message.bytes': '3000' } })
    const producer = new KafkaProducer(viaProxy.cluster, { batchSize: 64 * 1024, lingerMs: 5 })
    await producer.prepareTopic(topic)
    const value = (i: number) => `${i}`.padStart(200, '.')
    const sends: Promise<unknown>[] = []
    const oversized = 1500
    for (let i = 0; i < 3000; i++) {
      const v = i === oversized ? 'x'.repeat(5000) : value(i)
      sends.push(producer.send(topic, { value: v, partition: 0 }))
    }
    const outcomes = await Promise.allSettled(sends)
    await producer.close()
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [[i, o.reason] as const] : []))
    assert.deepEqual(
      failed.map(([i]) => i),
      [oversized],
      'only the record that alone is too large fails',
    )
    const err = failed[0]![1] as MessageTooLargeError
    assert.ok(err instanceof MessageTooLargeError, String(err))
    assert.equal(err.limit, 3000)
    assert.ok(err.size > 3000)
    assert.equal(initProducerIds, 1, 'no epoch bump: the records behind took over its sequence numbers')

    const consumer = new KafkaConsumer(direct.cluster, { autoOffsetReset: 'earliest' })
    await consumer.assign([{ topic, partition: 0 }])
    const got = await collect<Message>(consumer, 2999, 60_000)
    await consumer.close()
    const expected = Array.from({ length: 3000 }, (_, i) => value(i)).filter((_, i) => i !== oversized)
    assert.equal(got.length, 2999)
    assert.ok(
      got.every((m, i) => m.valueString() === expected[i]),
      'every other record once, in send order',
    )
  } finally {
    unsubscribe('conduit:request:start', onStart)
    await viaProxy.close()
    await direct.close()
    await proxy.close()
  }
})
