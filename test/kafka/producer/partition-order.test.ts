// Races of pipelined batches against an older batch of their partition, each seen in CI. Kafka
// accepts any first sequence from a producer it has no state for on a partition, so if a newer
// batch gets there first the older one is refused afterwards, re-sequenced under a new producer
// id and written after it (a reordered partition); and an epoch bump must not wait for the fate
// of a batch that cannot be in the log (a producer that never finishes). A scripted broker makes
// each race certain; it keeps the partition's log and checks sequences as Kafka does.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { KafkaCluster } from '../../../src/kafka/cluster.ts'
import { KafkaProducer } from '../../../src/kafka/producer/producer.ts'
import { ApiKey } from '../../../src/kafka/protocol/index.ts'
import { startFakeBroker, type FakeBroker, type FakeConnection } from '../fake-broker.ts'

// Byte offsets in a v2 record batch: baseOffset 8, batchLength 4, leader epoch 4, magic 1, crc 4,
// attributes 2, then lastOffsetDelta (4), two timestamps (16), producerId (8), epoch (2),
// baseSequence (4).
const LAST_OFFSET_DELTA_AT = 23
const PRODUCER_ID_AT = 43
const BASE_SEQUENCE_AT = 53
const NOT_LEADER_OR_FOLLOWER = 6
const OUT_OF_ORDER_SEQUENCE = 45

interface ProduceBody {
  topicData: { name: string; partitionData: { index: number; records: Uint8Array }[] }[]
}

interface Write {
  connection: number
  producerId: bigint
  sequence: number
  count: number
}

/** What the script does with a Produce: answer with an error code, or not now ('hold'). */
type Decision = { errorCode: number } | 'hold'

/**
 * A one-partition broker. `decide` may intervene per Produce (and answer it later through
 * `answer`, or write it and answer nothing); otherwise the batch is checked
 * against the partition's state for its producer id (any first sequence, then no gap) and
 * written to `log`, or refused with OUT_OF_ORDER_SEQUENCE.
 */
async function scriptedBroker(
  decide: (
    write: Write,
    connection: FakeConnection,
    answer: (errorCode?: number, send?: boolean) => void,
  ) => Decision | undefined,
): Promise<{ broker: FakeBroker; log: Write[]; cluster: KafkaCluster }> {
  const log: Write[] = []
  const nextSequence = new Map<bigint, number>()
  // Kafka remembers the last 5 batches per producer to answer a retry as a duplicate; this one
  // remembers 1, so a retry older than that comes back OUT_OF_ORDER_SEQUENCE, as in Kafka.
  const lastWritten = new Map<bigint, { sequence: number; offset: number }>()
  let nextProducerId = 1000n
  const broker = await startFakeBroker(
    { [ApiKey.Metadata]: [4, 12], [ApiKey.InitProducerId]: [0, 5], [ApiKey.Produce]: [3, 11] },
    (header, body, reply, connection) => {
      if (header.apiKey === ApiKey.Metadata) {
        reply({
          throttleTimeMs: 0,
          brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.port, rack: null }],
          clusterId: 'fake',
          controllerId: 1,
          topics: [
            {
              errorCode: 0,
              name: 't',
              topicId: new Uint8Array(16),
              isInternal: false,
              partitions: [
                {
                  errorCode: 0,
                  partitionIndex: 0,
                  leaderId: 1,
                  leaderEpoch: 0,
                  replicaNodes: [1],
                  isrNodes: [1],
                  offlineReplicas: [],
                },
              ],
            },
          ],
        })
      } else if (header.apiKey === ApiKey.InitProducerId) {
        // Like Kafka for a producer without transactional id: every call gives a new id.
        reply({ throttleTimeMs: 0, errorCode: 0, producerId: nextProducerId++, producerEpoch: 0 })
      } else if (header.apiKey === ApiKey.Produce) {
        const records = (body as unknown as ProduceBody).topicData[0]!.partitionData[0]!.records
        const view = new DataView(records.buffer, records.byteOffset)
        const write: Write = {
          connection: connection.id,
          producerId: view.getBigInt64(PRODUCER_ID_AT),
          sequence: view.getInt32(BASE_SEQUENCE_AT),
          count: view.getInt32(LAST_OFFSET_DELTA_AT) + 1,
        }
        const answer = (forcedCode = 0, send = true): void => {
          let errorCode = forcedCode
          let offset = log.length
          const expected = nextSequence.get(write.producerId)
          const last = lastWritten.get(write.producerId)
          if (errorCode === 0 && last?.sequence === write.sequence) {
            offset = last.offset // a duplicate of the batch it remembers: answered, not written
          } else {
            if (errorCode === 0 && expected !== undefined && write.sequence !== expected)
              errorCode = OUT_OF_ORDER_SEQUENCE
            if (errorCode === 0) {
              nextSequence.set(write.producerId, write.sequence + write.count)
              lastWritten.set(write.producerId, { sequence: write.sequence, offset })
              log.push(write)
            }
          }
          if (!send) return // written (or refused), and the answer lost
          reply({
            responses: [
              {
                name: 't',
                partitionResponses: [
                  { index: 0, errorCode, baseOffset: BigInt(offset), logAppendTimeMs: -1n },
                ],
              },
            ],
            throttleTimeMs: 0,
          })
        }
        const decision = decide(write, connection, answer)
        // 'hold': no answer now; `answer` may give one later, or the connection dies first.
        if (decision === 'hold') return
        answer(decision?.errorCode)
      }
    },
  )
  const cluster = new KafkaCluster({
    bootstrap: [{ host: '127.0.0.1', port: broker.port }],
    clientId: 'unit',
    connectTimeoutMs: 1000,
    requestTimeoutMs: 5000,
    metadataMaxAgeMs: 60_000,
    maxInFlight: 5,
    maxFrameBytes: 16 << 20,
    reconnectInitialMs: 20,
    reconnectMaxMs: 50,
    allowAutoTopicCreation: false,
  })
  await cluster.connect()
  return { broker, log, cluster }
}

