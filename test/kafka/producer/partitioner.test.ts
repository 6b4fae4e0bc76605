import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { createPartitioner, explicitPartition } from '../../../src/kafka/producer/partitioner.ts'

const enc = new TextEncoder()
const ctx = (topic: string, key: string | null, partitionCount: number, available: number[] = []) => ({
  topic,
  key: key === null ? null : enc.encode(key),
  value: null,
  partitionCount,
  availablePartitions: available,
})

// Java: Utils.toPositive(Utils.murmur2(bytes)) % n, with murmur2 values from Kafka's UtilsTest.
void test('keyed records land where the Java default partitioner puts them', () => {
  const p = createPartitioner()
  const javaMurmur2: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ]
  for (const [key, hash] of javaMurmur2) {
    for (const n of [1, 3, 7, 12, 100]) {
      assert.equal(p.partition(ctx('t', key, n)), (hash & 0x7fffffff) % n, `${key} over ${n}`)
    }
  }
})

void test('null keys stick to one partition until its batch closes, then move (KIP-480)', () => {
  const p = createPartitioner()
  const first = p.partition(ctx('t', null, 6))
  for (let i = 0; i < 50; i++) assert.equal(p.partition(ctx('t', null, 6)), first)
  p.onNewBatch('t', first, 6, [])
  const second = p.partition(ctx('t', null, 6))
  assert.notEqual(second, first)
  // A different, non-sticky partition's batch closing does not move it.
  p.onNewBatch('t', (second + 1) % 6, 6, [])
  assert.equal(p.partition(ctx('t', null, 6)), second)
  // Only partitions with a leader are chosen when that is known.
  p.onNewBatch('t', second, 6, [4])
  assert.equal(p.partition(ctx('t', null, 6, [4])), 4)
})

void test('round-robin spreads records over every partition', () => {
  const p = createPartitioner('round-robin')
  const seen = new Set<number>()
  for (let i = 0; i < 8; i++) seen.add(p.partition(ctx('t', 'same-key', 4)))
  assert.equal(seen.size, 4)
})

void test('a custom hook is called and its answer validated', () => {
  const p = createPartitioner((c) => (c.key ? 2 : 0))
  assert.equal(p.partition(ctx('t', 'k', 3)), 2)
  const bad = createPartitioner(() => 9)
  assert.throws(() => bad.partition(ctx('t', 'k', 3)), ConfigError)
  assert.throws(() => createPartitioner('nope' as never), ConfigError)
  assert.throws(() => explicitPartition('t', 3, 3), ConfigError)
  assert.equal(explicitPartition('t', 2, 3), 2)
})
