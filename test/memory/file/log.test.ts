import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, mock, test } from 'node:test'
import { CorruptDataError } from '../../../src/core/errors.ts'
import { FileLog } from '../../../src/memory/file/log.ts'
import { StoredMessage, recordSize } from '../../../src/memory/message.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-log-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))
let dirs = 0
const freshDir = () => path.join(root, String(++dirs))

function records(log: FileLog, values: string[], timestamp = Date.now()): StoredMessage[] {
  const out = values.map((v, i) => {
    const value = new TextEncoder().encode(v)
    const m = new StoredMessage(
      't',
      0,
      log.next + i,
      timestamp,
      null,
      value,
      undefined,
      recordSize(null, value, undefined),
    )
    return m
  })
  log.append(out)
  return out
}

const text = (ms: StoredMessage[]) => ms.map((m) => m.valueString())

void test('appends roll into segments; reads cross segments and use the index from any offset', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 4096 })
  for (let i = 0; i < 100; i++) records(log, [`value-${i}-${'x'.repeat(200)}`])
  assert.ok(log.segmentCount > 3, `rolled into ${log.segmentCount} segments`)
  assert.equal(log.next, 100)
  const from57 = log.read(57, 5)
  assert.deepEqual(
    from57.map((m) => m.offset),
    [57, 58, 59, 60, 61],
  )
  assert.ok(from57[0]!.valueString()!.startsWith('value-57-'))
  assert.equal(log.read(0, 1000).length, 100)
  log.close()
  // Reopened: the same content, next offset continues.
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 4096 })
  assert.equal(reopened.next, 100)
  assert.equal(reopened.recoveredTruncatedBytes, 0)
  assert.ok(reopened.read(99, 1)[0]!.valueString()!.startsWith('value-99-'))
  reopened.close()
})

void test('a damaged batch in the middle of the last segment is kept as a reported range; the batches after it stay', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  for (const v of ['a', 'b', 'c', 'd']) records(log, [v]) // one batch per append
  log.close()
  const file = path.join(dir, '00000000000000000000.log')
  const bytes = fs.readFileSync(file)
  const batchLength = bytes.length / 4
  bytes[batchLength * 2 + 30]! ^= 0xff // damage the batch holding 'c'
  fs.writeFileSync(file, bytes)
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  assert.equal(reopened.next, 4, 'not a torn write: nothing is cut')
  assert.equal(reopened.recoveredTruncatedBytes, 0)
  assert.equal(fs.statSync(file).size, bytes.length)
  assert.deepEqual(
    reopened.damaged.map((d) => [d.kind, d.from, d.to, d.position, d.bytes]),
    [['damaged', 2, 3, batchLength * 2, batchLength]],
  )
  assert.deepEqual(text(reopened.read(0, 10)), ['a', 'b'], 'a read stops before the damaged range')
  assert.throws(
    () => reopened.read(2, 10),
    (e: unknown) =>
      e instanceof CorruptDataError && e.range?.from === 2 && e.range.to === 3 && e.path === file,
  )
  assert.deepEqual(text(reopened.read(3, 10)), ['d'])
  records(reopened, ['e'])
  assert.deepEqual(text(reopened.read(3, 10)), ['d', 'e'])
  reopened.close()
})

void test('a corrupt last batch of the last segment is a torn write: cut, and reported with its offsets', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  for (const v of ['a', 'b', 'c', 'd']) records(log, [v])
  log.close()
  const file = path.join(dir, '00000000000000000000.log')
  const bytes = fs.readFileSync(file)
  const batchLength = bytes.length / 4
  bytes[batchLength * 3 + 30]! ^= 0xff
  fs.writeFileSync(file, bytes)
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  assert.equal(reopened.next, 3)
  assert.equal(reopened.recoveredTruncatedBytes, batchLength)
  assert.deepEqual(
    reopened.damaged.map((d) => [d.kind, d.from, d.to, d.bytes]),
    [['truncated', 3, null, batchLength]],
  )
  records(reopened, ['d2'])
  assert.deepEqual(text(reopened.read(0, 10)), ['a', 'b', 'c', 'd2'])
  reopened.close()
})

void test('one append is one batch: damage anywhere in it drops all of its records, none of the batch before', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  records(log, ['first'])
  const firstSize = log.sizeBytes
  records(log, ['x1', 'x2', 'x3', 'x4', 'x5'])
  log.close()
  const file = path.join(dir, '00000000000000000000.log')
  const bytes = fs.readFileSync(file)
  bytes[bytes.length - 3]! ^= 0x01 // inside the last record of the second batch
  fs.writeFileSync(file, bytes)
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  assert.equal(reopened.next, 1)
  assert.equal(reopened.sizeBytes, firstSize)
  assert.deepEqual(text(reopened.read(0, 10)), ['first'])
  reopened.close()
})

