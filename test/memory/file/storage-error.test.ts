import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError, StorageError } from '../../../src/core/errors.ts'
import { toStorageError, withStorageErrors } from '../../../src/memory/file/storage-error.ts'

void test('an OS error becomes a StorageError with the path, the system code and a hint', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-storage-error-'))
  try {
    const error = (() => {
      try {
        withStorageErrors(dir, 'read the topic file', () => fs.readFileSync(dir))
      } catch (e) {
        return e
      }
      return undefined
    })()
    assert.ok(error instanceof StorageError)
    assert.equal(error.code, 'CONDUIT_STORAGE')
    assert.equal(error.systemCode, 'EISDIR')
    assert.equal(error.path, dir)
    assert.match(error.message, /could not read the topic file at .*: EISDIR/)
    assert.match(error.hint, /directory stands where/)
    assert.equal(error.retriable, false)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

void test('a full disk is retriable; a Conduit error passes through unchanged', () => {
  const full = toStorageError(Object.assign(new Error('no space'), { code: 'ENOSPC' }), '/x', 'append')
  assert.ok(full instanceof StorageError)
  assert.equal(full.retriable, true)
  assert.match(full.hint, /disk is full/)
  const config = new ConfigError('bad')
  assert.equal(toStorageError(config, '/x', 'append'), config)
})
