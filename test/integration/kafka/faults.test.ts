// Faults: connections cut by the fault proxy, a broker SIGKILLed and restarted mid-stream, and
// leader failover on the 3-node cluster with replication factor 3 and acks=all. In every case:
// no acknowledged message is lost, the idempotent producer writes no duplicate, and the order
// per partition is the send order.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import type { Message } from '../../../src/core/contract.ts'
import { KafkaConsumer, KafkaProducer, type KafkaBroker } from '../../../src/kafka/index.ts'
import { ownedFilesOf } from '../../../tools/brokers/owner.ts'
import type { BrokerState } from '../../../tools/brokers/types.ts'
import { useBroker, type BrokerHandle } from '../../support/brokers.ts'
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts'
import { client, collect, unique } from './helpers.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Sends `${i}` keyed k<i % keys> one by one without waiting; returns acknowledged values. */
function pump(producer: KafkaProducer, topic: string, keys: number) {
  let i = 0
  let running = true
  const acked: string[] = []
  const failed: Error[] = []
  const inflight = new Set<Promise<unknown>>()
  const done = (async () => {
    while (running) {
      const value = String(i++)
      const p = producer.send(topic, { key: `k${Number(value) % keys}`, value }).then(
        () => void acked.push(value),
        (err: Error) => void failed.push(err),
      )
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
      if (inflight.size >= 200) await Promise.race(inflight)
      if (i % 50 === 0) await sleep(5)
    }
    await Promise.all(inflight)
  })()
  return {
    acked,
    failed,
    get sent() {
      return i
    },
    stop: async () => {
      running = false
      await done
    },
  }
}

