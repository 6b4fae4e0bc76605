// sendBatch settles one result for many records (batch-result.ts): in order, through a buffer
// that fills up in the middle of the batch, and with one bad record among good ones.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { KafkaProducer, type KafkaBroker } from '../../../src/kafka/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, unique } from './helpers.ts'

void describe('kafka sendBatch', () => {
  let broker: KafkaBroker
  before(async () => {
    const b = await useBroker('kafka')
    broker = await client(b.url)
  })
  after(() => broker.close())

  void test('records past a full buffer wait their turn and keep their order', async () => {
    const topic = unique('sb-full')
    await broker.admin.createTopic(topic, { partitions: 1 })
    // Room for 5 records: the 6th of the batch waits for acknowledgements, and so do all after it.
    const producer = new KafkaProducer(broker.cluster, { maxBufferedRecords: 5 })
    await producer.prepareTopic(topic)
    const records = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }))
    const metas = await producer.sendBatch(topic, records)
    assert.equal(metas.length, 40)
    const first = metas[0]!.offset
    metas.forEach((m, i) => {
      assert.equal(m.partition, 0)
      assert.equal(m.offset, first + i, `record ${i} in send order`)
    })
    await producer.close()
  })

  void test('a bad record rejects the batch while the good ones are still delivered', async () => {
    const topic = unique('sb-bad')
    await broker.admin.createTopic(topic, { partitions: 1 })
    const producer = new KafkaProducer(broker.cluster)
    await producer.prepareTopic(topic)
    const records = [{ value: 'a' }, { value: 42 as unknown as string }, { value: 'c' }]
    await assert.rejects(producer.sendBatch(topic, records), ConfigError)
    await producer.flush()
    const after = await producer.sendBatch(topic, [{ value: 'd' }])
    // 'a' and 'c' were written before 'd'.
    assert.equal(after[0]!.offset, 2)
    await assert.rejects(producer.sendBatch(topic, 'nope' as never), ConfigError)
    assert.deepEqual(await producer.sendBatch(topic, []), [])
    await producer.close()
  })
})
