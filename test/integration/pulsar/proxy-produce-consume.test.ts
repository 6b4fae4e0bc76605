// The client through a real Pulsar proxy (pulsar-proxy beside the shared standalone): lookups and
// partition metadata are answered by the proxy, and producer/consumer connections go to the proxy
// with CONNECT naming the owning broker (proxy_to_broker_url). Every address the client connects to
// is recorded: none may be the broker's own port.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  PulsarAdmin,
  PulsarConsumer,
  PulsarProducer,
  PulsarReader,
  createClient,
} from '../../../src/pulsar/index.ts'
import type { PulsarClient } from '../../../src/pulsar/index.ts'
import { startPulsarProxy } from '../../../tools/brokers/pulsar-proxy.ts'
import type { PulsarProxy } from '../../../tools/brokers/pulsar-proxy.ts'
import { useBroker } from '../../support/brokers.ts'
import type { BrokerHandle } from '../../support/brokers.ts'
import { next, unique } from './helpers.ts'

let broker: BrokerHandle
let proxy: PulsarProxy
let admin: PulsarAdmin

before(async () => {
  broker = await useBroker('pulsar')
  proxy = await startPulsarProxy({ url: broker.urls.url!, admin: broker.urls.admin! })
  // The admin REST API through the proxy's web port, which forwards it to the broker.
  admin = new PulsarAdmin({ url: proxy.admin })
})
after(() => proxy?.stop())

/** A client whose every connection target is recorded. */
async function recordingClient(
  form: 'proxyUrl' | 'serviceUrl',
): Promise<{ client: PulsarClient; targets: number[] }> {
  const targets: number[] = []
  const mapAddress = (host: string, port: number) => {
    targets.push(port)
    return { host, port }
  }
  const client =
    form === 'proxyUrl'
      ? // The service URL names the broker, but proxyUrl sends everything to the proxy.
        await createClient(broker.url, { proxyUrl: proxy.url, mapAddress, operationTimeoutMs: 30_000 })
      : // The proxy as the service URL: its lookup answers say to go through it.
        await createClient(proxy.url, { mapAddress, operationTimeoutMs: 30_000 })
  return { client, targets }
}

async function roundTrip(client: PulsarClient, partitions: number): Promise<void> {
  const topic = `persistent://public/default/${unique(`proxy-p${partitions}`)}`
  if (partitions > 0) await admin.createPartitionedTopic(topic, partitions)
  assert.equal(await client.partitions(topic), partitions)
  const consumer = await PulsarConsumer.create(client, {
    topic,
    subscription: unique('through-proxy'),
    subscriptionType: 'Shared',
    initialPosition: 'earliest',
  })
  const producer = await PulsarProducer.create(client, { topic, batchingMaxMessages: 10 })
  const total = 60
  const ids = await Promise.all(
    Array.from({ length: total }, (_, i) =>
      producer.send({ key: `key-${i}`, value: `v${i}`, properties: { i: String(i) } }),
    ),
  )
  assert.equal(new Set(ids.map(String)).size, total)
  const seen = new Map<string, number>()
  for (let i = 0; i < total; i++) {
    const m = await next(consumer, 30_000)
    assert.equal(m.properties.i, m.valueString()!.slice(1))
    seen.set(m.valueString()!, m.partition)
    await consumer.acknowledge(m)
  }
  assert.equal(seen.size, total)
  if (partitions > 0) assert.equal(new Set(seen.values()).size, partitions, 'every partition was used')
  else assert.deepEqual([...new Set(seen.values())], [-1])
  // A reader from the start sees the same messages through the proxy.
  const reader = await PulsarReader.create(client, { topic, startMessageId: 'earliest' })
  const read = new Set<string>()
  for (let i = 0; i < total; i++) read.add((await next(reader, 30_000)).valueString()!)
  assert.equal(read.size, total)
  await reader.close()
  await producer.close()
  await consumer.close()
  const backlog = (
    await Promise.all(
      (partitions === 0
        ? [topic]
        : Array.from({ length: partitions }, (_, i) => `${topic}-partition-${i}`)
      ).map((t) => admin.topicStats(t)),
    )
  ).flatMap((s) => Object.values(s.subscriptions))
  assert.ok(backlog.length > 0, 'the subscription is visible through the proxy')
}

for (const form of ['proxyUrl', 'serviceUrl'] as const) {
  for (const partitions of [0, 3]) {
    void test(`through the Pulsar proxy (${form}), ${partitions ? `${partitions} partitions` : 'non-partitioned'}: produce, consume, read`, async () => {
      const { client, targets } = await recordingClient(form)
      try {
        await roundTrip(client, partitions)
      } finally {
        await client.close()
      }
      const proxyPort = Number(new URL(proxy.url).port)
      const brokerPort = Number(new URL(broker.url).port)
      assert.ok(targets.length > 0)
      assert.ok(!targets.includes(brokerPort), `connected to the broker directly: ${targets.join(', ')}`)
      assert.deepEqual([...new Set(targets)], [proxyPort])
    })
  }
}
