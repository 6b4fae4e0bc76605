// The codec against the official Java client, through the real broker: record batches the Java
// producer wrote with every codec decode here (Java's framing of gzip, snappy, lz4 and zstd), the
// batches encoded here are read by the Java consumer, and a Java consumer's group subscription
// and assignment (the embedded consumer protocol) decode with this codec.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import {
  ApiKey,
  decodeAssignment,
  decodeRecordBatches,
  decodeSubscription,
  encodeRecordBatch,
  kafkaErrorInfo,
  type Compression,
} from '../../../src/kafka/protocol/index.ts'
import { useBroker, type BrokerHandle } from '../../support/brokers.ts'
import { javaConsume, javaProduce } from '../../support/interop.ts'
import { WireClient } from './wire-client.ts'

// Record timestamps near now: the broker's time retention judges records by their timestamps, and
// records dated years ago are expired at once, so a retention check during the test deletes them.
const RECENT = Date.now() - 60_000

const CODECS: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const suffix = randomUUID().slice(0, 8)
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b))

let broker: BrokerHandle
let client: WireClient

before(async () => {
  broker = await useBroker('kafka')
  client = await WireClient.open(broker.urls.bootstrap!)
})
after(() => client?.close())

function ok(errorCode: number, what: string): void {
  assert.equal(errorCode, 0, `${what}: ${kafkaErrorInfo(errorCode).name}`)
}

async function createTopic(name: string): Promise<Uint8Array> {
  const res = await client.call(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1 }],
    timeoutMs: 30000,
  })
  ok(res.topics[0]!.errorCode, `CreateTopics ${name}`)
  for (let attempt = 0; attempt < 100; attempt++) {
    const meta = await client.call(ApiKey.Metadata, 12, { topics: [{ name }] })
    const t = meta.topics[0]!
    if (t.errorCode === 0 && t.partitions[0] && t.partitions[0].leaderId >= 0) return t.topicId
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.fail(`topic ${name} has no leader`)
}

void test('batches the Java producer compressed with every codec decode here', async () => {
  for (const codec of CODECS) {
    const topic = `protocol-interop-java-${codec}-${suffix}`
    const topicId = await createTopic(topic)
    const messages = Array.from({ length: 50 }, (_, i) => ({
      key: i % 10 === 0 ? null : `key-${i}`,
      value: `value ${i} from java ${codec} `.repeat(1 + (i % 5)),
      headers: { n: String(i), codec },
    }))
    await javaProduce({
      url: broker.url,
      topic,
      messages,
      compression: codec,
      batch: true,
      timeoutMs: 120_000,
    })

    const res = await client.call(ApiKey.Fetch, 16, {
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 8 << 20,
      topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 8 << 20 }] }],
    })
    const part = res.responses[0]!.partitions[0]!
    ok(part.errorCode, `Fetch ${topic}`)
    const batches = await decodeRecordBatches(part.records!, { maxDecompressedBytes: 8 << 20 })
    assert.ok(batches.length >= 1)
    for (const b of batches) {
      assert.equal(b.compression, codec, `Java batch compression for ${codec}`)
      assert.ok(b.producerId >= 0n, 'the Java producer is idempotent by default')
    }
    const records = batches.flatMap((b) => b.records)
    assert.equal(records.length, messages.length)
    records.forEach((r, i) => {
      assert.equal(r.offset, BigInt(i))
      assert.equal(text(r.key), messages[i]!.key)
      assert.equal(text(r.value), messages[i]!.value)
      assert.deepEqual(
        r.headers.map(([k, v]) => [k, text(v)]),
        [
          ['n', String(i)],
          ['codec', codec],
        ],
      )
    })
  }
})

void test('batches encoded here with every codec are read by the Java consumer', async () => {
  for (const codec of CODECS) {
    const topic = `protocol-interop-conduit-${codec}-${suffix}`
    await createTopic(topic)
    const records = Array.from({ length: 40 }, (_, i) => ({
      key: i % 7 === 0 ? null : utf8(`key-${i}`),
      value: utf8(`value ${i} from conduit ${codec} `.repeat(1 + (i % 4))),
      headers: [
        ['n', utf8(String(i))],
        ['codec', utf8(codec)],
      ] as [string, Uint8Array][],
      timestamp: RECENT + i,
    }))
    for (const slice of [records.slice(0, 25), records.slice(25)]) {
      const batch = await encodeRecordBatch({ records: slice, compression: codec })
      const res = await client.call(ApiKey.Produce, 11, {
        acks: -1,
        timeoutMs: 30000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
      })
      ok(res.responses[0]!.partitionResponses[0]!.errorCode, `Produce ${codec}`)
    }
    const got = await javaConsume({ url: broker.url, topic, count: records.length, timeoutMs: 120_000 })
    assert.equal(got.length, records.length)
    got.forEach((m, i) => {
      assert.equal(m.offset, i)
      assert.equal(m.key, text(records[i]!.key))
      assert.equal(m.value, text(records[i]!.value))
      assert.deepEqual(m.headers, { n: String(i), codec })
      assert.equal(m.timestamp, records[i]!.timestamp)
    })
  }
})

void test("a Java consumer's subscription and assignment decode with the consumer-protocol codec", async () => {
  const topic = `protocol-interop-group-${suffix}`
  const group = `protocol-interop-group-${suffix}`
  await createTopic(topic)
  // The Java consumer waits for 5 messages: it stays in the group while the group is described.
  // Its outcome is settled into a value so an early failure is reported by the test, not as an
  // unhandled rejection while the group is being polled.
  const consuming = javaConsume({ url: broker.url, topic, group, count: 5, timeoutMs: 120_000 }).then(
    (messages) => ({ messages, error: null }),
    (error: unknown) => ({ messages: [], error }),
  )
  let described: Awaited<ReturnType<typeof describe>> | undefined
  async function describe() {
    const res = await client.call(ApiKey.DescribeGroups, 5, { groups: [group] })
    return res.groups[0]!
  }
  for (let attempt = 0; attempt < 600; attempt++) {
    const g = await describe()
    if (g.groupState === 'Stable' && g.members.length === 1) {
      described = g
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  try {
    assert.ok(described, 'the Java consumer never became a stable group member')
    assert.equal(described.protocolType, 'consumer')
    const member = described.members[0]!
    const subscription = decodeSubscription(member.memberMetadata)
    assert.ok(subscription.version >= 1, `Java subscription version ${subscription.version}`)
    assert.deepEqual(subscription.topics, [topic])
    const assignment = decodeAssignment(member.memberAssignment)
    assert.deepEqual(assignment.assignedPartitions, [{ topic, partitions: [0] }])
  } finally {
    await javaProduce({ url: broker.url, topic, count: 5, timeoutMs: 120_000 })
    const { messages, error } = await consuming
    assert.equal(error, null)
    assert.equal(messages.length, 5)
  }
})
