// Faults mid-stream: topic unload through the admin API, connections cut / black-holed / corrupted
// by the fault proxy, and a broker SIGKILL + restart. Producers and consumers must reconnect by
// themselves; every acknowledged send must be stored exactly once (broker deduplication on) and
// reach the consumer.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  PulsarAdmin,
  PulsarConsumer,
  PulsarProducer,
  PulsarReader,
  createClient,
} from '../../../src/pulsar/index.ts'
import type { PulsarClient, PulsarConnectOptions } from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import type { BrokerHandle } from '../../support/brokers.ts'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import { maybeNext, unique } from './helpers.ts'

const FAST_RECONNECT: PulsarConnectOptions = {
  reconnectBackoff: { initialMs: 50, maxMs: 1000 },
  // Generous: a broker just restarted on a loaded two-core machine answers its first requests slowly.
  operationTimeoutMs: 30_000,
}

/** A namespace with broker-side deduplication, so re-sent messages are stored once. */
async function dedupNamespace(admin: PulsarAdmin): Promise<string> {
  const ns = `public/${unique('dedup')}`
  await admin.createNamespace(ns)
  await admin.setDeduplication(ns, true)
  return ns
}

/**
 * Sends `total` messages while `fault(i)` runs at a few points, consuming concurrently; then checks
 * that every send resolved, the consumer saw every message, and the topic holds each exactly once.
 */
async function survive(
  client: PulsarClient,
  topic: string,
  total: number,
  fault: (i: number) => Promise<void>,
): Promise<void> {
  const consumer = await PulsarConsumer.create(client, {
    topic,
    subscription: 'survivor',
    initialPosition: 'earliest',
  })
  const producer = await PulsarProducer.create(client, {
    topic,
    producerName: unique('faulty'),
    sendTimeoutMs: 120_000,
    batchingMaxMessages: 20,
  })
  // Settle first: a subscription unloaded within milliseconds of its creation can come back at
  // the end of the topic on the broker side (its cursor was never persisted), whatever the client.
  await producer.send({ value: 'warm-up' })
  const warm = await maybeNext(consumer, 15_000)
  assert.equal(warm?.valueString(), 'warm-up')
  await consumer.acknowledge(warm)
  await new Promise((r) => setTimeout(r, 500))
  const received = new Set<string>()
  const consuming = (async () => {
    while (received.size < total) {
      const m = await maybeNext(consumer, 90_000)
      if (!m) throw new Error(`consumer stalled after ${received.size} of ${total}`)
      received.add(m.valueString()!)
      await consumer.acknowledge(m).catch(() => undefined) // an ack lost to a fault means a redelivery
    }
  })()
  const sends: Promise<unknown>[] = []
  for (let i = 0; i < total; i++) {
    sends.push(producer.send({ key: `k${i % 7}`, value: `m${i}` }))
    if (i % 50 === 25) {
      await fault(i)
      await new Promise((r) => setTimeout(r, 200))
    }
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5))
  }
  await Promise.all([Promise.all(sends), consuming])
  assert.equal(received.size, total)
  await producer.close()
  await consumer.close()
  // What the topic stores: each message exactly once.
  const reader = await PulsarReader.create(client, { topic, startMessageId: 'earliest' })
  const stored: string[] = []
  for (;;) {
    if (!(await reader.hasMessageAvailable())) break
    const m = await reader.readNext()
    stored.push(m!.valueString()!)
  }
  await reader.close()
  stored.shift() // the warm-up message
  assert.equal(
    stored.length,
    total,
    `stored ${stored.length} messages for ${total} sends (duplicates: ${stored.length - new Set(stored).size})`,
  )
  assert.equal(new Set(stored).size, total)
}

void test('topic unloads mid-stream: producer and consumer follow the topic, nothing lost or duplicated', async () => {
  const b = await useBroker('pulsar')
  const admin = new PulsarAdmin({ url: b.urls.admin! })
  const ns = await dedupNamespace(admin)
  const client = await createClient(b.url, FAST_RECONNECT)
  const topic = `persistent://${ns}/${unique('unload')}`
  try {
    await survive(client, topic, 300, () => admin.unloadTopic(topic))
  } finally {
    await client.close()
  }
})

void test('the fault proxy cuts, black-holes and corrupts connections: everything recovers', async () => {
  const b = await useBroker('pulsar')
  const admin = new PulsarAdmin({ url: b.urls.admin! })
  const ns = await dedupNamespace(admin)
  const target = new URL(b.url)
  const proxy = await startFaultProxy({ targetHost: target.hostname, targetPort: Number(target.port) })
  const client = await createClient(`pulsar://${proxy.host}:${proxy.port}`, {
    ...FAST_RECONNECT,
    keepAliveMs: 1000,
    // Lookups answer with the broker's own address: route those connections through the proxy too.
    mapAddress: () => ({ host: proxy.host, port: proxy.port }),
  })
  const topic = `persistent://${ns}/${unique('proxy')}`
  const faults: Array<() => void | Promise<void>> = [
    () => proxy.cutAll(),
    () => proxy.corruptNext('down'),
    async () => {
      proxy.blackhole(true) // keep-alive must notice the silent connection
      await new Promise((r) => setTimeout(r, 2500))
      proxy.blackhole(false)
      proxy.cutAll()
    },
    () => proxy.corruptNext('up'),
    () => proxy.cutAll(),
    () => proxy.truncateNext('down'),
  ]
  let n = 0
  try {
    await survive(client, topic, 300, () => Promise.resolve(faults[n++ % faults.length]!()))
  } finally {
    await client.close()
    await proxy.close()
  }
})

void test('broker SIGKILL and restart mid-stream: reconnect, nothing acknowledged lost, no duplicate', async () => {
  const b: BrokerHandle = await useBroker('pulsar', { exclusive: true })
  const admin = new PulsarAdmin({ url: b.urls.admin! })
  const ns = await dedupNamespace(admin)
  const client = await createClient(b.url, FAST_RECONNECT)
  const topic = `persistent://${ns}/${unique('restart')}`
  let killed = false
  try {
    await survive(client, topic, 200, async (i) => {
      if (killed || i < 100) return
      killed = true
      await b.kill()
      await b.restart()
    })
    assert.ok(killed)
  } finally {
    await client.close()
    await b.stop()
  }
})
