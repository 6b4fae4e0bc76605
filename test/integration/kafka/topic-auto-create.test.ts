// The test broker runs with auto.create.topics.enable=true (Kafka's default), so any Metadata
// request that asks for auto-creation creates the topic. Only a producer's lookup may: a deleted
// topic must stay deleted through later metadata refreshes, and describing or consuming a topic
// that does not exist must not create it.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { BrokerError } from '../../../src/core/errors.ts'
import { KafkaConsumer, KafkaProducer, type KafkaBroker } from '../../../src/kafka/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, unique } from './helpers.ts'

async function exists(broker: KafkaBroker, topic: string): Promise<boolean> {
  return (await broker.admin.listTopics()).includes(topic)
}

async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

void describe('kafka topic auto-creation', () => {
  let broker: KafkaBroker
  let url: string
  before(async () => {
    url = (await useBroker('kafka')).url
    broker = await client(url)
  })
  after(() => broker.close())

  void test('a deleted topic stays deleted through later metadata refreshes of a producer and a consumer', async () => {
    const topic = unique('gone')
    await broker.admin.createTopic(topic, { partitions: 1 })
    // A producer and a consumer that used the topic keep it in their client's interest set.
    const producer = new KafkaProducer(broker.cluster, {})
    await producer.send(topic, { value: 'before delete' })
    const consumer = new KafkaConsumer(broker.cluster, { groupId: unique('g') })
    await consumer.subscribe([topic])
    await producer.close()
    await consumer.close()
    await broker.admin.deleteTopic(topic)
    await until('the topic is gone', async () => !(await exists(broker, topic)))
    // What the periodic refresh does, several times over, and what an error-triggered refresh does.
    for (let i = 0; i < 3; i++) await broker.cluster.refreshMetadata('known')
    await broker.cluster.refreshMetadata([topic]).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 1000))
    assert.equal(await exists(broker, topic), false, 'a metadata refresh re-created the deleted topic')
  })

  void test('describing a topic that does not exist fails at once and creates nothing', async () => {
    const typo = unique('typo')
    const started = Date.now()
    await assert.rejects(
      broker.admin.describeTopic(typo),
      (e) => e instanceof BrokerError && e.brokerErrorName === 'UNKNOWN_TOPIC_OR_PARTITION',
    )
    assert.ok(Date.now() - started < 5000, `describeTopic took ${Date.now() - started} ms`)
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(await exists(broker, typo), false)
  })

  void test('a producer creates a missing topic only when the client allows it', async () => {
    const allowed = unique('auto')
    const producer = new KafkaProducer(broker.cluster, {})
    await producer.send(allowed, { value: 'creates it' })
    await producer.close()
    assert.equal(await exists(broker, allowed), true)

    const strict = await client(url, { allowAutoTopicCreation: false, requestTimeoutMs: 2000 })
    try {
      const refused = unique('noauto')
      const p = new KafkaProducer(strict.cluster, {})
      await assert.rejects(p.send(refused, { value: 'x' }), (e) => e instanceof BrokerError)
      await p.close()
      await new Promise((r) => setTimeout(r, 500))
      assert.equal(await exists(broker, refused), false)
    } finally {
      await strict.close()
    }
  })

  void test('subscribing to a topic that does not exist creates nothing, even where producers may', async () => {
    const quick = await client(url, { requestTimeoutMs: 2000 }) // allowAutoTopicCreation: true
    const missing = unique('nosub')
    const consumer = new KafkaConsumer(quick.cluster, { groupId: unique('g') })
    try {
      await assert.rejects(
        consumer.subscribe([missing]),
        (e) => e instanceof BrokerError && e.brokerErrorName === 'UNKNOWN_TOPIC_OR_PARTITION',
      )
    } finally {
      await consumer.close()
      await quick.close()
    }
    assert.equal(await exists(broker, missing), false)
  })
})
