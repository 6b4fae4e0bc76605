// A 3-member group with cooperative-sticky while messages flow: members join and leave; a
// partition that does not move is never revoked (it keeps flowing); nothing is lost; and no
// message is processed by two members (revocation commits processed offsets before handing a
// partition over, and the next owner starts from that commit).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Message } from '../../../src/core/contract.ts'
import {
  KafkaConsumer,
  KafkaProducer,
  type KafkaBroker,
  type TopicPartition,
} from '../../../src/kafka/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import { client, unique } from './helpers.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Member {
  name: string
  consumer: KafkaConsumer
  owned: Set<string>
  revokedEver: string[]
  assignedEver: string[]
  stop: () => Promise<void>
}

void describe('kafka consumer groups', () => {
  let broker: KafkaBroker
  before(async () => {
    broker = await client((await useBroker('kafka')).url)
  })
  after(() => broker.close())

  void test('cooperative-sticky: join and leave under load, sticky partitions keep flowing, no loss, no double processing', async () => {
    const topic = unique('grp')
    const group = unique('grp-g')
    const partitions = 6
    await broker.admin.createTopic(topic, { partitions })
    const producer = new KafkaProducer(broker.cluster, { lingerMs: 1 })
    let sent = 0
    let producing = true
    const production = (async () => {
      while (producing) {
        const batch = Array.from({ length: 20 }, () => ({ key: `k${sent % 50}`, value: String(sent++) }))
        await producer.sendBatch(topic, batch)
        await sleep(20)
      }
    })()

    const seen = new Map<string, string[]>() // value -> members that processed it
    const key = (tp: TopicPartition) => `${tp.topic}-${tp.partition}`
    const start = async (name: string): Promise<Member> => {
      const m: Partial<Member> = { name, owned: new Set(), revokedEver: [], assignedEver: [] }
      const consumer = new KafkaConsumer(
        broker.cluster,
        {
          groupId: group,
          autoOffsetReset: 'earliest',
          assignors: ['cooperative-sticky'],
          autoCommitIntervalMs: 200,
        },
        {
          onAssigned: (tps) => {
            for (const tp of tps) {
              m.owned!.add(key(tp))
              m.assignedEver!.push(key(tp))
            }
          },
          onRevoked: (tps) => {
            for (const tp of tps) {
              m.owned!.delete(key(tp))
              m.revokedEver!.push(key(tp))
            }
          },
          onLost: (tps) => assert.fail(`${name} lost ${tps.map(key).join(',')} without a rebalance`),
        },
      )
      m.consumer = consumer
      await consumer.subscribe([topic])
      let running = true
      const loop = (async () => {
        while (running) {
          const b = await consumer.nextBatch()
          if (!b) return
          for (const msg of b.messages as Message[]) {
            const who = seen.get(msg.valueString()!) ?? []
            who.push(name)
            seen.set(msg.valueString()!, who)
          }
          await b.ack()
        }
      })()
      m.stop = async () => {
        running = false
        await consumer.close()
        await loop
      }
      return m as Member
    }

    const a = await start('A')
    await sleep(1500)
    const b = await start('B')
    await sleep(3000)
    const c = await start('C')
    await sleep(3000)
    // With three members each owns two partitions; A only gave up what moved, never more.
    for (const m of [a, b, c]) assert.equal(m.owned.size, 2, `${m.name} owns 2 of 6 partitions`)
    assert.equal(a.revokedEver.length, 4, 'A revoked exactly the 4 partitions that moved to B and C')
    for (const p of a.revokedEver) assert.ok(!a.owned.has(p), 'a revoked partition is not one A kept')
    assert.equal(b.revokedEver.length, 1, 'B gave exactly one partition to C')
    const aKept = [...a.owned]
    await a.stop()
    await sleep(3000)
    // B and C take A's partitions without giving any of their own up.
    assert.equal(b.owned.size + c.owned.size, 6)
    assert.equal(b.revokedEver.length + c.revokedEver.length, 1)
    for (const p of aKept) assert.ok(b.owned.has(p) || c.owned.has(p))
    producing = false
    await production
    await producer.flush()
    const deadline = Date.now() + 20_000
    while (seen.size < sent && Date.now() < deadline) await sleep(100)
    await b.stop()
    await c.stop()
    await producer.close()

    const missing = Array.from({ length: sent }, (_, i) => String(i)).filter((v) => !seen.has(v))
    assert.deepEqual(missing, [], 'every produced message was consumed')
    const twice = [...seen].filter(([, who]) => who.length > 1)
    assert.deepEqual(twice.slice(0, 5), [], 'no message was processed twice')
  })

  void test('static membership: a restarted member with the same group.instance.id gets its partitions back without a rebalance of others', async () => {
    const topic = unique('static')
    const group = unique('static-g')
    await broker.admin.createTopic(topic, { partitions: 4 })
    const cfg = (id: string) => ({
      groupId: group,
      groupInstanceId: id,
      sessionTimeoutMs: 20_000,
      assignors: ['range'],
    })
    let twoRevoked = 0
    const one = new KafkaConsumer(broker.cluster, cfg('one'))
    const two = new KafkaConsumer(broker.cluster, cfg('two'), { onRevoked: () => void twoRevoked++ })
    await one.subscribe([topic])
    await two.subscribe([topic])
    await sleep(2500)
    const before = one
      .assignment()
      .map((tp) => tp.partition)
      .sort()
    assert.equal(before.length + two.assignment().length, 4)
    twoRevoked = 0
    await one.close() // a static member does not leave the group
    const again = new KafkaConsumer(broker.cluster, cfg('one'), {})
    await again.subscribe([topic])
    const after = again
      .assignment()
      .map((tp) => tp.partition)
      .sort()
    assert.deepEqual(after, before, 'the same partitions come back')
    await sleep(1500)
    assert.equal(twoRevoked, 0, 'the other member kept its partitions throughout')
    await again.close()
    await two.close()
  })

  void test('a rebalance listener that never returns cannot wedge the group (deadline)', async () => {
    const topic = unique('stuck')
    const group = unique('stuck-g')
    await broker.admin.createTopic(topic, { partitions: 4 })
    const cfg = { groupId: group, rebalanceListenerTimeoutMs: 1000 }
    const stuck = new KafkaConsumer(broker.cluster, cfg, {
      onRevoked: () => new Promise<void>(() => undefined),
    })
    await stuck.subscribe([topic])
    const started = Date.now()
    const other = new KafkaConsumer(broker.cluster, cfg)
    await other.subscribe([topic])
    const deadline = Date.now() + 20_000
    while (other.assignment().length < 2 && Date.now() < deadline) await sleep(100)
    assert.equal(other.assignment().length, 2, 'the newcomer got its share despite the stuck listener')
    assert.equal(stuck.assignment().length, 2)
    assert.ok(Date.now() - started < 15_000)
    await other.close()
    await stuck.close()
  })

  void test('an evicted member stops consuming at once and its partitions go to the others', async () => {
    const b = await useBroker('kafka')
    const [host, port] = b.urls.bootstrap!.split(':')
    const proxy = await startFaultProxy({ targetHost: host!, targetPort: Number(port) })
    const viaProxy = await client(`kafka://${proxy.host}:${proxy.port}`, {
      mapAddress: () => ({ host: proxy.host, port: proxy.port }),
      requestTimeoutMs: 1500,
      connectTimeoutMs: 1500,
    })
    try {
      const topic = unique('evict')
      const group = unique('evict-g')
      await broker.admin.createTopic(topic, { partitions: 4 })
      const cfg = {
        groupId: group,
        autoOffsetReset: 'earliest' as const,
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 500,
      }
      let lostAt = 0
      const aDeliveries: number[] = []
      const a = new KafkaConsumer(viaProxy.cluster, cfg, { onLost: () => void (lostAt = Date.now()) })
      const bc = new KafkaConsumer(broker.cluster, cfg)
      await a.subscribe([topic])
      await bc.subscribe([topic])
      const seen = new Set<string>()
      let running = true
      const loop = (c: KafkaConsumer, mark?: number[]) =>
        (async () => {
          while (running) {
            const batch = await c.nextBatch().catch(() => undefined)
            if (!batch) {
              await sleep(50)
              continue
            }
            mark?.push(Date.now())
            for (const m of batch.messages as Message[]) seen.add(m.valueString()!)
            await batch.ack()
          }
        })()
      const loops = [loop(a, aDeliveries), loop(bc)]
      const producer = new KafkaProducer(broker.cluster)
      let sent = 0
      const produce = async (n: number) => {
        for (let i = 0; i < n; i++) await producer.send(topic, { key: `k${sent % 8}`, value: String(sent++) })
      }
      await sleep(2500)
      await produce(200)
      await sleep(1000)
      assert.ok(aDeliveries.length > 0, 'A consumed before the fault')
      proxy.blackhole(true)
      const deadline = Date.now() + 30_000
      while (lostAt === 0 && Date.now() < deadline) await sleep(100)
      assert.ok(lostAt > 0, 'A noticed it was evicted (no heartbeat for the session timeout)')
      const deliveredBefore = aDeliveries.length
      await produce(200)
      const until = Date.now() + 20_000
      while (seen.size < sent && Date.now() < until) await sleep(100)
      assert.equal(seen.size, sent, 'B took over every partition: nothing lost')
      assert.equal(aDeliveries.length, deliveredBefore, 'A delivered nothing after it was evicted')
      assert.ok(
        aDeliveries.every((t) => t <= lostAt),
        'no delivery by A after onLost',
      )
      running = false
      await producer.close()
      await bc.close()
      proxy.blackhole(false)
      await a.close()
      await Promise.all(loops)
    } finally {
      await viaProxy.close()
      await proxy.close()
    }
  })
})