/** Reads the whole topic with a fresh client and checks loss, duplicates and order. */
async function verify(
  broker: KafkaBroker,
  topic: string,
  acked: string[],
  partitions: number,
): Promise<void> {
  const consumer = new KafkaConsumer(broker.cluster, { autoOffsetReset: 'earliest' })
  await consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))
  const ends = await broker.admin.describeTopic(topic)
  const total = ends.partitions.reduce((n, p) => n + (p.latest ?? 0) - (p.earliest ?? 0), 0)
  const got = await collect<Message>(consumer, total, 60_000)
  await consumer.close()
  const values = got.map((m) => m.valueString()!)
  const counts = new Map<string, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  const lost = acked.filter((v) => !counts.has(v))
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged messages lost`)
  const dups = [...counts].filter(([, n]) => n > 1)
  assert.deepEqual(dups.slice(0, 10), [], `${dups.length} messages written twice`)
  for (let p = 0; p < partitions; p++) {
    const seq = got.filter((m) => m.partition === p).map((m) => Number(m.valueString()))
    // One key per partition order: values of one key must be increasing.
    const byKey = new Map<string, number[]>()
    got
      .filter((m) => m.partition === p)
      .forEach((m) => {
        const k = m.keyString()!
        byKey.set(k, [...(byKey.get(k) ?? []), Number(m.valueString())])
      })
    for (const [k, list] of byKey)
      assert.deepEqual(
        list,
        [...list].sort((a, b) => a - b),
        `order of ${k} in partition ${p}`,
      )
    assert.ok(seq.length >= 0)
  }
}

function nodePid(handle: BrokerHandle, nodeId: number): number {
  for (const file of ownedFilesOf(process.pid)) {
    const state = JSON.parse(readFileSync(file, 'utf8')) as BrokerState
    if (state.url !== handle.url) continue
    const proc = state.processes.find((p) => p.name === `kafka-node-${nodeId}`)
    if (proc?.pid) return proc.pid
  }
  throw new Error(`no process for node ${nodeId} of ${handle.url}`)
}

void describe('kafka under faults', { concurrency: false }, () => {
  void test('connections cut by the fault proxy: producer and consumer recover, nothing lost or doubled', async () => {
    const b = await useBroker('kafka')
    const [host, port] = b.urls.bootstrap!.split(':')
    const proxy: FaultProxy = await startFaultProxy({ targetHost: host!, targetPort: Number(port) })
    const direct = await client(b.url)
    const viaProxy = await client(`kafka://${proxy.host}:${proxy.port}`, {
      mapAddress: () => ({ host: proxy.host, port: proxy.port }),
      requestTimeoutMs: 5000,
      reconnectInitialMs: 50,
      reconnectMaxMs: 500,
    })
    try {
      const topic = unique('cut')
      await direct.admin.createTopic(topic, { partitions: 3 })
      const producer = new KafkaProducer(viaProxy.cluster, { lingerMs: 2 })
      const consumer = new KafkaConsumer(viaProxy.cluster, { autoOffsetReset: 'earliest', maxWaitMs: 100 })
      await consumer.assign([0, 1, 2].map((partition) => ({ topic, partition })))
      const seen: string[] = []
      let reading = true
      const reader = (async () => {
        while (reading) {
          const batch = await consumer.nextBatch()
          if (!batch) return
          for (const m of batch.messages) seen.push(m.valueString()!)
          await batch.ack()
        }
      })()
      const p = pump(producer, topic, 6)
      for (let round = 0; round < 5; round++) {
        await sleep(400)
        proxy.cutAll()
      }
      await sleep(300)
      proxy.truncateNext('down')
      await sleep(300)
      // A corrupted frame length, which the client must detect (and reconnect, and resend). A byte
      // flipped in the middle could land on a Produce response's error code, which no client can
      // tell from a real error — where it lands depends on the topic name's length.
      proxy.corruptNext('down', 'first')
      await sleep(500)
      await p.stop()
      assert.deepEqual(p.failed.slice(0, 3).map(String), [], 'sends retried through the cuts')
      assert.ok(p.acked.length > 500, `enough traffic went through (${p.acked.length})`)
      const deadline = Date.now() + 30_000
      while (new Set(seen).size < p.acked.length && Date.now() < deadline) await sleep(100)
      reading = false
      await producer.close()
      await consumer.close()
      await reader
      const seenSet = new Set(seen)
      assert.deepEqual(
        p.acked.filter((v) => !seenSet.has(v)).slice(0, 10),
        [],
        'the cut consumer still got everything',
      )
      await verify(direct, topic, p.acked, 3)
    } finally {
      await viaProxy.close()
      await direct.close()
      await proxy.close()
    }
  })

  void test('broker SIGKILL and restart mid-stream', async () => {
    const b = await useBroker('kafka', { exclusive: true })
    const broker = await client(b.url, { requestTimeoutMs: 5000, reconnectMaxMs: 1000 })
    try {
      const topic = unique('kill')
      await broker.admin.createTopic(topic, { partitions: 2 })
      const producer = new KafkaProducer(broker.cluster, { lingerMs: 2, deliveryTimeoutMs: 120_000 })
      const p = pump(producer, topic, 4)
      await sleep(1000)
      await b.kill()
      await sleep(1500)
      await b.restart()
      await sleep(2000)
      await p.stop()
      await producer.close()
      assert.deepEqual(
        p.failed.slice(0, 3).map(String),
        [],
        'every send was retried until the broker came back',
      )
      await verify(broker, topic, p.acked, 2)
    } finally {
      await broker.close()
      await b.stop()
    }
  })

  void test('leader failover on a 3-node cluster, RF 3, acks=all', { timeout: 600_000 }, async () => {
    const b = await useBroker('kafka-cluster', { exclusive: true })
    const broker = await client(b.url, { requestTimeoutMs: 5000, reconnectMaxMs: 1000 })
    try {
      const topic = unique('failover')
      await broker.admin.createTopic(topic, {
        partitions: 3,
        replicationFactor: 3,
        config: { 'min.insync.replicas': '2' },
      })
      const producer = new KafkaProducer(broker.cluster, {
        acks: 'all',
        lingerMs: 2,
        deliveryTimeoutMs: 180_000,
      })
      const p = pump(producer, topic, 6)
      await sleep(1500)
      const leader = broker.cluster.leaderOf(topic, 0)
      process.kill(nodePid(b, leader), 'SIGKILL')
      await sleep(15_000)
      const newLeader = broker.cluster.leaderOf(topic, 0)
      await p.stop()
      await producer.close()
      assert.notEqual(newLeader, leader, 'partition 0 moved to a surviving replica')
      assert.deepEqual(p.failed.slice(0, 3).map(String), [], 'sends were retried onto the new leader')
      await verify(broker, topic, p.acked, 3)
    } finally {
      await broker.close()
      await b.stop()
    }
  })
})
