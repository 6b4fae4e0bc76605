// subscribe() when the group coordinator cannot be reached: it rejects with TimeoutError after
// joinTimeoutMs instead of waiting forever, and a consumer that is kept joins and reads once the
// coordinator is reachable again.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Message } from '../../../src/core/contract.ts'
import { TimeoutError } from '../../../src/core/errors.ts'
import { KafkaConsumer, KafkaProducer } from '../../../src/kafka/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import { client, collect, unique } from './helpers.ts'

void test('subscribe() rejects with TimeoutError when the coordinator is unreachable, then joins in the background', async () => {
  const b = await useBroker('kafka')
  const [host, port] = b.urls.bootstrap!.split(':')
  const proxy = await startFaultProxy({ targetHost: host!, targetPort: Number(port) })
  const direct = await client(b.url)
  const viaProxy = await client(`kafka://${proxy.host}:${proxy.port}`, {
    mapAddress: () => ({ host: proxy.host, port: proxy.port }),
    requestTimeoutMs: 1000,
    reconnectInitialMs: 50,
    reconnectMaxMs: 200,
  })
  const topic = unique('join-timeout')
  const consumer = new KafkaConsumer(viaProxy.cluster, {
    groupId: unique('g'),
    autoOffsetReset: 'earliest',
    joinTimeoutMs: 2000,
  })
  try {
    await direct.admin.createTopic(topic, { partitions: 1 })
    await viaProxy.cluster.topic(topic) // metadata known; only the coordinator is out of reach
    proxy.refuseNew(true)
    proxy.cutAll()
    const started = Date.now()
    await assert.rejects(consumer.subscribe([topic]), (err: unknown) => {
      assert.ok(err instanceof TimeoutError, String(err))
      assert.match(err.message, /joinTimeoutMs \(2000 ms\)/)
      return true
    })
    const took = Date.now() - started
    assert.ok(took >= 1900 && took < 10_000, `rejected after ${took} ms`)

    proxy.refuseNew(false)
    const producer = new KafkaProducer(direct.cluster)
    await producer.send(topic, { value: 'after the outage' })
    await producer.close()
    const got = await collect<Message>(consumer, 1, 30_000)
    assert.deepEqual(
      got.map((m) => m.valueString()),
      ['after the outage'],
    )
  } finally {
    await consumer.close()
    await viaProxy.close()
    await direct.close()
    await proxy.close()
  }
})
