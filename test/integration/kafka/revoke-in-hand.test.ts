// A batch the application holds while a rebalance takes its partition away: the revocation waits
// (revokeWaitMs) for it to be acked, commits that ack, and only then gives the partition up, so
// the next owner does not process those records again. (Found as a rare "processed twice" in the
// cooperative-sticky group test under load: an ack landing just after the revocation's commit.)
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { KafkaConsumer, KafkaProducer } from '../../../src/kafka/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, unique } from './helpers.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

void test('a batch held during a revocation is acked, committed and not delivered to the next owner', async () => {
  const broker = await client((await useBroker('kafka')).url)
  const topic = unique('inhand')
  const group = unique('inhand-g')
  await broker.admin.createTopic(topic, { partitions: 2 })
  const producer = new KafkaProducer(broker.cluster, {})
  for (let p = 0; p < 2; p++) {
    await producer.sendBatch(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ value: `p${p}-${i}`, partition: p })),
    )
  }
  await producer.close()
  const config = { groupId: group, autoOffsetReset: 'earliest' as const, autoCommitIntervalMs: 60_000 }
  // A's application acks its held batches 300 ms after a revocation starts: the moment the
  // listener runs, the group is already taking the partition away.
  let held: Awaited<ReturnType<KafkaConsumer['nextBatch']>>[] = []
  let revocations = 0
  const a = new KafkaConsumer(broker.cluster, config, {
    onRevoked: () => {
      revocations++
      const batches = held
      held = []
      setTimeout(() => {
        for (const batch of batches) void batch?.ack()
      }, 300)
    },
  })
  const b = new KafkaConsumer(broker.cluster, config)
  try {
    await a.subscribe([topic])
    // A takes one batch of each partition and holds both; no auto-commit has run.
    held = [await a.nextBatch(), await a.nextBatch()]
    const seenByA = new Set(held.flatMap((batch) => batch!.messages.map((m) => m.valueString()!)))
    assert.equal(seenByA.size, 10)
    // B joins: A must give one partition up while it still holds that partition's batch.
    await b.subscribe([topic])
    for (let i = 0; i < 100 && revocations === 0; i++) await sleep(100)
    assert.ok(revocations > 0, 'A gave a partition up')
    // Whatever B gets within 5 s (one nextBatch() at a time, so none is missed).
    const got: string[] = []
    const until = Date.now() + 5000
    let pending = b.nextBatch()
    while (Date.now() < until) {
      const batch = await Promise.race([pending, sleep(until - Date.now()).then(() => null)])
      if (batch === null) break
      if (!batch) break
      got.push(...batch.messages.map((m) => m.valueString()!))
      await batch.ack()
      pending = b.nextBatch()
    }
    assert.deepEqual(got, [], 'records A acked during the revocation were delivered again to B')
  } finally {
    await a.close()
    await b.close()
    await broker.close()
  }
})
