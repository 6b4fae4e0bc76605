// Conduit reads what other implementations wrote, and writes exactly the bytes that were verified
// readable by them (see fixtures/README.md for the provenance of every file).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { codecs, type CodecName } from '../../../src/core/compression/index.ts'
import { samples } from './samples.ts'

const dir = new URL('./fixtures/', import.meta.url)

// Which Conduit codec reads a fixture, by the file's final extension.
const READER: Record<string, CodecName> = {
  lz4: 'lz4Frame',
  snappy: 'snappyXerial', // reads both xerial-framed (Kafka) and raw (snappy-java) blocks
  gzip: 'gzip',
  gz: 'gzip',
  zstd: 'zstd',
  zst: 'zstd',
  'lz4-block': 'lz4Block',
  zlib: 'deflate',
}

const fixtures = readdirSync(dir).filter((f) => /^\w+\.[\w-]+\.[\w-]+$/.test(f))

void test('the fixture set is complete', () => {
  assert.ok(fixtures.length >= 35, `found only ${fixtures.length} fixtures`)
  for (const f of fixtures) {
    assert.ok(f.split('.')[0]! in samples, `${f} names an unknown sample`)
    assert.ok(READER[f.split('.').at(-1)!], `${f} has no reader`)
  }
})

for (const file of fixtures) {
  const [sample, , ext] = file.split('.') as [string, string, string]
  void test(`reads ${file}`, async () => {
    const expected = samples[sample]!
    const codec = codecs[READER[ext]!]
    const data = readFileSync(new URL(file, dir))
    assert.ok(Buffer.from(codec.decompressSync(data, expected.length)).equals(expected), 'sync')
    assert.ok(Buffer.from(await codec.decompress(data, expected.length)).equals(expected), 'async')
  })
}

void test('raw Snappy fixtures also decode with the raw codec', () => {
  for (const file of fixtures.filter((f) => f.endsWith('.snappy') && !f.includes('java-kafka'))) {
    const expected = samples[file.split('.')[0]!]!
    assert.ok(
      Buffer.from(codecs.snappy.decompressSync(readFileSync(new URL(file, dir)), expected.length)).equals(
        expected,
      ),
    )
  }
})

void test('Conduit compresses each sample to exactly the bytes verified against Java and the lz4 CLI', () => {
  const hashes = JSON.parse(readFileSync(new URL('conduit-output.sha256.json', dir), 'utf8')) as Record<
    string,
    string
  >
  const byName: Record<string, CodecName> = {
    'lz4-frame': 'lz4Frame',
    'lz4-block': 'lz4Block',
    snappy: 'snappy',
    'snappy-xerial': 'snappyXerial',
  }
  let checked = 0
  for (const [key, hash] of Object.entries(hashes)) {
    const [sample, codecName] = key.split('.') as [string, string]
    const out = codecs[byName[codecName]!].compressSync(samples[sample]!)
    assert.equal(createHash('sha256').update(out).digest('hex'), hash, key)
    checked++
  }
  assert.equal(checked, Object.keys(samples).length * 4)
})
