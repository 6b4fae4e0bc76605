import assert from 'node:assert/strict'
import { test } from 'node:test'
import { StoredMessage, recordSize } from '../../src/memory/message.ts'
import { PartitionLog } from '../../src/memory/partition-log.ts'
import type { DurablePartition } from '../../src/memory/partition-log.ts'

/** A disk side that keeps what it is given and hands out copies, so a test sees where a read came from. */
class FakeDisk implements DurablePartition {
  readonly dir = '/fake/t/0'
  readonly stored: StoredMessage[] = []
  reads: [number, number][] = []
  earliest = 0
  get next(): number {
    return this.stored.length
  }
  append(records: readonly StoredMessage[]): void {
    for (const r of records) this.stored.push(r)
  }
  read(offset: number, max: number): StoredMessage[] {
    this.reads.push([offset, max])
    return this.stored
      .slice(offset, offset + max)
      .map(
        (r) =>
          new StoredMessage(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, undefined, r.size),
      )
  }
  offsetForTimestamp(): number {
    return this.next
  }
  sync(callback: (error: Error | null) => void): void {
    callback(null)
  }
  applyRetention(): number {
    return this.earliest
  }
  close(): void {}
}

function append(log: PartitionLog, count: number, size = 10): StoredMessage[] {
  const value = new Uint8Array(size)
  const records = Array.from(
    { length: count },
    () => new StoredMessage('t', 0, -1, 1, null, value, undefined, recordSize(null, value, undefined)),
  )
  log.append(records)
  log.visibleEnd = log.next
  return records
}

void test('a durable partition caches at most cacheRecords of its newest records; older ones are read from disk', () => {
  const disk = new FakeDisk()
  const log = new PartitionLog('t', 0, { durable: disk, cacheRecords: 100 })
  const appended: StoredMessage[] = []
  for (let i = 0; i < 5; i++) appended.push(...append(log, 50))
  assert.equal(log.next, 250)
  const recent = log.read(150, 100)
  assert.equal(recent.length, 100)
  recent.forEach((r, i) => assert.equal(r, appended[150 + i], 'the appended object itself'))
  assert.deepEqual(disk.reads, [], 'the newest 100 come from memory')
  const older = log.read(120, 10)
  assert.deepEqual(
    older.map((r) => r.offset),
    [120, 121, 122, 123, 124, 125, 126, 127, 128, 129],
  )
  assert.notEqual(older[0], appended[120])
  assert.deepEqual(disk.reads, [[120, 10]])
  // A read that starts on disk stops where the cache starts.
  assert.deepEqual(
    log.read(148, 10).map((r) => r.offset),
    [148, 149],
  )
})

void test('the default record cap applies to small records that fit the byte cap many times over', () => {
  const disk = new FakeDisk()
  const log = new PartitionLog('t', 0, { durable: disk })
  const appended = append(log, 40_000)
  const cached = 32 * 1024
  assert.equal(log.read(40_000 - cached, 1)[0], appended[40_000 - cached])
  assert.deepEqual(disk.reads, [])
  assert.notEqual(log.read(40_000 - cached - 1, 1)[0], appended[40_000 - cached - 1])
  assert.equal(disk.reads.length, 1)
})

void test('memory: partitions keep every record, however many (the record cap is only for durable ones)', () => {
  const log = new PartitionLog('t', 0, { cacheRecords: 10 })
  const appended = append(log, 40_000)
  assert.equal(log.read(0, 1)[0], appended[0])
  assert.equal(log.read(39_999, 1)[0], appended[39_999])
  assert.equal(log.earliest, 0)
})