void test('a flush larger than the batch target is split into several batches, written and read back whole', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 64 << 20 })
  const values = Array.from({ length: 3000 }, (_, i) => `big-${i}-${'b'.repeat(1000)}`)
  records(log, values)
  assert.equal(log.next, 3000)
  assert.deepEqual(text(log.read(0, 5000)), values)
  assert.deepEqual(text(log.read(2500, 2)), values.slice(2500, 2502))
  log.close()
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 64 << 20 })
  assert.equal(reopened.next, 3000)
  assert.equal(reopened.recoveredTruncatedBytes, 0)
  assert.deepEqual(text(reopened.read(1234, 3)), values.slice(1234, 1237))
  reopened.close()
})

void test('a damaged index of a sealed segment is rebuilt from the records', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 8192 })
  for (let i = 0; i < 200; i++) records(log, [`v${i}-${'y'.repeat(100)}`])
  log.close()
  const index = path.join(dir, '00000000000000000000.index')
  fs.writeFileSync(index, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0, 0, 0, 0]))
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 8192 })
  assert.equal(reopened.next, 200)
  assert.ok(reopened.read(30, 1)[0]!.valueString()!.startsWith('v30-'))
  reopened.close()
})

void test('retention drops whole old segments by size and by age, never the last one', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 4096, retentionBytes: 10_000 })
  for (let i = 0; i < 200; i++) records(log, ['z'.repeat(100)])
  const before = log.sizeBytes
  const earliest = log.applyRetention(Date.now())
  assert.ok(before > 10_000)
  assert.ok(log.sizeBytes <= 10_000 + 4096, `kept ${log.sizeBytes} bytes`)
  assert.ok(earliest > 0)
  assert.equal(log.read(0, 1)[0]!.offset, earliest, 'reads below the earliest offset start at it')
  log.close()

  const aged = FileLog.open(freshDir(), 't', 0, { segmentBytes: 4096, retentionMs: 60_000 })
  for (let i = 0; i < 100; i++) records(aged, ['o'.repeat(100)], Date.now() - 120_000)
  records(aged, ['fresh'])
  aged.applyRetention(Date.now())
  assert.equal(aged.segmentCount, 1)
  assert.deepEqual(text(aged.read(aged.earliest, 1000)).slice(-1), ['fresh'])
  aged.close()
})

void test('offsetForTimestamp finds the first record at or after a time', () => {
  const log = FileLog.open(freshDir(), 't', 0, { segmentBytes: 4096 })
  for (let i = 0; i < 60; i++) records(log, [`t${i}-${'q'.repeat(100)}`], 1000 + i * 10)
  assert.equal(log.offsetForTimestamp(0), 0)
  assert.equal(log.offsetForTimestamp(1255), 26)
  assert.equal(log.offsetForTimestamp(99_999), 60)
  log.close()
})

void test('sync calls back once the data is on disk; callers during an fsync share the next one', async () => {
  const log = FileLog.open(freshDir(), 't', 0, { segmentBytes: 1 << 20 })
  records(log, ['a'])
  const done: number[] = []
  await new Promise<void>((resolve) => {
    log.sync(() => done.push(1))
    records(log, ['b'])
    log.sync(() => done.push(2))
    log.sync(() => {
      done.push(3)
      resolve()
    })
  })
  assert.deepEqual(done, [1, 2, 3])
  log.close()
})

void test('a sealed segment with a torn tail keeps its bytes; reads stop at the range, which names its offsets', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 4096 })
  for (let i = 0; i < 60; i++) records(log, [`s${i}-${'w'.repeat(200)}`])
  const next = log.next
  log.close()
  const segments = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
  assert.ok(segments.length >= 3)
  const sealed = path.join(dir, segments[0]!)
  const size = fs.statSync(sealed).size
  fs.truncateSync(sealed, size - 50) // the last batch of the first segment is torn
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 4096 })
  const secondBase = Number(segments[1]!.slice(0, 20))
  assert.equal(reopened.recoveredTruncatedBytes, 0, 'an older segment is never cut')
  assert.equal(reopened.next, next, 'later segments are untouched')
  assert.deepEqual(
    reopened.damaged.map((d) => [d.kind, d.file, d.from, d.to]),
    [['damaged', sealed, secondBase - 1, secondBase]],
  )
  const before = reopened.read(0, 1000).map((m) => m.offset)
  assert.deepEqual(
    before,
    Array.from({ length: secondBase - 1 }, (_, i) => i),
    'up to the damaged range',
  )
  assert.throws(() => reopened.read(secondBase - 1, 10), CorruptDataError)
  const after = reopened.read(secondBase, 1000).map((m) => m.offset)
  assert.equal(after[0], secondBase)
  assert.equal(after.at(-1), next - 1)
  reopened.close()
})

