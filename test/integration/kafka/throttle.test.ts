// Broker throttling (KIP-219): a client over its quota gets responses with throttle_time_ms > 0
// and must send nothing more on that connection for that long, as the Java client does. The test
// gives one client id a tiny fetch quota through AlterClientQuotas, consumes a topic with it, and
// checks that after each throttled response the connection's next request waited it out.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { channels, type RequestEvent, type ThrottleEvent } from '../../../src/core/diagnostics.ts'
import { KafkaConsumer, KafkaProducer } from '../../../src/kafka/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, unique } from './helpers.ts'

void test(
  'fetches over the quota are throttled and the connection waits the throttle time out',
  { timeout: 180_000 },
  async () => {
    const b = await useBroker('kafka')
    const admin = await client(b.url)
    const clientId = unique('throttled')
    const topic = unique('quota')
    await admin.admin.createTopic(topic, { partitions: 1 })
    await admin.admin.alterClientQuotas({ 'client-id': clientId }, { consumer_byte_rate: 20_000 })
    // One record per batch, and fetches of one batch: a throttled fetch comes back empty (the
    // broker drops its data), so a batch bigger than the quota allows would never get through.
    const producer = new KafkaProducer(admin.cluster, {})
    const value = 'x'.repeat(10_000)
    for (let i = 0; i < 30; i++) await producer.send(topic, { value })
    await producer.close()

    const throttles: (ThrottleEvent & { at: number })[] = []
    const starts: (RequestEvent & { at: number })[] = []
    const onThrottle = (e: ThrottleEvent) => throttles.push({ ...e, at: performance.now() })
    const onStart = (e: RequestEvent) => starts.push({ ...e, at: performance.now() })
    channels.throttle.subscribe(onThrottle)
    channels.requestStart.subscribe(onStart)
    const consumerClient = await client(b.url, { clientId })
    try {
      const consumer = new KafkaConsumer(consumerClient.cluster, {
        autoOffsetReset: 'earliest',
        maxWaitMs: 100,
        partitionMaxBytes: 15_000,
        maxBytes: 15_000,
      })
      await consumer.assign([{ topic, partition: 0 }])
      let received = 0
      const deadline = Date.now() + 60_000
      while (received < 30 && Date.now() < deadline) {
        const batch = await consumer.nextBatch()
        if (!batch) break
        received += batch.messages.length
      }
      await consumer.close()
      assert.equal(received, 30, 'everything arrives, throttled or not')
      const fetchThrottles = throttles.filter((t) => t.operation.startsWith('Fetch') && t.driver === 'kafka')
      assert.ok(fetchThrottles.length > 0, 'the broker throttled the fetches of a client over its quota')
      for (const t of fetchThrottles) {
        const next = starts.find((s) => s.connection === t.connection && s.at > t.at)
        if (!next) continue
        // 5 ms of slack for timer granularity.
        assert.ok(
          next.at >= t.at + t.throttleMs - 5,
          `${next.operation} went out ${(next.at - t.at).toFixed(0)} ms after a throttle of ${t.throttleMs} ms`,
        )
      }
    } finally {
      channels.throttle.unsubscribe(onThrottle)
      channels.requestStart.unsubscribe(onStart)
      await admin.admin.alterClientQuotas({ 'client-id': clientId }, { consumer_byte_rate: null })
      await consumerClient.close()
      await admin.close()
    }
  },
)
