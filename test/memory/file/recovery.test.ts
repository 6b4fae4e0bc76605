// Recovery and reads of a damaged `file:` log (issue 14, findings 5 and 6): what is kept, what is
// cut, what is reported, and that the `.index` is only ever a hint.

import assert from 'node:assert/strict'
import dc from 'node:diagnostics_channel'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, mock, test } from 'node:test'
import type { StorageDamageEvent } from '../../../src/core/diagnostics.ts'
import { STORAGE_DAMAGE_CHANNEL } from '../../../src/core/diagnostics.ts'
import { StorageError } from '../../../src/core/errors.ts'
import { FileLog } from '../../../src/memory/file/log.ts'
import { StoredMessage, recordSize } from '../../../src/memory/message.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-recovery-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))
let dirs = 0
const freshDir = () => path.join(root, String(++dirs))

function append(log: FileLog, values: string[]): void {
  log.append(
    values.map((v, i) => {
      const value = new TextEncoder().encode(v)
      return new StoredMessage(
        't',
        0,
        log.next + i,
        1,
        null,
        value,
        undefined,
        recordSize(null, value, undefined),
      )
    }),
  )
}

/** Collects `conduit:storage:damage` events while `fn` runs. */
function damageEvents(fn: () => void): StorageDamageEvent[] {
  const events: StorageDamageEvent[] = []
  const listener = (message: unknown) => events.push(message as StorageDamageEvent)
  dc.subscribe(STORAGE_DAMAGE_CHANNEL, listener)
  try {
    fn()
  } finally {
    dc.unsubscribe(STORAGE_DAMAGE_CHANNEL, listener)
  }
  return events
}

/** A log of `count` records of ~300 bytes, one batch each, in segments of 64 KiB, closed. */
function writeLog(count: number): string {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 65536 })
  for (let i = 0; i < count; i++) append(log, [`v${i}-${'x'.repeat(300)}`])
  log.close()
  return dir
}

const segmentFiles = (dir: string, ext: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => path.join(dir, f))

void test('every truncation and damaged range found on open is published, with its offsets and bytes', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  for (const v of ['a', 'b', 'c', 'd']) append(log, [v])
  log.close()
  const file = path.join(dir, '00000000000000000000.log')
  const bytes = fs.readFileSync(file)
  const batch = bytes.length / 4
  bytes[batch + 30]! ^= 0x01 // 'b': damaged in the middle
  fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from('torn')])) // plus a torn tail
  let reopened: FileLog | undefined
  const events = damageEvents(() => (reopened = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })))
  assert.deepEqual(
    events.map((e) => [e.kind, e.topic, e.partition, e.file, e.from, e.to, e.bytes]),
    [
      ['damaged', 't', 0, file, 1, 2, batch],
      ['truncated', 't', 0, file, 4, null, 4],
    ],
  )
  assert.ok(events.every((e) => e.reason.length > 0))
  reopened!.close()
})

void test('a log cut exactly at a batch boundary is reported when its old index names later offsets', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  for (let i = 0; i < 40; i++) append(log, [`v${i}-${'x'.repeat(300)}`]) // entries every ~4 KiB
  log.close()
  const file = path.join(dir, '00000000000000000000.log')
  const batch = fs.statSync(file).size / 40
  fs.truncateSync(file, batch * 20)
  let reopened: FileLog | undefined
  const events = damageEvents(() => (reopened = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })))
  assert.equal(reopened!.next, 20)
  assert.deepEqual(
    events.map((e) => [e.kind, e.from, e.to]),
    [['truncated', 20, null]],
  )
  reopened!.close()
})

void test('a wrong last index entry of an older segment does not make recovery cut valid data', () => {
  const dir = writeLog(300)
  const [index] = segmentFiles(dir, '.index')
  const entries = fs.readFileSync(index!)
  assert.ok(entries.length >= 32, 'the first segment has several index entries')
  const last = entries.length - 16
  entries.writeUInt32LE(entries.readUInt32LE(last) + 1, last) // names the next offset at that batch
  fs.writeFileSync(index!, entries)
  let reopened: FileLog | undefined
  const events = damageEvents(() => (reopened = FileLog.open(dir, 't', 0, { segmentBytes: 65536 })))
  assert.deepEqual(
    events.map((e) => [e.kind, e.file]),
    [['index-rebuilt', index]],
  )
  assert.deepEqual(reopened!.damaged, [])
  const all = reopened!.read(0, 1000)
  assert.deepEqual(
    all.map((m) => m.offset),
    Array.from({ length: 300 }, (_, i) => i),
  )
  for (const m of all) assert.ok(m.valueString()!.startsWith(`v${m.offset}-`))
  reopened!.close()
})

void test('a wrong middle index entry never labels a record with another offset: reads check each batch', () => {
  const dir = writeLog(300)
  const [index] = segmentFiles(dir, '.index')
  const entries = fs.readFileSync(index!)
  assert.ok(entries.length >= 48, 'at least three entries, so one is in the middle')
  const delta = entries.readUInt32LE(16)
  entries.writeUInt32LE(delta + 1, 16) // entry 1 now claims its batch starts one offset later
  fs.writeFileSync(index!, entries)
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 65536 })
  let read: ReturnType<FileLog['read']> = []
  const events = damageEvents(() => (read = reopened.read(delta + 1, 2)))
  assert.deepEqual(
    read.map((m) => [m.offset, m.valueString()!.split('-')[0]]),
    [
      [delta + 1, `v${delta + 1}`],
      [delta + 2, `v${delta + 2}`],
    ],
  )
  assert.deepEqual(
    events.map((e) => e.kind),
    ['index-rebuilt'],
  )
  assert.equal(reopened.read(delta, 1)[0]!.valueString()!.split('-')[0], `v${delta}`)
  reopened.close()
  // The rebuilt index went to disk: the next open trusts it and reads the same.
  const again = FileLog.open(dir, 't', 0, { segmentBytes: 65536 })
  assert.equal(
    again
      .read(delta + 1, 1)[0]!
      .valueString()!
      .split('-')[0],
    `v${delta + 1}`,
  )
  again.close()
})