void test('a failed write leaves neither bytes nor index entries: the next append and every read are right', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  for (let i = 0; i < 20; i++) records(log, [`ok${i}-${'p'.repeat(500)}`]) // several index entries
  const size = log.sizeBytes
  const failing = mock.method(fs, 'writeSync', () => {
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
  })
  try {
    // Over 1 MiB: two batches, so a stale index entry would point into the lost second one.
    const lost = Array.from({ length: 3 }, (_, i) => `lost${i}-${'l'.repeat(600_000)}`)
    assert.throws(() => records(log, lost), /ENOSPC/)
  } finally {
    failing.mock.restore()
  }
  assert.equal(log.next, 20)
  assert.equal(log.sizeBytes, size)
  assert.equal(fs.statSync(path.join(dir, '00000000000000000000.log')).size, size)
  for (let i = 20; i < 40; i++) records(log, [`ok${i}-${'p'.repeat(500)}`])
  const expected = Array.from({ length: 40 }, (_, i) => `ok${i}-${'p'.repeat(500)}`)
  for (const from of [0, 19, 20, 21, 33])
    assert.deepEqual(text(log.read(from, 3)), expected.slice(from, from + 3))
  log.close()
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  assert.equal(reopened.recoveredTruncatedBytes, 0)
  assert.deepEqual(text(reopened.read(0, 100)), expected)
  reopened.close()
})

/**
 * Holds fs.fdatasync callbacks, and fs.fsync callbacks of descriptors opened (asynchronously, as a
 * roll does) on `dir`, until released — to observe what a sync() waits for. Directory fsyncs that
 * earlier tests' rolls left queued pass straight through.
 */
function holdSyncs(dir: string) {
  const held: { kind: string; fd: number; release: () => void }[] = []
  const realFdatasync = fs.fdatasync
  const realFsync = fs.fsync
  const realOpen = fs.open
  const ours = new Set<number>()
  const a = mock.method(fs, 'fdatasync', (fd: number, callback: (error: Error | null) => void) => {
    held.push({ kind: 'fdatasync', fd, release: () => realFdatasync(fd, callback) })
  })
  const b = mock.method(fs, 'fsync', (fd: number, callback: (error: Error | null) => void) => {
    if (ours.has(fd)) held.push({ kind: 'fsync', fd, release: () => realFsync(fd, callback) })
    else realFsync(fd, callback)
  })
  const c = mock.method(
    fs,
    'open',
    (file: string, flags: string, callback: (error: Error | null, fd: number) => void) =>
      realOpen(file, flags, (error, fd) => {
        if (!error && file === dir) ours.add(fd)
        callback(error, fd)
      }),
  )
  return {
    held,
    restore: () => {
      a.mock.restore()
      b.mock.restore()
      c.mock.restore()
    },
  }
}

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 2))
  assert.ok(condition(), 'condition reached')
}

void test('after a roll, sync() also waits for the sealed segment and directory fsyncs running in the background', async () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 4096 })
  records(log, [`first-${'r'.repeat(3000)}`])
  const syncs = holdSyncs(dir)
  try {
    records(log, [`second-${'r'.repeat(3000)}`]) // rolls: the sealed segment and the directory sync
    assert.equal(log.segmentCount, 2)
    await until(() => syncs.held.length === 2) // the directory is opened asynchronously first
    const [sealed, directory] = [
      syncs.held.find((h) => h.kind === 'fdatasync')!,
      syncs.held.find((h) => h.kind === 'fsync')!,
    ]
    assert.ok(sealed && directory, 'a roll blocks on neither fsync')
    let synced = false
    log.sync((error) => {
      assert.equal(error, null)
      synced = true
    })
    assert.equal(syncs.held.length, 3)
    const active = syncs.held[2]!
    assert.equal(active.kind, 'fdatasync')
    assert.notEqual(active.fd, sealed.fd)
    active.release()
    await new Promise((r) => setTimeout(r, 20))
    assert.equal(synced, false, 'not before the sealed segment is on disk')
    sealed.release()
    await new Promise((r) => setTimeout(r, 20))
    assert.equal(synced, false, 'not before the new segment is durably in the directory')
    directory.release()
    await until(() => synced)
    // Nothing written since: a sync now calls back at once, with no further fsync.
    let again = false
    log.sync(() => (again = true))
    assert.equal(again, true)
    assert.equal(syncs.held.length, 3)
  } finally {
    syncs.restore()
  }
  log.close()
})

void test('a segment closed under a background fsync keeps its descriptor until the fsync is done', async () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 4096, retentionBytes: 1 })
  records(log, [`first-${'r'.repeat(3000)}`])
  const syncs = holdSyncs(dir)
  try {
    records(log, [`second-${'r'.repeat(3000)}`]) // rolls; the sealed segment's fdatasync is held
    await until(() => syncs.held.length === 2)
    const sealed = syncs.held.find((h) => h.kind === 'fdatasync')!
    assert.equal(log.applyRetention(Date.now()), 1, 'retention deletes the sealed segment')
    assert.ok(fs.fstatSync(sealed.fd), 'its descriptor is still open for the queued fsync')
    let settled = false
    for (const h of syncs.held) h.release()
    log.sync(() => (settled = true))
    for (const h of syncs.held.slice(2)) h.release()
    await until(() => settled)
    assert.throws(() => fs.fstatSync(sealed.fd), /EBADF/, 'closed once the fsync finished')
  } finally {
    syncs.restore()
  }
  log.close()
})