void test('a batch behind one lost with its connection is sent again only after it, in order', async () => {
  let firstProduce!: () => void
  const firstProduceSeen = new Promise<void>((resolve) => (firstProduce = resolve))
  let held: FakeConnection | undefined
  const { broker, log, cluster } = await scriptedBroker((_, connection) => {
    if (held !== undefined) return undefined
    held = connection
    firstProduce()
    return 'hold'
  })
  const producer = new KafkaProducer(cluster, { compression: 'gzip', lingerMs: 0, retryBackoffMs: 20 })
  try {
    const a = producer.send('t', { value: 'a' })
    await firstProduceSeen
    // Incompressible 900 KiB: gzip keeps batch B busy on the thread pool while the connection
    // dies, so B's request would take the new connection before A is resent. (Two rules keep
    // B behind A: B is not pipelined behind the partition's unacknowledged first batch, and no
    // batch is written on a connection its older batches are not in flight on.)
    const b = producer.send('t', { value: randomBytes(900 << 10) })
    held!.destroy()
    const [ma, mb] = await Promise.all([a, b])
    assert.ok(ma.offset < mb.offset, `a is written before b (log: ${JSON.stringify(log, bigints)})`)
  } finally {
    await producer.close()
    await cluster.close()
    await broker.close()
  }
})

void test("a partition's first batch that comes back NOT_LEADER is not overtaken by the next one", async () => {
  let first = true
  const { broker, log, cluster } = await scriptedBroker(() => {
    if (!first) return undefined
    first = false
    return { errorCode: NOT_LEADER_OR_FOLLOWER } // as right after the topic was created
  })
  const producer = new KafkaProducer(cluster, { lingerMs: 0, retryBackoffMs: 20 })
  try {
    const sends: Promise<{ offset: number }>[] = []
    // Each turn of the event loop gets its own batch, so later batches are ready to pipeline
    // while the first one is in flight.
    for (let i = 0; i < 6; i++) {
      sends.push(producer.send('t', { value: `v${i}` }))
      await new Promise((resolve) => setImmediate(resolve))
    }
    const offsets = (await Promise.all(sends)).map((m) => m.offset)
    assert.deepEqual(
      offsets,
      [...offsets].sort((x, y) => x - y),
      `offsets follow the send order (log: ${JSON.stringify(log, bigints)})`,
    )
  } finally {
    await producer.close()
    await cluster.close()
    await broker.close()
  }
})

