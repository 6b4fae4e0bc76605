// Micro-benchmark of the Kafka codec's hot paths: record batch encode/decode, Produce request
// encode and Fetch response decode. Run: npx node bench/kafka-codec.ts
// Prints operations/s and MB/s (of record payload) for each.

import {
  ApiKey,
  decodeRecordBatches,
  decodeResponse,
  encodeRecordBatch,
  encodeRecordBatchSync,
  encodeRequest,
  encodeResponse,
  type RecordInput,
} from '../src/kafka/protocol/index.ts'

function bench(name: string, payloadBytes: number, fn: () => unknown): void {
  const deadline = performance.now() + 300
  while (performance.now() < deadline) fn() // warm-up
  let ops = 0
  const start = performance.now()
  while (performance.now() - start < 1500) {
    for (let i = 0; i < 50; i++) fn()
    ops += 50
  }
  const secs = (performance.now() - start) / 1000
  const mbs = (ops * payloadBytes) / secs / 1e6
  console.log(
    `${name.padEnd(52)} ${(ops / secs).toFixed(0).padStart(9)} ops/s ${mbs.toFixed(0).padStart(6)} MB/s`,
  )
}

async function benchAsync(name: string, payloadBytes: number, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 200; i++) await fn()
  let ops = 0
  const start = performance.now()
  while (performance.now() - start < 1500) {
    for (let i = 0; i < 20; i++) await fn()
    ops += 20
  }
  const secs = (performance.now() - start) / 1000
  const mbs = (ops * payloadBytes) / secs / 1e6
  console.log(
    `${name.padEnd(52)} ${(ops / secs).toFixed(0).padStart(9)} ops/s ${mbs.toFixed(0).padStart(6)} MB/s`,
  )
}

for (const size of [100, 1024]) {
  const records: RecordInput[] = Array.from({ length: 100 }, (_, i) => ({
    key: new TextEncoder().encode(`key-${i}`),
    value: new Uint8Array(size).fill(97),
    headers: [['source', new TextEncoder().encode('bench')]],
    timestamp: 1_700_000_000_000 + i,
  }))
  const payload = 100 * size
  bench(`encodeRecordBatchSync 100 x ${size} B`, payload, () =>
    encodeRecordBatchSync({ records, compression: 'none' }),
  )
  const batch = encodeRecordBatchSync({ records, compression: 'none' })
  const batches = Buffer.concat(Array.from({ length: 10 }, () => batch))
  await benchAsync(`decodeRecordBatches 10 batches x 100 x ${size} B`, payload * 10, () =>
    decodeRecordBatches(batches, { maxDecompressedBytes: 1 << 24 }),
  )
  for (const codec of ['gzip', 'lz4', 'zstd', 'snappy'] as const) {
    try {
      const compressed = await encodeRecordBatch({ records, compression: codec })
      await benchAsync(`encodeRecordBatch ${codec} 100 x ${size} B`, payload, () =>
        encodeRecordBatch({ records, compression: codec }),
      )
      await benchAsync(`decodeRecordBatches ${codec} 100 x ${size} B`, payload, () =>
        decodeRecordBatches(compressed, { maxDecompressedBytes: 1 << 24 }),
      )
    } catch (e) {
      console.log(`${codec}: ${(e as Error).message}`)
    }
  }

  const produce = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [
      {
        name: 'bench-topic',
        partitionData: Array.from({ length: 8 }, (_, index) => ({ index, records: batch })),
      },
    ],
  }
  let correlationId = 0
  bench(`encodeRequest Produce v11, 8 partitions x ${size} B recs`, payload * 8, () =>
    encodeRequest(
      { apiKey: ApiKey.Produce, apiVersion: 11, correlationId: correlationId++, clientId: 'bench' },
      produce,
    ),
  )
  const fetchFrame = encodeResponse(ApiKey.Fetch, 16, 1, {
    responses: [
      {
        topicId: new Uint8Array(16),
        partitions: Array.from({ length: 8 }, (_, partitionIndex) => ({
          partitionIndex,
          highWatermark: 1000n,
          records: batches,
        })),
      },
    ],
  }).subarray(4)
  bench(`decodeResponse Fetch v16, 8 partitions x 10 batches`, payload * 80, () =>
    decodeResponse(ApiKey.Fetch, 16, fetchFrame),
  )
}

const metadata = encodeResponse(ApiKey.Metadata, 12, 1, {
  brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092 }],
  topics: Array.from({ length: 50 }, (_, t) => ({
    name: `topic-${t}`,
    topicId: new Uint8Array(16),
    partitions: Array.from({ length: 12 }, (_, p) => ({
      partitionIndex: p,
      leaderId: 1,
      replicaNodes: [1],
      isrNodes: [1],
    })),
  })),
}).subarray(4)
bench('decodeResponse Metadata v12, 50 topics x 12 partitions', 0, () =>
  decodeResponse(ApiKey.Metadata, 12, metadata),
)
