// A pipelined batch must not reach the broker on a new connection ahead of an older batch of its
// partition whose connection died. Kafka accepts any first sequence from a producer it has no state
// for, so the older batch would be refused afterwards, re-sequenced under a bumped epoch and
// written after the newer one (seen once in CI as a reordered partition). A scripted broker makes
// the race certain: it holds the first Produce, then drops the connection while the second batch
// is still being compressed.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { KafkaCluster } from '../../src/kafka/cluster.ts'
import { KafkaProducer } from '../../src/kafka/producer/producer.ts'
import { ApiKey } from '../../src/kafka/protocol/index.ts'
import { startFakeBroker, type FakeConnection } from './fake-broker.ts'

// Byte offset of baseSequence in a v2 record batch: baseOffset 8, batchLength 4, leader epoch 4,
// magic 1, crc 4, attributes 2, lastOffsetDelta 4, two timestamps 16, producerId 8, epoch 2.
const BASE_SEQUENCE_AT = 53

interface ProduceBody {
  topicData: { name: string; partitionData: { index: number; records: Uint8Array }[] }[]
}

void test('a batch behind one lost with its connection is sent again only after it, in order', async () => {
  const writes: { connection: number; sequence: number }[] = []
  let firstProduce!: () => void
  const firstProduceSeen = new Promise<void>((resolve) => (firstProduce = resolve))
  let held: FakeConnection | undefined
  let offset = 0n
  const broker = await startFakeBroker(
    {
      [ApiKey.Metadata]: [4, 12],
      [ApiKey.InitProducerId]: [0, 5],
      [ApiKey.Produce]: [3, 11],
    },
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
        reply({ throttleTimeMs: 0, errorCode: 0, producerId: 1000n, producerEpoch: 0 })
      } else if (header.apiKey === ApiKey.Produce) {
        const { topicData } = body as unknown as ProduceBody
        const records = topicData[0]!.partitionData[0]!.records
        const sequence = new DataView(records.buffer, records.byteOffset).getInt32(BASE_SEQUENCE_AT)
        writes.push({ connection: connection.id, sequence })
        if (held === undefined) {
          held = connection // no answer: the batch's fate stays unknown until the connection dies
          firstProduce()
          return
        }
        reply({
          responses: [
            {
              name: 't',
              partitionResponses: [{ index: 0, errorCode: 0, baseOffset: offset++, logAppendTimeMs: -1n }],
            },
          ],
          throttleTimeMs: 0,
        })
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
  const producer = new KafkaProducer(cluster, { compression: 'gzip', lingerMs: 0, retryBackoffMs: 20 })
  try {
    const a = producer.send('t', { value: 'a' })
    await firstProduceSeen
    // Incompressible 900 KiB: gzip keeps batch B busy on the thread pool while the connection dies.
    const b = producer.send('t', { value: randomBytes(900 << 10) })
    held!.destroy()
    await Promise.all([a, b])
    const after = writes.filter((w) => w.connection !== writes[0]!.connection)
    assert.deepEqual(
      after.map((w) => w.sequence).slice(0, 2),
      [0, 1],
      `the older batch goes first on the new connection (writes: ${JSON.stringify(writes)})`,
    )
  } finally {
    await producer.close()
    await cluster.close()
    await broker.close()
  }
})
