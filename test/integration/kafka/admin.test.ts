// KafkaAdmin against the real broker: topics, partitions, cluster, configs, groups with lag,
// offset resets and record deletion.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { BrokerError } from '../../../src/core/errors.ts'
import { KafkaConsumer, KafkaProducer, type KafkaBroker } from '../../../src/kafka/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, unique } from './helpers.ts'

void describe('kafka admin', () => {
  let broker: KafkaBroker
  before(async () => {
    broker = await client((await useBroker('kafka')).url)
  })
  after(() => broker.close())

  void test('create, list, describe, grow and delete topics; duplicates are a BrokerError', async () => {
    const topic = unique('adm')
    await broker.admin.createTopic(topic, { partitions: 2, config: { 'retention.ms': '3600000' } })
    assert.ok((await broker.admin.listTopics()).includes(topic))
    let d = await broker.admin.describeTopic(topic)
    assert.equal(d.partitions.length, 2)
    assert.equal(d.config?.['retention.ms'], '3600000')
    await assert.rejects(
      broker.admin.createTopic(topic),
      (e) => e instanceof BrokerError && e.brokerErrorName === 'TOPIC_ALREADY_EXISTS',
    )
    await broker.admin.createPartitions(topic, 5)
    d = await broker.admin.describeTopic(topic)
    assert.equal(d.partitions.length, 5)
    await broker.admin.deleteTopic(topic)
    const deadline = Date.now() + 10_000
    while ((await broker.admin.listTopics()).includes(topic) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200))
    assert.ok(!(await broker.admin.listTopics()).includes(topic))
  })

  void test('describe cluster and alter configs incrementally', async () => {
    const cluster = await broker.admin.describeCluster()
    assert.ok(cluster.clusterId)
    assert.ok(cluster.brokers.length >= 1)
    const topic = unique('cfg')
    // In KRaft the broker answers DescribeConfigs from its copy of the metadata log, which
    // applies an accepted alteration a few milliseconds later: poll (bounded) for the value.
    const settledPolicy = async (want: string): Promise<string | undefined> => {
      const deadline = Date.now() + 10_000
      for (;;) {
        const configs = await broker.admin.describeConfigs([{ type: 'topic', name: topic }])
        const policy = configs.get(`topic:${topic}`)?.['cleanup.policy']
        if (policy === want || Date.now() > deadline) return policy
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    await broker.admin.createTopic(topic, { partitions: 1 })
    await broker.admin.incrementalAlterConfigs({ type: 'topic', name: topic }, [
      { name: 'cleanup.policy', value: 'compact' },
    ])
    assert.equal(await settledPolicy('compact'), 'compact')
    await broker.admin.incrementalAlterConfigs({ type: 'topic', name: topic }, [
      { name: 'cleanup.policy', op: 'delete' },
    ])
    assert.equal(await settledPolicy('delete'), 'delete')
    await broker.admin.deleteTopic(topic)
  })

  void test('groups: list, describe with lag, reset offsets (earliest, latest, timestamp, explicit), delete', async () => {
    const topic = unique('lag')
    const group = unique('lag-g')
    await broker.admin.createTopic(topic, { partitions: 2 })
    const producer = new KafkaProducer(broker.cluster)
    await producer.sendBatch(
      topic,
      Array.from({ length: 40 }, (_, i) => ({
        value: `v${i}`,
        partition: i % 2,
        timestamp: 1_000_000 + i * 1000,
      })),
    )
    await producer.close()
    const consumer = new KafkaConsumer(broker.cluster, {
      groupId: group,
      autoOffsetReset: 'earliest',
      maxBatch: 5,
    })
    await consumer.subscribe([topic])
    const batch = await consumer.nextBatch()
    await batch!.ack()
    const live = await broker.admin.describeGroup(group)
    assert.equal(live.members.length, 1)
    assert.equal(live.members[0]!.assignments.length, 2)
    await consumer.close()

    assert.ok((await broker.admin.listGroups()).includes(group))
    let lag = await broker.admin.groupOffsets(group)
    const total = lag.reduce((n, p) => n + p.lag, 0)
    assert.equal(total, 40 - 5, 'five processed, thirty-five to go')

    await broker.admin.resetGroupOffsets(group, topic, { to: 'latest' })
    lag = await broker.admin.groupOffsets(group)
    assert.deepEqual(
      lag.map((p) => p.lag),
      [0, 0],
    )
    await broker.admin.resetGroupOffsets(group, topic, { to: 'earliest' })
    lag = await broker.admin.groupOffsets(group)
    assert.deepEqual(
      lag.map((p) => p.committed),
      [0, 0],
    )
    await broker.admin.resetGroupOffsets(group, topic, { to: 'timestamp', timestamp: 1_000_000 + 20 * 1000 })
    lag = await broker.admin.groupOffsets(group)
    assert.deepEqual(
      lag.map((p) => p.committed),
      [10, 10],
    )
    await broker.admin.resetGroupOffsets(group, topic, {
      to: 'offsets',
      offsets: [{ topic, partition: 1, offset: 3 }],
    })
    lag = await broker.admin.groupOffsets(group)
    assert.deepEqual(
      lag.map((p) => p.committed),
      [10, 3],
    )

    await broker.admin.deleteGroupOffsets(group, topic, [1])
    lag = await broker.admin.groupOffsets(group)
    assert.deepEqual(
      lag.map((p) => p.partition),
      [0],
      'partition 1 has no committed offset any more',
    )

    await broker.admin.deleteGroup(group)
    assert.ok(!(await broker.admin.listGroups()).includes(group))
    await broker.admin.deleteTopic(topic)
  })

  void test('delete records moves the low watermark', async () => {
    const topic = unique('delrec')
    await broker.admin.createTopic(topic, { partitions: 1 })
    const producer = new KafkaProducer(broker.cluster)
    await producer.sendBatch(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
    )
    await producer.close()
    const low = await broker.admin.deleteRecords(topic, [{ partition: 0, offset: 6 }])
    assert.equal(low.get(0), 6)
    const d = await broker.admin.describeTopic(topic)
    assert.equal(d.partitions[0]!.earliest, 6)
    await broker.admin.deleteTopic(topic)
  })
})