function bigints(_: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

void test('an epoch bump waits for unanswered batches only where the answer can still matter', async () => {
  // Three pipelined batches G, H, U: G and H come back OUT_OF_ORDER_SEQUENCE (the broker lost
  // track of G's predecessor), then the connection dies before U's answer. U was written after H
  // on that connection, so it is not in the log either: the producer must not wait for U's fate
  // before bumping the epoch (it used to, forever, since U is never the partition's next batch).
  let produces = 0
  const held: ((errorCode?: number, send?: boolean) => void)[] = []
  let heldOn: FakeConnection | undefined
  let released = false
  const { broker, log, cluster } = await scriptedBroker((_, connection, answer) => {
    produces++
    if (produces === 1 || released) return undefined // the first batch makes the partition known
    held.push(answer)
    heldOn = connection
    if (held.length < 3) return 'hold'
    released = true
    held[0]!(OUT_OF_ORDER_SEQUENCE)
    held[1]!(OUT_OF_ORDER_SEQUENCE)
    setTimeout(() => heldOn!.destroy(), 50) // U (held[2]) is never answered
    return 'hold'
  })
  const producer = new KafkaProducer(cluster, { lingerMs: 0, retryBackoffMs: 20 })
  try {
    await producer.send('t', { value: 'first' })
    const sends: Promise<{ offset: number }>[] = []
    for (const value of ['g', 'h', 'u']) {
      sends.push(producer.send('t', { value }))
      await new Promise((resolve) => setImmediate(resolve))
    }
    const settled = await Promise.race([
      Promise.all(sends),
      new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 5000).unref()),
    ])
    assert.notEqual(settled, 'stuck', `every send completes (log: ${JSON.stringify(log, bigints)})`)
    const offsets = (settled as { offset: number }[]).map((m) => m.offset)
    assert.deepEqual(
      offsets,
      [...offsets].sort((x, y) => x - y),
      'in send order',
    )
    assert.equal(log.length, 4, 'each batch written once')
  } finally {
    await producer.close({ drop: true })
    await cluster.close()
    await broker.close()
  }
})

void test('a batch whose retry is refused but whose first copy was written is not written again', async () => {
  // G and H are written, but the connection dies before either answer. G's retry comes back
  // CORRUPT_MESSAGE (a copy damaged on the way), H's retry is answered as the duplicate it is.
  // H written means G is in the log. Taking G's refusal at its word, the producer sent G again,
  // got OUT_OF_ORDER_SEQUENCE (older than what the broker remembers), bumped the epoch and wrote
  // G a second time (seen in CI: a batch of 33 records twice in the pipelining fault test).
  const CORRUPT_MESSAGE = 2
  let produces = 0
  let heldOn: FakeConnection | undefined
  const { broker, log, cluster } = await scriptedBroker((_, connection, answer) => {
    produces++
    if (produces === 1) return undefined // the first batch makes the partition known
    if (produces === 2) {
      heldOn = connection
      answer(0, false) // G written, its answer lost
      return 'hold'
    }
    if (produces === 3) {
      answer(0, false) // H written, its answer lost, and the connection dies
      heldOn!.destroy()
      return 'hold'
    }
    if (produces === 4) return { errorCode: CORRUPT_MESSAGE }
    return undefined
  })
  const producer = new KafkaProducer(cluster, { lingerMs: 0, retryBackoffMs: 20 })
  try {
    await producer.send('t', { value: 'first' })
    const g = producer.send('t', { value: 'g' })
    await new Promise((resolve) => setImmediate(resolve))
    const h = producer.send('t', { value: 'h' })
    const settled = await Promise.race([
      Promise.all([g, h]),
      new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 5000).unref()),
    ])
    assert.notEqual(settled, 'stuck', `both sends complete (log: ${JSON.stringify(log, bigints)})`)
    assert.equal(log.length, 3, `each batch written once (log: ${JSON.stringify(log, bigints)})`)
  } finally {
    await producer.close({ drop: true })
    await cluster.close()
    await broker.close()
  }
})
