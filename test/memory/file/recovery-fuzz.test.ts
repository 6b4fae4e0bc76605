// Recovery must survive any damage to a log: whatever bytes a crash or a disk leaves, opening never
// throws or hangs, every record read back is the one written at its offset, and every record not
// read back lies in a reported damaged range. A torn tail keeps exactly a valid prefix.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { CorruptDataError } from '../../../src/core/errors.ts'
import { FileLog } from '../../../src/memory/file/log.ts'
import { OffsetsStore } from '../../../src/memory/file/offsets-store.ts'
import { StoredMessage, recordSize } from '../../../src/memory/message.ts'
import { Random } from '../../../src/testing/random.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-fuzz-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))
const seed = Number(process.env.CONDUIT_SEED ?? Date.now() % 2 ** 32)

void test(`damaged logs keep every intact record and report the rest (seed ${seed})`, () => {
  const random = new Random(seed)
  for (let round = 0; round < 60; round++) {
    const dir = path.join(root, `log-${round}`)
    const log = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
    const count = random.int(1, 40)
    const values: string[] = []
    // Appended in batches of random sizes; each append is one batch on disk, kept or lost whole.
    const boundaries = new Set([0])
    let batch: StoredMessage[] = []
    for (let i = 0; i < count; i++) {
      const v = `r${round}-${i}-${'z'.repeat(random.int(0, 300))}`
      values.push(v)
      const value = new TextEncoder().encode(v)
      batch.push(
        new StoredMessage(
          't',
          0,
          i,
          i,
          null,
          value,
          i % 3 ? undefined : { h: String(i) },
          recordSize(null, value, undefined),
        ),
      )
      if (i === count - 1 || random.next() < 0.4) {
        log.append(batch)
        boundaries.add(i + 1)
        batch = []
      }
    }
    log.close()
    const file = path.join(dir, '00000000000000000000.log')
    const bytes = fs.readFileSync(file)
    const damage = random.int(0, 3)
    let damaged: Buffer
    if (damage === 0)
      damaged = bytes.subarray(0, random.int(0, bytes.length)) // torn tail
    else if (damage === 1) {
      damaged = Buffer.from(bytes) // one flipped byte somewhere
      damaged[random.int(0, bytes.length - 1)]! ^= 1 << random.int(0, 7)
    } else if (damage === 2) {
      const junk = Buffer.alloc(random.int(1, 64))
      for (let i = 0; i < junk.length; i++) junk[i] = random.int(0, 255)
      damaged = Buffer.concat([bytes, junk]) // garbage after the last record
    } else {
      damaged = Buffer.concat([bytes, Buffer.from([0xff, 0xff, 0xff, 0x7f])]) // a huge length
    }
    fs.writeFileSync(file, damaged)
    const reopened = FileLog.open(dir, 't', 0, { segmentBytes: 1 << 20 })
    // Read everything, stepping over each damaged range the way a skipping consumer does.
    const kept = new Map<number, string>()
    for (let at = 0; at < reopened.next;) {
      try {
        const batch = reopened.read(at, 1000)
        for (const m of batch) kept.set(m.offset, m.valueString()!)
        at = batch.at(-1)!.offset + 1
      } catch (error) {
        assert.ok(error instanceof CorruptDataError && error.range, `round ${round}: ${String(error)}`)
        at = error.range.to
      }
    }
    for (const [offset, value] of kept)
      assert.equal(value, values[offset], `round ${round}: offset ${offset}`)
    const covered = (o: number) => reopened.damaged.some((d) => d.from <= o && (d.to === null || o < d.to))
    // A log cut exactly at a batch boundary looks like one that was never longer: only its
    // suffix may go missing without a report (and only in the torn-tail case, checked below).
    const mustCover = damage === 0 ? reopened.next : count
    for (let o = 0; o < mustCover; o++)
      assert.ok(
        kept.has(o) || covered(o),
        `round ${round} (damage ${damage}, ${bytes.length} → ${damaged.length} bytes, next ${reopened.next}): offset ${o} is read back or reported damaged`,
      )
    if (damage === 0) {
      // A torn tail: exactly a prefix is kept, ending at a batch boundary.
      assert.equal(reopened.next, kept.size)
      assert.ok(boundaries.has(kept.size), `round ${round}: ${kept.size} records end at a batch boundary`)
    }
    if (damage >= 2) assert.equal(kept.size, count, `round ${round}: garbage after the records loses none`)
    reopened.close()
  }
})

void test(`a damaged offsets log keeps a valid prefix of the commits (seed ${seed})`, () => {
  const random = new Random(seed ^ 0x5bd1e995)
  for (let round = 0; round < 40; round++) {
    const dir = path.join(root, `offsets-${round}`)
    fs.mkdirSync(dir)
    const store = OffsetsStore.open(dir)
    const commits = random.int(1, 30)
    for (let i = 1; i <= commits; i++) store.commit('g', 't', 0, i)
    store.close()
    const file = path.join(dir, 'offsets.log')
    const bytes = fs.readFileSync(file)
    const cut = random.int(0, bytes.length)
    const damaged = Buffer.from(bytes.subarray(0, cut))
    if (damaged.length > 0 && random.next() < 0.5) damaged[random.int(0, damaged.length - 1)]! ^= 0x10
    fs.writeFileSync(file, damaged)
    const committed = OffsetsStore.open(dir).load().get('g')?.get('t')?.get(0)
    assert.ok(
      committed === undefined || (committed >= 1 && committed <= commits),
      `round ${round}: ${committed}`,
    )
  }
})
