// Transactional messages against the real broker: commit is delivered, rollback never is, and an
// "unknown" outcome is settled by the broker's check-back (CHECK_TRANSACTION_STATE) asking us.

import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { useBroker } from '../../support/brokers.ts'
import { RocketMQPushConsumer } from '../../../src/rocketmq/consumer/push-consumer.ts'
import { RocketMQProducer } from '../../../src/rocketmq/producer/producer.ts'
import { TransactionalProducer } from '../../../src/rocketmq/producer/transactions.ts'
import type { MessageExt } from '../../../src/rocketmq/protocol/message-ext.ts'
import { collect, createTopic, newClient, text, unique } from './helpers.ts'

const broker = await useBroker('rocketmq')
const client = newClient(broker.url)
after(() => client.close())

void test('commit is delivered, rollback is not, unknown is settled by the check-back', async () => {
  const topic = unique('tx')
  await createTopic(client, topic, 2)
  const checked: MessageExt[] = []
  const tx = new TransactionalProducer(new RocketMQProducer(client, { group: unique('txg') }), {
    checkTransaction: (m) => {
      checked.push(m)
      return text(m) === 'pending-commit' ? 'commit' : 'rollback'
    },
  })
  const consumer = new RocketMQPushConsumer(client, {
    group: unique('txc'),
    subscriptions: [{ topic }],
    consumeFrom: 'first',
  })
  await consumer.start()
  try {
    const committed = await tx.send({ topic, body: 'committed', keys: 'c1' }, () => 'commit')
    assert.equal(committed.outcome, 'commit')
    assert.equal((await tx.send({ topic, body: 'rolled-back' }, () => 'rollback')).outcome, 'rollback')
    assert.equal(
      (await tx.send({ topic, body: 'thrown' }, () => Promise.reject(new Error('local failure')))).outcome,
      'rollback',
    )
    await tx.send({ topic, body: 'pending-commit' }, () => 'unknown')
    await tx.send({ topic, body: 'pending-rollback' }, () => 'unknown')
    // The broker checks half messages older than its transaction timeout (6 s) every 30 s.
    const got = await collect(
      consumer,
      (all) => all.some((m) => text(m) === 'pending-commit') && all.some((m) => text(m) === 'committed'),
      {
        timeoutMs: 90_000,
      },
    )
    await new Promise((r) => setTimeout(r, 1000))
    const bodies = got.map(text)
    assert.ok(bodies.includes('committed'))
    assert.ok(
      !bodies.includes('rolled-back') && !bodies.includes('thrown') && !bodies.includes('pending-rollback'),
      bodies.join(','),
    )
    assert.ok(
      checked.some((m) => text(m) === 'pending-commit'),
      'the broker asked about the unknown transaction',
    )
    assert.equal(got.find((m) => text(m) === 'committed')!.properties.KEYS, 'c1')
  } finally {
    await consumer.close()
    await tx.close()
  }
})
