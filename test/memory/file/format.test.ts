import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { ConfigError, CorruptDataError, StorageError } from '../../../src/core/errors.ts'
import { FORMAT_VERSION, checkFormat } from '../../../src/memory/file/format.ts'
import { connect } from '../../../src/index.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-format-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

void test('a new directory records its format, and opens again', async () => {
  const dir = path.join(root, 'new')
  const broker = await connect(`file:${dir}`)
  const producer = await broker.producer({ topic: 'f' })
  await producer.send({ value: 'kept' })
  await broker.close()
  assert.equal(fs.readFileSync(path.join(dir, 'FORMAT'), 'utf8'), `conduit-file-log ${FORMAT_VERSION}\n`)
  const again = await connect(`file:${dir}`)
  const consumer = await again.consumer({ topic: 'f', from: 'earliest' })
  const batch = (await consumer[Symbol.asyncIterator]().next()).value!
  assert.equal(batch.messages[0]!.valueString(), 'kept')
  await again.close()
})

void test('topics without a FORMAT file (format 1) are refused and left untouched', async () => {
  const dir = path.join(root, 'old')
  const segment = path.join(dir, 'topics', 'orders', '0', '00000000000000000000.log')
  fs.mkdirSync(path.dirname(segment), { recursive: true })
  fs.writeFileSync(path.join(dir, 'topics', 'orders', 'topic.json'), '{"partitions":1,"createdAt":0}')
  fs.writeFileSync(segment, Buffer.from([30, 0, 0, 0, 1, 2, 3, 4]))
  await assert.rejects(connect(`file:${dir}`), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error))
    assert.match(error.message, /format 1/)
    assert.match(error.message, /orders/)
    return true
  })
  assert.equal(fs.statSync(segment).size, 8, 'the old segment is not truncated')
  assert.ok(!fs.existsSync(path.join(dir, 'FORMAT')))
  assert.ok(!fs.existsSync(path.join(dir, 'LOCK')), 'the lock is released after the refusal')
})

void test('another format version is refused', () => {
  const dir = path.join(root, 'future')
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'FORMAT'), `conduit-file-log ${FORMAT_VERSION + 1}\n`)
  assert.throws(
    () => checkFormat(dir),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.match(error.message, new RegExp(`format ${FORMAT_VERSION + 1}`))
      return true
    },
  )
  fs.writeFileSync(path.join(dir, 'FORMAT'), 'garbage')
  assert.throws(
    () => checkFormat(dir),
    (error: unknown) => error instanceof CorruptDataError && /printf 'conduit-file-log 2/.test(error.hint),
  )
  assert.equal(fs.readFileSync(path.join(dir, 'FORMAT'), 'utf8'), 'garbage', 'left untouched')
})

void test('an empty FORMAT beside no topic (an interrupted first open) is written again', () => {
  const dir = path.join(root, 'empty-format')
  fs.mkdirSync(path.join(dir, 'topics'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'FORMAT'), '')
  checkFormat(dir)
  assert.equal(fs.readFileSync(path.join(dir, 'FORMAT'), 'utf8'), `conduit-file-log ${FORMAT_VERSION}\n`)
})

void test('an empty FORMAT beside topics is damage: CorruptDataError, nothing changed', () => {
  const dir = path.join(root, 'empty-format-topics')
  fs.mkdirSync(path.join(dir, 'topics', 'orders'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'FORMAT'), '')
  assert.throws(
    () => checkFormat(dir),
    (e: unknown) => e instanceof CorruptDataError && e.path === path.join(dir, 'FORMAT'),
  )
  assert.equal(fs.readFileSync(path.join(dir, 'FORMAT'), 'utf8'), '')
})

void test('a FORMAT the OS refuses to read is a StorageError with its path', () => {
  const dir = path.join(root, 'format-dir')
  fs.mkdirSync(path.join(dir, 'FORMAT'), { recursive: true })
  assert.throws(
    () => checkFormat(dir),
    (e: unknown) =>
      e instanceof StorageError && e.systemCode === 'EISDIR' && e.path === path.join(dir, 'FORMAT'),
  )
})

void test('a full disk while recording the format is a retriable StorageError', () => {
  const dir = path.join(root, 'full-disk')
  fs.mkdirSync(dir)
  // Every write to /dev/full fails with ENOSPC: a real full-disk error from the kernel.
  fs.symlinkSync('/dev/full', path.join(dir, 'FORMAT.tmp'))
  assert.throws(
    () => checkFormat(dir),
    (e: unknown) =>
      e instanceof StorageError && e.systemCode === 'ENOSPC' && e.retriable && /disk is full/.test(e.hint),
  )
  assert.equal(fs.existsSync(path.join(dir, 'FORMAT')), false)
})
