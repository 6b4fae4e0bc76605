// Admin against the real name server and broker: create, list, describe and delete topics;
// consumer group progress (committed, end, lag) and membership.

import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { useBroker } from '../../support/brokers.ts'
import { BrokerError } from '../../../src/core/errors.ts'
import { RocketMQAdmin } from '../../../src/rocketmq/admin.ts'
import { RocketMQPushConsumer } from '../../../src/rocketmq/consumer/push-consumer.ts'
import { RocketMQProducer } from '../../../src/rocketmq/producer/producer.ts'
import { collect, newClient, unique } from './helpers.ts'
import { javaConsume } from '../../support/interop.ts'

const broker = await useBroker('rocketmq')
const client = newClient(broker.url)
const admin = new RocketMQAdmin(client)
after(() => client.close())

void test('topics: create, list, describe with offsets, delete', async () => {
  const topic = unique('adm')
  await admin.createTopic(topic, { partitions: 3 })
  assert.ok((await admin.listTopics()).includes(topic))
  assert.ok(
    !(await admin.listTopics()).some((t) => t.startsWith('%RETRY%') || t === 'TBW102'),
    'system topics hidden',
  )
  const producer = new RocketMQProducer(client, { group: unique('admp') })
  for (let i = 0; i < 6; i++) await producer.send({ topic, body: `m${i}` })
  await producer.close()
  const d = await admin.describeTopic(topic)
  assert.equal(d.partitions.length, 3)
  assert.equal(
    d.partitions.reduce((n, p) => n + (p.latest! - p.earliest!), 0),
    6,
  )
  await admin.deleteTopic(topic)
  assert.ok(!(await admin.listTopics()).includes(topic))
})

void test('groups: progress per queue, lag, members, listing', async () => {
  const topic = unique('admg')
  const group = unique('g')
  await admin.createTopic(topic, { partitions: 2 })
  const producer = new RocketMQProducer(client, { group: unique('admp') })
  for (let i = 0; i < 10; i++) await producer.send({ topic, body: `m${i}` })
  await producer.close()
  const consumer = new RocketMQPushConsumer(client, {
    group,
    subscriptions: [{ topic }],
    consumeFrom: 'first',
  })
  await consumer.start()
  try {
    await collect(consumer, (all) => all.length >= 10)
    // A rebalance right after start can hand a queue's first messages out twice, so `collect` may
    // stop while some are still being processed: persist and describe again until the offsets
    // settle (bounded), then assert on that description.
    let d = await admin.describeGroup(group)
    for (let attempt = 0; attempt < 50; attempt++) {
      await consumer.persistOffsets()
      d = await admin.describeGroup(group)
      const settled = d.offsets.filter((o) => o.topic === topic)
      if (settled.length === 2 && settled.every((o) => o.lag === 0)) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.equal(d.state, 'Stable')
    assert.deepEqual(
      d.members.map((m) => m.id),
      [client.clientId],
    )
    assert.equal(d.members[0]!.assignments.length, 2)
    const mine = d.offsets.filter((o) => o.topic === topic)
    assert.equal(mine.length, 2)
    assert.equal(
      mine.reduce((n, o) => n + o.lag, 0),
      0,
    )
    assert.equal(
      mine.reduce((n, o) => n + (o.committed ?? 0), 0),
      10,
    )
    assert.ok((await admin.listGroups()).includes(group))
  } finally {
    await consumer.close()
  }
})

void test('describeGroup asks each member which queues it holds (GET_CONSUMER_RUNNING_INFO through the broker)', async () => {
  const topic = unique('admr')
  const group = unique('g')
  await admin.createTopic(topic, { partitions: 4 })
  const members: { consumer: RocketMQPushConsumer; client: ReturnType<typeof newClient> }[] = []
  try {
    for (let i = 0; i < 2; i++) {
      const own = newClient(broker.url, { heartbeatMs: 1000 })
      const consumer = new RocketMQPushConsumer(own, {
        group,
        subscriptions: [{ topic }],
        rebalanceIntervalMs: 1000,
      })
      members.push({ consumer, client: own })
      await consumer.start()
    }
    const held = (c: RocketMQPushConsumer): number[] =>
      c
        .assignment()
        .filter((q) => q.topic === topic)
        .map((q) => q.queueId)
        .sort()
    const deadline = Date.now() + 15_000
    while (members.some((m) => held(m.consumer).length !== 2)) {
      if (Date.now() > deadline) throw new Error('the two members did not settle on 2 queues each')
      await new Promise((r) => setTimeout(r, 100))
    }
    // What the member itself says, relayed by the broker.
    const info = await admin.consumerRunningInfo(group, members[0]!.client.clientId)
    assert.deepEqual(
      info.queues
        .filter((q) => q.queue.topic === topic)
        .map((q) => q.queue.queueId)
        .sort(),
      held(members[0]!.consumer),
    )
    assert.equal(info.properties.PROP_CLIENT_VERSION, 'conduit')

    const d = await admin.describeGroup(group)
    assert.equal(d.note, undefined, 'every member answered')
    assert.equal(d.members.length, 2)
    const route = (await client.route(topic))!
    const partitionOf = new Map(
      (await import('../../../src/rocketmq/protocol/route.ts'))
        .readQueues(topic, route)
        .map((q, i) => [q.queueId, i]),
    )
    for (const m of members) {
      const described = d.members.find((x) => x.id === m.client.clientId)
      assert.ok(described, `member ${m.client.clientId} described`)
      assert.equal(described.assignmentSource, 'reported')
      assert.deepEqual(
        described.assignments.map((a) => a.partition),
        held(m.consumer).map((id) => partitionOf.get(id)),
      )
    }
    // A client id that is not in the group: the broker answers with an error, not a hang.
    await assert.rejects(admin.consumerRunningInfo(group, 'nobody@0'), BrokerError)
  } finally {
    for (const m of members) {
      await m.consumer.close()
      await m.client.close()
    }
  }
})

void test('describeGroup reads the running info of an official Java consumer (fastjson mqTable)', async () => {
  const topic = unique('admj')
  const group = unique('gj')
  await admin.createTopic(topic, { partitions: 4 })
  // The Java consumer waits for one message; it is sent once the group was described.
  const java = javaConsume({ url: broker.url, topic, group, count: 1, timeoutMs: 90_000 })
  java.catch(() => {}) // awaited below; keeps an early failure from being unhandled meanwhile
  const deadline = Date.now() + 60_000
  let d = await admin.describeGroup(group)
  while (d.members.length !== 1 || d.members[0]!.assignments.length !== 4 || d.note !== undefined) {
    if (Date.now() > deadline)
      throw new Error(`the Java member never reported 4 queues: ${JSON.stringify(d.members)} ${d.note ?? ''}`)
    await new Promise((r) => setTimeout(r, 500))
    d = await admin.describeGroup(group)
  }
  assert.equal(d.members[0]!.assignmentSource, 'reported')
  assert.deepEqual(
    d.members[0]!.assignments.map((a) => a.partition),
    [0, 1, 2, 3],
  )
  const info = await admin.consumerRunningInfo(group, d.members[0]!.id)
  assert.ok(info.properties.PROP_CLIENT_VERSION, 'the Java client reports its version')
  const producer = new RocketMQProducer(client, { group: unique('admp') })
  await producer.send({ topic, body: 'release' })
  await producer.close()
  assert.equal((await java).length, 1)
})
