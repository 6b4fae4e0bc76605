// Faults mid-stream against a private broker: SIGKILL + restart of name server and broker, and
// connections cut by the fault proxy. Whatever the producer saw acknowledged must be consumed,
// and the group's committed offsets must never pass a message that was not processed.

import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { useBroker } from '../../support/brokers.ts'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import { connect } from '../../../src/index.ts'
import type { Batch, Broker } from '../../../src/core/contract.ts'
import { queryConsumerOffset } from '../../../src/rocketmq/consumer/offsets.ts'
import { readQueues } from '../../../src/rocketmq/protocol/route.ts'
import type { RocketMQBroker } from '../../../src/rocketmq/broker.ts'
import { unique } from './helpers.ts'

const broker = await useBroker('rocketmq', { exclusive: true })
after(() => broker.stop())

interface Stream {
  acked: Set<string>
  processed: Map<number, Set<number>>
  received: Set<string>
  stop: () => Promise<void>
}

/** Produces numbered messages continuously and consumes them, recording acks on both sides. */
async function stream(b: Broker, topic: string, group: string): Promise<Stream> {
  const producer = await b.producer({ topic, deliveryTimeoutMs: 60_000 })
  const consumer = await b.consumer({ topic, group, from: 'earliest' })
  const acked = new Set<string>()
  const received = new Set<string>()
  const processed = new Map<number, Set<number>>()
  let running = true
  const producing = (async () => {
    for (let i = 0; running; i++) {
      const value = `m-${i}`
      try {
        await producer.send({ value })
        acked.add(value)
      } catch {
        // not acknowledged: allowed to be lost
      }
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  const iterator = consumer[Symbol.asyncIterator]()
  const consuming = (async () => {
    for (;;) {
      const next = (await iterator.next()) as IteratorResult<Batch>
      if (next.done) return
      for (const m of next.value.messages) {
        received.add(m.valueString()!)
        const set = processed.get(m.partition) ?? new Set<number>()
        set.add(m.offset)
        processed.set(m.partition, set)
      }
      await next.value.ack().catch(() => {})
    }
  })()
  return {
    acked,
    received,
    processed,
    stop: async () => {
      running = false
      await producing
      await producer.close()
      // Let the consumer catch up with everything acknowledged, then stop it.
      const deadline = Date.now() + 60_000
      while ([...acked].some((v) => !received.has(v)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200))
      await consumer.close()
      await consuming
    },
  }
}

async function checkOffsets(b: RocketMQBroker, group: string, topic: string, s: Stream): Promise<void> {
  const route = await b.client.route(topic, true)
  const queues = readQueues(topic, route!)
  assert.ok(queues.length > 0)
  let committedTotal = 0
  for (const [partition, q] of queues.entries()) {
    const committed = (await queryConsumerOffset(b.client, group, q)) ?? 0
    committedTotal += committed
    const done = s.processed.get(partition) ?? new Set<number>()
    for (let offset = 0; offset < committed; offset++) {
      assert.ok(
        done.has(offset),
        `queue ${partition}: committed ${committed} passes unprocessed offset ${offset}`,
      )
    }
  }
  assert.ok(committedTotal > 0, 'the group committed offsets')
}

void test('broker and name server SIGKILL + restart mid-stream lose nothing acknowledged', async () => {
  const b = (await connect(broker.url, { requestTimeoutMs: 3000 })) as RocketMQBroker
  const topic = unique('kill')
  const group = unique('g')
  const s = await stream(b, topic, group)
  await new Promise((r) => setTimeout(r, 2000))
  await broker.kill()
  await new Promise((r) => setTimeout(r, 1000))
  await broker.restart()
  // Produce on until the restarted brokers acknowledged a good share: a fixed 3 s window let only
  // 67 sends through in one loaded CI run, and the loss check below then proved little.
  const afterRestart = s.acked.size + 50
  const deadline = Date.now() + 60_000
  while (s.acked.size < Math.max(afterRestart, 101) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200))
  await s.stop()
  const lost = [...s.acked].filter((v) => !s.received.has(v))
  assert.ok(s.acked.size > 100, `only ${s.acked.size} acknowledged`)
  assert.deepEqual(lost, [], `${lost.length} acknowledged messages were not consumed`)
  // Check offsets with a fresh broker connection (the group has left; offsets persist).
  const check = (await connect(broker.url)) as RocketMQBroker
  try {
    await checkOffsets(check, group, topic, s)
  } finally {
    await check.close()
    await b.close()
  }
})

void test('connections cut by the fault proxy lose nothing acknowledged', async () => {
  const [host, port] = broker.urls.broker!.split(':') as [string, string]
  const proxy = await startFaultProxy({ targetHost: host, targetPort: Number(port) })
  const b = (await connect(broker.url, {
    mapAddress: (h: string, p: number) =>
      `${h}:${p}` === broker.urls.broker ? { host: proxy.host, port: proxy.port } : { host: h, port: p },
  })) as RocketMQBroker
  const topic = unique('cut')
  const group = unique('g')
  try {
    const s = await stream(b, topic, group)
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 700))
      proxy.cutAll()
    }
    await new Promise((r) => setTimeout(r, 2000))
    assert.ok(proxy.connections() > 0, 'traffic went through the proxy')
    await s.stop()
    const lost = [...s.acked].filter((v) => !s.received.has(v))
    assert.ok(s.acked.size > 100, `only ${s.acked.size} acknowledged`)
    assert.deepEqual(lost, [], `${lost.length} acknowledged messages were not consumed`)
    await checkOffsets(b, group, topic, s)
  } finally {
    await b.close()
    await proxy.close()
  }
})
