import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { ConfigError } from '../../src/core/errors.ts'
import { parseMemoryUrl } from '../../src/memory/config.ts'

void test('memory: is private, memory:<name> is shared by name', () => {
  assert.equal(parseMemoryUrl('memory:').shareKey, null)
  assert.equal(parseMemoryUrl('memory:orders').shareKey, 'memory:orders')
  assert.equal(parseMemoryUrl('memory://orders').shareKey, 'memory:orders')
  assert.equal(parseMemoryUrl('memory:?partitions=3').partitions, 3)
})

void test('file: forms resolve to an absolute directory', () => {
  assert.equal(parseMemoryUrl('file:./data').dir, path.resolve('data'))
  assert.equal(parseMemoryUrl('file:/var/lib/x').dir, '/var/lib/x')
  assert.equal(parseMemoryUrl('file:///var/lib/x').dir, '/var/lib/x')
  assert.equal(parseMemoryUrl('file:/tmp/a%20b').dir, '/tmp/a b')
  assert.equal(parseMemoryUrl('file:data').dir, path.resolve('data'))
  assert.equal(parseMemoryUrl('file://localhost/var/lib/x').dir, '/var/lib/x')
  const s = parseMemoryUrl('file:/d?fsync=always&fsyncIntervalMs=50&segmentBytes=8192&partitions=4')
  assert.equal(s.fsync, 'always')
  assert.equal(s.fsyncIntervalMs, 50)
  assert.equal(s.segmentBytes, 8192)
  assert.equal(s.partitions, 4)
  assert.equal(parseMemoryUrl('file:/d').fsync, 'interval')
  assert.equal(parseMemoryUrl('file:/d').create, true)
  assert.equal(parseMemoryUrl('file:/d?create=false').create, false)
  assert.equal(parseMemoryUrl('file:/d', { create: false }).create, false)
})

void test('connect options win over the URL', () => {
  assert.equal(parseMemoryUrl('memory:?partitions=3', { partitions: 5 }).partitions, 5)
  assert.equal(parseMemoryUrl('file:/d', { fsync: 'always' }).fsync, 'always')
})

void test('bad URLs and options are ConfigErrors that say what to do', () => {
  const cases: [string, RegExp][] = [
    ['file:', /needs a directory/],
    ['file://', /names the root directory \/, not a data directory/],
    ['file:/', /names the root directory/],
    ['file:///', /names the root directory/],
    ['file:////', /names the root directory/],
    ['file:/..', /names the root directory/],
    ['file://remote.host/data', /not a valid file: URL/],
    ['memory:?partitions=0', /partitions must be an integer from 1/],
    ['memory:?partitions=-1', /partitions/],
    ['memory:?partitions=abc', /partitions/],
    ['memory:?fsync=always', /"fsync" is for file: URLs/],
    ['memory:?bogus=1', /unknown option "bogus".*known options/],
    ['file:/d?fsync=sometimes', /fsync must be "always" or "interval"/],
    ['file:/d?segmentBytes=10', /segmentBytes/],
    ['memory:bad name!', /invalid memory broker name/],
    ['memory:?create=false', /"create" is for file: URLs/],
    ['memory:?autoCreateTopics=maybe', /autoCreateTopics must be true or false/],
  ]
  for (const [url, message] of cases) {
    assert.throws(
      () => parseMemoryUrl(url),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      url,
    )
  }
})