void test('a failed index write after a successful data write does not fail the append or shift offsets', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  append(log, [`first-${'w'.repeat(5000)}`])
  const original = fs.writeSync
  let calls = 0
  // The append's data write goes through; the index write right after it fails.
  const failing = mock.method(fs, 'writeSync', (...args: Parameters<typeof fs.writeSync>) => {
    if (++calls === 2) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })
    return (original as (...a: unknown[]) => number)(...args)
  })
  try {
    append(log, [`second-${'y'.repeat(5000)}`, 'third']) // far enough to need an index entry
  } finally {
    failing.mock.restore()
  }
  assert.equal(calls, 2)
  assert.equal(log.next, 3)
  append(log, [`fourth-${'z'.repeat(5000)}`, 'fifth'])
  const values = () => log.read(0, 10).map((m) => `${m.offset}:${m.valueString()!.split('-')[0]}`)
  assert.deepEqual(values(), ['0:first', '1:second', '2:third', '3:fourth', '4:fifth'])
  assert.deepEqual(
    log.read(4, 1).map((m) => m.valueString()),
    ['fifth'],
  )
  log.close()
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  assert.deepEqual(
    reopened.read(0, 10).map((m) => m.offset),
    [0, 1, 2, 3, 4],
  )
  reopened.close()
})

void test('a damaged index of an intact last segment is no evidence of a cut (found by the damage fuzz)', () => {
  const dir = freshDir()
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
  for (let i = 0; i < 40; i++) append(log, [`v${i}-${'x'.repeat(300)}`])
  log.close()
  const index = path.join(dir, '00000000000000000000.index')
  const intact = fs.readFileSync(index)
  assert.ok(intact.length >= 32)
  const garbage = Buffer.alloc(16)
  garbage.writeUInt32LE(105_898_563, 0) // what the fuzz appended: a huge offset at a huge position
  garbage.writeUInt32LE(3_924_836_065, 4)
  const flipped = Buffer.from(intact)
  flipped[23]! ^= 0x80 // the second entry's position, far past the end of the file
  flipped[18]! ^= 0x10 // …and its offset, a million further
  // Found by a longer run of the damage fuzz: the last entry's position 4 MiB and its offset 4096 further.
  const lastFlipped = Buffer.from(intact)
  const last = intact.length - 16
  lastFlipped[last + 6]! ^= 0x40
  lastFlipped[last + 1]! ^= 0x10
  for (const damaged of [Buffer.concat([intact, garbage]), flipped, lastFlipped]) {
    fs.writeFileSync(index, damaged)
    let reopened: FileLog | undefined
    const events = damageEvents(() => (reopened = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })))
    assert.deepEqual(events, [])
    assert.equal(reopened!.next, 40)
    reopened!.close()
  }
})

void test('retention deleting a segment forgets its damaged ranges', () => {
  const dir = writeLog(300)
  const [first] = segmentFiles(dir, '.log')
  const bytes = fs.readFileSync(first!)
  bytes[30]! ^= 0x01 // the first batch
  fs.writeFileSync(first!, bytes)
  const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 65536, retentionBytes: 1 })
  assert.throws(() => reopened.read(0, 1)) // found by the read (before the last index entry)
  assert.deepEqual(
    reopened.damaged.map((d) => [d.file, d.from]),
    [[first, 0]],
  )
  reopened.applyRetention(Date.now())
  assert.ok(reopened.earliest > 0)
  assert.deepEqual(reopened.damaged, [])
  reopened.close()
})

void test('an OS error while reading a segment comes out as a StorageError naming the file', () => {
  const dir = writeLog(10)
  const log = FileLog.open(dir, 't', 0, { segmentBytes: 65536 })
  const failing = mock.method(fs, 'readSync', () => {
    throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })
  })
  try {
    assert.throws(
      () => log.read(0, 10),
      (e: unknown) =>
        e instanceof StorageError && e.systemCode === 'EIO' && e.path.endsWith('00000000000000000000.log'),
    )
  } finally {
    failing.mock.restore()
  }
  assert.equal(log.read(0, 10).length, 10)
  log.close()
})

void test('a wrong first index entry is caught too: byte 0 holds the base offset, whatever the index says (found by the damage fuzz)', () => {
  const dir = writeLog(300)
  const [index] = segmentFiles(dir, '.index')
  const entries = fs.readFileSync(index!)
  entries.writeUInt32LE(2, 0) // the entry at byte 0 now names offset 2
  fs.writeFileSync(index!, entries)
  let reopened: FileLog | undefined
  const events = damageEvents(() => (reopened = FileLog.open(dir, 't', 0, { segmentBytes: 65536 })))
  assert.deepEqual(
    events.map((e) => e.kind),
    ['index-rebuilt'],
  )
  const read = reopened!.read(2, 3).map((m) => [m.offset, m.valueString()!.split('-')[0]])
  assert.deepEqual(read, [
    [2, 'v2'],
    [3, 'v3'],
    [4, 'v4'],
  ])
  assert.deepEqual(reopened!.damaged, [])
  reopened!.close()
})
