// Failover against a real RocketMQ cluster (tools/brokers/rocketmq-cluster.ts: broker-a master +
// slave, broker-b master) — issue 16, proven until now only against fake nodes:
//  - sends fail over to broker-b when broker-a's master is SIGKILLed mid-stream, no send fails;
//  - with broker-a's master down, a group consumes broker-a's queues from its slave, and every
//    message acknowledged before or after the kill arrives (broker-a replicates synchronously).
// The instance is private (one node gets killed), started here rather than through useBroker,
// whose kill() would take down every node at once.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startBroker, stopBroker } from '../../../tools/brokers/instance.ts'
import { ownBroker, releaseBroker } from '../../../tools/brokers/owner.ts'
import { killClusterNode } from '../../../tools/brokers/rocketmq-cluster.ts'
import type { BrokerState } from '../../../tools/brokers/types.ts'
import type { RocketMQClient } from '../../../src/rocketmq/client.ts'
import { pullMessages } from '../../../src/rocketmq/consumer/pull.ts'
import { RocketMQPushConsumer } from '../../../src/rocketmq/consumer/push-consumer.ts'
import type { RocketMQSendResult } from '../../../src/rocketmq/producer/message.ts'
import { RocketMQProducer } from '../../../src/rocketmq/producer/producer.ts'
import { subscriptionData } from '../../../src/rocketmq/protocol/heartbeat.ts'
import { collect, createTopic, newClient, text, unique } from './helpers.ts'

let cluster: BrokerState
let client: RocketMQClient
const topic = unique('failover')
const acked = new Map<string, RocketMQSendResult>()

before(async () => {
  cluster = await startBroker('rocketmq-cluster')
  ownBroker(cluster)
  client = newClient(cluster.url)
})

after(async () => {
  await client?.close()
  if (cluster) {
    await stopBroker(cluster)
    releaseBroker(cluster)
  }
})

/** Waits until broker-a's slave serves pulls of the topic (it copies topic configs every 10 s). */
async function slaveServes(): Promise<void> {
  const sub = subscriptionData({ topic, expression: '*', expressionType: 'TAG', subVersion: 1 })
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      const r = await pullMessages(client, {
        group: unique('probe'),
        queue: { topic, brokerName: 'broker-a', queueId: 0 },
        offset: 0,
        maxMessages: 1,
        subscription: sub,
        suspendMs: 0,
        brokerId: 1,
      })
      if (r.pulledFrom === 1 && r.status === 'FOUND') return
    } catch (err) {
      if (Date.now() > deadline) throw err
    }
    if (Date.now() > deadline) throw new Error("broker-a's slave did not serve the topic within 60 s")
    await new Promise((r) => setTimeout(r, 500))
  }
}

void test("sends fail over to broker-b when broker-a's master is killed, and none fails", async () => {
  await createTopic(client, topic, 4)
  const producer = new RocketMQProducer(client, { group: unique('pg'), retries: 2 })
  producer.start()
  let next = 0
  const failures: string[] = []
  const order: string[] = []
  let running = true
  let paused = false
  const sender = async (): Promise<void> => {
    while (running) {
      if (paused) {
        await new Promise((r) => setTimeout(r, 50))
        continue
      }
      const body = `m ${next++}`
      try {
        const result = await producer.send({ topic, body })
        acked.set(body, result)
        order.push(result.queue.brokerName)
      } catch (err) {
        failures.push(`${body}: ${String(err)}`)
      }
    }
  }
  const senders = Array.from({ length: 4 }, () => sender())
  const until = async (cond: () => boolean, what: string, ms = 60_000): Promise<void> => {
    const deadline = Date.now() + ms
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  try {
    await until(() => acked.size >= 200, '200 acknowledged sends')
    paused = true
    await slaveServes()
    const onA = [...acked.values()].filter((r) => r.queue.brokerName === 'broker-a')
    assert.ok(onA.length > 0, 'both broker groups took messages before the kill')
    const beforeKill = order.length
    paused = false
    await until(() => order.length >= beforeKill + 100, '100 more acknowledged sends')
    // Killed while sends are in flight to both broker groups.
    await killClusterNode(cluster, 'broker-a-master')
    const atKill = order.length
    await until(() => order.length >= atKill + 300, '300 acknowledged sends after the kill', 90_000)
  } finally {
    running = false
    await Promise.all(senders)
    await producer.close()
  }
  assert.deepEqual(failures, [], 'no send failed: each was retried on the other broker')
  assert.ok(
    order.slice(-100).every((b) => b === 'broker-b'),
    'once the kill was noticed, every send went to broker-b',
  )
  // SYNC_MASTER: SEND_OK from broker-a means the slave has the message too.
  for (const [body, r] of acked)
    if (r.queue.brokerName === 'broker-a') assert.equal(r.status, 'SEND_OK', body)
})

void test("with broker-a's master down, its queues are consumed from the slave: no acknowledged message lost", async () => {
  assert.ok(acked.size > 0, 'the failover test ran first')
  const own = newClient(cluster.url)
  const consumer = new RocketMQPushConsumer(own, {
    group: unique('g'),
    subscriptions: [{ topic }],
    consumeFrom: 'first',
  })
  const fromA = new Set<string>()
  try {
    await consumer.start()
    const seen = new Set<string>()
    await collect(consumer, () => [...acked.keys()].every((b) => seen.has(b)), {
      timeoutMs: 90_000,
      onBatch: async (batch) => {
        for (const m of batch.messages) {
          seen.add(text(m))
          if (batch.queue.brokerName === 'broker-a') fromA.add(text(m))
        }
        await batch.ack()
      },
    }).catch((err: Error) => {
      const missing = [...acked].filter(([b]) => !seen.has(b))
      const count = (name: string): number => missing.filter(([, r]) => r.queue.brokerName === name).length
      throw new Error(
        `${missing.length} of ${acked.size} acknowledged messages not received (broker-a: ${count('broker-a')}, broker-b: ${count('broker-b')}): ${missing
          .slice(0, 10)
          .map(([b, r]) => `${b}@${r.queue.brokerName}:${r.queue.queueId}:${r.queueOffset}`)
          .join(', ')}`,
        { cause: err },
      )
    })
  } finally {
    await consumer.close().catch(() => {})
    await own.close()
  }
  const expectedFromA = [...acked].filter(([, r]) => r.queue.brokerName === 'broker-a').map(([b]) => b)
  assert.ok(expectedFromA.length > 0)
  // broker-a has no master any more: whatever of it arrived was served by the slave.
  for (const body of expectedFromA) assert.ok(fromA.has(body), `${body} read from broker-a's slave`)
})
