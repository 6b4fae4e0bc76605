// read_committed against real transactions: one transaction aborted and one committed, written
// with the raw protocol (the driver's producer is not transactional), then read back. Aborted
// records and the commit/abort markers must stay hidden under read_committed; read_uncommitted
// sees the aborted records but never the markers.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Message } from '../../../src/core/contract.ts'
import { KafkaConsumer, type KafkaBroker } from '../../../src/kafka/index.ts'
import { ApiKey, encodeRecordBatch, kafkaError, kafkaErrorInfo } from '../../../src/kafka/protocol/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, collect, unique } from './helpers.ts'

async function transaction(
  broker: KafkaBroker,
  topic: string,
  values: string[],
  commit: boolean,
): Promise<void> {
  const cluster = broker.cluster
  const transactionalId = unique('txn-id')
  const coordinator = await cluster.connection(await cluster.coordinator(transactionalId, 1), 'admin')
  // The first transactional request of a fresh broker creates __transaction_state: until it is
  // loaded the coordinator answers COORDINATOR_LOAD_IN_PROGRESS / NOT_AVAILABLE (retriable).
  let init: { producerId: bigint; producerEpoch: number } | undefined
  await retrying('InitProducerId', async () => {
    const res = await coordinator.request(ApiKey.InitProducerId, {
      transactionalId,
      transactionTimeoutMs: 60_000,
    })
    init = res
    return res.errorCode
  })
  const { producerId, producerEpoch } = init!
  await retrying('AddPartitionsToTxn', async () => {
    const add = await coordinator.request(ApiKey.AddPartitionsToTxn, {
      v3AndBelowTransactionalId: transactionalId,
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [{ name: topic, partitions: [0] }],
    })
    return (
      add.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition).find((p) => p.partitionErrorCode)
        ?.partitionErrorCode ?? 0
    )
  })
  const records = await encodeRecordBatch({
    records: values.map((v) => ({
      key: null,
      value: new TextEncoder().encode(v),
      headers: [],
      timestamp: Date.now(),
    })),
    compression: 'none',
    producerId,
    producerEpoch,
    baseSequence: 0,
    transactional: true,
  })
  await retrying('transactional Produce', async () => {
    const leader = await cluster.connection(cluster.leaderOf(topic, 0), 'produce')
    const res = await leader.request(ApiKey.Produce, {
      transactionalId,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    })
    return res.responses[0]!.partitionResponses[0]!.errorCode
  })
  await retrying('EndTxn', async () => {
    const end = await coordinator.request(ApiKey.EndTxn, {
      transactionalId,
      producerId,
      producerEpoch,
      committed: commit,
    })
    return end.errorCode
  })
}

/**
 * Runs a raw request until it stops answering with a retriable error (a topic just created can
 * answer NOT_LEADER_OR_FOLLOWER for a moment on a busy broker; a transaction's previous step can
 * leave CONCURRENT_TRANSACTIONS), as a transactional client would; other errors fail at once.
 */
async function retrying(what: string, attempt: () => Promise<number>): Promise<void> {
  for (let i = 0; ; i++) {
    const code = await attempt()
    if (code === 0) return
    if (!kafkaErrorInfo(code).retriable || i >= 50) throw kafkaError(code, what)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

void describe('kafka read_committed', () => {
  let broker: KafkaBroker
  before(async () => {
    broker = await client((await useBroker('kafka')).url)
  })
  after(() => broker.close())

  void test('aborted transactions and control batches are skipped; committed ones delivered', async () => {
    const topic = unique('rc')
    await broker.admin.createTopic(topic, { partitions: 1 })
    await transaction(broker, topic, ['a1', 'a2', 'a3'], false)
    await transaction(broker, topic, ['c1', 'c2'], true)
    const read = async (isolationLevel: 'read_committed' | 'read_uncommitted', count: number) => {
      const consumer = new KafkaConsumer(broker.cluster, { autoOffsetReset: 'earliest', isolationLevel })
      await consumer.assign([{ topic, partition: 0 }])
      const got = await collect<Message>(consumer, count, 30_000)
      const extra = await Promise.race([
        consumer.nextBatch(),
        new Promise((r) => setTimeout(() => r('none'), 1500)),
      ])
      await consumer.close()
      return { values: got.map((m) => m.valueString()), extra }
    }
    const committed = await read('read_committed', 2)
    assert.deepEqual(committed.values, ['c1', 'c2'])
    assert.equal(committed.extra, 'none', 'nothing aborted and no marker leaks through')
    const all = await read('read_uncommitted', 5)
    assert.deepEqual(all.values, ['a1', 'a2', 'a3', 'c1', 'c2'])
    assert.equal(all.extra, 'none', 'markers are never delivered')
  })
})
