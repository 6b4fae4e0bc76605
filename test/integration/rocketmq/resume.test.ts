// Issue 16: a group that consumes, acks, closes and opens again must resume each queue exactly after
// its last acknowledged message — not at 0, not before (duplicates), not after (loss). Looped 200
// times (4 groups in parallel, 50 close-and-resume runs each, each run on a fresh client as the CLI
// does) while a producer keeps writing to the topic, with frequent periodic commits and commits
// riding on pulls so that every commit path races with the close.

import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { useBroker } from '../../support/brokers.ts'
import { RocketMQPushConsumer, type ConsumedBatch } from '../../../src/rocketmq/consumer/push-consumer.ts'
import { RocketMQProducer } from '../../../src/rocketmq/producer/producer.ts'
import { queueKey } from '../../../src/rocketmq/protocol/route.ts'
import { createTopic, newClient, unique } from './helpers.ts'

const GROUPS = 4
const RUNS_PER_GROUP = 50
const QUEUES = 2
/** Messages acked per run before closing (one more batch is then received and left unacked). */
const ACK_PER_RUN = 6

const broker = await useBroker('rocketmq')
const client = newClient(broker.url)
const producer = new RocketMQProducer(client, { group: unique('pg') })
producer.start()
after(async () => {
  await producer.close()
  await client.close()
})

/** Next batch of the consumer, or a failure naming the run when none comes in time. */
async function nextBatch(consumer: RocketMQPushConsumer, what: string): Promise<ConsumedBatch> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no batch within 30 s`)), 30_000)
  })
  try {
    const batch = await Promise.race([consumer.next(), timeout])
    if (!batch) throw new Error(`${what}: consumer ended`)
    return batch
  } finally {
    clearTimeout(timer)
  }
}

/**
 * One group's loop. `expected` holds, per queue, the offset the next run must start at: the
 * queue's first offset at first, then one past the last message acked there.
 */
async function resumeLoop(topic: string, group: string): Promise<string[]> {
  const expected = new Map<string, number>()
  const problems: string[] = []
  for (let run = 0; run < RUNS_PER_GROUP; run++) {
    const own = newClient(broker.url)
    const consumer = new RocketMQPushConsumer(own, {
      group,
      subscriptions: [{ topic }],
      consumeFrom: 'first',
      consumeBatchSize: 2,
      pullBatchSize: 4,
      // Commit paths that race with close: a periodic (background) commit every 50 ms, and the
      // commit offset each pull carries once the queue committed something.
      persistOffsetIntervalMs: 50,
    })
    const what = `${group} run ${run}`
    try {
      await consumer.start()
      const seen = new Set<string>()
      let acked = 0
      while (acked < ACK_PER_RUN) {
        const batch = await nextBatch(consumer, what)
        if (batch.queue.topic !== topic) {
          await batch.ack()
          continue
        }
        const key = queueKey(batch.queue)
        const first = batch.messages[0]!.queueOffset
        const want = expected.get(key)
        // Within a run, batches of one queue follow each other; across runs the first batch of
        // a queue must start where the previous runs stopped acking.
        if (want !== undefined && first !== want)
          problems.push(`${what}: queue ${batch.queue.queueId} started at ${first}, expected ${want}`)
        seen.add(key)
        await batch.ack()
        expected.set(key, batch.messages.at(-1)!.queueOffset + 1)
        acked += batch.messages.length
      }
      // One more batch, never acked: closing gives it back to the next run.
      await nextBatch(consumer, what)
      await consumer.close()
    } finally {
      await consumer.close().catch(() => {})
      await own.close()
    }
  }
  return problems
}

void test(`a group resumes exactly after its last ack across ${GROUPS * RUNS_PER_GROUP} close-and-reopen runs while a producer writes`, async () => {
  const topic = unique('resume')
  await createTopic(client, topic, QUEUES)
  // Enough backlog that no run waits for messages, then a producer that keeps writing.
  const prefill: Promise<unknown>[] = []
  for (let i = 0; i < 600; i++) prefill.push(producer.send({ topic, body: `pre ${i}` }))
  await Promise.all(prefill)
  let producing = true
  let produced = 0
  const writer = (async () => {
    while (producing) {
      await Promise.all(Array.from({ length: 4 }, () => producer.send({ topic, body: `live ${produced++}` })))
    }
  })()
  const started = Date.now()
  let results: string[][]
  try {
    results = await Promise.all(
      Array.from({ length: GROUPS }, (_, g) => resumeLoop(topic, unique(`resume-g${g}`))),
    )
  } finally {
    producing = false
    await writer
  }
  const problems = results.flat()
  process.stderr.write(
    `[resume] ${GROUPS * RUNS_PER_GROUP} runs in ${((Date.now() - started) / 1000).toFixed(1)} s, ${produced} messages produced meanwhile\n`,
  )
  assert.deepEqual(problems, [])
})
