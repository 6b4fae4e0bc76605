import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { StorageError } from '../../../src/core/errors.ts'
import { writeFileDurably } from '../../../src/memory/file/durable-write.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-durable-write-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

void test('replaces the file whole and leaves no temporary file', () => {
  const file = path.join(root, 'meta.json')
  fs.writeFileSync(file, 'old')
  fs.writeFileSync(`${file}.tmp`, 'a temporary file a crash left')
  writeFileDurably(file, 'new contents')
  assert.equal(fs.readFileSync(file, 'utf8'), 'new contents')
  assert.deepEqual(fs.readdirSync(root), ['meta.json'])
})

void test('a failure is a StorageError naming the path, and the old file is kept', () => {
  const file = path.join(root, 'in-the-way')
  fs.mkdirSync(file)
  assert.throws(
    () => writeFileDurably(file, 'x'),
    (e: unknown) => e instanceof StorageError && e.path === file && /replace in-the-way/.test(e.message),
  )
  assert.ok(fs.statSync(file).isDirectory())
  assert.equal(fs.existsSync(`${file}.tmp`), false)
})
